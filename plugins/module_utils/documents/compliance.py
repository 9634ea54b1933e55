# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Systems Manager compliance: the rules of a compliance report (PutComplianceItems),
checked before any call, and the reads back (ListResourceComplianceSummaries,
ListComplianceItems).

The limits are the SSM service model's (botocore): a compliance type of letters, digits
and `_` (a `-` only as its first character; a custom one prefixed `Custom:`), at most 100
characters; at most 10,000
items; a title of at most 500 characters; detail keys of 1 to 64 characters and values of
at most 4,096. ListComplianceItems takes one resource id a call (AWS documents the limit;
the model does not say it).
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Iterable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError, aws_call

COMPLIANCE_TYPE = re.compile(r"^([A-Za-z0-9_\-]\w+|Custom:[a-zA-Z0-9_\-]\w+)$")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
STATUSES = ("COMPLIANT", "NON_COMPLIANT")
MAX_ITEMS = 10000
MAX_TITLE = 500
MAX_ID = 100
MAX_DETAIL_KEY = 64
MAX_DETAIL_VALUE = 4096
MAX_EXECUTION_ID = 100
MAX_EXECUTION_TYPE = 50


def check_compliance_type(value: str) -> str:
    if not isinstance(value, str) or len(value) > 100 or not COMPLIANCE_TYPE.match(value):
        raise KeelRuleError(
            "compliance_type: letters, digits and _ (at least 2; a - only as the first), optionally after 'Custom:', "
            f"at most 100 characters, as the service's pattern says (a dotted name is refused), got {value!r}"
        )
    return value


def check_resource_id(value: str, field: str = "resource_id") -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 100:
        raise KeelRuleError(f"{field}: 1 to 100 characters (an instance id such as i-0123456789abcdef0 or mi-...)")
    return value


def build_items(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The request's Items from the module's items, each checked; a broken one raises
    KeelRuleError naming items[N].field and the rule."""
    built = []
    seen = set()
    items = list(items or [])
    if len(items) > MAX_ITEMS:
        raise KeelRuleError(f"items: at most {MAX_ITEMS} items in one report, got {len(items)}")
    for index, item in enumerate(items):
        where = f"items[{index}]"
        item_id = item.get("id")
        if not isinstance(item_id, str) or not 1 <= len(item_id) <= MAX_ID:
            raise KeelRuleError(f"{where}.id: 1 to {MAX_ID} characters")
        if item_id in seen:
            raise KeelRuleError(f"{where}.id: {item_id} is reported twice")
        seen.add(item_id)
        title = item.get("title") or ""
        if len(title) > MAX_TITLE:
            raise KeelRuleError(f"{where}.title: at most {MAX_TITLE} characters")
        severity = item.get("severity") or "UNSPECIFIED"
        if severity not in SEVERITIES:
            raise KeelRuleError(f"{where}.severity: one of {', '.join(SEVERITIES)}")
        status = item.get("status")
        if status not in STATUSES:
            raise KeelRuleError(f"{where}.status: one of {', '.join(STATUSES)}")
        details = item.get("details") or {}
        for key, value in details.items():
            if not 1 <= len(str(key)) <= MAX_DETAIL_KEY:
                raise KeelRuleError(f"{where}.details: keys of 1 to {MAX_DETAIL_KEY} characters")
            if len(str(value)) > MAX_DETAIL_VALUE:
                raise KeelRuleError(f"{where}.details.{key}: at most {MAX_DETAIL_VALUE} characters")
        entry = {"Id": item_id, "Severity": severity, "Status": status}
        if title:
            entry["Title"] = title
        if details:
            entry["Details"] = {str(key): str(value) for key, value in details.items()}
        built.append(entry)
    return built


def execution_summary(
    execution_time: str | None, execution_id: str | None, execution_type: str | None
) -> dict[str, Any]:
    """ExecutionSummary: the time (ISO 8601, default now, UTC), the run's id and type."""
    if execution_time:
        try:
            when = datetime.datetime.fromisoformat(execution_time.replace("Z", "+00:00"))
        except ValueError:
            raise KeelRuleError(f"execution_time: ISO 8601 (2026-12-07T00:40:00Z), got {execution_time!r}") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
    else:
        when = datetime.datetime.now(datetime.timezone.utc)
    summary: dict[str, Any] = {"ExecutionTime": when}
    if execution_id:
        if len(execution_id) > MAX_EXECUTION_ID:
            raise KeelRuleError(f"execution_id: at most {MAX_EXECUTION_ID} characters")
        summary["ExecutionId"] = execution_id
    if execution_type:
        if len(execution_type) > MAX_EXECUTION_TYPE:
            raise KeelRuleError(f"execution_type: at most {MAX_EXECUTION_TYPE} characters")
        summary["ExecutionType"] = execution_type
    return summary


def put_items(client: Any, request: Mapping[str, Any]) -> None:
    with aws_call("PutComplianceItems", request["ResourceId"]):
        client.put_compliance_items(**request)


def _type_filter(compliance_type: str) -> list[dict[str, Any]]:
    return [{"Key": "ComplianceType", "Values": [compliance_type], "Type": "EQUAL"}]


def list_resources(client: Any, compliance_type: str) -> list[dict[str, Any]]:
    """Every resource with a report of `compliance_type` (ListResourceComplianceSummaries)."""
    summaries = []
    request: dict[str, Any] = {"Filters": _type_filter(compliance_type), "MaxResults": 50}
    with aws_call("ListResourceComplianceSummaries", compliance_type):
        while True:
            page = client.list_resource_compliance_summaries(**request)
            summaries.extend(page.get("ResourceComplianceSummaryItems", []))
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return summaries


def list_items(client: Any, resource_id: str, resource_type: str, compliance_type: str) -> list[dict[str, Any]]:
    """The items of one resource's report (ListComplianceItems, one resource a call)."""
    items = []
    request: dict[str, Any] = {
        "ResourceIds": [resource_id],
        "ResourceTypes": [resource_type],
        "Filters": _type_filter(compliance_type),
        "MaxResults": 50,
    }
    with aws_call("ListComplianceItems", resource_id):
        while True:
            page = client.list_compliance_items(**request)
            items.extend(page.get("ComplianceItems", []))
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return items


def readable_item(item: Mapping[str, Any]) -> dict[str, Any]:
    summary = item.get("ExecutionSummary") or {}
    when = summary.get("ExecutionTime")
    return {
        "id": item.get("Id"),
        "title": item.get("Title"),
        "status": item.get("Status"),
        "severity": item.get("Severity"),
        "details": dict(item.get("Details") or {}),
        "execution_id": summary.get("ExecutionId"),
        "execution_time": when.isoformat() if hasattr(when, "isoformat") else when,
    }
