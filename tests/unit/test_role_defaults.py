"""Every role's defaults/main.yml holds exactly the defaults its meta/argument_specs.yml
declares (the spec is the single source; defaults/ is what Ansible really applies)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import ROLES_DIR, role_options

ROLES = sorted(path.parent.parent.name for path in Path(ROLES_DIR).glob("*/meta/argument_specs.yml"))


@pytest.mark.parametrize("role", ROLES)
def test_defaults_match_argument_spec(role):
    defaults = yaml.safe_load((Path(ROLES_DIR) / role / "defaults" / "main.yml").read_text()) or {}
    declared = {name: spec.get("default") for name, spec in role_options(role).items() if not spec.get("required")}
    assert defaults == declared
