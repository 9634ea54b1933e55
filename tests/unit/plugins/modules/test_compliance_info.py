"""keel.ssm.compliance_info, run through its real main() against botocore's Stubber
(TEST DOUBLE, `stubbed`): without resource ids it lists the resources with a report of
the type, then reads each one's items (one resource a call), and answers which resources
fail which control; nothing is called before the input is checked."""

from __future__ import annotations

import datetime

from ansible_collections.keel.ssm.plugins.modules import compliance_info
from tests.helpers.module_runner import run_module

TYPE_FILTER = [{"Key": "ComplianceType", "Values": ["Custom:KeelBaseline"], "Type": "EQUAL"}]
WHEN = datetime.datetime(2026, 12, 7, 0, 40, tzinfo=datetime.timezone.utc)


def item(resource, control, status):
    return {
        "ComplianceType": "Custom:KeelBaseline",
        "ResourceType": "ManagedInstance",
        "ResourceId": resource,
        "Id": control,
        "Title": control,
        "Status": status,
        "Severity": "HIGH",
        "ExecutionSummary": {"ExecutionTime": WHEN, "ExecutionId": "run-1"},
    }


def test_which_resources_fail_which_control(stubbed):
    stubber, calls = stubbed
    stubber.add_response(
        "list_resource_compliance_summaries",
        {
            "ResourceComplianceSummaryItems": [
                {"ResourceId": "i-b", "ResourceType": "ManagedInstance", "Status": "NON_COMPLIANT"},
                {"ResourceId": "i-a", "ResourceType": "ManagedInstance", "Status": "COMPLIANT"},
            ]
        },
        {"Filters": TYPE_FILTER, "MaxResults": 50},
    )
    for resource, status in (("i-a", "COMPLIANT"), ("i-b", "NON_COMPLIANT")):
        stubber.add_response(
            "list_compliance_items",
            {"ComplianceItems": [item(resource, "5.3.3.1.1", "COMPLIANT"), item(resource, "SSM.1", status)]},
            {"ResourceIds": [resource], "ResourceTypes": ["ManagedInstance"], "Filters": TYPE_FILTER, "MaxResults": 50},
        )
    result = run_module(compliance_info.main, {})
    assert result["changed"] is False
    assert result["non_compliant"] == {"SSM.1": ["i-b"]}
    assert [(r["resource_id"], r["status"]) for r in result["resources"]] == [
        ("i-a", "COMPLIANT"),
        ("i-b", "NON_COMPLIANT"),
    ]
    assert result["resources"][1]["items"][1] == {
        "id": "SSM.1",
        "title": "SSM.1",
        "status": "NON_COMPLIANT",
        "severity": "HIGH",
        "details": {},
        "execution_id": "run-1",
        "execution_time": "2026-12-07T00:40:00+00:00",
    }
    assert calls == ["ListResourceComplianceSummaries", "ListComplianceItems", "ListComplianceItems"]


def test_bad_input_calls_nothing(stubbed):
    _, calls = stubbed
    failed = run_module(compliance_info.main, {"compliance_type": "Custom:keel.baseline"})
    assert "compliance_type: letters, digits and _" in failed["msg"]
    failed = run_module(compliance_info.main, {"resource_ids": [""]})
    assert "resource_ids[0]: 1 to 100" in failed["msg"]
    assert calls == []
