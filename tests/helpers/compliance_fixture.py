"""pytest plugin: the `compliance_double` fixture, the SSM compliance TEST DOUBLE
(ssm_compliance_double.py; moto has no compliance API) behind an AwsProxy in front of a
clean moto server. Registered in tests/conftest.py. Tests pass
compliance_double.proxy.url to the code under test as its endpoint."""

from __future__ import annotations

import pytest

from tests.helpers.aws_proxy import AwsProxy
from tests.helpers.ssm_compliance_double import SsmComplianceDouble


@pytest.fixture
def compliance_double(moto):
    responder = SsmComplianceDouble()
    with AwsProxy(moto.url, responder=responder) as proxy:
        responder.proxy = proxy
        yield responder
