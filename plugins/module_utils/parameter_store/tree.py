# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A parameter tree as YAML (nested mappings) -> one DesiredParameter per leaf.

  parameters:
    db:
      host: db.internal          # a value
      port: 5432                 # numbers and booleans become text
      password:                  # a mapping with a `value` key is a parameter spec
        value: "{{ vault_pw }}"
        type: SecureString
    origins: [a.example, b.example]   # a list is a StringList
    cache/ttl: 300               # a key may hold several levels

Every entry is checked with the same rules as keel.ssm.parameter; all problems are
reported together, each naming `parameters.<relative name>.<option>`.
"""

from __future__ import annotations

from typing import Any, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.desired import DesiredParameter, build_desired

MAX_REPORTED_PROBLEMS = 20


def join_path(path: str, relative: str) -> str:
    return f"/{relative}" if path == "/" else f"{path}/{relative}"


def tree_entries(parameters: Any, field: str = "parameters") -> list[tuple[str, dict[str, Any]]]:
    """(relative name, options) for every leaf, in order; options always has `value`."""
    if not isinstance(parameters, dict):
        raise KeelRuleError(f"{field}: must be a mapping of relative names to values")
    entries = []

    def walk(node, prefix):
        for key, child in node.items():
            if not isinstance(key, str) or key.strip("/") == "" or key != key.strip("/"):
                where = f"{field}.{prefix}" if prefix else field
                raise KeelRuleError(
                    f"{where}: key {key!r} must be a relative name (no leading or trailing '/', not empty)"
                )
            relative = f"{prefix}/{key}" if prefix else key
            if isinstance(child, dict) and "value" not in child:
                walk(child, relative)
            elif isinstance(child, dict):
                entries.append((relative, child))
            else:
                entries.append((relative, {"value": child}))

    walk(parameters, "")
    return entries


def flatten_tree(
    path: str, parameters: Any, defaults: Mapping[str, Any] | None = None, field: str = "parameters"
) -> list[DesiredParameter]:
    """DesiredParameters for the tree under path, in order. Raises one
    KeelRuleError listing every problem found."""
    problems, desired, seen = [], [], {}
    for relative, options in tree_entries(parameters, field):
        where = f"{field}.{relative}"
        name = join_path(path, relative)
        if name in seen:
            problems.append(f"{where}: names {name}, which {field}.{seen[name]} already names")
            continue
        seen[name] = relative
        if options.get("value") is None:
            problems.append(f"{where}.value: required (an empty value cannot be stored)")
            continue
        try:
            desired.append(build_desired(name, options, where=where, defaults=defaults))
        except KeelRuleError as exc:
            problems.append(str(exc))
    if problems:
        raise KeelRuleError(combine_problems(problems))
    return desired


def combine_problems(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    shown = problems[:MAX_REPORTED_PROBLEMS]
    more = len(problems) - len(shown)
    return f"{len(problems)} problems: " + "; ".join(shown) + (f"; and {more} more" if more else "")
