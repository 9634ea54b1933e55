"""`make demo` (scripts/demo.py) end to end: moto server, parameter tree, a config
rendered by ansible-playbook with the lookup, the SecureString masked in what it prints."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers.fleet import REPO_ROOT


def test_demo_renders_the_config_and_masks_the_secret():
    completed = subprocess.run(
        [sys.executable, "scripts/demo.py"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "password = ********" in completed.stdout
    config = REPO_ROOT / "build" / "demo" / "out" / "app.conf"
    text = config.read_text(encoding="utf-8")
    password = re.search(r"^password = (\S+)$", text, re.MULTILINE).group(1)
    assert password != "********" and password not in completed.stdout + completed.stderr
    assert "host = db.prod.internal" in text and "new_ui = true" in text
    assert config.stat().st_mode & 0o777 == 0o600
