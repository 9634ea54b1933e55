"""Every module of the collection: ansible-doc renders it without a warning, its
DOCUMENTATION describes exactly its argument spec (names, types, defaults, choices,
required, list elements, aliases, suboptions; plus the shared AWS options for modules
extending keel.ssm.aws), its EXAMPLES use the FQCN and known options only, and RETURN
is documented. ansible-doc renders what users read; the spec is what runs."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.module_utils.aws.connection import AWS_ARGUMENT_SPEC
from tests.helpers import REPO_ROOT

MODULE_NAMES = sorted(path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("*.py"))


def load(name):
    return importlib.import_module(f"ansible_collections.keel.ssm.plugins.modules.{name}")


def full_spec(module):
    documentation = yaml.safe_load(module.DOCUMENTATION)
    extends = documentation.get("extends_documentation_fragment") or []
    return {**(AWS_ARGUMENT_SPEC if "keel.ssm.aws" in extends else {}), **module.ARGUMENT_SPEC}


@pytest.fixture(scope="module")
def rendered():
    """One ansible-doc run for every module (as users see them)."""
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "module", "--json"]
        + [f"keel.ssm.{name}" for name in MODULE_NAMES],
        capture_output=True,
        text=True,
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg")),
        cwd=REPO_ROOT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "WARNING" not in completed.stderr.upper(), completed.stderr
    return json.loads(completed.stdout)


def compare(documented, spec, where):
    assert set(documented) == set(spec), where
    for name, doc in documented.items():
        option = spec[name]
        here = f"{where}.{name}"
        assert doc["type"] == option.get("type", "str"), here
        assert doc.get("default") == option.get("default"), here
        assert doc.get("choices") == option.get("choices"), here
        assert bool(doc.get("required")) == bool(option.get("required")), here
        assert doc.get("elements") == option.get("elements"), here
        assert doc.get("aliases", []) == option.get("aliases", []), here
        assert doc.get("description"), here
        if "options" in option or "suboptions" in doc:
            compare(doc["suboptions"], option["options"], here)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_documentation_matches_argument_spec(rendered, name):
    doc = rendered[f"keel.ssm.{name}"]
    assert doc["doc"]["module"] == name
    compare(doc["doc"]["options"], full_spec(load(name)), name)
    assert doc["return"], f"{name}: RETURN must be documented"
    assert all(entry.get("description") and entry.get("returned") for entry in doc["return"].values()), name


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_examples_use_the_fqcn_and_known_options(name):
    module = load(name)
    spec = full_spec(module)
    known = set(spec) | {alias for option in spec.values() for alias in option.get("aliases", [])}
    tasks = yaml.safe_load(module.EXAMPLES)
    assert tasks, name
    for task in tasks:
        if f"keel.ssm.{name}" not in task:
            continue  # a follow-up task (debug of the result, for instance)
        assert set(task[f"keel.ssm.{name}"] or {}) <= known, task["name"]
    assert any(f"keel.ssm.{name}" in task for task in tasks), name


def target_files():
    roots = [REPO_ROOT / "plugins" / "modules", REPO_ROOT / "plugins" / "module_utils"]
    return sorted(path for root in roots for path in root.glob("*.py"))


@pytest.mark.parametrize("path", target_files(), ids=lambda path: path.name)
def test_target_code_parses_as_python_39(path):
    # Instances run modules with the distro's Python; 3.9 is the oldest we support.
    ast.parse(path.read_text(), filename=str(path), feature_version=(3, 9))
