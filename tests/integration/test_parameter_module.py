"""keel.ssm.parameter against the moto server over HTTP, every call counted by the
AwsProxy test double.

Checked against moto: values, types, versions, descriptions, key IDs, tiers, policies
and data types as stored, labels per version, tags, deletes, and that check mode and
failed validation leave all of it untouched. moto stores but does not enforce tiers,
sizes, policies, allowed patterns or KMS keys (moto 5.2.5): those rules are ours and
are tested as ours (the task fails before any call). What AWS itself would answer for
them is not verified here.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.diff import CHANGED_MASK, MASK
from tests.helpers.parameter_cases import EXPIRATION, INVALID_INPUTS, SECRET
from tests.helpers.parameter_store import Recorder, output_of, run, snapshot

NAME = "/app/payments/db_password"
OTHER_SECRET = "Rotated-S3cret-Value"


def parameter(proxy, check=False, **args):
    return run("parameter", proxy, check=check, **args)


def test_string_create_then_idempotent(proxy, ssm):
    first = parameter(proxy, name="/app/db_host", value="db.internal", description="primary")
    assert first["changed"] is True
    assert first["changes"] == ["state"]
    assert first["parameter"]["version"] == 1
    assert first["parameter"]["description"] == "primary"
    assert "value" not in first["parameter"]
    assert first["diff"]["after"]["value"] == "db.internal"  # a String's value is shown
    proxy.reset_counts()
    second = parameter(proxy, name="/app/db_host", value="db.internal", description="primary")
    assert second["changed"] is False
    assert "diff" not in second
    assert proxy.counts == {"GetParameterHistory": 1}
    assert ssm.get_parameter(Name="/app/db_host")["Parameter"]["Version"] == 1


def test_secure_string_lifecycle_never_exposes_the_value(proxy, ssm):
    runs = []
    runs.append(parameter(proxy, check=True, name=NAME, value=SECRET, type="SecureString"))
    assert runs[-1]["changed"] is True
    assert proxy.writes() == 0
    assert snapshot(ssm) == {}
    runs.append(parameter(proxy, name=NAME, value=SECRET, type="SecureString"))
    assert runs[-1]["diff"]["after"]["value"] == MASK
    assert ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]["Value"] == SECRET
    proxy.reset_counts()
    runs.append(parameter(proxy, name=NAME, value=SECRET, type="SecureString"))
    assert runs[-1]["changed"] is False
    # Compared by decrypting the current value in memory: history + one GetParameter.
    assert proxy.counts == {"GetParameterHistory": 1, "GetParameter": 1}
    runs.append(parameter(proxy, name=NAME, value=OTHER_SECRET))  # type kept when omitted
    rotated = runs[-1]
    assert rotated["changed"] is True
    assert rotated["changes"] == ["value"]
    assert (rotated["diff"]["before"]["value"], rotated["diff"]["after"]["value"]) == (MASK, CHANGED_MASK)
    assert rotated["parameter"]["type"] == "SecureString"
    assert ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]["Value"] == OTHER_SECRET
    runs.append(parameter(proxy, name=NAME, state="absent"))
    for result in runs:
        assert SECRET not in output_of(result)
        assert OTHER_SECRET not in output_of(result)


# Each scenario: parameters to create first, the task's options, whether it changes.
SCENARIOS = {
    "create": ({}, {"value": "v1"}, True),
    "same value": ({"Value": "v1"}, {"value": "v1"}, False),
    "new value": ({"Value": "v1"}, {"value": "v2"}, True),
    "stringlist same": ({"Value": "a,b", "Type": "StringList"}, {"value": ["a", "b"]}, False),
    "stringlist order": ({"Value": "a,b", "Type": "StringList"}, {"value": ["b", "a"]}, True),
    "description": ({"Value": "v1", "Description": "old"}, {"value": "v1", "description": "new"}, True),
    "description same": ({"Value": "v1", "Description": "d"}, {"value": "v1", "description": "d"}, False),
    "description omitted": ({"Value": "v1", "Description": "d"}, {"value": "v1"}, False),
    "tier up": ({"Value": "v1"}, {"value": "v1", "tier": "Advanced"}, True),
    "tier same": ({"Value": "v1", "Tier": "Advanced"}, {"value": "v1", "tier": "Advanced"}, False),
    "intelligent tiering": ({"Value": "v1"}, {"value": "v1", "tier": "Intelligent-Tiering"}, False),
    "policies add": ({"Value": "v1", "Tier": "Advanced"}, {"value": "v1", "policies": [EXPIRATION]}, True),
    "policies same, other form": (
        {"Value": "v1", "Tier": "Advanced", "Policies": json.dumps([EXPIRATION])},
        {
            "value": "v1",
            "policies": '[{"Type": "Expiration", "Attributes": {"Timestamp": "2030-01-31T01:00:00+01:00"}}]',
        },
        False,
    ),
    "policies removed": (
        {"Value": "v1", "Tier": "Advanced", "Policies": json.dumps([EXPIRATION])},
        {"value": "v1", "policies": []},
        True,
    ),
    "pattern": ({"Value": "42"}, {"value": "42", "allowed_pattern": r"^\d+$"}, True),
    "pattern same": ({"Value": "42", "AllowedPattern": r"^\d+$"}, {"value": "42", "allowed_pattern": r"^\d+$"}, False),
    "data type": (
        {"Value": "ami-0123456789abcdef0"},
        {"value": "ami-0123456789abcdef0", "data_type": "aws:ec2:image"},
        True,
    ),
    "data type same": ({"Value": "v1"}, {"value": "v1", "data_type": "text"}, False),
    "key": (
        {"Value": SECRET, "Type": "SecureString"},
        {"value": SECRET, "key_id": "alias/payments"},
        True,
    ),
    "key same as arn": (
        {"Value": SECRET, "Type": "SecureString", "KeyId": "alias/payments"},
        {"value": SECRET, "key_id": "arn:aws:kms:us-east-1:123456789012:alias/payments"},
        False,
    ),
    "tags add": (
        {"Value": "v1", "Tags": [{"Key": "a", "Value": "1"}]},
        {"value": "v1", "tags": {"a": "1", "b": "2"}},
        True,
    ),
    "tags same": ({"Value": "v1", "Tags": [{"Key": "a", "Value": "1"}]}, {"value": "v1", "tags": {"a": "1"}}, False),
    "tags purge": ({"Value": "v1", "Tags": [{"Key": "a", "Value": "1"}]}, {"value": "v1", "tags": {}}, True),
    "tags keep": (
        {"Value": "v1", "Tags": [{"Key": "a", "Value": "1"}]},
        {"value": "v1", "tags": {}, "purge_tags": False},
        False,
    ),
    "labels attach": ({"Value": "v1"}, {"value": "v1", "labels": ["live"]}, True),
    "labels only, no value": ({"Value": SECRET, "Type": "SecureString"}, {"labels": ["live"]}, True),
    "description only, secret kept": (
        {"Value": SECRET, "Type": "SecureString", "KeyId": "alias/payments"},
        {"description": "rotated quarterly"},
        True,
    ),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_check_mode_predicts_and_second_run_is_idempotent(proxy, ssm, scenario):
    existing, options, expected = SCENARIOS[scenario]
    if existing:
        ssm.put_parameter(Name=NAME, **{"Type": "String", **existing})
    before = snapshot(ssm)
    proxy.reset_counts()
    predicted = parameter(proxy, check=True, name=NAME, **options)
    assert predicted["changed"] is expected, predicted.get("msg")
    assert proxy.writes() == 0
    assert snapshot(ssm) == before
    applied = parameter(proxy, name=NAME, **options)
    assert applied["changed"] is expected
    assert applied["changes"] == predicted["changes"]
    assert (snapshot(ssm) != before) is expected
    proxy.reset_counts()
    again = parameter(proxy, name=NAME, **options)
    assert again["changed"] is False, again["changes"]
    assert proxy.writes() == 0
    for result in (predicted, applied, again):
        assert SECRET not in output_of(result)


def test_value_omitted_rewrites_the_current_value_with_its_key(proxy, ssm):
    ssm.put_parameter(Name=NAME, Value=SECRET, Type="SecureString", KeyId="alias/payments", Description="old")
    recorder = Recorder()
    proxy.inject = recorder
    result = parameter(proxy, name=NAME, description="new")
    assert result["changes"] == ["description"]
    (put,) = recorder.bodies("PutParameter")
    assert (put["KeyId"], put["Type"], put["Overwrite"]) == ("alias/payments", "SecureString", True)
    stored = ssm.get_parameter(Name=NAME, WithDecryption=True)["Parameter"]
    assert (stored["Value"], stored["Version"]) == (SECRET, 2)
    assert SECRET not in output_of(result)


def test_overwrite_keeps_everything_the_task_does_not_manage(proxy, ssm):
    ssm.put_parameter(
        Name=NAME,
        Value="42",
        Type="String",
        Description="answer",
        AllowedPattern=r"^\d+$",
        Tier="Advanced",
        Policies=json.dumps([EXPIRATION]),
    )
    recorder = Recorder()
    proxy.inject = recorder
    assert parameter(proxy, name=NAME, value="43")["changes"] == ["value"]
    (put,) = recorder.bodies("PutParameter")
    assert put["Description"] == "answer"
    assert put["AllowedPattern"] == r"^\d+$"
    assert put["Tier"] == "Advanced"
    assert put["DataType"] == "text"
    assert "Policies" not in put  # PutParameter keeps policies that are not sent
    assert "Tags" not in put


def test_labels_move_to_the_new_version(proxy, ssm):
    ssm.put_parameter(Name=NAME, Value="v1", Type="String")
    ssm.label_parameter_version(Name=NAME, ParameterVersion=1, Labels=["live", "canary"])
    result = parameter(proxy, name=NAME, value="v2", labels=["live"])
    assert result["changes"] == ["value", "labels"]
    assert result["parameter"]["labels"] == ["live"]
    assert snapshot(ssm)[NAME]["labels"] == {1: ["canary"], 2: ["live"]}


def test_purge_labels_removes_others_from_the_current_version(proxy, ssm):
    ssm.put_parameter(Name=NAME, Value="v1", Type="String")
    ssm.label_parameter_version(Name=NAME, ParameterVersion=1, Labels=["live", "canary"])
    proxy.reset_counts()
    result = parameter(proxy, name=NAME, labels=["live"], purge_labels=True)
    assert result["changes"] == ["labels"]
    assert proxy.counts["UnlabelParameterVersion"] == 1
    assert proxy.counts["PutParameter"] == 0
    assert snapshot(ssm)[NAME]["labels"] == {1: ["live"]}


def test_labels_only_on_a_secret_needs_no_decryption(proxy, ssm):
    ssm.put_parameter(Name=NAME, Value=SECRET, Type="SecureString")
    proxy.reset_counts()
    result = parameter(proxy, name=NAME, labels=["live"])
    assert result["changed"] is True
    assert proxy.counts == {"GetParameterHistory": 2, "LabelParameterVersion": 1}  # read, label, read back
    assert "GetParameter" not in proxy.counts


def test_absent(proxy, ssm):
    ssm.put_parameter(Name=NAME, Value=SECRET, Type="SecureString")
    predicted = parameter(proxy, check=True, name=NAME, state="absent")
    assert predicted["changed"] is True
    assert predicted["diff"]["after"] == {"name": NAME, "state": "absent"}
    assert proxy.writes() == 0
    assert NAME in snapshot(ssm)
    assert parameter(proxy, name=NAME, state="absent")["changed"] is True
    assert snapshot(ssm) == {}
    assert parameter(proxy, name=NAME, state="absent")["changed"] is False


def test_result_is_metadata_only(proxy, ssm):
    result = parameter(
        proxy,
        name=NAME,
        value=SECRET,
        type="SecureString",
        key_id="alias/payments",
        tier="Advanced",
        labels=["live"],
        tags={"team": "payments"},
    )
    assert set(result["parameter"]) == {
        "name", "state", "type", "version", "tier", "labels", "last_modified_date", "last_modified_user",
        "data_type", "description", "key_id", "allowed_pattern", "policies", "tags",
    }  # fmt: skip
    assert result["parameter"]["labels"] == ["live"]
    assert result["parameter"]["tags"] == {"team": "payments"}
    assert result["invocation"]["module_args"]["value"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


MODULE_ONLY_MESSAGES = {"options": "Unsupported parameters", "purge_labels": "purge_labels"}


@pytest.mark.parametrize(("options", "field", "rule"), INVALID_INPUTS)
def test_every_rule_fails_before_any_call(proxy, ssm, options, field, rule):
    options = dict(options)
    name = options.pop("name", NAME)
    options.setdefault("value", SECRET)
    result = parameter(proxy, name=name, **options)
    assert result.get("failed") is True
    message = result["msg"]
    if field in MODULE_ONLY_MESSAGES:  # rejected by Ansible's argument spec
        assert MODULE_ONLY_MESSAGES[field] in message
    elif rule.startswith("must be one of"):  # the argument spec's choices
        assert f"value of {field} must be one of" in message
    else:
        assert message.startswith(field), message
        assert rule in message
    assert proxy.total() == 0
    assert SECRET not in output_of(result)
    assert snapshot(ssm) == {}


STATE_FAILURES = {
    "type change": ({"Value": "v", "Type": "String"}, {"value": "v", "type": "SecureString"}, "type: "),
    "advanced to standard": ({"Value": "v", "Tier": "Advanced"}, {"value": "v", "tier": "Standard"}, "tier: "),
    "too big for standard": ({"Value": "v"}, {"value": "x" * 5000}, "value: 5000 bytes"),
    "policies on standard": ({"Value": "v"}, {"value": "v", "policies": [EXPIRATION]}, "policies: "),
    "no value to create": ({}, {"description": "d"}, "value: required to create"),
    "eleven labels": ({"Value": "v"}, {"labels": [f"l{i}" for i in range(11)]}, "labels: 11 labels given"),
    "kept value breaks new pattern": ({"Value": "abc"}, {"allowed_pattern": r"^\d+$"}, "allowed_pattern: the current"),
}


@pytest.mark.parametrize("case", sorted(STATE_FAILURES))
def test_rules_on_the_current_parameter_fail_before_any_write(proxy, ssm, case):
    existing, options, message = STATE_FAILURES[case]
    if existing:
        ssm.put_parameter(Name=NAME, **{"Type": "String", **existing})
    before = snapshot(ssm)
    proxy.reset_counts()
    result = parameter(proxy, name=NAME, **options)
    assert result.get("failed") is True
    assert message in result["msg"]
    assert proxy.writes() == 0
    assert snapshot(ssm) == before


def test_more_labels_than_a_version_holds(proxy, ssm):
    ssm.put_parameter(Name=NAME, Value="v", Type="String")
    ssm.label_parameter_version(Name=NAME, ParameterVersion=1, Labels=[f"l{i}" for i in range(9)])
    proxy.reset_counts()
    result = parameter(proxy, name=NAME, labels=["a", "b"])
    assert "would carry 11 labels, at most 10" in result["msg"]
    assert proxy.writes() == 0


def test_aws_errors_are_redacted(proxy, ssm):
    recorder = Recorder()
    # AWS validation errors can echo the value; the module must redact it.
    recorder.fail("PutParameter", code="ValidationException", message=f"Value '{SECRET}' at 'value' failed")
    proxy.inject = recorder
    result = parameter(proxy, name=NAME, value=SECRET, type="SecureString", max_attempts=1)
    assert result["failed"] is True
    assert result["msg"].startswith(f"PutParameter {NAME}: ValidationException: Value '")
    assert SECRET not in output_of(result)
    assert snapshot(ssm) == {}


def test_failure_after_the_put_says_what_was_done(proxy, ssm):
    ssm.put_parameter(Name=NAME, Value="v1", Type="String")
    recorder = Recorder()
    recorder.fail("AddTagsToResource")
    proxy.inject = recorder
    result = parameter(proxy, name=NAME, value="v2", tags={"a": "1"}, max_attempts=1)
    assert result["failed"] is True
    assert result["steps_done"] == ["PutParameter"]
    assert result["msg"].startswith(f"AddTagsToResource {NAME}: AccessDeniedException")
