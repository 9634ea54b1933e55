"""The bundle (scripts/build_bundle.py) and its runner keel-run, for real: the zip is
built, unpacked, and keel-run runs a real ansible-playbook from it (the venv's
ansible-core standing in for the distribution's, which the rehearsal scenario uses)."""

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

BUNDLED_ROLES = ("baseline", "auditd", "pam", "ufw", "ssm_agent")
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
    assert "playbooks/publish.yml" not in names  # controller-only
    assert not [name for name in names if "/tests/" in name or "/molecule/" in name]
    manifest = json.loads(zipfile.ZipFile(bundle[0]).read("BUNDLE.json"))
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    assert manifest["version"] == galaxy["version"]


def test_reproducible(bundle, tmp_path):
    _, digest, _ = build_bundle.build(str(tmp_path / "again.zip"))
    assert digest == bundle[1]


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
