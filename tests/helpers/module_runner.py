"""Run a keel.ssm module the way Ansible does on a target: a separate Python process
that reads its arguments as JSON and prints its result as JSON. No Ansible controller
is involved, so a test can run dozens of them quickly; playbook tests cover the
controller side (ansible-playbook, -vvvv, --diff)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_ROOT = REPO_ROOT / ".collections"


def run_module(module, args, check=False, diff=False, verbosity=0, python=None, timeout=300):
    """Result dict of keel.ssm.<module> with `args`, plus `_stdout`/`_stderr`/`_rc`."""
    payload = dict(args)
    payload.update(_ansible_check_mode=check, _ansible_diff=diff, _ansible_verbosity=verbosity)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": payload}, handle)
        args_path = handle.name
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(COLLECTIONS_ROOT), env.get("PYTHONPATH")]))
    try:
        completed = subprocess.run(
            [python or sys.executable, "-m", f"ansible_collections.keel.ssm.plugins.modules.{module}", args_path],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    finally:
        os.unlink(args_path)
    result = None
    for line in reversed(completed.stdout.strip().splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            break
    if result is None:
        raise AssertionError(f"{module} printed no result (rc {completed.returncode}): {completed.stderr[-2000:]}")
    result.update(_stdout=completed.stdout, _stderr=completed.stderr, _rc=completed.returncode)
    return result
