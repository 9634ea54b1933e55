"""keel.ssm.document against the moto server over HTTP.

Every request goes through the AwsProxy TEST DOUBLE, which forwards it to moto and
counts it by operation: that is how these tests prove "no write" (no-op, check mode)
and "no call at all" (validation). The module's real main() runs in this process
(tests/helpers/module_runner.py).
"""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.modules import document
from tests.helpers.aws_proxy import AwsProxy
from tests.helpers.module_runner import run_module

NAME = "keel-doc-under-test"


def command(description="Apply the baseline", script="echo baseline"):
    return {
        "schemaVersion": "2.2",
        "description": description,
        "parameters": {
            "ParameterPath": {
                "type": "String",
                "default": "/keel/production",
                "allowedPattern": "^/[A-Za-z0-9/_.-]*$",
                "interpolationType": "ENV_VAR",
            }
        },
        "mainSteps": [{"name": "apply", "action": "aws:runShellScript", "inputs": {"runCommand": [script]}}],
    }


@pytest.fixture
def proxy(moto):
    with AwsProxy(moto.url) as proxy:
        yield proxy


def run(proxy, check_mode=False, diff=False, **params):
    params.setdefault("name", NAME)
    params.update(endpoint_url=proxy.url, region="us-east-1")
    return run_module(document.main, params, check=check_mode, diff=diff)


def warnings(result):
    """Warning texts (ansible-core 2.19 returns structured warnings, older ones strings)."""
    return json.dumps(result.get("warnings", []))


def write_ops(proxy):
    return {op: n for op, n in proxy.counts.items() if not op.startswith(("Get", "Describe", "List"))}


def test_create_from_file_then_no_op_from_inline_json(proxy, ssm, tmp_path):
    path = tmp_path / "baseline.yml"
    path.write_text("# kept as written\n" + yaml.safe_dump(command(), sort_keys=False))
    created = run(
        proxy, path=str(path), target_type="/AWS::EC2::Instance", version_name="0.1.0", tags={"Project": "keel"}
    )
    assert created["changed"] is True, created
    assert write_ops(proxy) == {"CreateDocument": 1}
    stored = ssm.describe_document(Name=NAME)["Document"]
    assert {k: created[k] for k in ("document_version", "latest_version", "default_version", "status", "hash")} == {
        "document_version": "1",
        "latest_version": "1",
        "default_version": "1",
        "status": "Active",
        "hash": stored["Hash"],
    }
    assert (created["target_type"], created["version_name"], created["tags"]) == (
        "/AWS::EC2::Instance",
        "0.1.0",
        {"Project": "keel"},
    )
    # The file went to AWS unchanged (comment included).
    assert ssm.get_document(Name=NAME, DocumentFormat="YAML")["Content"].startswith("# kept as written\n")

    proxy.reset_counts()
    again = run(proxy, content=json.dumps(command()), tags={"Project": "keel"})
    assert again["changed"] is False, again
    assert write_ops(proxy) == {}
    assert proxy.counts == {"DescribeDocument": 1, "GetDocument": 1, "ListTagsForResource": 1}
    assert again["document_version"] == "1" and again["status"] == "Active"
    assert again["document_format"] == "YAML", "unchanged content keeps its stored format"


def test_changed_content_creates_a_version_and_leaves_the_default(proxy, ssm):
    run(proxy, content=command())
    proxy.reset_counts()
    updated = run(proxy, content=command(description="Apply the baseline, v2"))
    assert updated["changed"] is True
    assert write_ops(proxy) == {"UpdateDocument": 1}
    assert (updated["document_version"], updated["latest_version"], updated["default_version"]) == ("2", "2", "1")
    described = ssm.describe_document(Name=NAME)["Document"]
    assert (described["LatestVersion"], described["DefaultVersion"]) == ("2", "1")
    latest = ssm.get_document(Name=NAME, DocumentVersion="$LATEST")["Content"]
    assert yaml.safe_load(latest)["description"] == "Apply the baseline, v2"

    # default_version: latest moves the default without another version.
    proxy.reset_counts()
    promoted = run(proxy, content=command(description="Apply the baseline, v2"), default_version="latest")
    assert promoted["changed"] is True
    assert write_ops(proxy) == {"UpdateDocumentDefaultVersion": 1}
    assert ssm.describe_document(Name=NAME)["Document"]["DefaultVersion"] == "2"
    assert (
        run(proxy, content=command(description="Apply the baseline, v2"), default_version="latest")["changed"] is False
    )


