"""`ansible-playbook keel.ssm.publish` from the collection as users install it: the
tarball installed into an empty collections path by each core's ansible-galaxy (2.19 and
Debian 12's 2.14), run from an empty working directory against the moto server. The
bundle is built by keel.ssm.bundle from the installed files, into the default
keel_publish_bundle (~/.cache/keel-ssm/), lands in S3 with the same bytes a build from
the checkout gives, the documents are registered, and nothing in the installed collection
is written or changed."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import boto3

from ansible_collections.keel.ssm.plugins.plugin_utils import bundle_builder
from tests.helpers.moto_endpoint import FAKE_CREDENTIALS

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = {"keel-ssm-auditd", "keel-ssm-pam", "keel-ssm-ufw", "keel-ssm-ssm-agent", "keel-ssm-baseline"}


def snapshot(root):
    """{relative path: (mode, sha256)} of every file and directory under root."""
    found = {}
    for path in sorted(root.rglob("*")):
        data = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        found[str(path.relative_to(root))] = (path.stat().st_mode, data)
    return found


def test_publish_from_the_installed_collection(installed, moto, tmp_path):
    version, bin_dir, env, root = installed
    before = snapshot(root)
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    bucket = "keel-installed-" + version.replace(".", "-")
    env = dict(env, HOME=str(home), **FAKE_CREDENTIALS)
    done = subprocess.run(
        [
            str(bin_dir / "ansible-playbook"),
            "keel.ssm.publish",
            "-e",
            f"keel_publish_bucket={bucket}",
            "-e",
            "keel_publish_create_bucket=true",
            "-e",
            f"keel_publish_endpoint_url={moto.url}",
            "-e",
            "keel_publish_associations=false",
            "-e",
            f"ansible_python_interpreter={bin_dir / 'python'}",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]

    # The default keel_publish_bundle: under the user's cache, not the collection.
    bundle = home / ".cache" / "keel-ssm" / "keel-ssm-bundle.zip"
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()
    # The same bytes as the checkout's build: the same allowed files, whatever the source.
    checkout = bundle_builder.build(str(tmp_path / "checkout.zip"), root=str(REPO_ROOT))
    assert checkout["sha256"] == digest

    s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [f"keel-ssm/bundles/{digest[:16]}/keel-ssm-bundle.zip"], keys
    assert hashlib.sha256(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()).hexdigest() == digest
    assert re.search(rf"bundle: https://\S+/{bucket}/{keys[0]} \(uploaded\), sha256 {digest}", output), output[-3000:]

    ssm = boto3.client("ssm", endpoint_url=moto.url, region_name="us-east-1")
    owned = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]
    assert {item["Name"] for item in owned} >= DOCUMENTS

    # Nothing written into the installed collection, nothing left in the working directory.
    assert snapshot(root) == before
    assert list(work.iterdir()) == []
    assert not list(root.rglob("*.zip"))
    assert os.listdir(bundle.parent) == ["keel-ssm-bundle.zip"]  # no temporary file left
