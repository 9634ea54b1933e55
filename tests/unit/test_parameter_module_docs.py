"""keel.ssm.parameter and keel.ssm.parameter_tree: ansible-doc renders them, their
documented options are exactly their argument specs, their examples only use
documented options, and every file that runs on a target parses as Python 3.9."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.module_utils.connection import AWS_ARGUMENT_SPEC
from ansible_collections.keel.ssm.plugins.modules import parameter, parameter_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = {"parameter": parameter, "parameter_tree": parameter_tree}


def ansible_doc(module):
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "module", "--json", f"keel.ssm.{module}"],
        capture_output=True,
        text=True,
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg")),
        cwd=REPO_ROOT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "WARNING" not in completed.stderr.upper(), completed.stderr
    return json.loads(completed.stdout)[f"keel.ssm.{module}"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_documented_options_are_the_argument_spec(module):
    doc = ansible_doc(module)
    options = doc["doc"]["options"]
    spec = {**AWS_ARGUMENT_SPEC, **MODULES[module].ARGUMENT_SPEC}
    assert set(options) == set(spec)
    for name, documented in options.items():
        expected = spec[name]
        assert documented["type"] == expected.get("type", "str"), name
        assert documented.get("default") == expected.get("default"), name
        assert documented.get("choices") == expected.get("choices"), name
        assert documented.get("aliases", []) == expected.get("aliases", []), name
        assert bool(documented.get("required")) == bool(expected.get("required")), name
        assert documented.get("elements") == expected.get("elements"), name
    assert doc["return"], "RETURN must be documented"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_examples_use_documented_options(module):
    spec = {**AWS_ARGUMENT_SPEC, **MODULES[module].ARGUMENT_SPEC}
    names = set(spec) | {alias for option in spec.values() for alias in option.get("aliases", [])}
    tasks = yaml.safe_load(MODULES[module].EXAMPLES)
    assert tasks
    for task in tasks:
        options = task[f"keel.ssm.{module}"]
        assert set(options) <= names, set(options) - names


def target_files():
    roots = [REPO_ROOT / "plugins" / "modules", REPO_ROOT / "plugins" / "module_utils"]
    return sorted(path for root in roots for path in root.glob("*.py"))


@pytest.mark.parametrize("path", target_files(), ids=lambda path: path.name)
def test_target_code_parses_as_python_39(path):
    # Instances run modules with the distro's Python; 3.9 is the oldest we support.
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))