def test_default_version_number_and_missing_version(proxy, ssm):
    run(proxy, content=command())
    run(proxy, content=command(script="echo two"), default_version="latest")
    proxy.reset_counts()
    # Roll back by default version: the desired content is the latest, only the default moves.
    rolled = run(proxy, content=command(script="echo two"), default_version=1)
    assert rolled["changed"] is True and rolled["default_version"] == "1"
    assert write_ops(proxy) == {"UpdateDocumentDefaultVersion": 1}
    assert ssm.describe_document(Name=NAME)["Document"]["DefaultVersion"] == "1"

    proxy.reset_counts()
    missing = run(proxy, content=command(script="echo three"), default_version=9)
    assert missing["failed"] is True
    assert missing["msg"].startswith("default_version 9:") and "latest would be 3" in missing["msg"]
    assert write_ops(proxy) == {}, "the version must not be created when the default cannot be set"


def test_version_name_applies_to_new_versions_only(proxy, ssm):
    run(proxy, content=command(), version_name="1.0.0")
    named = run(proxy, content=command(script="echo v2"), version_name="1.1.0")
    assert named["version_name"] == "1.1.0"
    assert ssm.describe_document(Name=NAME, DocumentVersion="2")["Document"]["VersionName"] == "1.1.0"

    proxy.reset_counts()
    unchanged = run(proxy, content=command(script="echo v2"), version_name="1.2.0")
    assert unchanged["changed"] is False
    assert "version_name '1.2.0' was not applied" in warnings(unchanged)
    assert write_ops(proxy) == {}

    duplicate = run(proxy, content=command(script="echo v3"), version_name="1.0.0")
    assert duplicate["failed"] is True
    assert "version_name '1.0.0' is already used" in duplicate["msg"]


def test_tags_added_changed_and_purged(proxy, ssm):
    run(proxy, content=command(), tags={"Project": "keel", "Owner": "ops"})
    proxy.reset_counts()
    kept = run(proxy, content=command(), tags={"Owner": "platform"}, purge_tags=False)
    assert kept["changed"] is True and kept["tags"] == {"Project": "keel", "Owner": "platform"}
    assert write_ops(proxy) == {"AddTagsToResource": 1}
    purged = run(proxy, content=command(), tags={"Owner": "platform"})
    assert purged["changed"] is True and purged["tags"] == {"Owner": "platform"}
    listed = ssm.list_tags_for_resource(ResourceType="Document", ResourceId=NAME)["TagList"]
    assert listed == [{"Key": "Owner", "Value": "platform"}]
    # tags unset: tags are left alone and not even read.
    proxy.reset_counts()
    assert run(proxy, content=command())["changed"] is False
    assert "ListTagsForResource" not in proxy.counts


def test_target_type_change_is_a_new_version(proxy, ssm):
    run(proxy, content=command(), target_type="/AWS::EC2::Instance")
    changed = run(proxy, content=command(), target_type="/")
    assert changed["changed"] is True and changed["document_version"] == "2"
    assert ssm.describe_document(Name=NAME, DocumentVersion="2")["Document"]["TargetType"] == "/"
    # Unset target_type keeps the latest one.
    assert run(proxy, content=command())["changed"] is False


def test_absent(proxy, ssm):
    run(proxy, content=command())
    checked = run(proxy, state="absent", check_mode=True)
    assert checked["changed"] is True
    assert ssm.describe_document(Name=NAME)["Document"]["Name"] == NAME
    removed = run(proxy, state="absent")
    assert removed["changed"] is True
    assert ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"] == []
    assert run(proxy, state="absent")["changed"] is False


