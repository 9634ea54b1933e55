# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare one desired parameter with what Parameter Store holds: what must be written
(PutParameter, tags, labels) and the before/after views a diff shows.

Only managed options (not None) are compared. A SecureString's value is compared in
memory with a constant-time comparison and appears in views only as a mask.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import compare_tags, merged_tags
from ansible_collections.keel.ssm.plugins.module_utils.diff import absent, masked_pair
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.names import (
    LABELS_PER_VERSION,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.policies import same_policies
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.rules import check_against_current

if TYPE_CHECKING:  # for annotations only (some of these would import in a circle)
    from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.desired import DesiredParameter
    from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import CurrentParameter

# Options whose change needs a new version (PutParameter with Overwrite).
PUT_FIELDS = ("value", "description", "key_id", "tier", "policies", "allowed_pattern", "data_type")


def same_value(first: str | None, second: str | None) -> bool:
    if first is None or second is None:
        return first is second
    return hmac.compare_digest(first.encode("utf-8"), second.encode("utf-8"))


def normalize_key_id(key_id: str | None) -> str:
    """Key and alias ARNs compare equal to the key ID / alias name they contain.
    (An alias and the key ID it points to cannot be matched without KMS; that costs
    one extra write, after which Parameter Store reports what was sent.)"""
    if not key_id:
        return ""
    if key_id.startswith("arn:"):
        resource = key_id.split(":", 5)[-1]
        return resource.removeprefix("key/")
    return key_id


class ParameterChange:
    """What one task (or tree entry) does to one parameter."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.action = "unchanged"  # create | update | unchanged
        self.differs = []  # options that differ, in PUT_FIELDS order, then tags, labels
        self.put = False
        self.tags_set = {}
        self.tags_remove = []
        self.labels_attach = []
        self.labels_detach = []
        self.secret = False
        self.before = None
        self.after = None

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"


def put_differences(desired: DesiredParameter, current: CurrentParameter) -> list[str]:
    """Options whose difference needs a new version (PutParameter), for an existing parameter."""
    if not current.metadata_known and desired.needs_metadata(current):
        raise ValueError(f"metadata of {current.name} must be read before comparing")
    differs = []
    if desired.value is not None:
        if not current.value_known:
            raise ValueError(f"value of {current.name} must be read before comparing")
        if not same_value(desired.value, current.value):
            differs.append("value")
    if desired.description is not None and desired.description != (current.description or ""):
        differs.append("description")
    key_id = desired.effective_key_id(current)
    if key_id is not None and normalize_key_id(key_id) != normalize_key_id(current.key_id):
        differs.append("key_id")
    # Intelligent-Tiering lets Parameter Store pick Standard or Advanced: either matches.
    if desired.tier not in (None, "Intelligent-Tiering") and desired.tier != current.tier:
        differs.append("tier")
    if desired.policies is not None and not same_policies(desired.policies, current.policies):
        differs.append("policies")
    if desired.allowed_pattern is not None and desired.allowed_pattern != (current.allowed_pattern or ""):
        differs.append("allowed_pattern")
    if desired.data_type is not None and desired.data_type != (current.data_type or "text"):
        differs.append("data_type")
    return differs


def _labels_after(desired, current, change):
    if desired.labels is None:
        return sorted(current.labels or []) if current is not None and current.labels is not None else None
    if change.put or current is None or desired.purge_labels:
        return sorted(desired.labels)
    return sorted(set(current.labels or []) | set(desired.labels))


def _views(desired, current, change):
    name = desired.name
    type_after = desired.effective_type(current)
    before = absent(name) if current is None else {"name": name, "state": "present", "type": current.type}
    after = {"name": name, "state": "present", "type": type_after}
    if desired.value is not None:
        current_value = current.value if current is not None else None
        if change.secret:
            before_value, after_value = masked_pair(current_value, desired.value, "value" in change.differs)
        else:
            before_value, after_value = current_value, desired.value
        if current is not None:
            before["value"] = before_value
        after["value"] = after_value
    managed = {
        "description": (current.description if current else None, desired.description),
        "key_id": (current.key_id if current else None, desired.effective_key_id(current)),
        "tier": (
            current.tier if current else None,
            current.tier if desired.tier == "Intelligent-Tiering" and current else desired.tier,
        ),
        "policies": (current.policies if current else None, desired.policies),
        "allowed_pattern": (current.allowed_pattern if current else None, desired.allowed_pattern),
        "data_type": (current.data_type if current else None, desired.data_type),
    }
    for option, (was, will) in managed.items():
        if will is None:
            continue
        if current is not None:
            before[option] = was
        after[option] = will
    if desired.tags is not None:
        if current is not None:
            before["tags"] = dict(current.tags or {})
        after["tags"] = merged_tags(current.tags if current else None, desired.tags, desired.purge_tags)
    if desired.labels is not None:
        if current is not None:
            before["labels"] = sorted(current.labels or [])
        after["labels"] = _labels_after(desired, current, change)
    return before, after


def plan_parameter(desired: DesiredParameter, current: CurrentParameter | None) -> ParameterChange:
    """The change that makes `current` (None: absent) match `desired`. Raises
    KeelRuleError for what Parameter Store would refuse, before anything is written."""
    check_against_current(desired, current)
    change = ParameterChange(desired.name)
    type_after = desired.effective_type(current)
    change.secret = type_after == "SecureString" or (current is not None and current.type == "SecureString")
    if current is None:
        change.action = "create"
        change.put = True
        change.differs = ["state"]
        change.tags_set = dict(desired.tags or {})  # sent with PutParameter
        change.labels_attach = list(desired.labels or [])
    else:
        change.differs = put_differences(desired, current)
        change.put = bool(change.differs)
        if desired.tags is not None:
            if current.tags is None:
                raise ValueError(f"tags of {current.name} must be read before comparing")
            change.tags_set, change.tags_remove = compare_tags(current.tags, desired.tags, desired.purge_tags)
            if change.tags_set or change.tags_remove:
                change.differs.append("tags")
        if desired.labels is not None:
            if change.put:
                # A new version starts without labels; ours move to it from older versions.
                change.labels_attach = list(desired.labels)
            else:
                if current.labels is None:
                    raise ValueError(f"labels of {current.name} must be read before comparing")
                change.labels_attach = [label for label in desired.labels if label not in current.labels]
                if desired.purge_labels:
                    change.labels_detach = sorted(label for label in current.labels if label not in desired.labels)
                total = len(set(desired.labels) | (set() if desired.purge_labels else set(current.labels)))
                if total > LABELS_PER_VERSION:
                    raise KeelRuleError(
                        f"{desired.field('labels')}: version {current.version} of {desired.name} would carry "
                        f"{total} labels, at most {LABELS_PER_VERSION}; set purge_labels or fewer labels"
                    )
            if change.labels_attach or change.labels_detach:
                change.differs.append("labels")
        change.action = "update" if change.differs else "unchanged"
    change.before, change.after = _views(desired, current, change)
    return change


def deletion_views(current: CurrentParameter) -> tuple[dict[str, Any], dict[str, str]]:
    """Before/after of a parameter that is deleted (values are never shown)."""
    before = {"name": current.name, "state": "present", "type": current.type, "version": current.version}
    return before, absent(current.name)
