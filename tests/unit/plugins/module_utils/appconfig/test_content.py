"""AppConfig rules and content checks, before any call: the feature-flags format, JSON
Schema validators (draft-04, messages naming the path and the rule, never the value),
parsing by content type, idempotent comparison, and the service model's limits."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.appconfig import content as c
from ansible_collections.keel.ssm.plugins.module_utils.appconfig import rules as r
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.hosted import DesiredContent
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

FLAGS = {
    "version": "1",
    "flags": {
        "new_ui": {
            "name": "New UI",
            "attributes": {
                "theme": {"constraints": {"type": "string", "enum": ["light", "dark"]}},
                "limit": {"constraints": {"type": "number", "minimum": 1, "maximum": 100, "required": True}},
                "regions": {
                    "constraints": {"type": "array", "elements": {"type": "string", "pattern": "^[a-z0-9-]+$"}}
                },
            },
        },
        "beta_api": {"name": "Beta API", "_deprecation": {"status": "planned", "date": "2027-01-31"}},
    },
    "values": {
        "new_ui": {"enabled": True, "theme": "dark", "limit": 50, "regions": ["eu-west-1"]},
        "beta_api": {"enabled": False},
    },
}


def broken(path, value):
    document = copy.deepcopy(FLAGS)
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


def test_a_valid_feature_flags_document_passes():
    assert c.check_feature_flags(copy.deepcopy(FLAGS))["version"] == "1"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("version",), "2", 'content.version: required, the string "1"'),
        (("version",), KeyError, 'content.version: required, the string "1"'),
        (("flags", "New-UI"), {"name": "x"}, "content.flags key 'New-UI': keys start with a lowercase letter"),
        (("flags", "new_ui", "name"), "a\nb", "content.flags.new_ui.name: 1 to 64 characters on one line"),
        (("flags", "new_ui", "colour"), "red", "content.flags.new_ui: unknown key 'colour'"),
        (("values", "ghost"), {"enabled": True}, "content.values.ghost: no flag 'ghost' in content.flags"),
        (("values", "new_ui", "enabled"), "yes", "content.values.new_ui.enabled: must be true or false"),
        (("values", "new_ui", "theme"), "blue", "content.values.new_ui.theme: not one of the attribute's enum values"),
        (("values", "new_ui", "limit"), 500, "content.values.new_ui.limit: above the attribute's maximum 100"),
        (("values", "new_ui", "limit"), "50", "content.values.new_ui.limit: must be of type number"),
        (("values", "new_ui", "limit"), KeyError, "content.values.new_ui.limit: required by flags.new_ui"),
        (("values", "new_ui", "regions"), ["EU"], "content.values.new_ui.regions[0]: does not match the attribute's"),
        (("values", "new_ui", "size"), 3, "content.values.new_ui.size: flags.new_ui.attributes declares no attribute"),
        (("values", "new_ui", "regions"), [1, "a"], "content.values.new_ui.regions: a list value holds only strings"),
        (
            ("flags", "new_ui", "attributes", "theme", "constraints"),
            {"type": "string", "pattern": "^x", "enum": ["x"]},
            "content.flags.new_ui.attributes.theme.constraints: pattern and enum exclude each other",
        ),
        (
            ("flags", "new_ui", "attributes", "limit", "constraints", "type"),
            "integer",
            "content.flags.new_ui.attributes.limit.constraints.type: must be one of number, string, array, boolean",
        ),
        (("flags", "beta_api", "_deprecation", "status"), "gone", "_deprecation.status: the only status is 'planned'"),
    ],
)
def test_feature_flags_violations_name_the_field_and_the_rule(path, value, message):
    with pytest.raises(KeelRuleError) as caught:
        c.check_feature_flags(broken(path, value))
    assert message in str(caught.value)


def test_a_disabled_flag_needs_no_required_attribute():
    document = broken(("values", "new_ui"), {"enabled": False})
    assert c.check_feature_flags(document)


SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "properties": {
        "transaction_limit": {"type": "integer", "minimum": 1, "maximum": 10000},
        "endpoint": {"type": "string", "pattern": "^https://"},
    },
    "required": ["transaction_limit"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        ({"transaction_limit": 20000}, "content.transaction_limit: breaks maximum 10000, per validators[0] (x)"),
        ({"transaction_limit": "12"}, "content.transaction_limit: must be of type integer"),
        ({}, "content: required property 'transaction_limit' is missing"),
        ({"transaction_limit": 5, "debug": True}, "content: property 'debug' is not allowed"),
        ({"transaction_limit": 5, "endpoint": "http://secret-host"}, "content.endpoint: breaks pattern '^https://'"),
    ],
)
def test_schema_violations_name_the_path_and_the_rule_never_the_value(instance, message):
    _text, schema = c.load_schema(SCHEMA, "validators[0].content")
    with pytest.raises(KeelRuleError) as caught:
        c.validate_against(schema, instance, "content", "validators[0] (x)")
    assert message in str(caught.value)
    for value in instance.values():
        if isinstance(value, str):
            assert value not in str(caught.value)


def test_schemas_are_draft_04_as_appconfig_evaluates_them():
    with pytest.raises(KeelRuleError, match=r"\$schema .*draft-04"):
        c.load_schema(dict(SCHEMA, **{"$schema": "http://json-schema.org/draft-07/schema#"}), "validators[0].content")
    with pytest.raises(KeelRuleError, match=r"validators\[0\]\.content\.properties\.transaction_limit\.type"):
        c.load_schema({"properties": {"transaction_limit": {"type": "whole"}}}, "validators[0].content")
    text, schema = c.load_schema(json.dumps({"type": "object"}), "validators[0].content")
    assert schema == {"type": "object"} and text == '{"type": "object"}'


def test_malformed_json_fails_with_the_position_only():
    with pytest.raises(KeelRuleError, match=r"content: not valid JSON \(Expecting .* line 1 column 28\)"):
        DesiredContent('{"version": "1", "flags": {', "application/json")


def test_content_is_encoded_and_parsed_by_content_type():
    as_json = DesiredContent({"b": 1, "a": [1, 2]}, "application/json")
    assert json.loads(as_json.data) == {"b": 1, "a": [1, 2]}
    as_yaml = DesiredContent({"a": 1}, "application/x-yaml")
    assert as_yaml.data == b"a: 1\n" and as_yaml.parsed == {"a": 1}
    assert DesiredContent("plain words", "text/plain").parsed == "plain words"
    with pytest.raises(KeelRuleError, match="content: a mapping or list needs a JSON or YAML content_type"):
        DesiredContent({"a": 1}, "text/plain")
    with pytest.raises(KeelRuleError, match="content: 1048577 bytes"):
        DesiredContent("x" * (1024 * 1024 + 1), "text/plain")
    with pytest.raises(KeelRuleError, match="version_description: only ASCII"):
        DesiredContent("x", "text/plain", description="caf\u00e9")
    with pytest.raises(KeelRuleError, match="version_label '42': must not be only digits"):
        DesiredContent("x", "text/plain", version_label="42")


def test_same_content_ignores_layout_key_order_and_the_stamps_appconfig_adds():
    stored = copy.deepcopy(FLAGS)
    stored["flags"]["new_ui"]["_createdAt"] = "2026-01-01T00:00:00Z"
    stored["values"]["new_ui"]["_updatedAt"] = "2026-01-02T00:00:00Z"
    current = (json.dumps(stored, indent=4).encode(), "application/json")
    desired = (json.dumps(FLAGS, sort_keys=True).encode(), "application/json")
    assert c.same_content(current, desired, "AWS.AppConfig.FeatureFlags")
    assert not c.same_content(current, desired, None)  # freeform content keeps every key
    changed = broken(("values", "beta_api", "enabled"), True)
    assert not c.same_content(current, (json.dumps(changed).encode(), "application/json"), "AWS.AppConfig.FeatureFlags")
    assert not c.same_content((b"{}", "application/json"), (b"{}", "application/x-yaml"))
    assert c.same_content((b"a: 1\n", "application/x-yaml"), (b"{a: 1}", "application/x-yaml"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: r.check_name("x" * 65), "name 'xxxx"),
        (lambda: r.check_location_uri("ftp://x"), "location_uri 'ftp://x': must be 'hosted' or start with one of"),
        (lambda: r.check_location_uri("ssm-parameter://awsx"), "must not begin with 'aws' or 'ssm'"),
        (lambda: r.check_location_uri("s3://Bad_Bucket/key"), "is not a valid S3 bucket name"),
        (lambda: r.check_location_uri("s3://bucket"), "must name an object, s3://BUCKET/KEY"),
        (lambda: r.check_profile_source("hosted", r.FEATURE_FLAGS, None), None),
        (lambda: r.check_profile_source("s3://b/k", None, None), "retrieval_role_arn: required for location_uri"),
        (lambda: r.check_profile_source("s3://b/k", r.FEATURE_FLAGS, "x"), "profiles live in the hosted"),
        (lambda: r.check_role_arn("arn:aws:iam::1:role/x", "retrieval_role_arn"), "must be an IAM role ARN"),
        (lambda: r.check_monitors([{"alarm_arn": "arn:aws:sns:x"}]), "monitors[0].alarm_arn 'arn:aws:sns:x'"),
        (lambda: r.check_monitors([{"alarm_arn": f"arn:aws:cloudwatch:r:{i:012d}:alarm:a"} for i in range(6)]), "5"),
        (lambda: r.check_validators([{"type": "LAMBDA", "content": "fn"}]), "validators[0].content: a LAMBDA"),
        (lambda: r.check_validators([{"type": "JSON_SCHEMA", "content": "{}"}] * 3), "at most 2"),
        (lambda: r.check_minutes(1441, "final_bake_time_in_minutes"), "final_bake_time_in_minutes: must be"),
        (lambda: r.check_growth_factor(0.5), "growth_factor: must be a percentage from 1 to 100"),
        (lambda: r.check_strategy_name("AppConfig.Mine"), "AWS's predefined strategies"),
        (lambda: r.check_strategy_reference("AppConfig.x"), "not a predefined strategy ID"),
        (lambda: r.check_content_type("json"), "content_type 'json': must be a MIME type"),
    ],
)
def test_service_rules_name_the_field(call, message):
    if message is None:
        call()
        return
    with pytest.raises(KeelRuleError) as caught:
        call()
    assert message in str(caught.value)
