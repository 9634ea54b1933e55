# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""State Manager associations: rules for every field, the complete definition sent to
CreateAssociation/UpdateAssociation, its order-insensitive comparison, and the calls.

UpdateAssociation nulls every optional field the request leaves out, so a definition
built here is always complete. The rule checks (first half) run before any call and
raise KeelRuleError naming the field and the rule; the service model's patterns
are repeated here because botocore validates types and required fields, not patterns.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.diff import mask_values
from ansible_collections.keel.ssm.plugins.module_utils.documents.schedule import check_schedule, schedule_kind
from ansible_collections.keel.ssm.plugins.module_utils.errors import (
    KeelAWSError,
    KeelRuleError,
    aws_call,
)

ASSOCIATION_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
# Document names as associations accept them: own names, AWS-owned names and ARNs.
DOCUMENT_REFERENCE = re.compile(r"^[a-zA-Z0-9_\-.:/]{3,128}$")
DOCUMENT_VERSION = re.compile(r"^(\$LATEST|\$DEFAULT|[1-9][0-9]*)$")
MAX_CONCURRENCY = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
MAX_ERRORS = re.compile(r"^([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$")
RATE_FIELD_MAX = 7
MAX_TARGETS = 5
MAX_TARGET_VALUES = 50
TARGET_KEY_MAX = 163
# Target keys State Manager documents for associations (matched in any case).
FIXED_TARGET_KEYS = {
    key.lower(): key
    for key in (
        "InstanceIds",
        "tag-key",
        "resource-groups:Name",
        "resource-groups:ResourceTypeFilters",
        "ResourceGroup",
    )
}
TAG_TARGET_PREFIX = "tag:"
INSTANCE_ID = re.compile(r"^(i-([0-9a-zA-Z]{8}|[0-9a-zA-Z]{17})|mi-[0-9a-zA-Z]{17})$")
COMPLIANCE_SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNSPECIFIED")
SYNC_COMPLIANCE = ("AUTO", "MANUAL")
# What AWS stores when a field is left out (compared as equal to leaving it out).
SERVICE_DEFAULTS = {
    "DocumentVersion": "$DEFAULT",
    "ComplianceSeverity": "UNSPECIFIED",
    "SyncCompliance": "AUTO",
    "ApplyOnlyAtCronInterval": False,
}
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
S3_PREFIX_MAX = 500
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")
# Fields this module does not manage. UpdateAssociation would clear them, so they
# count as drift and are named in a warning before they are removed.
UNMANAGED_FIELDS = (
    "AutomationTargetParameterName",
    "CalendarNames",
    "TargetLocations",
    "ScheduleOffset",
    "Duration",
    "TargetMaps",
    "AlarmConfiguration",
    "AssociationDispatchAssumeRole",
)
LIST_PAGE = 50  # ListAssociations: MaxResults at most 50


# -- rules -----------------------------------------------------------------------------
def check_association_name(name: Any, field: str = "association_name") -> str:
    if not isinstance(name, str) or not ASSOCIATION_NAME.match(name):
        raise KeelRuleError(f"{field} {name!r}: must be 3 to 128 characters of letters, digits and _ - .")
    return name


def check_document_reference(name: Any, field: str = "document_name") -> str:
    if not isinstance(name, str) or not DOCUMENT_REFERENCE.match(name):
        raise KeelRuleError(
            f"{field} {name!r}: must be a document name or ARN of 3 to 128 letters, digits and _ - . : /"
        )
    return name


def check_document_version(version: Any, field: str = "document_version") -> str | None:
    if version is None:
        return None
    text = str(version).strip()
    if not DOCUMENT_VERSION.match(text):
        raise KeelRuleError(f"{field} {version!r}: must be $DEFAULT, $LATEST or a version number")
    return text


