# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the keel.ssm bundle: one self-contained zip for the keel-ssm-* documents and
for the AWS-owned AWS-ApplyAnsiblePlaybooks document. Used by the keel.ssm.bundle action
and by scripts/build_bundle.py (make bundle): one implementation for both.

Layout (what `unzip` in the command's working directory produces):
  ansible.cfg                 collections_path = ./collections
  playbooks/<name>.yml        INSTANCE_PLAYBOOKS (PlaybookFile for AWS-ApplyAnsiblePlaybooks)
  collections/ansible_collections/keel/ssm/   COLLECTION_CONTENT of this collection and a
                              MANIFEST.json with its identity (namespace, name, version)
  bin/keel-run                the documents' runner (scripts/keel_run.py)
  BUNDLE.json                 collection, version, playbooks

What ships is an allow-list, not "everything but": a file added to the repository (a test
harness such as playbooks/rehearse.yml, a controller playbook such as publish.yml) stays
out until it is named here. The sources are read from the collection's own directory,
which is a checkout (galaxy.yml) or an installed collection (MANIFEST.json): both hold
the same allowed files, so both give the same bytes. The zip is reproducible (sorted
entries, fixed timestamps and permissions), so re-publishing an unchanged bundle changes
nothing in S3.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile

import yaml

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

# This file is plugins/plugin_utils/bundle_builder.py of the collection.
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The playbooks instances run (the documents' --playbook, AWS-ApplyAnsiblePlaybooks' PlaybookFile).
INSTANCE_PLAYBOOKS = ("baseline.yml", "auditd.yml", "pam.yml", "ufw.yml", "ssm_agent.yml")
# What of the collection instances need: its plugins and roles, the runtime metadata
# (requires_ansible, plugin routing) and the licence that must travel with the code.
COLLECTION_CONTENT = ("LICENSE", "meta/runtime.yml", "plugins", "roles")
# The runner: in scripts/ (galaxy.yml's build_ignore lets only this one script into the tarball).
RUNNER = "scripts/keel_run.py"
# Editor, Python and VCS leftovers a checkout may hold inside an allowed directory.
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".retry", ".orig", ".rej", ".swp", "~")
# The directories of a checkout (not of an installed collection) dest may be in: both are
# git-ignored and in galaxy.yml's build_ignore. build/ takes make bundle's and make demo's
# bundles; .ansible/ is the Makefile's ANSIBLE_HOME, where molecule keeps its scenarios'
# ephemeral directories (the rehearsal and VM scenarios build their bundles there).
CHECKOUT_SCRATCH = ("build", ".ansible")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
BUNDLE_ANSIBLE_CFG = """\
# keel.ssm bundle: ansible-playbook run from this directory finds the bundled collection.
[defaults]
collections_path = ./collections
interpreter_python = auto_silent
retry_files_enabled = false
"""


def collection_info(root=COLLECTION_ROOT):
    """{namespace, name, version} from galaxy.yml (a checkout) or MANIFEST.json (installed)."""
    galaxy = os.path.join(root, "galaxy.yml")
    if os.path.isfile(galaxy):
        with open(galaxy, encoding="utf-8") as handle:
            meta = yaml.safe_load(handle)
    else:
        with open(os.path.join(root, "MANIFEST.json"), encoding="utf-8") as handle:
            meta = json.load(handle)["collection_info"]
    return {key: meta[key] for key in ("namespace", "name", "version")}


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _collection_files(root):
    """{relative path: path} for COLLECTION_CONTENT, leftovers and hidden files skipped."""
    found = {}
    for entry in COLLECTION_CONTENT:
        top = os.path.join(root, entry)
        if os.path.isfile(top):
            found[entry] = top
            continue
        if not os.path.isdir(top):
            raise KeelRuleError(f"the collection at {root} has no {entry}: it is not a keel.ssm checkout or install")
        for directory, dirnames, filenames in os.walk(top):
            dirnames[:] = [name for name in dirnames if name != "__pycache__" and not name.startswith(".")]
            for name in filenames:
                if name.startswith(".") or name.endswith(SKIPPED_SUFFIXES):
                    continue
                path = os.path.join(directory, name)
                found[os.path.relpath(path, root).replace(os.sep, "/")] = path
    return found


