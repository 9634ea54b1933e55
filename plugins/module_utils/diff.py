# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible diff entries (before/after) with secrets masked, for every keel.ssm module.

A masked value never reveals its text, only whether it changed: both sides show MASK
when equal, and the new side says "(changed)" otherwise, so a diff still tells the
reader that a secret was rotated.
"""

from __future__ import annotations

MASK = "********"
CHANGED_MASK = MASK + " (changed)"


def masked_pair(before, after, changed):
    """Stand-ins for a secret's before/after values (None stays None: absent side)."""
    masked_before = None if before is None else MASK
    if after is None:
        return masked_before, None
    return masked_before, CHANGED_MASK if changed and before is not None else MASK


def absent(name):
    """The view of something that does not exist."""
    return {"name": name, "state": "absent"}


def diff_entry(name, before, after):
    """One entry of a module's `diff` result (the default callback accepts a list of these)."""
    return {
        "before_header": f"{name} (before)",
        "after_header": f"{name} (after)",
        "before": before,
        "after": after,
    }
