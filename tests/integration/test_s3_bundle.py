"""keel.ssm.s3_bundle against the moto server's S3 over HTTP: content-addressed keys,
no second upload of an unchanged bundle, check mode, the URL the documents take, and
bucket/key rules refused before any call (counted by the AwsProxy test double)."""

from __future__ import annotations

import hashlib
import re

import boto3
import pytest

from ansible_collections.keel.ssm.plugins.plugin_utils.document_parameters import BUNDLE_URL_PATTERN
from tests.helpers.aws_proxy import AwsProxy
from tests.helpers.module_runner import run_module


@pytest.fixture
def bundle(tmp_path):
    path = tmp_path / "keel-ssm-bundle.zip"
    path.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return path


@pytest.fixture
def s3(moto):
    return boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")


def upload(moto, bundle, **extra):
    args = {"src": str(bundle), "bucket": "keel-bundles", "endpoint_url": moto.url, "region": "eu-west-1"}
    args.update(extra)
    return run_module("s3_bundle", args)


def test_upload_once_then_unchanged(moto, bundle, s3):
    sha = hashlib.sha256(bundle.read_bytes()).hexdigest()
    first = upload(moto, bundle, create_bucket=True)
    assert first["changed"] and first["uploaded"] and first["bucket_created"], first
    assert first["key"] == f"keel-ssm/bundles/{sha[:16]}/keel-ssm-bundle.zip"
    assert first["url"] == f"https://s3.eu-west-1.amazonaws.com/keel-bundles/{first['key']}"
    assert re.search(BUNDLE_URL_PATTERN, first["url"])
    stored = s3.get_object(Bucket="keel-bundles", Key=first["key"])
    assert stored["Body"].read() == bundle.read_bytes()
    assert stored["Metadata"]["sha256"] == sha
    again = upload(moto, bundle)
    assert again["changed"] is False and again["uploaded"] is False


def test_changed_bundle_gets_a_new_key(moto, bundle):
    first = upload(moto, bundle, create_bucket=True)
    bundle.write_bytes(bundle.read_bytes() + b"more")
    second = upload(moto, bundle)
    assert second["changed"] and second["key"] != first["key"]


def test_check_mode_writes_nothing(moto, bundle, s3):
    result = run_module(
        "s3_bundle",
        {"src": str(bundle), "bucket": "keel-bundles", "endpoint_url": moto.url, "create_bucket": True},
        check=True,
    )
    assert result["changed"] and result["bucket_created"]
    assert "keel-bundles" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_missing_bucket_is_not_created_unless_asked(moto, bundle):
    result = upload(moto, bundle)
    assert result["failed"]
    assert "bucket 'keel-bundles': does not exist" in result["msg"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"bucket": "Keel_Bundles"}, "bucket 'Keel_Bundles': 3-63 lowercase"),
        ({"bucket": "10.0.0.1"}, "not an IP address"),
        ({"key": "bundles/x.tar.gz"}, "key 'bundles/x.tar.gz': letters, digits"),
        ({"key": "/abs/x.zip"}, "no leading or doubled '/'"),
        ({"src": "/nonexistent/bundle.zip"}, "src '/nonexistent/bundle.zip': no such file"),
    ],
)
def test_bad_input_fails_before_any_call(moto, bundle, extra, message):
    with AwsProxy(moto.url) as proxy:
        args = {"src": str(bundle), "bucket": "keel-bundles", "endpoint_url": proxy.url}
        args.update(extra)
        result = run_module("s3_bundle", args)
        assert result["failed"] and message in result["msg"], result
        assert proxy.total() == 0
