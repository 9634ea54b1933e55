"""TEST DOUBLE: an SSM client wrapped in botocore's Stubber, handed to keel.ssm modules.

moto has no association API (CreateAssociation answers HTTP 500), so association
requests are checked against the real SSM service model instead: the Stubber refuses
any request whose operation, parameter names, types or required fields the model does
not allow. Responses are written by the tests, not returned by AWS.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule


@pytest.fixture
def stubbed(monkeypatch):
    """TEST DOUBLE: a Stubber-wrapped SSM client handed to the module. Yields the
    stubber and the list of operations the module actually called (in order)."""
    client = boto3.client(
        "ssm", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="example-key"
    )
    calls = []
    client.meta.events.register("before-parameter-build.ssm", lambda model, **_: calls.append(model.name))
    monkeypatch.setattr(KeelAWSModule, "client", lambda self, service="ssm": client)
    stubber = Stubber(client)
    with stubber:
        yield stubber, calls
    stubber.assert_no_pending_responses()
