# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Diff-mode and result helpers shared by the modules: one shape for `diff`, and one
way to mask sensitive values in what a module returns or shows.

Ansible's diff callback accepts `diff` as one {before, after, before_header,
after_header} mapping or a list of them; before/after may be text or mappings.
"""

from __future__ import annotations

import json

from ansible_collections.keel.ssm.plugins.module_utils.errors import REDACTED

CHANGED_MARK = " (changed)"


def diff_entry(before, after, before_header=None, after_header=None):
    entry = {"before": before, "after": after}
    if before_header:
        entry["before_header"] = before_header
    if after_header:
        entry["after_header"] = after_header
    return entry


def build_diff(*entries):
    """Keep the entries whose before and after differ; None when nothing differs."""
    kept = [entry for entry in entries if entry and entry["before"] != entry["after"]]
    return kept or None


def attach_diff(result, *entries):
    """Set result['diff'] to the entries that differ (left out when none do)."""
    diff = build_diff(*entries)
    if diff:
        result["diff"] = diff
    return result


def render_text(data):
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


def mask_values(mapping, names):
    """A copy of mapping with the values of `names` replaced by the redaction mark."""
    if mapping is None:
        return None
    return {key: (REDACTED if key in names else value) for key, value in mapping.items()}


def mask_pair(before, after, names):
    """Mask sensitive entries in a before/after pair of mappings.

    A masked value that changes shows as '******** (changed)' after, so a diff still
    tells that it changed without telling what it was or became."""
    masked_before = mask_values(before, names)
    masked_after = mask_values(after, names)
    if masked_after is not None:
        for key in names:
            if key in masked_after and (before or {}).get(key) != (after or {}).get(key):
                masked_after[key] = REDACTED + CHANGED_MARK
    return masked_before, masked_after
