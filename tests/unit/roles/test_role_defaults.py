"""Each role's defaults/main.yml holds exactly the defaults its meta/argument_specs.yml
declares (the spec is the single source; the baseline's Parameter Store mapping, the SSM
documents and the READMEs are derived from it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO_ROOT

SCRIPTS = REPO_ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))
import role_docs  # noqa: E402

from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import ROLES_DIR, role_options  # noqa: E402


@pytest.mark.parametrize("role", role_docs.roles_with_specs())
def test_defaults_match_the_argument_spec(role):
    options = role_options(role)
    defaults_file = Path(ROLES_DIR) / role / "defaults" / "main.yml"
    defaults = (yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.exists() else {}
    declared = {name: spec.get("default") for name, spec in options.items() if not spec.get("required")}
    assert defaults == declared
    for name, spec in options.items():
        assert name.startswith(f"keel_{role}_"), name
        assert spec.get("description"), f"{name} has no description"
        if "choices" in spec and spec.get("default") is not None:
            values = spec["default"] if spec.get("type") == "list" else [spec["default"]]
            assert all(value in spec["choices"] for value in values), name
