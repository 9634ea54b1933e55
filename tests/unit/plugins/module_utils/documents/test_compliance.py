"""module_utils/documents/compliance.py: a compliance report's rules, checked before any
call, each failure naming the field and the rule (limits from the SSM service model)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.documents import compliance
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

ITEM = {"id": "5.3.3.1.1", "title": "faillock", "severity": "HIGH", "status": "COMPLIANT", "details": {"A": "b"}}


@pytest.mark.parametrize(
    "value", ["Custom:KeelBaseline", "Custom:keel_baseline_1", "Custom:-keel", "Association", "Patch"]
)
def test_compliance_types_the_service_takes(value):
    assert compliance.check_compliance_type(value) == value


@pytest.mark.parametrize(
    "value", ["Custom:keel.baseline", "Custom:", "Custom:a", "x", "Custom:" + "a" * 100, "a b", "Custom:keel-baseline"]
)
def test_compliance_types_the_service_refuses(value):
    with pytest.raises(KeelRuleError, match="compliance_type: letters, digits and _"):
        compliance.check_compliance_type(value)


def test_items_become_the_request_and_unset_fields_stay_out():
    assert compliance.build_items([ITEM, {"id": "SSM.1", "status": "NON_COMPLIANT"}]) == [
        {"Id": "5.3.3.1.1", "Severity": "HIGH", "Status": "COMPLIANT", "Title": "faillock", "Details": {"A": "b"}},
        {"Id": "SSM.1", "Severity": "UNSPECIFIED", "Status": "NON_COMPLIANT"},
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": ""}, r"items\[0\]\.id: 1 to 100"),
        ({"title": "t" * 501}, r"items\[0\]\.title: at most 500"),
        ({"severity": "SEVERE"}, r"items\[0\]\.severity: one of CRITICAL"),
        ({"status": "OK"}, r"items\[0\]\.status: one of COMPLIANT, NON_COMPLIANT"),
        ({"details": {"k" * 65: "v"}}, r"items\[0\]\.details: keys of 1 to 64"),
        ({"details": {"Settings": "v" * 4097}}, r"items\[0\]\.details\.Settings: at most 4096"),
    ],
)
def test_a_broken_item_is_named(change, message):
    with pytest.raises(KeelRuleError, match=message):
        compliance.build_items([dict(ITEM, **change)])


def test_ids_are_reported_once_and_at_most_10000_items():
    with pytest.raises(KeelRuleError, match=r"items\[1\]\.id: 5\.3\.3\.1\.1 is reported twice"):
        compliance.build_items([ITEM, ITEM])
    with pytest.raises(KeelRuleError, match="items: at most 10000"):
        compliance.build_items([dict(ITEM, id=str(n)) for n in range(10001)])


def test_the_execution_summary():
    summary = compliance.execution_summary("2026-12-07T00:40:00Z", "run-1", "Command")
    assert summary == {
        "ExecutionTime": datetime.datetime(2026, 12, 7, 0, 40, tzinfo=datetime.timezone.utc),
        "ExecutionId": "run-1",
        "ExecutionType": "Command",
    }
    now = compliance.execution_summary(None, None, None)
    assert set(now) == {"ExecutionTime"} and now["ExecutionTime"].tzinfo is not None
    with pytest.raises(KeelRuleError, match="execution_time: ISO 8601"):
        compliance.execution_summary("yesterday", None, None)
    with pytest.raises(KeelRuleError, match="execution_id: at most 100"):
        compliance.execution_summary(None, "x" * 101, None)
    with pytest.raises(KeelRuleError, match="resource_id: 1 to 100"):
        compliance.check_resource_id("")