def test_check_mode_writes_nothing_and_predicts(proxy, ssm):
    created = run(proxy, content=command(), version_name="0.1.0", check_mode=True)
    assert created["changed"] is True
    assert (created["document_version"], created["default_version"], created["status"]) == ("1", "1", None)
    assert write_ops(proxy) == {}
    assert ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"] == []

    run(proxy, content=command())
    proxy.reset_counts()
    predicted = run(proxy, content=command(script="echo next"), default_version="latest", check_mode=True)
    assert predicted["changed"] is True
    assert (predicted["document_version"], predicted["default_version"], predicted["hash"]) == ("2", "2", None)
    assert write_ops(proxy) == {}
    assert ssm.describe_document(Name=NAME)["Document"]["LatestVersion"] == "1"


def test_diff_shows_content_and_properties(proxy):
    run(proxy, content=command(), tags={"Project": "keel"})
    result = run(
        proxy,
        content=command(description="Apply the baseline, v2"),
        tags={"Project": "keel", "Tier": "1"},
        default_version="latest",
        diff=True,
    )
    content_diff, properties_diff = result["diff"]
    assert "description: Apply the baseline\n" in content_diff["before"]
    assert "description: Apply the baseline, v2\n" in content_diff["after"]
    assert content_diff["before_header"] == f"{NAME} version 1 (latest)"
    assert properties_diff["before"] == {
        "latest_version": "1",
        "default_version": "1",
        "target_type": None,
        "tags": {"Project": "keel"},
    }
    assert properties_diff["after"] == {
        "latest_version": "2",
        "default_version": "2",
        "target_type": None,
        "tags": {"Project": "keel", "Tier": "1"},
    }
    # Nothing differs: no diff at all.
    assert "diff" not in run(
        proxy, content=command(description="Apply the baseline, v2"), tags={"Project": "keel", "Tier": "1"}, diff=True
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"content": {"schemaVersion": "2.2", "mainSteps": [{"name": "x"}]}}, "content.mainSteps[0].action: required"),
        ({"content": {"mainSteps": []}}, "content.schemaVersion: required"),
        ({"content": "schemaVersion: 2.2\nmainSteps: []\n"}, "content.schemaVersion: must be a string"),
        ({"name": "AWS-Mine", "content": command()}, "name 'AWS-Mine': the prefix 'aws'"),
        ({"content": command(), "default_version": "newest"}, "default_version 'newest'"),
        ({"content": command(), "default_version": 2}, "does not exist yet"),
        ({"content": command(), "tags": {"aws:x": "1"}}, "tags key 'aws:x'"),
        ({"content": command(), "version_name": "a b"}, "version_name 'a b'"),
        ({"content": command(), "target_type": "EC2"}, "target_type 'EC2'"),
    ],
)
def test_validation_fails_before_any_call(proxy, params, message):
    result = run(proxy, **params)
    assert result["failed"] is True
    assert message in result["msg"]
    if "does not exist yet" not in message:
        assert proxy.total() == 0, proxy.counts
    else:  # needs one read to learn that the document is new; never a write
        assert write_ops(proxy) == {}


def test_document_type_cannot_change(proxy):
    run(proxy, content=command())
    proxy.reset_counts()
    automation = {"schemaVersion": "0.3", "mainSteps": [{"name": "s", "action": "aws:sleep", "inputs": {}}]}
    result = run(proxy, content=automation, document_type="Automation")
    assert result["failed"] is True
    assert result["msg"].startswith("document_type: keel-doc-under-test is a Command document")
    assert write_ops(proxy) == {}


def test_content_identical_to_an_older_version_is_explained(proxy):
    run(proxy, content=command())
    run(proxy, content=command(script="echo two"))
    result = run(proxy, content=command())
    assert result["failed"] is True
    assert "identical to an older version" in result["msg"] and "set default_version" in result["msg"]
