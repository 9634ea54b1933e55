#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.s3_bundle: put the keel.ssm bundle in S3, content-addressed."""

DOCUMENTATION = r"""
module: s3_bundle
short_description: Upload a bundle (zip) to S3 for SSM documents, idempotently
version_added: 0.1.0
description:
  - Uploads the zip built by C(make bundle) (or any zip) to S3 under a key that contains
    the first 16 hex digits of its SHA-256, and returns the HTTPS URL that the keel.ssm
    documents' C(BundleUrl) parameter and AWS-ApplyAnsiblePlaybooks' C(SourceInfo) take.
  - A new bundle gets a new URL, so associations switch from one complete bundle to the
    next; an unchanged bundle is not uploaded again (the object carries its SHA-256 as
    metadata and is compared by it).
  - The bucket name and key are checked before any call, with a message that names the
    option and the rule.
  - Supports check mode.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  src:
    description: Path of the zip on the host running the module (usually C(localhost)).
    type: path
    required: true
  bucket:
    description: S3 bucket that holds bundles. The instances' profile needs C(s3:GetObject) on it.
    type: str
    required: true
  prefix:
    description:
      - Key prefix. The key is C(<prefix>/<sha256[:16]>/<file name of src>).
      - Ignored when O(key) is given.
    type: str
    default: keel-ssm/bundles
  key:
    description:
      - A fixed key instead of the content-addressed one. Re-uploading changed content
        under the same key means instances may fetch a bundle that does not match the
        documents they run, so prefer the default.
    type: str
  create_bucket:
    description: Create the bucket when it does not exist (in O(region)).
    type: bool
    default: false
extends_documentation_fragment:
  - keel.ssm.aws
"""

EXAMPLES = r"""
- name: Publish the bundle
  keel.ssm.s3_bundle:
    src: build/keel-ssm-bundle.zip
    bucket: example-keel-bundles
    region: eu-west-1
  register: bundle

- name: Use its URL
  ansible.builtin.debug:
    msg: "{{ bundle.url }}"
"""

RETURN = r"""
bucket:
  description: The bucket.
  returned: always
  type: str
key:
  description: The object's key.
  returned: always
  type: str
  sample: keel-ssm/bundles/6e71d4bdd85b58ab/keel-ssm-bundle.zip
sha256:
  description: SHA-256 of the bundle.
  returned: always
  type: str
url:
  description: Path-style HTTPS URL of the object, for BundleUrl and SourceInfo.
  returned: always
  type: str
  sample: https://s3.eu-west-1.amazonaws.com/example-keel-bundles/keel-ssm/bundles/6e71d4bdd85b58ab/keel-ssm-bundle.zip
uploaded:
  description: Whether the object was (or, in check mode, would be) uploaded.
  returned: always
  type: bool
bucket_created:
  description: Whether the bucket was (or would be) created.
  returned: always
  type: bool
"""

import os

from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule
from ansible_collections.keel.ssm.plugins.module_utils.documents.bundle import (
    bucket_exists,
    bundle_url,
    check_bucket,
    check_key,
    content_key,
    create_bucket,
    file_sha256,
    stored_sha256,
    upload,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

ARGUMENT_SPEC = {
    "src": {"type": "path", "required": True},
    "bucket": {"type": "str", "required": True},
    "prefix": {"type": "str", "default": "keel-ssm/bundles"},
    "key": {"type": "str", "no_log": False},
    "create_bucket": {"type": "bool", "default": False},
}


def run(module):
    params = module.params
    bucket = check_bucket(params["bucket"])
    if not os.path.isfile(params["src"]):
        raise KeelRuleError(f"src {params['src']!r}: no such file")
    sha256 = file_sha256(params["src"])
    key = (
        check_key(params["key"])
        if params["key"]
        else content_key(params["prefix"], sha256, os.path.basename(params["src"]))
    )
    region = module.connection.get("region") or "us-east-1"
    client = module.client("s3")
    result = {
        "bucket": bucket,
        "key": key,
        "sha256": sha256,
        "url": bundle_url(bucket, key, region),
        "uploaded": False,
        "bucket_created": False,
    }
    if not bucket_exists(client, bucket):
        if not params["create_bucket"]:
            raise KeelRuleError(f"bucket {bucket!r}: does not exist (set create_bucket: true to create it)")
        result["bucket_created"] = True
        if not module.check_mode:
            create_bucket(client, bucket, region)
        current = None
    else:
        current = stored_sha256(client, bucket, key)
    if current != sha256:
        result["uploaded"] = True
        if not module.check_mode:
            upload(client, params["src"], bucket, key, sha256)
    result["changed"] = result["uploaded"] or result["bucket_created"]
    return result


def main():
    module = KeelAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
