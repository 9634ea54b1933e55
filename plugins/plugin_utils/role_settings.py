# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role settings as declared in each role's meta/argument_specs.yml.

The argument specs are the single source of every role setting: Parameter Store
values are converted to the type declared there, SSM documents and README tables are
generated from them.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterable, Mapping

import yaml

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})
INT_PATTERN = re.compile(r"^[-+]?\d+$")
# Roles whose settings the baseline reads from <path>/<role>/<setting>.
PARAMETER_STORE_ROLES = ("auditd", "pam", "ufw", "ssm_agent")


# Ansible doc markup: C(code), O(option), V(value), I(italic), B(bold).
DOC_MARKUP = re.compile(r"\b([COVIB])\(([^()]*)\)")


def description_text(spec: Mapping[str, Any], code: str = "{}") -> str:
    """A spec's description as one line, doc markup rendered (`code` formats C/O/V)."""
    text = spec.get("description", "")
    if isinstance(text, list):
        text = " ".join(text)
    text = " ".join(str(text).split())
    return DOC_MARKUP.sub(lambda m: code.format(m.group(2)) if m.group(1) in "COV" else m.group(2), text)


def role_options(role: str, roles_dir: str = ROLES_DIR) -> dict[str, Any]:
    """The `main` entry point's options of a role, as a dict of name -> spec."""
    spec_file = os.path.join(roles_dir, role, "meta", "argument_specs.yml")
    try:
        with open(spec_file, encoding="utf-8") as handle:
            specs = yaml.safe_load(handle) or {}
    except OSError as exc:
        raise KeelRuleError(f"role {role!r}: cannot read {spec_file}: {exc.strerror}") from None
    return specs.get("argument_specs", {}).get("main", {}).get("options", {}) or {}


def _to_bool(text, where):
    word = str(text).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise KeelRuleError(f"{where}: expected a boolean (true/false/yes/no/on/off/1/0)")


def _to_int(text, where):
    if isinstance(text, bool):
        raise KeelRuleError(f"{where}: expected an integer")
    if isinstance(text, int):
        return text
    if not INT_PATTERN.match(str(text).strip()):
        raise KeelRuleError(f"{where}: expected an integer")
    return int(str(text).strip())


def _to_float(text, where):
    try:
        return float(text)
    except (TypeError, ValueError):
        raise KeelRuleError(f"{where}: expected a number") from None


def _json(text, kind, where):
    try:
        value = json.loads(text)
    except ValueError:
        raise KeelRuleError(f"{where}: expected a JSON {kind.__name__}") from None
    if not isinstance(value, kind):
        raise KeelRuleError(f"{where}: expected a JSON {kind.__name__}")
    return value


SCALARS = {
    "int": _to_int,
    "bool": _to_bool,
    "float": _to_float,
    "str": lambda text, where: str(text),
    "path": lambda text, where: str(text),
}


def convert_setting(value: Any, spec: Mapping[str, Any], where: str) -> Any:
    """Convert a Parameter Store value (a string; StringList is comma-separated) to the
    type the argument spec declares. `where` (the parameter name) prefixes every error."""
    kind = spec.get("type", "str")
    if kind == "list":
        if isinstance(value, list):
            items = value
        elif str(value).lstrip().startswith("["):
            items = _json(str(value), list, where)
        else:
            items = [item.strip() for item in str(value).split(",") if item.strip()]
        element = spec.get("elements", "str")
        if element in SCALARS:
            items = [SCALARS[element](item, f"{where} (element {index})") for index, item in enumerate(items)]
        elif element == "dict":
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    raise KeelRuleError(f"{where} (element {index}): expected a JSON object")
        converted = items
    elif kind == "dict":
        converted = value if isinstance(value, dict) else _json(str(value), dict, where)
    elif kind == "raw":
        converted = value
    elif kind in SCALARS:
        converted = SCALARS[kind](value, where)
    else:
        raise KeelRuleError(f"{where}: type {kind!r} in the argument spec is not supported for Parameter Store")
    choices = spec.get("choices")
    if choices:
        values = converted if kind == "list" else [converted]
        for item in values:
            if item not in choices:
                raise KeelRuleError(f"{where}: value is not one of {', '.join(map(str, choices))}")
    return converted


def settings_from_parameters(
    parameters: Mapping[str, Any], path: str, roles: Iterable[str], roles_dir: str = ROLES_DIR, prefix: str = "keel"
) -> dict[str, Any]:
    """Map {'<path>/<role>/<setting>': value} to {'keel_<role>_<setting>': typed value}.

    Every parameter under path must name a known role and one of its declared settings.
    """
    root = path.rstrip("/") + "/"
    options_by_role = {role: role_options(role, roles_dir) for role in roles}
    settings = {}
    for name in sorted(parameters):
        if not name.startswith(root):
            raise KeelRuleError(f"{name}: is not under {path}")
        parts = name.removeprefix(root).split("/")
        if len(parts) != 2:
            raise KeelRuleError(f"{name}: expected {root}<role>/<setting> (roles: {', '.join(roles)})")
        role, setting = parts
        if role not in options_by_role:
            raise KeelRuleError(f"{name}: unknown role {role!r} (roles: {', '.join(roles)})")
        variable = f"{prefix}_{role}_{setting}"
        spec = options_by_role[role].get(variable)
        if spec is None:
            raise KeelRuleError(f"{name}: {variable} is not a setting of role {role} (see its meta/argument_specs.yml)")
        settings[variable] = convert_setting(parameters[name], spec, name)
    return settings
