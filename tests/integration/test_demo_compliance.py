"""make demo's read-back (scripts/demo.py compliance_read_back, scripts/demo/compliance.yml)
without instances: reports put over HTTP to the SSM compliance TEST DOUBLE in front of
moto, as the instances' baseline runs send them, are read back by ansible-playbook with
keel.ssm.compliance_info and printed per control and instance; an instance the demo
targeted that reported nothing, or a control that fails, fails the step."""

from __future__ import annotations

import socket
import struct
import sys
import time

import boto3
import pytest

from tests.helpers import REPO_ROOT
from tests.helpers.aws_proxy import AwsProxy
from tests.helpers.ssm_compliance_double import SsmComplianceDouble

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import demo as demo_script

WEB = ["keel-demo-web-1", "keel-demo-web-2"]


@pytest.fixture
def stand_in(moto, tmp_path):
    double = SsmComplianceDouble()
    with AwsProxy(moto.url, responder=double) as proxy:
        yield demo_script.Demo(
            workdir=tmp_path, endpoint=moto.url, compliance=double, compliance_endpoint=proxy.url, targeted=list(WEB)
        )


def report(stand_in, name, statuses):
    client = boto3.client("ssm", endpoint_url=stand_in.compliance_endpoint, region_name="us-east-1")
    client.put_compliance_items(
        ResourceId=demo_script.instance_id(name),
        ResourceType="ManagedInstance",
        ComplianceType=demo_script.COMPLIANCE_TYPE,
        ExecutionSummary={"ExecutionTime": "2026-12-07T00:40:00Z"},
        Items=[{"Id": control, "Severity": "HIGH", "Status": status} for control, status in statuses.items()],
    )


def test_reports_are_read_back_per_control_and_instance(stand_in, capsys):
    for name in WEB:
        report(stand_in, name, {"4.2.1": "COMPLIANT", "5.3.3.1.1": "COMPLIANT"})
    demo_script.compliance_read_back(stand_in)
    out = capsys.readouterr().out
    assert f"ListComplianceItems at {stand_in.compliance_endpoint}" in out
    assert demo_script.instance_id("keel-demo-db-1") in out
    rows = [line.split() for line in out.splitlines()]
    assert ["4.2.1", "HIGH", "COMPLIANT", "COMPLIANT", "-"] in rows
    assert "no report (not targeted)" in out and out.count("2/2 compliant") == 2
    assert stand_in.summary == [
        "2/2 targeted instances reported every control compliant (Custom:KeelBaseline, read back with"
        " keel.ssm.compliance_info)"
    ]
    # One ListComplianceItems per instance, each within the service model.
    reads = [data for operation, data in stand_in.compliance.requests if operation == "ListComplianceItems"]
    assert len(reads) == 3 and stand_in.compliance.violations == []


def test_an_instance_without_a_report_or_with_a_failing_control_fails_the_step(stand_in):
    report(stand_in, WEB[0], {"4.2.1": "COMPLIANT", "4.2.3": "NON_COMPLIANT"})
    with pytest.raises(RuntimeError) as failed:
        demo_script.compliance_read_back(stand_in)
    web_1, web_2 = (demo_script.instance_id(name) for name in WEB)
    assert str(failed.value) == (
        f"keel-demo-web-1 ({web_1}) does not comply with: 4.2.3; "
        f"keel-demo-web-2 ({web_2}) has no compliance items: its report did not arrive"
    )


def test_the_proxy_listens_on_one_address_never_every_interface():
    with pytest.raises(ValueError, match="a specific address"):
        AwsProxy("http://127.0.0.1:5000", host="0.0.0.0")  # noqa: S104 (what must be refused)


def test_a_client_that_hangs_up_prints_no_traceback(capfd):
    """make demo printed a ConnectionResetError traceback from the AppConfig proxy."""
    with AwsProxy("http://127.0.0.1:5000") as proxy:
        conn = socket.create_connection(("127.0.0.1", proxy.port))
        time.sleep(0.2)  # the proxy now waits for a request line
        # Closed with a reset (SO_LINGER 0), as a client drops a kept-alive connection.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        time.sleep(0.5)
    assert "Traceback" not in capfd.readouterr().err
