"""ansible-doc renders keel.ssm.parameter with its own options and the shared AWS
options (environment variables included), and its examples are valid YAML."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from ansible_collections.keel.ssm.plugins.lookup import parameter
from tests.helpers import REPO_ROOT


def test_ansible_doc_renders_the_lookup():
    ansible_doc = Path(sys.executable).parent / "ansible-doc"
    completed = subprocess.run(
        [str(ansible_doc), "-t", "lookup", "keel.ssm.parameter", "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(completed.stdout)["keel.ssm.parameter"]["doc"]
    options = doc["options"]
    for name in ("decrypt", "bypath", "recursive", "shortnames", "droppath", "on_missing", "on_denied", "default"):
        assert name in options, name
    assert options["json"]["default"] is False and options["cache_ttl"]["default"] == 0
    assert [env["name"] for env in options["region"]["env"]] == ["AWS_REGION", "AWS_DEFAULT_REGION", "EC2_REGION"]
    assert options["on_missing"]["choices"] == ["error", "skip", "warn"]


def test_examples_and_return_are_yaml():
    examples = yaml.safe_load(parameter.EXAMPLES)
    assert all(task["name"] for task in examples)
    assert "_raw" in yaml.safe_load(parameter.RETURN)