def bundle_files(root=COLLECTION_ROOT):
    """{archive path: (bytes, mode)} for everything that goes into the zip."""
    meta = collection_info(root)
    files = {"ansible.cfg": (BUNDLE_ANSIBLE_CFG.encode(), 0o644)}
    prefix = f"collections/ansible_collections/{meta['namespace']}/{meta['name']}/"
    for name, path in _collection_files(root).items():
        files[prefix + name] = (_read(path), 0o644)
    # Generated, not copied (a checkout has none): the identity alone, so ansible-galaxy
    # collection list shows the version and 2.14's ansible-doc lists the roles. No
    # FILES.json: the bundle's integrity is its SHA-256, which the documents pin.
    identity = {"collection_info": dict(meta, dependencies={}), "format": 1}
    files[prefix + "MANIFEST.json"] = (json.dumps(identity, indent=2, sort_keys=True).encode() + b"\n", 0o644)
    for name in INSTANCE_PLAYBOOKS:
        files[f"playbooks/{name}"] = (_read(os.path.join(root, "playbooks", name)), 0o644)
    files["bin/keel-run"] = (_read(os.path.join(root, RUNNER)), 0o755)
    manifest = {
        "collection": f"{meta['namespace']}.{meta['name']}",
        "version": meta["version"],
        "playbooks": [f"playbooks/{name}" for name in sorted(INSTANCE_PLAYBOOKS)],
        "requires_ansible_core": ">=2.14",
    }
    files["BUNDLE.json"] = (json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n", 0o644)
    return files


def zip_bytes(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            data, mode = files[path]
            info = zipfile.ZipInfo(path, date_time=FIXED_TIME)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def check_dest(dest, root=COLLECTION_ROOT):
    """The absolute dest, or KeelRuleError when it is empty or inside the collection.

    An installed collection is shared and checked against its FILES.json: nothing is
    written in it. A checkout (galaxy.yml) may take the bundle in its build/ (make bundle,
    make demo) or .ansible/ (molecule's ephemeral directories): galaxy.yml's build_ignore and
    .gitignore keep both out of the tarball and of git, and the allow-list keeps them out of
    the next bundle."""
    if not dest:
        raise KeelRuleError("dest: required, the path of the zip to write (outside the collection)")
    dest = os.path.abspath(os.path.expanduser(dest))
    real_root = os.path.realpath(root)
    real_dest = os.path.realpath(dest)
    inside = real_dest == real_root or real_dest.startswith(real_root + os.sep)
    if inside and os.path.isfile(os.path.join(real_root, "galaxy.yml")):
        scratches = [os.path.join(real_root, scratch) + os.sep for scratch in CHECKOUT_SCRATCH]
        inside = not any(real_dest.startswith(scratch) for scratch in scratches)
    if inside:
        raise KeelRuleError(
            f"dest: must be outside the collection's own directory ({real_root}), got {dest}; "
            "write the bundle under the working directory or ~/.cache/keel-ssm/"
        )
    return dest


def build(dest, root=COLLECTION_ROOT, write=True):
    """Build the bundle for dest: {dest, sha256, size, files, changed}. changed: dest did
    not already hold these bytes. write=False (check mode) only says what would change;
    otherwise the zip is written next to dest and renamed onto it (never half a file)."""
    dest = check_dest(dest, root)
    files = bundle_files(root)
    data = zip_bytes(files)
    digest = hashlib.sha256(data).hexdigest()
    try:
        changed = _read(dest) != data
    except FileNotFoundError:
        changed = True
    if changed and write:
        directory = os.path.dirname(dest)
        os.makedirs(directory, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".keel-ssm-bundle.", dir=directory)
        try:
            with os.fdopen(handle, "wb") as output:
                output.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, dest)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    return {"dest": dest, "sha256": digest, "size": len(data), "files": len(files), "changed": changed}
