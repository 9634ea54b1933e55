"""Waiting for a new document version (documents.wait_until_active).

moto answers every write with Status Active at once, so the Creating/Failed path is
exercised with botocore's Stubber, which checks each DescribeDocument request and
canned response against the real SSM service model. The responses themselves are
written here (AWS documents the Creating -> Active|Failed states and the
StatusInformation text; this was not observed against AWS).
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.keel.ssm.plugins.module_utils.documents.document import wait_until_active
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError


def description(status, **extra):
    return dict({"Name": "keel-doc", "DocumentVersion": "2", "Status": status}, **extra)


@pytest.fixture
def stubbed():
    client = boto3.client("ssm", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_polls_until_active(stubbed):
    client, stubber = stubbed
    expected = {"Name": "keel-doc", "DocumentVersion": "2"}
    stubber.add_response("describe_document", {"Document": description("Creating")}, expected)
    stubber.add_response("describe_document", {"Document": description("Active", Hash="ab" * 32)}, expected)
    naps = []
    final = wait_until_active(client, description("Creating"), sleep=naps.append, interval=2)
    assert final["Status"] == "Active" and final["Hash"] == "ab" * 32
    assert naps == [2, 2]


def test_failed_version_reports_aws_reason(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "describe_document",
        {"Document": description("Failed", StatusInformation="Parameter Role is used but not defined")},
        {"Name": "keel-doc", "DocumentVersion": "2"},
    )
    with pytest.raises(KeelAWSError, match="keel-doc version 2: AWS refused the document: Parameter Role is used"):
        wait_until_active(client, description("Updating"), sleep=lambda _: None)


def test_active_needs_no_call(stubbed):
    client, _ = stubbed
    assert wait_until_active(client, description("Active"))["Status"] == "Active"


def test_gives_up_after_the_timeout(stubbed):
    client, _ = stubbed
    with pytest.raises(KeelAWSError, match="still Creating after 0 s"):
        wait_until_active(client, description("Creating"), timeout=0, sleep=lambda _: None)
