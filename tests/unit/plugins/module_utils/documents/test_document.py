"""Documents (module_utils/documents/document.py): the rules and content handling that run before
any call, with the field in every message, what idempotence compares, and waiting for a new
version to become Active.

Waiting (wait_until_active): moto answers every write with Status Active at once, so the Creating/Failed path is
exercised with botocore's Stubber, which checks each DescribeDocument request and
canned response against the real SSM service model. The responses themselves are
written here (AWS documents the Creating -> Active|Failed states and the
StatusInformation text; this was not observed against AWS).
"""

from __future__ import annotations

import copy
import json

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from ansible_collections.keel.ssm.plugins.module_utils.documents.document import (
    CONTENT_MAX_BYTES,
    check_default_version,
    check_document_name,
    check_target_type,
    check_version_name,
    content_matches,
    load_content,
    validate_document,
    wait_until_active,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, KeelRuleError

COMMAND = {
    "schemaVersion": "2.2",
    "description": "Apply a role",
    "parameters": {
        "Role": {"type": "String", "default": "pam", "allowedValues": ["pam", "ufw"], "interpolationType": "ENV_VAR"},
        "Extra": {"type": "StringList", "default": [], "minItems": 0},
    },
    "mainSteps": [{"name": "apply", "action": "aws:runShellScript", "inputs": {"runCommand": ['echo "$SSM_Role"']}}],
}


@pytest.mark.parametrize("name", ["keel-baseline", "abc", "A_b.c-1", "x" * 128, "Keel"])
def test_valid_names(name):
    assert check_document_name(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3 to 128"),
        ("x" * 129, "3 to 128"),
        ("has space", "3 to 128"),
        ("a/b", "3 to 128"),
        ("AWS-RunShellScript", "reserved"),
        ("awsome", "reserved"),
        ("Amazon-x", "reserved"),
        ("amzn-x", "reserved"),
    ],
)
def test_bad_names(name, rule):
    with pytest.raises(KeelRuleError, match=r"^name ") as caught:
        check_document_name(name)
    assert rule in str(caught.value)


def test_version_name_target_type_default_version():
    assert check_version_name("0.1.0") == "0.1.0"
    with pytest.raises(KeelRuleError, match=r"^version_name"):
        check_version_name("has space")
    assert check_target_type("/AWS::EC2::Instance") == "/AWS::EC2::Instance"
    assert check_target_type("/") == "/"
    with pytest.raises(KeelRuleError, match=r"^target_type.*start with '/'"):
        check_target_type("AWS::EC2::Instance")
    assert check_default_version("latest") == "latest"
    assert check_default_version("LATEST") == "latest"
    assert check_default_version(3) == 3
    assert check_default_version("3") == 3
    for bad in (0, "-1", "newest", 1.5):
        with pytest.raises(KeelRuleError, match=r"^default_version"):
            check_default_version(bad)


def test_load_from_file_keeps_text_and_detects_format(tmp_path):
    text = "# comment kept\n" + yaml.safe_dump(COMMAND, sort_keys=False)
    path = tmp_path / "doc.yml"
    path.write_text(text)
    loaded_text, parsed, fmt = load_content(path=str(path))
    assert (loaded_text, parsed, fmt) == (text, COMMAND, "YAML")
    json_path = tmp_path / "doc.json"
    json_path.write_text(json.dumps(COMMAND))
    assert load_content(path=str(json_path))[1:] == (COMMAND, "JSON")
    # Without a telling extension, a JSON object is read as JSON.
    other = tmp_path / "doc.txt"
    other.write_text(json.dumps(COMMAND))
    assert load_content(path=str(other))[2] == "JSON"


def test_inline_mapping_is_serialised_in_the_requested_format():
    text, parsed, fmt = load_content(content=COMMAND)
    assert fmt == "YAML" and yaml.safe_load(text) == COMMAND == parsed
    text, parsed, fmt = load_content(content=COMMAND, document_format="JSON")
    assert fmt == "JSON" and json.loads(text) == COMMAND
    with pytest.raises(KeelRuleError, match=r"^content: a mapping cannot be sent as a TEXT"):
        load_content(content=COMMAND, document_format="TEXT")


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"content": "a: [unclosed"}, "content: not valid YAML"),
        ({"content": '{"a": ', "document_format": "JSON"}, "content: not valid JSON"),
        ({"content": "- just\n- a list\n"}, "mapping at the top level"),
        ({"content": "   "}, "content: the document is empty"),
        ({"content": 42}, "content: must be a string"),
        ({"content": "a: " + "x" * CONTENT_MAX_BYTES}, "at most 65536 bytes"),
        ({"path": "/nonexistent/doc.yml"}, "path '/nonexistent/doc.yml': cannot read"),
    ],
)
def test_unloadable_content(kwargs, rule):
    with pytest.raises(KeelRuleError) as caught:
        load_content(**kwargs)
    assert rule in str(caught.value)


def broken(path, value):
    """COMMAND with the value at a dotted path replaced (or removed for None)."""
    document = copy.deepcopy(COMMAND)
    *parents, last = path.split(".")
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is None:
        del node[int(last) if isinstance(node, list) else last]
    else:
        node[int(last) if isinstance(node, list) else last] = value
    return document


