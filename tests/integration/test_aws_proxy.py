"""The proxy test double itself: it must count, throttle and hang as documented,
or every figure measured through it would be wrong."""

from __future__ import annotations

import boto3
import botocore.config
import botocore.exceptions
import pytest

from tests.helpers.aws_proxy import AwsProxy


def client(url, attempts=1, read_timeout=20):
    config = botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": attempts}, read_timeout=read_timeout
    )
    return boto3.client("ssm", endpoint_url=url, region_name="us-east-1", config=config)


def test_counts_by_operation(moto):
    with AwsProxy(moto.url) as proxy:
        ssm = client(proxy.url)
        ssm.put_parameter(Name="/p/a", Value="1", Type="String")
        ssm.get_parameters(Names=["/p/a"])
        ssm.get_parameters(Names=["/p/a"])
        assert proxy.counts == {"PutParameter": 1, "GetParameters": 2}
        assert (proxy.reads(), proxy.writes(), proxy.total()) == (2, 1, 3)


def test_rate_limit_answers_throttling(moto):
    with AwsProxy(moto.url, rate_limit_tps=2) as proxy:
        ssm = client(proxy.url)
        codes = []
        for _ in range(5):
            try:
                ssm.describe_parameters()
                codes.append("ok")
            except botocore.exceptions.ClientError as exc:
                codes.append(exc.response["Error"]["Code"])
        assert codes.count("ThrottlingException") >= 2
        assert sum(proxy.throttled.values()) == codes.count("ThrottlingException")


def test_botocore_retries_injected_throttling(moto):
    with AwsProxy(moto.url, throttle_ratio=0.3, seed=3) as proxy:
        ssm = client(proxy.url, attempts=10)
        for _ in range(4):
            ssm.describe_parameters()
        assert sum(proxy.throttled.values()) > 0
        assert proxy.counts["DescribeParameters"] == 4 + sum(proxy.throttled.values())


def test_stop_answering(moto):
    with AwsProxy(moto.url) as proxy:
        ssm = client(proxy.url, read_timeout=1)
        proxy.stop_answering_after(1)
        ssm.describe_parameters()
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            ssm.describe_parameters()
