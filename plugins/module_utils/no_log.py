# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runtime control of what a module masks in its output.

Options that may carry secrets (`value`, `parameters`) are declared no_log, so Ansible
masks every string in them from the start (invocation log, results, failures). Once a
module knows which of those strings are secrets (SecureString values, possibly known
only after reading AWS), protect() keeps them masked and also redacted from error
messages, and release() unmasks the rest (String values, types, descriptions) so diffs
and results stay readable. A string that belongs to any other no_log option, or was
protected, is never released.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterable


def no_log_strings(obj: Any) -> set[str]:
    """The strings Ansible registers for a no_log option's value (numbers as text)."""
    if isinstance(obj, bool) or obj is None:
        return set()
    if isinstance(obj, str):
        return {obj} if obj else set()
    if isinstance(obj, (int, float)):
        return {str(obj)}
    if isinstance(obj, Mapping):
        found = set()
        for item in obj.values():
            found |= no_log_strings(item)
        return found
    if isinstance(obj, (list, tuple, set, frozenset)):
        found = set()
        for item in obj:
            found |= no_log_strings(item)
        return found
    return {str(obj)}


def protect(module: Any, values: Iterable[Any]) -> None:
    """Mask these strings everywhere in the module's output and redact them from errors."""
    for value in values:
        if isinstance(value, str) and value:
            module.no_log_values.add(value)
            if value not in module.secrets:
                module.secrets.append(value)


def release(module: Any, values: Iterable[str], option: str) -> None:
    """Unmask strings that came from no_log `option` and are not secrets after all."""
    keep = set(module.secrets)
    for name, spec in module.argument_spec.items():
        if name != option and spec.get("no_log"):
            keep |= no_log_strings(module.params.get(name))
    for value in values:
        if value not in keep:
            module.no_log_values.discard(value)
