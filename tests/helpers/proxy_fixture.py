"""pytest plugin: the `proxy` fixture, an AwsProxy (TEST DOUBLE, see aws_proxy.py) in
front of a clean moto server (registered in tests/conftest.py). Tests pass proxy.url to
the code under test, so every AWS call is counted."""

from __future__ import annotations

import pytest

from tests.helpers.aws_proxy import AwsProxy


@pytest.fixture
def proxy(moto):
    with AwsProxy(moto.url) as aws_proxy:
        yield aws_proxy