@pytest.mark.parametrize(
    ("document", "field", "rule"),
    [
        (broken("schemaVersion", None), "content.schemaVersion", "required"),
        (broken("schemaVersion", 2.2), "content.schemaVersion", "must be a string"),
        (broken("schemaVersion", "two"), "content.schemaVersion", "MAJOR.MINOR"),
        (broken("schemaVersion", "0.3"), "content.schemaVersion", "Command documents use schema"),
        (broken("parameters", ["Role"]), "content.parameters", "must be a mapping"),
        (broken("parameters.Role.type", None), "content.parameters.Role.type", "required"),
        (broken("parameters.Role.type", "Text"), "content.parameters.Role.type", "not one of"),
        (broken("parameters.Role.default", "auditd"), "content.parameters.Role.default", "allowedValues"),
        (broken("parameters.Role.default", 3), "content.parameters.Role.default", "not a valid String"),
        (broken("parameters.Extra.default", "x"), "content.parameters.Extra.default", "not a valid StringList"),
        (broken("parameters.Role.allowedPattern", "^(unclosed$"), "content.parameters.Role.allowedPattern", "regular"),
        (broken("parameters.Role.interpolationType", "SHELL"), "content.parameters.Role.interpolationType", "ENV_VAR"),
        (broken("parameters.Extra.minItems", -1), "content.parameters.Extra.minItems", "non-negative"),
        (broken("parameters.Role.allowedValues", []), "content.parameters.Role.allowedValues", "non-empty"),
        (broken("parameters.Role", "String"), "content.parameters.Role", "must be a mapping"),
        (broken("mainSteps", None), "content.mainSteps", "required"),
        (broken("mainSteps", []), "content.mainSteps", "non-empty list"),
        (broken("mainSteps.0.name", None), "content.mainSteps[0].name", "required"),
        (broken("mainSteps.0.name", "has space"), "content.mainSteps[0].name", "only letters"),
        (broken("mainSteps.0.action", None), "content.mainSteps[0].action", "required"),
        (broken("mainSteps.0.action", "runShellScript"), "content.mainSteps[0].action", "aws:<plugin>"),
        (broken("mainSteps.0.inputs", ["x"]), "content.mainSteps[0].inputs", "mapping"),
    ],
)
def test_invalid_documents_name_the_field(document, field, rule):
    with pytest.raises(KeelRuleError) as caught:
        validate_document(document, "Command", "YAML")
    message = str(caught.value)
    assert message.startswith(field)
    assert rule in message


def test_bad_parameter_name_and_duplicate_steps():
    document = copy.deepcopy(COMMAND)
    document["parameters"]["bad-name"] = {"type": "String"}
    with pytest.raises(KeelRuleError, match="parameter name 'bad-name'"):
        validate_document(document, "Command", "YAML")
    document = copy.deepcopy(COMMAND)
    document["mainSteps"].append(dict(document["mainSteps"][0]))
    with pytest.raises(KeelRuleError, match=r"content.mainSteps\[1\].name 'apply': step names must be unique"):
        validate_document(document, "Command", "YAML")


def test_valid_documents_of_other_kinds():
    validate_document(COMMAND, "Command", "YAML")
    validate_document({"schemaVersion": "1.2", "runtimeConfig": {"aws:runShellScript": {}}}, "Command", "JSON")
    with pytest.raises(KeelRuleError, match=r"^content.runtimeConfig"):
        validate_document({"schemaVersion": "1.2"}, "Command", "JSON")
    automation = {"schemaVersion": "0.3", "mainSteps": [{"name": "s", "action": "aws:sleep", "inputs": {}}]}
    validate_document(automation, "Automation", "YAML")
    validate_document({"schemaVersion": "1.0", "sessionType": "Standard_Stream"}, "Session", "JSON")
    validate_document("BEGIN:VCALENDAR\nEND:VCALENDAR\n", "ChangeCalendar", "TEXT")


def test_idempotence_compares_parsed_content():
    as_json = json.dumps(COMMAND)
    as_yaml = "# a comment\n" + yaml.safe_dump(COMMAND, sort_keys=True)
    assert content_matches(as_json, "JSON", COMMAND, "YAML")
    assert content_matches(as_yaml, "YAML", COMMAND, "JSON")
    assert not content_matches(as_json, "JSON", broken("description", "other"), "JSON")
    assert not content_matches("not: [json", "JSON", COMMAND, "JSON")
    assert content_matches("BEGIN\n", "TEXT", "BEGIN\n", "TEXT")
    assert not content_matches("BEGIN\n", "TEXT", "BEGIN \n", "TEXT")


# -- waiting for a new version -----------------------------------------------------------
def description(status, **extra):
    return dict({"Name": "keel-doc", "DocumentVersion": "2", "Status": status}, **extra)


@pytest.fixture
def stubbed():
    client = boto3.client("ssm", region_name="eu-west-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_polls_until_active(stubbed):
    client, stubber = stubbed
    expected = {"Name": "keel-doc", "DocumentVersion": "2"}
    stubber.add_response("describe_document", {"Document": description("Creating")}, expected)
    stubber.add_response("describe_document", {"Document": description("Active", Hash="ab" * 32)}, expected)
    naps = []
    final = wait_until_active(client, description("Creating"), sleep=naps.append, interval=2)
    assert final["Status"] == "Active" and final["Hash"] == "ab" * 32
    assert naps == [2, 2]


def test_failed_version_reports_aws_reason(stubbed):
    client, stubber = stubbed
    stubber.add_response(
        "describe_document",
        {"Document": description("Failed", StatusInformation="Parameter Role is used but not defined")},
        {"Name": "keel-doc", "DocumentVersion": "2"},
    )
    with pytest.raises(KeelAWSError, match="keel-doc version 2: AWS refused the document: Parameter Role is used"):
        wait_until_active(client, description("Updating"), sleep=lambda _: None)


def test_active_needs_no_call(stubbed):
    client, _ = stubbed
    assert wait_until_active(client, description("Active"))["Status"] == "Active"


def test_gives_up_after_the_timeout(stubbed):
    client, _ = stubbed
    with pytest.raises(KeelAWSError, match="still Creating after 0 s"):
        wait_until_active(client, description("Creating"), timeout=0, sleep=lambda _: None)
