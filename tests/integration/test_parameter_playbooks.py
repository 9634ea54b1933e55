"""Real ansible-playbook runs of keel.ssm.parameter and keel.ssm.parameter_tree with
-vvvv --diff against the moto server (through the AwsProxy test double, which also
injects an AWS error that echoes a secret). The whole output of every run is searched
for the SecureString values: none may appear, in check mode, on create, on no-op, on
rotation, on deletion or in failures.

Checked against moto: the controller side (module_defaults-free auth from the
environment, diff rendering, check mode, ignore_errors, recap counts). Every run is
made with the venv's ansible-core 2.19 and with Debian 12's ansible-core 2.14 and
boto3 1.26 (.venv/core214), the stack of instances under AWS-ApplyAnsiblePlaybooks.
"""

from __future__ import annotations

import os
import re
import subprocess

import yaml

from tests.helpers.parameter_store import Recorder, snapshot

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRETS = {"secret_one": "Pl4y-One-S3cret", "secret_two": "Pl4y-Two-S3cret", "secret_three": "Pl4y-Three-S3cret"}
ROTATED = {"secret_one": "Pl4y-One-R0tated", "secret_two": "Pl4y-Two-R0tated", "secret_three": "Pl4y-Three-R0tated"}

PLAYBOOK = [
    {
        "name": "Parameter Store modules: secrets never shown",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "One secret",
                "keel.ssm.parameter": {
                    "name": "/play/db_password",
                    "value": "{{ secret_one }}",
                    "type": "SecureString",
                    "labels": ["live"],
                    "state": "{{ 'absent' if remove | default(false) else 'present' }}",
                },
            },
            {
                "name": "A tree with secrets",
                "keel.ssm.parameter_tree": {
                    "path": "/play/tree",
                    "prune": True,
                    "parameters": "{{ {} if remove | default(false) else tree }}",
                },
            },
            {
                "name": "A rule broken by a secret value (fails before any call)",
                "keel.ssm.parameter": {
                    "name": "/play/pin",
                    "value": "{{ secret_one }}",
                    "type": "SecureString",
                    "allowed_pattern": "^[0-9]+$",
                },
                "ignore_errors": True,
            },
            {
                "name": "An AWS error that echoes the secret",
                "keel.ssm.parameter": {
                    "name": "/play/echo",
                    "value": "{{ secret_two }}",
                    "type": "SecureString",
                    "max_attempts": 1,
                },
                "ignore_errors": True,
            },
        ],
    }
]


def tree_vars(secrets):
    return {
        "tree": {
            "host": "db.internal",
            "password": {"value": secrets["secret_two"], "type": "SecureString"},
            "nested": {"token": {"value": secrets["secret_three"], "type": "SecureString", "tier": "Advanced"}},
        }
    }


def play(ansible_bin, tmp_path, proxy, secrets, *flags, remove=False):
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump({**secrets, **tree_vars(secrets), "remove": remove}))
    env = dict(
        os.environ, AWS_URL=proxy.url, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1"
    )
    completed = subprocess.run(
        [
            os.path.join(ansible_bin, "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            f"ansible_python_interpreter={os.path.join(ansible_bin, 'python')}",
            "-e",
            f"@{variables}",
            "-vvvv",
            "--diff",
            *flags,
            str(playbook),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=600,
        check=False,
    )
    output = completed.stdout + completed.stderr
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert recap, output[-3000:]
    return completed.returncode, output, {"changed": int(recap.group(2)), "failed": int(recap.group(4))}


def assert_no_secret(output):
    for value in (*SECRETS.values(), *ROTATED.values()):
        assert value not in output, f"secret {value[:6]}... leaked"


def test_playbooks_never_show_secure_string_values(ansible, tmp_path, proxy, ssm):
    ansible_bin = str(ansible[1])
    recorder = Recorder()
    recorder.fail(
        "PutParameter",
        when=lambda body: body.get("Name") == "/play/echo",
        code="ValidationException",
        message=lambda body: f"Value '{body['Value']}' at 'value' failed to satisfy constraint",
    )
    proxy.inject = recorder

    rc, output, recap = play(ansible_bin, tmp_path, proxy, SECRETS, "--check")
    assert rc == 0, output[-3000:]
    assert recap["changed"] == 3  # the echo task only fails when it really writes
    assert "********" in output  # the diffs were rendered, masked
    assert snapshot(ssm) == {}
    assert_no_secret(output)

    rc, output, recap = play(ansible_bin, tmp_path, proxy, SECRETS)
    assert rc == 0, output[-3000:]
    assert recap["changed"] == 2
    assert "does not match allowed_pattern '^[0-9]+$'" in output
    assert "PutParameter /play/echo: ValidationException: Value '********' at 'value'" in output
    assert snapshot(ssm)["/play/tree/password"]["value"] == SECRETS["secret_two"]
    assert_no_secret(output)

    rc, output, recap = play(ansible_bin, tmp_path, proxy, SECRETS)
    assert rc == 0
    assert recap["changed"] == 0  # idempotent through the controller
    assert_no_secret(output)

    rc, output, recap = play(ansible_bin, tmp_path, proxy, ROTATED)
    assert recap["changed"] == 2
    assert "******** (changed)" in output
    assert snapshot(ssm)["/play/db_password"]["value"] == ROTATED["secret_one"]
    assert_no_secret(output)

    rc, output, recap = play(ansible_bin, tmp_path, proxy, ROTATED, remove=True)
    assert recap["changed"] == 2
    assert snapshot(ssm) == {}
    assert_no_secret(output)
