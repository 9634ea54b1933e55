# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Diff-mode and result helpers for every keel.ssm module: one shape for `diff`, and
one way to mask secrets in what a module returns or shows.

Ansible's diff callback accepts `diff` as one {before, after, before_header,
after_header} mapping or a list of them; before/after may be text or mappings. A masked
value never reveals its text, only whether it changed: both sides show MASK when equal,
and the new side says "(changed)" otherwise, so a diff still tells the reader that a
secret was rotated.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.errors import REDACTED

MASK = REDACTED
CHANGED_MASK = MASK + " (changed)"


def masked_pair(before: str | None, after: str | None, changed: bool) -> tuple[str | None, str | None]:
    """Stand-ins for one secret's before/after values (None stays None: absent side)."""
    masked_before = None if before is None else MASK
    if after is None:
        return masked_before, None
    return masked_before, CHANGED_MASK if changed and before is not None else MASK


def mask_values(mapping: Mapping[str, Any] | None, names: Iterable[str]) -> dict[str, Any] | None:
    """A copy of mapping with the values of `names` replaced by MASK."""
    if mapping is None:
        return None
    return {key: (MASK if key in names else value) for key, value in mapping.items()}


def mask_pair(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, names: Iterable[str]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Mask the entries `names` in a before/after pair of mappings (CHANGED_MASK after,
    where the value changed)."""
    masked_before = mask_values(before, names)
    masked_after = mask_values(after, names)
    if masked_after is not None:
        for key in names:
            if key in masked_after and (before or {}).get(key) != (after or {}).get(key):
                masked_after[key] = CHANGED_MASK
    return masked_before, masked_after


def absent(name: str) -> dict[str, str]:
    """The view of something that does not exist."""
    return {"name": name, "state": "absent"}


def diff_entry(
    before: Any, after: Any, before_header: str | None = None, after_header: str | None = None
) -> dict[str, Any]:
    entry = {"before": before, "after": after}
    if before_header:
        entry["before_header"] = before_header
    if after_header:
        entry["after_header"] = after_header
    return entry


def named_diff_entry(name: str, before: Any, after: Any) -> dict[str, Any]:
    """A diff entry whose headers name the resource."""
    return diff_entry(before, after, f"{name} (before)", f"{name} (after)")


def build_diff(*entries: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """Keep the entries whose before and after differ; None when nothing differs."""
    kept = [entry for entry in entries if entry and entry["before"] != entry["after"]]
    return kept or None


def attach_diff(result: dict[str, Any], *entries: dict[str, Any] | None) -> dict[str, Any]:
    """Set result['diff'] to the entries that differ (left out when none do)."""
    diff = build_diff(*entries)
    if diff:
        result["diff"] = diff
    return result


def render_text(data: Any) -> str:
    """Structured data as stable, line-oriented text for a readable content diff."""
    if data is None:
        return ""
    if isinstance(data, str):
        return data if data.endswith("\n") else data + "\n"
    try:
        import yaml

        return yaml.safe_dump(data, default_flow_style=False, sort_keys=True, allow_unicode=True, width=1000)
    except ImportError:  # pragma: no cover - targets without PyYAML still get a diff
        return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
