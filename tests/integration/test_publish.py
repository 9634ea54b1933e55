"""playbooks/publish.yml in real ansible-playbook runs against the moto server: the
bundle lands in S3 under a content-addressed key, every document is registered once,
a second run changes nothing, and the association definitions are the issue's example
(tag:Role=web-server + tag:Environment=production, every 30 minutes, compliance HIGH,
10% concurrency, 1 error): by default ONE association, with the keel-ssm-baseline
document; one per role document and one through AWS-ApplyAnsiblePlaybooks only when
asked for, and only together when overlapping associations are allowed explicitly.

moto has no association API, so the associations themselves are created here through
keel.ssm.association against botocore's Stubber (TEST DOUBLE), which checks each
CreateAssociation request against the real SSM service model."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from ansible_collections.keel.ssm.plugins.modules import association
from ansible_collections.keel.ssm.plugins.plugin_utils.document_parameters import (
    BUNDLE_SHA256_PATTERN,
    BUNDLE_URL_PATTERN,
)
from tests.helpers.module_runner import run_module
from tests.helpers.moto_endpoint import FAKE_CREDENTIALS

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLE_DOCUMENTS = ["keel-ssm-auditd", "keel-ssm-pam", "keel-ssm-ufw", "keel-ssm-ssm-agent"]
# AWS-ApplyAnsiblePlaybooks' published allowedPattern for ExtraVariables.
ASSOCIATION_ID = "8dfe3659-4309-493a-8755-0123456789ab"
EXTRA_VARIABLES_PATTERN = r"^$|^\w+\=[^\s|:();&]+(\s\w+\=[^\s|:();&]+)*$"


def publish(url, tmp_path, *extra_vars, plan_name="plan.json", check=True):
    plan = tmp_path / plan_name
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        str(REPO_ROOT / "playbooks" / "publish.yml"),
        "-e",
        "keel_publish_bucket=keel-bundles",
        "-e",
        "keel_publish_create_bucket=true",
        "-e",
        f"keel_publish_endpoint_url={url}",
        "-e",
        "keel_publish_associations=false",
        "-e",
        f"keel_publish_bundle={tmp_path / 'keel-ssm-bundle.zip'}",
        "-e",
        f"keel_publish_plan_file={plan}",
        *(arg for extra in extra_vars for arg in ("-e", extra)),
    ]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", **FAKE_CREDENTIALS)
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = completed.stdout + completed.stderr
    if not check:
        return completed.returncode, output
    assert completed.returncode == 0, output[-3000:]
    changed = int(re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", output).group(1))
    return changed, json.loads(plan.read_text())


@pytest.fixture(scope="module")
def publish_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("publish")


@pytest.fixture(scope="module")
def published(moto_server, publish_dir):
    """Two publish runs against one moto server: (changed counts, plan, moto url)."""
    tmp_path = publish_dir
    moto_server.reset()
    first, plan = publish(moto_server.url, tmp_path)
    second, again = publish(moto_server.url, tmp_path)
    return first, second, plan, again, moto_server.url


ALL_PATHS = (
    "keel_publish_role_associations=true",
    "keel_publish_apply_ansible_playbooks=true",
    "keel_publish_build_bundle=false",  # the bundle the default runs built
)


@pytest.fixture(scope="module")
def every_path(published, publish_dir):
    """A third run that opts in to every delivery path, overlap allowed: its plan."""
    *_, url = published
    _, plan = publish(
        url, publish_dir, *ALL_PATHS, "keel_publish_allow_overlapping_associations=true", plan_name="all.json"
    )
    return plan


def test_second_run_changes_nothing(published):
    first, second, plan, again, _ = published
    assert first >= 2  # the bundle and the documents
    assert second == 0
    assert plan == again


def test_bundle_and_documents_are_in_aws(published):
    *_, plan, _, url = published
    bundle_url = plan[0]["parameters"]["BundleUrl"]
    assert re.search(BUNDLE_URL_PATTERN, bundle_url)
    key = bundle_url.split("/keel-bundles/", 1)[1]
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    assert s3.head_object(Bucket="keel-bundles", Key=key)["ContentLength"] > 1000
    ssm = boto3.client(
        "ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    names = {
        d["Name"] for d in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]
    }
    assert names >= {*ROLE_DOCUMENTS, "keel-ssm-baseline"}
    assert ssm.describe_document(Name="keel-ssm-pam")["Document"]["DocumentVersion"] == "1"


def test_one_association_by_default_the_baseline_document(published):
    *_, plan, _, _ = published
    assert [(item["association_name"], item["document_name"]) for item in plan] == [
        ("keel-production-baseline", "keel-ssm-baseline")
    ]
    (item,) = plan
    assert (item["compliance_severity"], item["sync_compliance"]) == ("HIGH", "AUTO")
    assert set(item["parameters"]) == {"BundleUrl", "BundleSha256", "ParameterPath", "MaxReadDelaySeconds"}
    assert item["parameters"]["MaxReadDelaySeconds"] == "300"


@pytest.mark.parametrize("opt_in", ["keel_publish_role_associations=true", "keel_publish_apply_ansible_playbooks=true"])
def test_overlapping_associations_are_refused_unless_allowed(tmp_path, opt_in):
    """Refused before anything is built or called (the endpoint does not exist)."""
    status, output = publish("http://127.0.0.1:9", tmp_path, opt_in, check=False)
    assert status != 0
    assert "would create overlapping associations on the same targets" in output
    assert "keel_publish_allow_overlapping_associations=true" in output
    assert not (tmp_path / "keel-ssm-bundle.zip").exists()
    # Either alternative alone, instead of the baseline association, is accepted.
    status, output = publish(
        "http://127.0.0.1:9", tmp_path, opt_in, "keel_publish_baseline_association=false", check=False
    )
    assert "would create overlapping associations" not in output


def test_plan_is_the_example_binding(every_path):
    plan = every_path
    assert [item["document_name"] for item in plan] == [
        "keel-ssm-baseline",
        *ROLE_DOCUMENTS,
        "AWS-ApplyAnsiblePlaybooks",
    ]
    for item in plan:
        assert item["targets"] == [
            {"key": "tag:Role", "values": ["web-server"]},
            {"key": "tag:Environment", "values": ["production"]},
        ]
        assert (item["schedule"], item["compliance_severity"]) == ("rate(30 minutes)", "HIGH")
        assert (item["max_concurrency"], item["max_errors"]) == ("10%", "1")
    aap = plan[-1]["parameters"]
    assert aap["SourceType"] == "S3"
    assert json.loads(aap["SourceInfo"]) == {"path": plan[0]["parameters"]["BundleUrl"]}
    assert aap["PlaybookFile"] == "playbooks/baseline.yml"
    assert re.search(EXTRA_VARIABLES_PATTERN, aap["ExtraVariables"])
    assert aap["ExtraVariables"] == "keel_baseline_parameter_path=/baseline/production"


@pytest.mark.parametrize("index", range(6))
def test_each_association_is_created_as_the_service_model_allows(every_path, stubbed, index):
    item = every_path[index]
    stubber, calls = stubbed
    requests = []
    stubber.client.meta.events.register(
        "before-parameter-build.ssm.CreateAssociation", lambda params, **_: requests.append(dict(params))
    )
    stubber.add_response("list_associations", {"Associations": []})
    stubber.add_response(
        "create_association",
        {
            "AssociationDescription": {
                "AssociationId": "8dfe3659-4309-493a-8755-0123456789ab",
                "AssociationVersion": "1",
            }
        },
    )
    args = {key: value for key, value in item.items() if value is not None}
    result = run_module(association.main, args)
    assert result.get("failed") is not True, result
    assert calls == ["ListAssociations", "CreateAssociation"]
    sent = requests[0]
    assert sent["AssociationName"] == item["association_name"]
    assert sent["Name"] == item["document_name"]
    assert sent["ScheduleExpression"] == "rate(30 minutes)"
    assert sent["ComplianceSeverity"] == "HIGH"
    assert sent["SyncCompliance"] == "AUTO"
    assert {t["Key"] for t in sent["Targets"]} == {"tag:Role", "tag:Environment"}
    assert set(sent["Parameters"]) == set(item["parameters"])


def test_keel_associations_pin_the_sha256_of_the_uploaded_bundle(published, every_path):
    *_, url = published
    plan = every_path
    keel_items = [item for item in plan if item["document_name"].startswith("keel-ssm-")]
    assert keel_items
    bundle_url = keel_items[0]["parameters"]["BundleUrl"]
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    body = s3.get_object(Bucket="keel-bundles", Key=bundle_url.split("/keel-bundles/", 1)[1])["Body"].read()
    uploaded = hashlib.sha256(body).hexdigest()
    for item in keel_items:
        assert item["parameters"]["BundleSha256"] == uploaded, item["association_name"]
        assert re.fullmatch(BUNDLE_SHA256_PATTERN, item["parameters"]["BundleSha256"])
    # The AWS-owned document has no such parameter: the pin cannot travel there.
    assert "BundleSha256" not in plan[-1]["parameters"]


def test_republishing_an_unchanged_bundle_updates_no_association(published, stubbed):
    """The second publish run planned the same hash; keel.ssm.association, given the
    definition the first run created, must find nothing to update (no spurious
    UpdateAssociation that would re-run the fleet)."""
    _, _, plan, again, _ = published
    stubber, calls = stubbed
    created = []
    stubber.client.meta.events.register(
        "before-parameter-build.ssm.CreateAssociation", lambda params, **_: created.append(dict(params))
    )
    first = {key: value for key, value in plan[0].items() if value is not None}
    stubber.add_response("list_associations", {"Associations": []})
    stubber.add_response(
        "create_association", {"AssociationDescription": {"AssociationId": ASSOCIATION_ID, "AssociationVersion": "1"}}
    )
    assert run_module(association.main, first)["changed"] is True
    stored = dict(created[0], AssociationId=ASSOCIATION_ID, AssociationVersion="1")
    stubber.add_response(
        "list_associations",
        {
            "Associations": [
                {"Name": stored["Name"], "AssociationName": stored["AssociationName"], "AssociationId": ASSOCIATION_ID}
            ]
        },
    )
    stubber.add_response("describe_association", {"AssociationDescription": stored})
    second = {key: value for key, value in again[0].items() if value is not None}
    result = run_module(association.main, second)
    assert result["changed"] is False, result
    assert calls == ["ListAssociations", "CreateAssociation", "ListAssociations", "DescribeAssociation"]
    assert result["association"]["parameters"]["BundleSha256"] == [plan[0]["parameters"]["BundleSha256"]]


@pytest.mark.parametrize("delay", ["1801", "01", "-1", "five"])
def test_a_read_delay_out_of_range_is_refused_naming_the_setting(tmp_path, delay):
    """Refused before anything is built or called (the endpoint does not exist)."""
    status, output = publish("http://127.0.0.1:9", tmp_path, f"keel_publish_max_read_delay={delay}", check=False)
    assert status != 0
    assert "keel_publish_max_read_delay: must be a whole number of seconds from 0 to 1800" in output, output[-2000:]
