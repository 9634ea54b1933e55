"""keel.ssm.compliance_report and keel.ssm.compliance_info round-trip over HTTP: boto3 in
the modules -> the AwsProxy -> the SSM compliance TEST DOUBLE (tests/helpers/
ssm_compliance_double.py; moto has no compliance API), which checks every request against
botocore's SSM service model. Proves: two instances' reports read back per instance and
per control; COMPLETE replaces an instance's earlier items; the double refuses what the
model refuses (so "no violations" means something); nothing is sent in check mode or
before the input is checked."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.keel.ssm.plugins.modules import compliance_info, compliance_report
from tests.helpers.module_runner import run_module

CONTROLS = [("5.3.3.1.1", "HIGH"), ("4.2.7", "HIGH"), ("SSM.1", "MEDIUM")]


@pytest.fixture
def double(compliance_double):
    """The compliance test double (tests/helpers/compliance_fixture.py)."""
    return compliance_double


def report(double, instance, failing=(), controls=CONTROLS, **extra):
    items = [
        {
            "id": control,
            "title": f"control {control}",
            "severity": severity,
            "status": "NON_COMPLIANT" if control in failing else "COMPLIANT",
            "details": {"Settings": "keel_pam_faillock_deny"},
        }
        for control, severity in controls
    ]
    args = {"resource_id": instance, "items": items, "execution_id": f"run-{instance}", **extra}
    return run_module(compliance_report.main, dict(args, endpoint_url=double.proxy.url, region="us-east-1"))


def info(double, **args):
    return run_module(compliance_info.main, dict(args, endpoint_url=double.proxy.url, region="us-east-1"))


def test_reports_read_back_per_instance_and_control(double):
    assert report(double, "i-0aaaaaaaaaaaaaaa1")["changed"] is True
    assert report(double, "i-0aaaaaaaaaaaaaaa2", failing=("SSM.1",))["non_compliant"] == ["SSM.1"]
    result = info(double)
    assert result.get("failed") is not True, result
    assert result["non_compliant"] == {"SSM.1": ["i-0aaaaaaaaaaaaaaa2"]}
    table = {(r["resource_id"], i["id"]): (i["status"], i["severity"]) for r in result["resources"] for i in r["items"]}
    assert table[("i-0aaaaaaaaaaaaaaa1", "SSM.1")] == ("COMPLIANT", "MEDIUM")
    assert table[("i-0aaaaaaaaaaaaaaa2", "SSM.1")] == ("NON_COMPLIANT", "MEDIUM")
    assert len(table) == 6
    assert result["resources"][1]["items"][0]["execution_id"] == "run-i-0aaaaaaaaaaaaaaa2"
    one = info(double, resource_ids=["i-0aaaaaaaaaaaaaaa1"])
    assert [r["resource_id"] for r in one["resources"]] == ["i-0aaaaaaaaaaaaaaa1"]
    assert double.violations == []
    assert double.proxy.counts["ListComplianceItems"] == 3


def test_complete_replaces_the_earlier_items(double):
    report(double, "i-0aaaaaaaaaaaaaaa1", failing=("4.2.7",))
    report(double, "i-0aaaaaaaaaaaaaaa1", controls=CONTROLS[:1])
    (resource,) = info(double)["resources"]
    assert [(i["id"], i["status"]) for i in resource["items"]] == [("5.3.3.1.1", "COMPLIANT")]
    assert double.violations == []


def test_the_double_refuses_what_the_model_refuses(double):
    ssm = boto3.client(
        "ssm", endpoint_url=double.proxy.url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    with pytest.raises(ssm.exceptions.ClientError, match="ValidationException"):
        ssm.put_compliance_items(
            ResourceId="i-1",
            ResourceType="ManagedInstance",
            ComplianceType="Custom:keel.baseline",
            ExecutionSummary={"ExecutionTime": 0},
            Items=[{"Id": "x", "Severity": "HIGH", "Status": "COMPLIANT"}],
        )
    assert double.violations and "does not match the model's pattern" in double.violations[0]


def test_check_mode_and_bad_input_send_nothing(double):
    args = {
        "resource_id": "i-1",
        "items": [{"id": "x", "status": "COMPLIANT"}],
        "endpoint_url": double.proxy.url,
        "region": "us-east-1",
    }
    assert run_module(compliance_report.main, args, check=True)["changed"] is True
    assert run_module(compliance_report.main, dict(args, compliance_type="Custom:a.b"))["failed"] is True
    assert double.proxy.total() == 0