def check_rate_field(value: Any, pattern: re.Pattern[str], field: str, example: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > RATE_FIELD_MAX or not pattern.match(text):
        raise KeelRuleError(f"{field} {value!r}: must be a count or a percentage, e.g. {example}")
    return text


def canonical_target_key(key: Any, field: str = "targets") -> str:
    if not isinstance(key, str) or not key:
        raise KeelRuleError(f"{field}: every target needs a key")
    if len(key) > TARGET_KEY_MAX:
        raise KeelRuleError(f"{field} key {key[:20]!r}...: longer than {TARGET_KEY_MAX} characters")
    if key.lower() in FIXED_TARGET_KEYS:
        return FIXED_TARGET_KEYS[key.lower()]
    if key.lower().startswith(TAG_TARGET_PREFIX) and len(key) > len(TAG_TARGET_PREFIX):
        return TAG_TARGET_PREFIX + key.partition(":")[2]
    raise KeelRuleError(
        f"{field} key {key!r}: must be tag:<tag key>, tag-key, InstanceIds, resource-groups:Name,"
        " resource-groups:ResourceTypeFilters or ResourceGroup"
    )


def check_targets(targets: list[Mapping[str, Any]] | None, field: str = "targets") -> list[dict[str, Any]]:
    """[{key, values}] -> AWS Targets, keys in canonical case, values deduplicated."""
    if not targets:
        raise KeelRuleError(f"{field}: at least one target is required, e.g. key tag:Role")
    if len(targets) > MAX_TARGETS:
        raise KeelRuleError(f"{field}: {len(targets)} targets given, an association takes at most {MAX_TARGETS}")
    checked = []
    seen = set()
    for index, target in enumerate(targets):
        where = f"{field}[{index}]"
        key = canonical_target_key(target.get("key"), where)
        if key in seen:
            raise KeelRuleError(f"{where} key {key!r}: given twice; put all its values in one target")
        seen.add(key)
        values = target.get("values")
        if isinstance(values, str):
            values = [values]
        if not values or not all(isinstance(v, str) and v for v in values):
            raise KeelRuleError(f"{where} ({key}): values must be a non-empty list of non-empty strings")
        values = list(dict.fromkeys(values))
        if len(values) > MAX_TARGET_VALUES:
            raise KeelRuleError(f"{where} ({key}): {len(values)} values, at most {MAX_TARGET_VALUES}")
        if key == "InstanceIds":
            for value in values:
                if value != "*" and not INSTANCE_ID.match(value):
                    raise KeelRuleError(
                        f"{where} (InstanceIds): {value!r} is not an instance id (i-..., mi-...) or '*'"
                    )
        checked.append({"Key": key, "Values": values})
    return checked


def _parameter_values(name, value, field):
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    texts = []
    for item in items:
        if item is None or isinstance(item, (dict, list, tuple)):
            raise KeelRuleError(
                f"{field} {name!r}: values must be strings, numbers or booleans (or a list of them);"
                " give a structured value as a JSON string"
            )
        texts.append(str(item))
    return texts


def check_parameters(
    parameters: Mapping[str, Any] | None, secret_parameters: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """Document parameters as AWS takes them ({name: [text, ...]}), secret ones merged in."""
    merged = {}
    secret_parameters = secret_parameters or {}
    for field, source in (("parameters", parameters or {}), ("secret_parameters", secret_parameters)):
        if not isinstance(source, dict):
            raise KeelRuleError(f"{field}: must be a mapping of document parameter names to values")
        for name, value in source.items():
            if not isinstance(name, str) or not name:
                raise KeelRuleError(f"{field}: parameter names must be non-empty strings")
            if name in merged:
                raise KeelRuleError(f"secret_parameters {name!r}: also given in parameters; give it once")
            merged[name] = _parameter_values(name, value, field)
    return merged


def check_output_location(location: Mapping[str, Any] | None, field: str = "output_location") -> dict[str, Any] | None:
    if not location:
        return None
    bucket = location.get("bucket")
    if not isinstance(bucket, str) or not S3_BUCKET.match(bucket) or ".." in bucket:
        raise KeelRuleError(
            f"{field}.bucket {bucket!r}: an S3 bucket name is 3 to 63 lowercase letters, digits, '.' and '-',"
            " starting and ending with a letter or digit"
        )
    s3 = {"OutputS3BucketName": bucket}
    prefix = location.get("prefix")
    if prefix:
        if len(prefix) > S3_PREFIX_MAX:
            raise KeelRuleError(f"{field}.prefix: longer than {S3_PREFIX_MAX} characters")
        s3["OutputS3KeyPrefix"] = prefix
    region = location.get("region")
    if region:
        if not REGION.match(region) or not 3 <= len(region) <= 20:
            raise KeelRuleError(f"{field}.region {region!r}: must be an AWS region name such as eu-west-1")
        s3["OutputS3Region"] = region
    return {"S3Location": s3}


def build_definition(params: Mapping[str, Any]) -> dict[str, Any]:
    """The complete desired definition, as CreateAssociation takes it (None fields left
    out, which AWS reads as its defaults). Every rule is checked here, before any call."""
    name = check_association_name(params["association_name"])
    schedule = check_schedule(params.get("schedule"))
    if params.get("apply_only_at_cron_interval") and schedule_kind(schedule) != "cron":
        raise KeelRuleError(
            "apply_only_at_cron_interval: only valid with a cron(...) schedule (State Manager does not support it"
            " for rate expressions)"
        )
    parameters = check_parameters(params.get("parameters"), params.get("secret_parameters"))
    definition = {
        "AssociationName": name,
        "Name": check_document_reference(params.get("document_name")),
        "DocumentVersion": check_document_version(params.get("document_version")),
        "Targets": check_targets(params.get("targets")),
        "ScheduleExpression": schedule,
        "Parameters": parameters or None,
        "ComplianceSeverity": params.get("compliance_severity"),
        "MaxConcurrency": check_rate_field(params.get("max_concurrency"), MAX_CONCURRENCY, "max_concurrency", "10%"),
        "MaxErrors": check_rate_field(params.get("max_errors"), MAX_ERRORS, "max_errors", "1 or 10%"),
        "OutputLocation": check_output_location(params.get("output_location")),
        "ApplyOnlyAtCronInterval": bool(params.get("apply_only_at_cron_interval")),
        "SyncCompliance": params.get("sync_compliance"),
    }
    for key, choices in (("ComplianceSeverity", COMPLIANCE_SEVERITIES), ("SyncCompliance", SYNC_COMPLIANCE)):
        if definition[key] is not None and definition[key] not in choices:
            raise KeelRuleError(f"{key}: {definition[key]!r} is not one of {', '.join(choices)}")
    return {key: value for key, value in definition.items() if value is not None}


# -- comparison -------------------------------------------------------------------------
def _canonical_targets(targets):
    canonical = []
    for target in targets or []:
        key = target.get("Key", "")
        key = FIXED_TARGET_KEYS.get(key.lower(), key)
        if key.lower().startswith(TAG_TARGET_PREFIX):
            key = TAG_TARGET_PREFIX + key.partition(":")[2]
        canonical.append({"Key": key, "Values": sorted(set(target.get("Values") or []))})
    return sorted(canonical, key=lambda target: (target["Key"], target["Values"]))


def comparable(definition: Mapping[str, Any] | None) -> dict[str, Any]:
    """A definition (desired, or an AssociationDescription) in one canonical shape:
    service defaults filled in, targets and their values order-insensitive."""
    definition = definition or {}
    location = (definition.get("OutputLocation") or {}).get("S3Location") or {}
    shape = {
        "AssociationName": definition.get("AssociationName"),
        "Name": definition.get("Name"),
        "Targets": _canonical_targets(definition.get("Targets")),
        "ScheduleExpression": definition.get("ScheduleExpression"),
        # Parameter value lists keep their order: StringList values are ordered.
        "Parameters": {key: list(value) for key, value in sorted((definition.get("Parameters") or {}).items())},
        "MaxConcurrency": definition.get("MaxConcurrency"),
        "MaxErrors": definition.get("MaxErrors"),
        "OutputLocation": {key: location[key] for key in sorted(location) if location[key]} or None,
    }
    for key, default in SERVICE_DEFAULTS.items():
        value = definition.get(key)
        shape[key] = default if value is None else value
    for key in UNMANAGED_FIELDS:
        if definition.get(key) not in (None, [], {}):
            shape[key] = definition[key]
    return shape


def unmanaged_fields(description: Mapping[str, Any] | None) -> list[str]:
    return [key for key in UNMANAGED_FIELDS if (description or {}).get(key) not in (None, [], {})]


def readable(definition: Mapping[str, Any], secret_names: Iterable[str] = ()) -> dict[str, Any]:
    """The comparable shape with snake_case keys for results and diffs; values of
    secret parameters are masked."""
    shape = comparable(definition)
    location = shape["OutputLocation"]
    result = {
        "association_name": shape["AssociationName"],
        "document_name": shape["Name"],
        "document_version": shape["DocumentVersion"],
        "targets": [{"key": t["Key"], "values": t["Values"]} for t in shape["Targets"]],
        "schedule": shape["ScheduleExpression"],
        "parameters": mask_values(shape["Parameters"], secret_names),
        "compliance_severity": shape["ComplianceSeverity"],
        "max_concurrency": shape["MaxConcurrency"],
        "max_errors": shape["MaxErrors"],
        "output_location": None
        if location is None
        else {
            "bucket": location.get("OutputS3BucketName"),
            "prefix": location.get("OutputS3KeyPrefix"),
            "region": location.get("OutputS3Region"),
        },
        "apply_only_at_cron_interval": shape["ApplyOnlyAtCronInterval"],
        "sync_compliance": shape["SyncCompliance"],
    }
    unmanaged = {key: shape[key] for key in UNMANAGED_FIELDS if key in shape}
    if unmanaged:
        result["unmanaged"] = unmanaged
    return result


# -- calls -------------------------------------------------------------------------------
def find_association(client: Any, name: str, secrets: Iterable[str] = ()) -> dict[str, Any] | None:
    """The AssociationDescription of the association named `name`, or None.

    ListAssociations (AssociationName filter, paginated) finds its id; exact-name
    matches only. Two associations with one name are refused: which one to manage
    would be a guess."""
    matches = []
    with aws_call("ListAssociations", name, secrets):
        pages = client.get_paginator("list_associations").paginate(
            AssociationFilterList=[{"key": "AssociationName", "value": name}],
            PaginationConfig={"PageSize": LIST_PAGE},
        )
        for page in pages:
            matches.extend(item for item in page.get("Associations", []) if item.get("AssociationName") == name)
    if not matches:
        return None
    if len(matches) > 1:
        ids = ", ".join(sorted(item["AssociationId"] for item in matches))
        raise KeelAWSError(
            "invalid",
            f"ListAssociations {name}: {len(matches)} associations carry this name ({ids}); delete or rename"
            " all but one, so the module knows which one to manage",
            operation="ListAssociations",
        )
    return describe_association(client, matches[0]["AssociationId"], name, secrets)


def describe_association(
    client: Any, association_id: str, name: str | None = None, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    with aws_call("DescribeAssociation", name or association_id, secrets):
        return client.describe_association(AssociationId=association_id)["AssociationDescription"]


def create_association(client: Any, definition: dict[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    with aws_call("CreateAssociation", definition["AssociationName"], secrets):
        return client.create_association(**definition)["AssociationDescription"]


def update_association(
    client: Any, association_id: str, definition: dict[str, Any], secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """Send the complete definition: UpdateAssociation clears whatever is left out."""
    with aws_call("UpdateAssociation", definition["AssociationName"], secrets):
        return client.update_association(AssociationId=association_id, **definition)["AssociationDescription"]


def delete_association(client: Any, association_id: str, name: str | None = None, secrets: Iterable[str] = ()) -> None:
    with aws_call("DeleteAssociation", name or association_id, secrets):
        client.delete_association(AssociationId=association_id)
