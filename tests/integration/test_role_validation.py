"""Every role checks the settings its argument spec cannot express the same way
(tasks/validate.yml, the internal keel.ssm.role_problems filter): real ansible-playbook
runs under the venv's ansible-core 2.19 and Debian 12's 2.14 on localhost, each role on its
defaults and each with one setting it must refuse. The rules themselves are unit-tested
(tests/unit/plugins/plugin_utils/test_role_rules.py); this proves the mechanism."""

from __future__ import annotations

import os
import subprocess

from tests.helpers import REPO_ROOT

PLAYBOOK = REPO_ROOT / "tests" / "integration" / "playbooks" / "role_validation.yml"
EXPECTED = [
    "keel.ssm.auditd: keel_auditd_space_left (5%) must be larger than keel_auditd_admin_space_left (5%)",
    "keel.ssm.baseline: keel_baseline_parameter_path must be empty or a Parameter Store path",
    "keel.ssm.pam: keel_pam_pass_min_days (30) must be lower than keel_pam_pass_max_days (30)",
    "keel.ssm.ssm_agent: keel_ssm_agent_activation_id is set but keel_ssm_agent_activation_code is empty",
    "keel.ssm.ufw: keel_ufw_allowed_ports[1] duplicates keel_ufw_allowed_ports[0]",
]


def test_every_role_validates_the_same_way(ansible, tmp_path):
    version, bin_dir = ansible
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    completed = subprocess.run(
        [str(bin_dir / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(PLAYBOOK)],
        # The pam role's platform check runs a module: on the Python that runs Ansible.
        input=None,
        capture_output=True,
        text=True,
        env={**env, "ANSIBLE_PYTHON_INTERPRETER": str(bin_dir / "python")},
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    refused = [line.split("REFUSED ", 1)[1].strip().rstrip('"') for line in output.splitlines() if "REFUSED " in line]
    assert len(refused) == len(EXPECTED), (version, output[-3000:])
    for message, expected in zip(refused, EXPECTED):
        assert message.startswith(expected), (version, message)
