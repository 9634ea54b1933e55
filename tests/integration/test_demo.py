"""`make demo` (scripts/demo.py --quick): the moto container, parameter_tree loading both
trees, feature flags deployed with AppConfig (through the AppConfig test double), a
config rendered by ansible-playbook with both lookups (the SecureString masked in what
it prints), publish.yml (bundle in S3, documents, the one association's plan), and the SSM
compliance test double listening on the demo network's gateway for the instances. The
demo's fleet steps run playbooks/rehearse.yml, which the molecule scenario `rehearsal`
covers; they are left out here to keep the suite fast. Its read-back step is tested
without instances in test_demo_compliance.py."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers.fleet import REPO_ROOT


def test_demo_renders_the_config_and_masks_the_secret():
    completed = subprocess.run(
        [sys.executable, "scripts/demo.py", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "password = ********" in completed.stdout
    config = REPO_ROOT / "build" / "demo" / "out" / "app.conf"
    text = config.read_text(encoding="utf-8")
    password = re.search(r"^password = (\S+)$", text, re.MULTILINE).group(1)
    assert password != "********" and password not in completed.stdout + completed.stderr
    assert "host = db.prod.internal" in text
    # [features] comes from AppConfig: the flags the demo deployed, and a rerun changed nothing.
    assert "new_ui = true\nnew_ui.theme = dark\n" in text and "beta_api = false" in text
    assert "rerun: 0 changed" in completed.stdout
    assert config.stat().st_mode & 0o777 == 0o600
    assert "5 documents registered, 1 association planned" in completed.stdout
    planned = re.findall(r"^ {4}(keel-demo-\S+): (\S+) on ", completed.stdout, re.MULTILINE)
    assert planned == [("keel-demo-baseline", "keel-ssm-baseline")]
    assert "tag:Role=web-server + tag:Environment=production, rate(30 minutes), compliance HIGH (AUTO)" in (
        completed.stdout
    )
    # The compliance double waits where the instances can reach it: on the demo network's
    # gateway, not loopback and not every interface.
    listening = re.search(
        r"SSM compliance \(TEST DOUBLE; moto has none\) before moto: http://([\d.]+):\d+,", completed.stdout
    )
    assert listening and listening.group(1) not in ("127.0.0.1", "0.0.0.0"), completed.stdout[-3000:]  # noqa: S104
    # Nothing of the demo's is left running.
    leftover = subprocess.run(
        ["docker", "ps", "-a", "--filter", "name=keel-demo-", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert leftover.strip() == ""
