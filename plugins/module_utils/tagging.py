# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags of any SSM resource (Parameter, Document, ...): rules, reconciliation, calls.

Rules follow the SSM service model's Tag shape (key 1-128, value 0-256 characters of
letters, digits, spaces and _ . : / = + - @) plus AWS's general tag rules (keys must not
start with 'aws:', at most 50 user tags per resource). Checked before any call.
"""

from __future__ import annotations

from ansible_collections.keel.ssm.plugins.module_utils.errors import aws_errors, map_aws_error
from ansible_collections.keel.ssm.plugins.module_utils.validation import ParameterRuleError

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_PER_RESOURCE = 50
TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _tag_text_ok(text):
    # The model's pattern is [\p{L}\p{Z}\p{N}_.:/=+\-@]*: any letter, separator or digit.
    return all(ch.isalnum() or ch.isspace() or ch in TAG_PUNCTUATION for ch in text)


def check_tags(tags, field="tags"):
    """Validate a tag mapping; returns it as {str: str} (numbers and booleans as text)."""
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise ParameterRuleError(f"{field}: must be a mapping of tag key to value")
    checked = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX:
            raise ParameterRuleError(f"{field}: tag key {key!r} must be 1-{TAG_KEY_MAX} characters")
        if key.lower().startswith("aws:"):
            raise ParameterRuleError(f"{field}: tag key {key!r} must not start with 'aws:' (reserved by AWS)")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = ""
        elif isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise ParameterRuleError(f"{field}: tag {key!r} must have a string value")
        if len(value) > TAG_VALUE_MAX:
            raise ParameterRuleError(f"{field}: tag {key!r} value longer than {TAG_VALUE_MAX} characters")
        if not _tag_text_ok(key) or not _tag_text_ok(value):
            raise ParameterRuleError(
                f"{field}: tag {key!r}: keys and values may only use letters, digits, spaces and _ . : / = + - @"
            )
        checked[key] = value
    if len(checked) > TAGS_PER_RESOURCE:
        raise ParameterRuleError(f"{field}: {len(checked)} tags given, at most {TAGS_PER_RESOURCE} per resource")
    return checked


def tag_changes(current, desired, purge):
    """(to_set, to_remove) that turn `current` into `desired`; desired None means unmanaged."""
    if desired is None:
        return {}, []
    current = current or {}
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_remove = sorted(key for key in current if key not in desired) if purge else []
    return to_set, to_remove


def tags_after(current, desired, purge):
    """The tags a resource ends with once tag_changes() are applied."""
    if desired is None:
        return dict(current or {})
    result = dict(current or {}) if not purge else {}
    result.update(desired)
    return result


def boto3_tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def tag_dict(tag_list):
    return {tag["Key"]: tag.get("Value", "") for tag in tag_list or []}


def list_resource_tags(client, resource_type, resource_id, on_call=None):
    if on_call:
        on_call("ListTagsForResource", 1)
    try:
        response = client.list_tags_for_resource(ResourceType=resource_type, ResourceId=resource_id)
    except aws_errors() as exc:
        raise map_aws_error(exc, "ListTagsForResource", resource_id) from None
    return tag_dict(response.get("TagList"))


def apply_tag_changes(client, resource_type, resource_id, to_set, to_remove, on_call=None):
    """AddTagsToResource then RemoveTagsFromResource, each only when needed."""
    if to_set:
        if on_call:
            on_call("AddTagsToResource", 1)
        try:
            client.add_tags_to_resource(ResourceType=resource_type, ResourceId=resource_id, Tags=boto3_tag_list(to_set))
        except aws_errors() as exc:
            raise map_aws_error(exc, "AddTagsToResource", resource_id) from None
    if to_remove:
        if on_call:
            on_call("RemoveTagsFromResource", 1)
        try:
            client.remove_tags_from_resource(ResourceType=resource_type, ResourceId=resource_id, TagKeys=to_remove)
        except aws_errors() as exc:
            raise map_aws_error(exc, "RemoveTagsFromResource", resource_id) from None
