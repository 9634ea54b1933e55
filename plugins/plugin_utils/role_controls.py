# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controls each role enforces, as declared in roles/<role>/meta/controls.yml.

That list is the one source of a control's id (in one stated benchmark), title,
severity, the settings it depends on and its read-only check: the role READMEs'
control tables and the task tags are checked against it (scripts/role_docs.py,
tests/unit/roles), and the baseline reports one compliance item per control from it.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

import yaml

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import ROLES_DIR, role_options

# PutComplianceItems' severities.
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
# A benchmark's recommendation number (CIS: 5.3.3.1.1) or a named control (SSM.1); also
# a valid Ansible tag and compliance item id.
CONTROL_ID = re.compile(r"^(\d+(\.\d+){2,}|[A-Z][A-Za-z0-9]*\.\d+)$")
FIELDS = {"id", "title", "severity", "covers", "settings", "check", "benchmark"}
REQUIRED = ("id", "title", "severity", "settings", "check")


def controls_file(role: str, roles_dir: str = ROLES_DIR) -> str:
    return os.path.join(roles_dir, role, "meta", "controls.yml")


def role_controls(role: str, roles_dir: str = ROLES_DIR) -> list[dict[str, Any]]:
    """The role's controls, checked, each with its `benchmark` filled in. A file that
    breaks a rule raises KeelRuleError naming the file, the control and the rule."""
    path = controls_file(role, roles_dir)
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except OSError as exc:
        raise KeelRuleError(f"role {role!r}: cannot read {path}: {exc.strerror}") from None
    where = f"roles/{role}/meta/controls.yml"
    benchmark = data.get("benchmark")
    if not isinstance(benchmark, str) or not benchmark.strip():
        raise KeelRuleError(f"{where}: benchmark: required, the benchmark and version the ids are from")
    options = role_options(role, roles_dir)
    controls = []
    seen = set()
    for index, control in enumerate(data.get("controls") or []):
        label = f"{where}: controls[{index}]"
        if not isinstance(control, dict):
            raise KeelRuleError(f"{label}: must be a mapping")
        label = f"{where}: control {control.get('id', index)!s}"
        unknown = sorted(set(control) - FIELDS)
        if unknown:
            raise KeelRuleError(
                f"{label}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(FIELDS))})"
            )
        missing = [name for name in REQUIRED if name not in control]
        if missing:
            raise KeelRuleError(f"{label}: {', '.join(missing)} required")
        ids = [control["id"], *(control.get("covers") or [])]
        for value in ids:
            if not isinstance(value, str) or not CONTROL_ID.match(value):
                raise KeelRuleError(
                    f'{label}: id and covers must be quoted benchmark numbers such as "5.3.3.1.1" or names '
                    f"such as SSM.1, got {value!r}"
                )
        if control["id"] in seen:
            raise KeelRuleError(f"{label}: id used twice")
        seen.add(control["id"])
        if control["severity"] not in SEVERITIES:
            raise KeelRuleError(f"{label}: severity must be one of {', '.join(SEVERITIES)}")
        if not isinstance(control["settings"], list):
            raise KeelRuleError(f"{label}: settings must be a list of the role's variables")
        undeclared = [name for name in control["settings"] if name not in options]
        secret = [name for name in control["settings"] if (options.get(name) or {}).get("no_log")]
        if secret:
            raise KeelRuleError(
                f"{label}: settings {', '.join(secret)} are no_log: a check may not depend on a secret (its value "
                "would be in the check's environment)"
            )
        if undeclared:
            raise KeelRuleError(
                f"{label}: settings {', '.join(map(str, undeclared))} are not declared in "
                f"roles/{role}/meta/argument_specs.yml"
            )
        if not isinstance(control["check"], str) or not control["check"].strip():
            raise KeelRuleError(f"{label}: check must be a POSIX sh script (exit 0 when the control holds)")
        controls.append(dict(control, benchmark=control.get("benchmark", benchmark), covers=ids[1:]))
    if not controls:
        raise KeelRuleError(f"{where}: controls: at least one control is required")
    return controls


def setting_env_name(setting: str) -> str:
    """The environment variable a check reads a setting from (its name, upper case)."""
    return setting.upper()


def env_value(value: Any) -> str:
    """A setting's value as a check reads it: booleans true/false, lists one item a line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(env_value(item) for item in value)
    return str(value)


def check_environment(control: Mapping[str, Any], values: Mapping[str, Any], root: str = "") -> dict[str, str]:
    """The environment a control's check runs with: KEEL_ROOT and one variable per
    setting it depends on. A setting missing from `values` is a KeelRuleError."""
    missing = [name for name in control["settings"] if name not in values]
    if missing:
        raise KeelRuleError(f"control {control['id']}: no value for setting(s) {', '.join(missing)}")
    env = {"KEEL_ROOT": root}
    env.update({setting_env_name(name): env_value(values[name]) for name in control["settings"]})
    return env
