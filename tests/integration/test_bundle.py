"""The bundle (plugins/plugin_utils/bundle_builder.py, through scripts/build_bundle.py
and the keel.ssm.bundle action) and its runner keel-run, for real: the zip is built,
unpacked, and keel-run runs a real ansible-playbook from it (the venv's ansible-core
standing in for the distribution's, which the rehearsal scenario uses). The build from an
installed collection is tests/integration/test_publish_installed.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
import build_bundle  # noqa: E402

from ansible_collections.keel.ssm.plugins.plugin_utils import bundle_builder  # noqa: E402

BUNDLED_ROLES = ("baseline", "auditd", "pam", "ufw", "ssm_agent")
COLLECTION_PREFIX = "collections/ansible_collections/keel/ssm/"
# Playbooks that must never ship: controller-only (publish talks to AWS APIs) and test
# harnesses (rehearse.yml drives the SSM agent emulator, a TEST DOUBLE, from a checkout).
NOT_SHIPPED_PLAYBOOKS = {"publish.yml", "rehearse.yml"}
# A module key in a task: a dotted FQCN followed by ':' at task level.
FQCN_KEY = re.compile(r"^\s*-?\s*([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+):", re.MULTILINE)
RECORD_PLAYBOOK = """\
- name: Record what keel-run handed over (test playbook)
  hosts: all
  gather_facts: false
  tasks:
    - name: Write the keel_ variables and the check-mode flag
      ansible.builtin.copy:
        dest: "{{ record_to }}"
        content: "{{ {'vars': dict(names | zip(query('ansible.builtin.vars', *names))),
                      'check': ansible_check_mode, 'python': ansible_python_interpreter} | to_json }}"
        mode: "0600"
      check_mode: false
      vars:
        record_to: "{{ lookup('ansible.builtin.env', 'KEEL_TEST_RECORD') }}"
        names: "{{ query('ansible.builtin.varnames', '^keel_') }}"
    - name: Fail when asked to
      ansible.builtin.fail:
        msg: asked to fail
      when: lookup('ansible.builtin.env', 'KEEL_TEST_FAIL') == 'yes'
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "keel-ssm-bundle.zip"
    path, digest, _ = build_bundle.build(str(out))
    return Path(path), digest


def test_layout(bundle):
    names = set(zipfile.ZipFile(bundle[0]).namelist())
    assert {"ansible.cfg", "bin/keel-run", "BUNDLE.json", "playbooks/baseline.yml"} <= names
    for role in BUNDLED_ROLES:
        assert f"collections/ansible_collections/keel/ssm/roles/{role}/meta/argument_specs.yml" in names, role
        if role != "baseline":
            assert f"playbooks/{role}.yml" in names
    assert not [name for name in names if "/tests/" in name or "/molecule/" in name]
    # Only what the allow-list names: the instance playbooks, and of the collection its
    # plugins, roles, runtime metadata and licence (no playbooks, documents, changelogs).
    playbooks = {name.removeprefix("playbooks/") for name in names if name.startswith("playbooks/")}
    assert playbooks == set(bundle_builder.INSTANCE_PLAYBOOKS)
    assert not playbooks & NOT_SHIPPED_PLAYBOOKS
    tops = {name.removeprefix(COLLECTION_PREFIX).split("/")[0] for name in names if name.startswith(COLLECTION_PREFIX)}
    assert tops == {"LICENSE", "MANIFEST.json", "meta", "plugins", "roles"}
    assert f"{COLLECTION_PREFIX}meta/runtime.yml" in names
    assert not [name for name in names if "rehearse" in name or "__pycache__" in name or name.endswith(".pyc")]
    manifest = json.loads(zipfile.ZipFile(bundle[0]).read("BUNDLE.json"))
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    assert manifest["version"] == galaxy["version"]
    identity = json.loads(zipfile.ZipFile(bundle[0]).read(f"{COLLECTION_PREFIX}MANIFEST.json"))["collection_info"]
    assert (identity["namespace"], identity["name"], identity["version"]) == ("keel", "ssm", galaxy["version"])


