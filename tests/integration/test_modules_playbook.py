"""Both modules through a real `ansible-playbook` run (the venv's ansible-core 2.19 and
Debian 12's ansible-core 2.14 with boto3 1.26) against
the moto server over HTTP: AnsiballZ packaging of the module_utils, module_defaults,
check and diff mode as Ansible drives them, and what reaches the console at -vvv.

The playbook (tests/playbooks/ssm_modules.yml) asserts each step itself; this test
checks the run succeeded and that the association's secret parameter never appears
in any output. moto has no association API, so the association tasks cover
validation and masking here; their AWS requests are tested against the service model
in tests/unit/plugins/modules/test_association.py.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO_ROOT / "tests" / "playbooks" / "ssm_modules.yml"
SECRET = "keel-token-7d41c0e2b9"


def test_playbook_runs_clean_and_never_shows_the_secret(moto, ansible):
    _, bin_dir = ansible
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        KEEL_TEST_SECRET=SECRET,
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    )
    completed = subprocess.run(
        [
            str(bin_dir / "ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            f"keel_endpoint={moto.url}",
            "-e",
            f"ansible_python_interpreter={bin_dir / 'python'}",
            "--diff",
            "-vvv",
            str(PLAYBOOK),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    assert "failed=0" in output
    # The check-mode task printed its content diff.
    assert "-description: keel.ssm module smoke test\n" in output
    assert "+description: keel.ssm module smoke test, version 2\n" in output
    assert SECRET not in output
