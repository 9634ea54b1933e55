"""Run one of this collection's modules the way Ansible does on a host: a separate Python process
reading its arguments from a JSON file, with the collection importable as ansible_collections.keel.ssm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO_ROOT / ".collections"


def run_module(name, args, tmp_path, check_mode=False, env=None):
    """Returns (result dict, raw stdout) of plugins/modules/<name>.py."""
    args_file = tmp_path / f"{name}-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check_mode}}))
    environment = {**os.environ, "PYTHONPATH": str(COLLECTIONS), **(env or {})}
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "plugins" / "modules" / f"{name}.py"), str(args_file)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )
    output = completed.stdout + completed.stderr
    return json.loads(completed.stdout), output
