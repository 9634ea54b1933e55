"""keel.ssm.compliance_report, run through its real main() against botocore's Stubber
(TEST DOUBLE, `stubbed`): the request is the one PutComplianceItems the SSM service model
allows (COMPLETE, ManagedInstance, the execution summary), nothing is sent in check mode
or before the input is checked. The round trip over HTTP is in
tests/integration/test_compliance_modules.py."""

from __future__ import annotations

import datetime

from ansible_collections.keel.ssm.plugins.modules import compliance_report
from tests.helpers.module_runner import run_module

ARGS = {
    "resource_id": "i-0123456789abcdef0",
    "execution_id": "run-1",
    "execution_time": "2026-12-07T00:40:00Z",
    "items": [
        {"id": "5.3.3.1.1", "title": "faillock", "severity": "HIGH", "status": "COMPLIANT"},
        {"id": "SSM.1", "status": "NON_COMPLIANT", "details": {"Settings": "keel_ssm_agent_install"}},
    ],
}


def test_one_complete_report(stubbed):
    stubber, calls = stubbed
    stubber.add_response(
        "put_compliance_items",
        {},
        {
            "ResourceId": "i-0123456789abcdef0",
            "ResourceType": "ManagedInstance",
            "ComplianceType": "Custom:KeelBaseline",
            "ExecutionSummary": {
                "ExecutionTime": datetime.datetime(2026, 12, 7, 0, 40, tzinfo=datetime.timezone.utc),
                "ExecutionId": "run-1",
                "ExecutionType": "Command",
            },
            "Items": [
                {"Id": "5.3.3.1.1", "Severity": "HIGH", "Status": "COMPLIANT", "Title": "faillock"},
                {
                    "Id": "SSM.1",
                    "Severity": "UNSPECIFIED",
                    "Status": "NON_COMPLIANT",
                    "Details": {"Settings": "keel_ssm_agent_install"},
                },
            ],
            "UploadType": "COMPLETE",
        },
    )
    result = run_module(compliance_report.main, ARGS)
    assert result["changed"] is True, result
    assert (result["compliant"], result["non_compliant"]) == (["5.3.3.1.1"], ["SSM.1"])
    assert calls == ["PutComplianceItems"]


def test_check_mode_and_bad_input_send_nothing(stubbed):
    _, calls = stubbed
    assert run_module(compliance_report.main, ARGS, check=True)["changed"] is True
    failed = run_module(compliance_report.main, dict(ARGS, compliance_type="Custom:keel.baseline"))
    assert failed["failed"] is True and "compliance_type: letters, digits and _" in failed["msg"]
    failed = run_module(
        compliance_report.main, dict(ARGS, items=[{"id": "x", "status": "COMPLIANT", "title": "t" * 501}])
    )
    assert "items[0].title: at most 500" in failed["msg"]
    assert calls == []
