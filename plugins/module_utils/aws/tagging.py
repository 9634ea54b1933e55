# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags on SSM resources (documents, parameters, associations...): rules, comparison
and reconciliation through AddTagsToResource / RemoveTagsFromResource.

Generic on purpose: any module that manages an SSM resource with `tags` and
`purge_tags` reuses it. Failures are raised as KeelRuleError (bad input, before any
call) or errors.KeelAWSError (AWS said no).
"""

from __future__ import annotations

import unicodedata
from typing import Any, Callable, Iterable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError, aws_call

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_PER_RESOURCE = 50  # AWS's general limit of user tags per resource
RESERVED_TAG_PREFIX = "aws:"
# Characters the service model allows besides letters, digits and separators.
TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _allowed(char):
    # The model's pattern is [\p{L}\p{Z}\p{N}_.:/=+\-@]: letters, separators, numbers.
    return char in TAG_PUNCTUATION or unicodedata.category(char)[0] in ("L", "Z", "N")


def check_tags(tags: Any, field: str = "tags") -> dict[str, str] | None:
    """Validate a {key: value} mapping; returns it with values as strings.

    Values may be given as numbers or booleans in YAML; they are stored as text."""
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise KeelRuleError(f"{field}: must be a mapping of tag keys to values")
    checked = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key:
            raise KeelRuleError(f"{field}: tag keys must be non-empty strings")
        if len(key) > TAG_KEY_MAX:
            raise KeelRuleError(f"{field} key {key[:20]!r}...: longer than {TAG_KEY_MAX} characters")
        if key.lower().startswith(RESERVED_TAG_PREFIX):
            raise KeelRuleError(f"{field} key {key!r}: must not start with 'aws:' (reserved for AWS)")
        bad = sorted({c for c in key if not _allowed(c)})
        if bad:
            raise KeelRuleError(
                f"{field} key {key!r}: only letters, digits, spaces and _ . : / = + - @ are allowed"
                f" (found {''.join(bad)!r})"
            )
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        if isinstance(value, (dict, list)):
            raise KeelRuleError(f"{field} {key!r}: a tag value must be a string, not a {type(value).__name__}")
        value = str(value)
        if len(value) > TAG_VALUE_MAX:
            raise KeelRuleError(f"{field} {key!r}: value longer than {TAG_VALUE_MAX} characters")
        bad = sorted({c for c in value if not _allowed(c)})
        if bad:
            raise KeelRuleError(
                f"{field} {key!r}: value may only hold letters, digits, spaces and _ . : / = + - @"
                f" (found {''.join(bad)!r})"
            )
        checked[key] = value
    if len(checked) > TAGS_PER_RESOURCE:
        raise KeelRuleError(f"{field}: {len(checked)} tags given, at most {TAGS_PER_RESOURCE} per resource")
    return checked


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """{key: value} -> [{'Key': key, 'Value': value}] in key order (stable requests)."""
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def tag_dict(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """[{'Key': .., 'Value': ..}] (as AWS returns them) -> {key: value}."""
    return {tag["Key"]: tag.get("Value", "") for tag in tags or []}


def compare_tags(
    current: Mapping[str, str] | None, desired: Mapping[str, str] | None, purge: bool = True
) -> tuple[dict[str, str], list[str]]:
    """What to change to go from current to desired.

    Returns (to_set, to_remove): to_set maps keys to add or change to their value,
    to_remove lists keys to delete (only when purge is true). desired None means
    "leave tags alone"."""
    current = current or {}
    if desired is None:
        return {}, []
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_remove = sorted(key for key in current if key not in desired) if purge else []
    return to_set, to_remove


def merged_tags(
    current: Mapping[str, str] | None, desired: Mapping[str, str] | None, purge: bool = True
) -> dict[str, str]:
    """The tags a resource will carry after reconciliation (for check mode and results)."""
    to_set, to_remove = compare_tags(current, desired, purge)
    result = {key: value for key, value in (current or {}).items() if key not in to_remove}
    result.update(to_set)
    return result


def apply_tag_changes(
    client: Any,
    resource_type: str,
    resource_id: str,
    to_set: Mapping[str, str],
    to_remove: list[str],
    on_call: Callable[[str, int], None] | None = None,
) -> None:
    """RemoveTagsFromResource then AddTagsToResource, each only when needed."""
    if to_remove:
        if on_call:
            on_call("RemoveTagsFromResource", 1)
        with aws_call("RemoveTagsFromResource", resource_id):
            client.remove_tags_from_resource(ResourceType=resource_type, ResourceId=resource_id, TagKeys=to_remove)
    if to_set:
        if on_call:
            on_call("AddTagsToResource", 1)
        with aws_call("AddTagsToResource", resource_id):
            client.add_tags_to_resource(ResourceType=resource_type, ResourceId=resource_id, Tags=tag_list(to_set))


def reconcile_tags(
    client: Any,
    resource_type: str,
    resource_id: str,
    current: Mapping[str, str] | None,
    desired: Mapping[str, str] | None,
    purge: bool = True,
    check_mode: bool = False,
) -> bool:
    """Bring an SSM resource's tags to `desired` (None: untouched). Returns True when
    something was (or, in check mode, would be) changed."""
    to_set, to_remove = compare_tags(current, desired, purge)
    if not check_mode:
        apply_tag_changes(client, resource_type, resource_id, to_set, to_remove)
    return bool(to_set or to_remove)


def list_tags(
    client: Any, resource_type: str, resource_id: str, on_call: Callable[[str, int], None] | None = None
) -> dict[str, str]:
    """Current tags of an SSM resource as {key: value}."""
    if on_call:
        on_call("ListTagsForResource", 1)
    with aws_call("ListTagsForResource", resource_id):
        response = client.list_tags_for_resource(ResourceType=resource_type, ResourceId=resource_id)
    return tag_dict(response.get("TagList"))