def test_every_playbook_is_either_shipped_or_named_as_not_shipped():
    """A new playbook is a decision: add it to INSTANCE_PLAYBOOKS or to the list above."""
    playbooks = {path.name for path in (REPO_ROOT / "playbooks").glob("*.yml")}
    assert playbooks == set(bundle_builder.INSTANCE_PLAYBOOKS) | NOT_SHIPPED_PLAYBOOKS


def test_the_playbooks_the_documents_run_are_shipped():
    documents = "".join(path.read_text() for path in (REPO_ROOT / "ssm_documents").glob("*.yml"))
    wanted = set(re.findall(r"--playbook playbooks/(\S+\.yml)", documents))
    assert wanted and wanted <= set(bundle_builder.INSTANCE_PLAYBOOKS)


def test_reproducible(bundle, tmp_path):
    _, digest, _ = build_bundle.build(str(tmp_path / "again.zip"))
    assert digest == bundle[1]
    info = zipfile.ZipFile(bundle[0]).infolist()
    assert [item.filename for item in info] == sorted(item.filename for item in info)
    assert {item.date_time for item in info} == {(1980, 1, 1, 0, 0, 0)}
    assert {item.external_attr >> 16 for item in info} <= {0o100644, 0o100755}


def run_action(*args):
    """ansible localhost -m keel.ssm.bundle, with the checkout's ansible.cfg: (rc, output)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible"), "localhost", "-m", "keel.ssm.bundle", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_action_writes_where_asked_once_and_not_in_check_mode(bundle, tmp_path):
    dest = tmp_path / "new" / "dir" / "bundle.zip"
    status, output = run_action("-a", f"dest={dest}", "--check")
    assert status == 0 and '"changed": true' in output, output
    assert not dest.parent.exists()
    status, output = run_action("-a", f"dest={dest}")
    assert status == 0 and '"changed": true' in output and f'"sha256": "{bundle[1]}"' in output, output
    assert dest.read_bytes() == bundle[0].read_bytes()
    assert oct(dest.stat().st_mode & 0o777) == "0o644"
    status, output = run_action("-a", f"dest={dest}")
    assert status == 0 and '"changed": false' in output, output
    assert os.listdir(dest.parent) == ["bundle.zip"]  # the temporary file was renamed


def test_the_action_may_write_in_a_checkouts_build_directory(bundle):
    """make demo publishes into build/demo/: build_ignore keeps build/ out of the tarball."""
    status, output = run_action("-a", "dest=build/test-action/keel-ssm-bundle.zip", "--check")
    assert status == 0 and '"changed": true' in output, output
    assert not (REPO_ROOT / "build" / "test-action").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-a", "dest=build/../plugins/keel-ssm-bundle.zip"), "dest: must be outside the collection's own directory"),
        (("-a", f"dest={REPO_ROOT}"), "dest: must be outside the collection's own directory"),
        ((), "missing required arguments: dest"),
    ],
)
def test_the_action_refuses_a_dest_inside_the_collection_or_none(args, message):
    status, output = run_action(*args)
    assert status != 0 and message in output, output
    assert not (REPO_ROOT / "plugins" / "keel-ssm-bundle.zip").exists()


def test_roles_need_nothing_but_ansible_builtin_and_keel_ssm():
    """The bundle carries no other collection, so roles may use no other collection."""
    offenders = []
    for path in sorted((REPO_ROOT / "roles").glob("*/*/*.yml")):
        if path.parent.name not in ("tasks", "handlers"):
            continue
        for fqcn in FQCN_KEY.findall(path.read_text()):
            if not fqcn.startswith(("ansible.builtin.", "keel.ssm.")):
                offenders.append(f"{path.relative_to(REPO_ROOT)}: {fqcn}")
    assert offenders == []
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    assert not galaxy.get("dependencies")


def unpack(bundle, tmp_path):
    target = tmp_path / "unpacked"
    zipfile.ZipFile(bundle).extractall(target)
    (target / "playbooks" / "record.yml").write_text(RECORD_PLAYBOOK)
    return target


def keel_run(unpacked, tmp_path, ssm_env, fail=False):
    record = tmp_path / "record.json"
    env = {
        # The venv's ansible-playbook is first on PATH: "distro" mode finds and uses it.
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "KEEL_TEST_RECORD": str(record),
        "KEEL_TEST_FAIL": "yes" if fail else "no",
        # No wait before the settings read unless a test asks for one (unset is 300 s).
        "SSM_MaxReadDelaySeconds": "0",
        **ssm_env,
    }
    result = subprocess.run(
        [
            sys.executable,
            str(unpacked / "bin" / "keel-run"),
            "--bundle",
            str(unpacked),
            "--role",
            "baseline",
            "--playbook",
            "playbooks/record.yml",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    recorded = json.loads(record.read_text()) if record.exists() else None
    return result, recorded


def test_keel_run_passes_typed_settings_and_leaves_empty_ones_out(bundle, tmp_path):
    unpacked = unpack(bundle[0], tmp_path)
    result, recorded = keel_run(
        unpacked,
        tmp_path,
        {"SSM_AnsibleSource": "distro", "SSM_Mode": "apply", "SSM_ParameterPath": "/baseline/prod", "SSM_Pam": "false"}
        | {"SSM_AwsRegion": ""},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert recorded["check"] is False
    # Role defaults are not extra vars, so only what the parameters set is here.
    assert recorded["vars"]["keel_baseline_parameter_path"] == "/baseline/prod"
    assert recorded["vars"]["keel_baseline_pam"] is False
    assert "using the distribution's ansible-core" in result.stdout
    # Modules run by the Python that runs Ansible (-c local), which has boto3.
    assert recorded["python"].startswith(str(Path(sys.executable).parent))


def test_keel_run_waits_a_bounded_random_time_before_the_settings_read(bundle, tmp_path):
    unpacked = unpack(bundle[0], tmp_path)
    result, recorded = keel_run(
        unpacked, tmp_path, {"SSM_ParameterPath": "/baseline/prod", "SSM_MaxReadDelaySeconds": "1"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    waited = re.search(
        r"keel-run: waiting (\d+\.\d) s \(random, at most MaxReadDelaySeconds=1\) before the settings read\n"
        r"(.*\n)*keel-run: \$ \S+ansible-playbook ",
        result.stdout,
    )
    assert waited and 0 <= float(waited.group(1)) <= 1, result.stdout
    assert recorded["vars"]["keel_baseline_parameter_path"] == "/baseline/prod"


def test_keel_run_check_mode(bundle, tmp_path):
    unpacked = unpack(bundle[0], tmp_path)
    result, recorded = keel_run(unpacked, tmp_path, {"SSM_Mode": "check"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert recorded["check"] is True


def test_keel_run_fails_with_the_playbook(bundle, tmp_path):
    unpacked = unpack(bundle[0], tmp_path)
    result, _ = keel_run(unpacked, tmp_path, {"SSM_Mode": "apply"}, fail=True)
    assert result.returncode != 0
    assert "ansible-playbook exited with 2" in result.stdout


@pytest.mark.parametrize(
    ("ssm_env", "message"),
    [
        ({"SSM_ParameterPath": "/x'; reboot"}, "ParameterPath: value does not match"),
        ({"SSM_Pam": "maybe"}, "Pam: value is not one of the allowed values"),
        ({"SSM_Mode": "destroy"}, "Mode: must be one of apply, check"),
        ({"SSM_MaxReadDelaySeconds": "1801"}, "MaxReadDelaySeconds: must be a whole number of seconds from 0 to 1800"),
        ({"SSM_AnsibleSource": "curl"}, "AnsibleSource: must be one of distro, venv"),
        ({"SSM_AnsibleSource": "venv", "SSM_AnsibleCoreVersion": "2.9.1"}, "AnsibleCoreVersion: must look like"),
    ],
)
def test_keel_run_refuses_bad_values_before_running_anything(bundle, tmp_path, ssm_env, message):
    unpacked = unpack(bundle[0], tmp_path)
    result, recorded = keel_run(unpacked, tmp_path, ssm_env)
    assert result.returncode == 2
    assert message in result.stderr
    assert recorded is None
