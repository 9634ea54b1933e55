"""pytest plugin: the `appconfig` fixture, an AwsProxy in front of a clean moto server
with the AppConfig TEST DOUBLE (appconfig_double.py) answering what moto lacks.
Registered in tests/conftest.py. Tests pass appconfig.url to the code under test; every
AppConfig request is counted (appconfig.counts) and checked against the service model
(appconfig.double.violations must stay empty)."""

from __future__ import annotations

import pytest

from tests.helpers.appconfig_double import AppConfigDouble
from tests.helpers.aws_proxy import AwsProxy


@pytest.fixture
def appconfig(moto):
    double = AppConfigDouble(moto.url)
    with AwsProxy(moto.url, responder=double) as proxy:
        proxy.double = double
        yield proxy
    assert double.violations == [], "requests that break the AppConfig service model"
