#!/usr/bin/env python3
"""Build the keel.ssm bundle: one self-contained zip for the keel-ssm-* documents and
for the AWS-owned AWS-ApplyAnsiblePlaybooks document.

Layout (what `unzip` in the command's working directory produces):
  ansible.cfg                 collections_path = ./collections
  playbooks/<name>.yml        baseline.yml and one per role (PlaybookFile for AWS-ApplyAnsiblePlaybooks)
  collections/ansible_collections/keel/ssm/   this collection, from `ansible-galaxy collection build`
  bin/keel-run                the documents' runner (scripts/keel_run.py)
  BUNDLE.json                 collection version, commit, playbooks

The roles use ansible.builtin modules and this collection's own plugins only, so the
bundle needs no other collection and runs on a bare ansible-core 2.14 (Debian 12's).
The zip is reproducible: same inputs, same bytes (sorted entries, fixed timestamps), so
re-publishing an unchanged bundle changes nothing in S3.

Usage: build_bundle.py [--output build/keel-ssm-bundle.zip]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "build", "keel-ssm-bundle.zip")
# Controller-only playbooks (they talk to AWS APIs to publish) stay out of the bundle.
CONTROLLER_PLAYBOOKS = ("publish.yml",)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
BUNDLE_ANSIBLE_CFG = """\
# keel.ssm bundle: ansible-playbook run from this directory finds the bundled collection.
[defaults]
collections_path = ./collections
interpreter_python = auto_silent
retry_files_enabled = false
"""


def galaxy():
    with open(os.path.join(REPO_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def commit():
    result = subprocess.run(["git", "-C", REPO_ROOT, "rev-parse", "HEAD"], check=False, capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def build_collection(workdir):
    """`ansible-galaxy collection build` (honours galaxy.yml's build_ignore); the tarball path."""
    ansible_galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    subprocess.run(
        [ansible_galaxy, "collection", "build", REPO_ROOT, "--output-path", workdir, "--force"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    meta = galaxy()
    return os.path.join(workdir, f"{meta['namespace']}-{meta['name']}-{meta['version']}.tar.gz")


def bundle_files(tarball):
    """{archive path: (bytes, mode)} for everything that goes into the zip."""
    meta = galaxy()
    files = {"ansible.cfg": (BUNDLE_ANSIBLE_CFG.encode(), 0o644)}
    prefix = f"collections/ansible_collections/{meta['namespace']}/{meta['name']}/"
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix("./")
            # The tarball's tests/config.yml is for ansible-test and Galaxy, not for instances.
            if member.isfile() and not name.startswith("tests/"):
                data = archive.extractfile(member).read()
                files[prefix + name] = (data, 0o755 if member.mode & 0o111 else 0o644)
    playbooks = sorted(
        name
        for name in os.listdir(os.path.join(REPO_ROOT, "playbooks"))
        if name.endswith(".yml") and name not in CONTROLLER_PLAYBOOKS
    )
    for name in playbooks:
        with open(os.path.join(REPO_ROOT, "playbooks", name), "rb") as handle:
            files[f"playbooks/{name}"] = (handle.read(), 0o644)
    with open(os.path.join(REPO_ROOT, "scripts", "keel_run.py"), "rb") as handle:
        files["bin/keel-run"] = (handle.read(), 0o755)
    manifest = {
        "collection": f"{meta['namespace']}.{meta['name']}",
        "version": meta["version"],
        "commit": commit(),
        "playbooks": [f"playbooks/{name}" for name in playbooks],
        "requires_ansible_core": ">=2.14",
    }
    files["BUNDLE.json"] = (json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n", 0o644)
    return files


def write_zip(files, output):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            data, mode = files[path]
            info = zipfile.ZipInfo(path, date_time=FIXED_TIME)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "wb") as handle:
        handle.write(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def build(output=DEFAULT_OUTPUT):
    with tempfile.TemporaryDirectory(prefix="keel-bundle.") as workdir:
        files = bundle_files(build_collection(workdir))
    digest = write_zip(files, output)
    return output, digest, len(files)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    output, digest, count = build(args.output)
    print(f"{os.path.relpath(output, REPO_ROOT)}: {count} files, {os.path.getsize(output)} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
