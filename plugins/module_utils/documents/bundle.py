# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bundles in S3: bucket and key rules, content-addressed keys, and the idempotent
upload the publish playbook uses (the object is compared by its SHA-256, kept as
object metadata, so an unchanged bundle is never uploaded again)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError, aws_call

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
# Keys the documents' BundleUrl allowedPattern accepts (and S3's safe characters).
KEY_CHARS = re.compile(r"^[A-Za-z0-9._/-]{1,1000}\.zip$")
SHA256_METADATA = "sha256"


def check_bucket(bucket: Any) -> str:
    if not isinstance(bucket, str) or not BUCKET_NAME.match(bucket):
        raise KeelRuleError(
            f"bucket {bucket!r}: 3-63 lowercase letters, digits, '.' and '-',"
            " starting and ending with a letter or digit"
        )
    if ".." in bucket or IP_ADDRESS.match(bucket):
        raise KeelRuleError(f"bucket {bucket!r}: no '..' and not an IP address")
    return bucket


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not KEY_CHARS.match(key) or key.startswith("/") or "//" in key:
        raise KeelRuleError(
            f"key {key!r}: letters, digits, '.', '_', '-' and '/' (no leading or doubled '/'), ending in .zip,"
            " so the documents' BundleUrl rule accepts its URL"
        )
    return key


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_key(prefix: str, sha256: str, file_name: str) -> str:
    """<prefix>/<first 16 hex of the SHA-256>/<file name>: a new bundle gets a new URL,
    so an association never runs documents against a half-replaced bundle."""
    return check_key(f"{prefix.strip('/')}/{sha256[:16]}/{file_name}" if prefix.strip("/") else file_name)


def bundle_url(bucket: str, key: str, region: str | None) -> str:
    """The path-style HTTPS URL aws:downloadContent (sourceType S3) fetches."""
    host = f"s3.{region}.amazonaws.com" if region and region != "us-east-1" else "s3.amazonaws.com"
    return f"https://{host}/{bucket}/{key}"


def stored_sha256(client: Any, bucket: str, key: str) -> str | None:
    """The SHA-256 recorded on the object, '' when the object has none, None when absent."""
    with aws_call("HeadObject", f"s3://{bucket}/{key}", absent=("404", "NoSuchKey", "NotFound")):
        head = client.head_object(Bucket=bucket, Key=key)
        return head.get("Metadata", {}).get(SHA256_METADATA, "")
    return None  # no such object


def bucket_exists(client: Any, bucket: str) -> bool:
    with aws_call("HeadBucket", bucket, absent=("404", "NoSuchBucket", "NotFound")):
        client.head_bucket(Bucket=bucket)
        return True
    return False  # no such bucket


def create_bucket(client: Any, bucket: str, region: str | None) -> None:
    kwargs = {"Bucket": bucket}
    if region and region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with aws_call("CreateBucket", bucket):
        client.create_bucket(**kwargs)


def upload(client: Any, path: str, bucket: str, key: str, sha256: str) -> None:
    with aws_call("PutObject", f"s3://{bucket}/{key}"), open(path, "rb") as handle:
        client.put_object(
            Bucket=bucket,
            Key=key,
            Body=handle,
            ContentType="application/zip",
            Metadata={SHA256_METADATA: sha256},
        )
