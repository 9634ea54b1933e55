"""Rules for a parameter's options (module_utils/parameter_store/: rules.py, desired.py,
policies.py, tree.py; aws/tagging.py): each rule rejects with a message
that names the option and the rule, never the value, and accepts what AWS accepts.

These are our own checks. Limits and formats come from the PutParameter API reference
and the botocore service model (sizes, KeyId pattern, tag shape, policy types); moto
5.2.5 enforces none of the tier, size, policy, pattern, KMS or tag rules. The module
tests (tests/integration/test_parameter_module.py) show the same rules stop a task
before any AWS call.
"""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import check_tags, compare_tags, merged_tags
from ansible_collections.keel.ssm.plugins.module_utils.diff import CHANGED_MASK, MASK, masked_pair
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.desired import build_desired
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.plan import normalize_key_id, plan_parameter
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.policies import (
    parse_policies,
    policies_from_aws,
    same_policies,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import CurrentParameter
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.rules import check_against_current
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.tree import flatten_tree
from tests.helpers.parameter_cases import EXPIRATION, INVALID_INPUTS, SECRET


def current(type_="String", tier="Standard", value="old", **fields):
    parameter = CurrentParameter("/app/x", type_, 3)
    parameter.value, parameter.value_known = value, True
    parameter.metadata_known = True
    parameter.tier = tier
    parameter.labels = fields.pop("labels", [])
    parameter.tags = fields.pop("tags", {})
    for key, item in fields.items():
        setattr(parameter, key, item)
    return parameter


# -- rules that need only the task's input (checked before any AWS call) ---------------
@pytest.mark.parametrize(("options", "field", "rule"), INVALID_INPUTS)
def test_static_rules_name_the_option_and_the_rule(options, field, rule):
    options = dict(options)
    name = options.pop("name", "/app/x")
    options.setdefault("value", SECRET)
    with pytest.raises(KeelRuleError) as err:
        build_desired(name, options)
    message = str(err.value)
    assert message.startswith(f"{field}") or message.startswith(f"{field}:"), message
    assert rule in message
    assert SECRET not in message


@pytest.mark.parametrize(
    "options",
    [
        {"value": "x" * 4096, "tier": "Standard"},
        {"value": "x" * 8192, "tier": "Advanced"},
        {"value": "x" * 8192, "tier": "Intelligent-Tiering"},
        {"value": ["a", "b", 3, True]},
        {"value": 5432},
        {"value": SECRET, "type": "SecureString", "key_id": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab"},
        {"value": SECRET, "type": "SecureString", "key_id": "alias/payments"},
        {"value": "ami-0123456789abcdef0", "data_type": "aws:ec2:image"},
        {"value": "ami-12345678", "data_type": "aws:ec2:image", "type": "String"},
        {"value": "42", "allowed_pattern": r"^\d+$"},
        {"value": "v", "tier": "Advanced", "policies": [EXPIRATION]},
        {
            "value": "v",
            "tier": "Intelligent-Tiering",
            "policies": '[{"Type": "Expiration", "Attributes": {"Timestamp": "2030-01-31T00:00:00+02:00"}}]',
        },
        {"value": "v", "labels": ["live", "v1.2-rc_3", "l" * 100], "tags": {"team": "pay", "cost center": "4 2"}},
    ],
)
def test_valid_inputs_are_accepted(options):
    desired = build_desired("/app/x", options)
    assert desired.value is not None


def test_list_values_become_stringlists():
    desired = build_desired("/app/x", {"value": ["a", 2, False]})
    assert (desired.value, desired.type, desired.is_list) == ("a,2,false", "StringList", True)


def test_integration_data_type_in_its_namespace():
    name = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/alerts"
    desired = build_desired(
        name, {"value": '{"url": "https://x"}', "type": "SecureString", "data_type": "aws:ssm:integration"}
    )
    assert desired.data_type == "aws:ssm:integration"


# -- rules that need the parameter as it is (checked after reads, before writes) ------
STATE_RULES = [
    ({"value": "v", "type": "SecureString"}, current("String"), "type", "cannot change a parameter's type"),
    ({"value": "v", "tier": "Standard"}, current(tier="Advanced"), "tier", "cannot move it back"),
    ({"value": "x" * 5000}, current(tier="Standard"), "value", "more than the 4096 bytes a Standard parameter"),
    ({"value": "x" * 5000}, None, "value", "more than the 4096 bytes a Standard parameter"),
    ({"value": "v", "policies": [EXPIRATION]}, current(tier="Standard"), "policies", "would be a Standard parameter"),
    ({"value": "v", "policies": [EXPIRATION]}, None, "policies", "would be a Standard parameter"),
    ({"description": "d"}, None, "value", "required to create /app/x"),
    ({"value": "v", "key_id": "alias/k"}, current("String"), "key_id", "only applies to SecureString"),
    ({"value": "ami-12345678", "data_type": "aws:ec2:image"}, current("StringList"), "data_type", "needs type String"),
]


@pytest.mark.parametrize(("options", "now", "field", "rule"), STATE_RULES)
def test_rules_against_the_current_parameter(options, now, field, rule):
    desired = build_desired("/app/x", options)
    with pytest.raises(KeelRuleError) as err:
        check_against_current(desired, now)
    assert str(err.value).startswith(f"{field}:")
    assert rule in str(err.value)


def test_existing_advanced_parameter_holds_8kb_without_naming_the_tier():
    desired = build_desired("/app/x", {"value": "x" * 8000})
    check_against_current(desired, current(tier="Advanced"))


def test_too_many_labels_on_one_version():
    desired = build_desired("/app/x", {"value": "old", "labels": ["new1", "new2"]})
    with pytest.raises(KeelRuleError, match="would carry 11 labels, at most 10"):
        plan_parameter(desired, current(labels=[f"l{i}" for i in range(9)]))
    purge = build_desired("/app/x", {"value": "old", "labels": ["new1", "new2"], "purge_labels": True})
    change = plan_parameter(purge, current(labels=[f"l{i}" for i in range(9)]))
    assert change.labels_detach == [f"l{i}" for i in range(9)]


# -- comparison ---------------------------------------------------------------------------
def test_intelligent_tiering_matches_either_tier():
    desired = build_desired("/app/x", {"value": "old", "tier": "Intelligent-Tiering"})
    assert not plan_parameter(desired, current(tier="Standard")).changed
    assert not plan_parameter(desired, current(tier="Advanced")).changed


def test_key_arns_compare_equal_to_their_key_id_or_alias():
    assert normalize_key_id("arn:aws:kms:eu-west-1:111122223333:key/abcd-1") == "abcd-1"
    assert normalize_key_id("arn:aws:kms:eu-west-1:111122223333:alias/pay") == "alias/pay"
    desired = build_desired("/app/x", {"value": "old", "key_id": "arn:aws:kms:eu-west-1:1:alias/pay"})
    assert not plan_parameter(desired, current("SecureString", key_id="alias/pay")).changed
    assert plan_parameter(desired, current("SecureString", key_id="alias/aws/ssm")).differs == ["key_id"]


def test_policies_compare_by_meaning():
    mine = parse_policies(
        [
            {"Type": "NoChangeNotification", "Attributes": {"After": 30, "Unit": "days"}},
            {"Type": "Expiration", "Attributes": {"Timestamp": "2030-01-31T02:00:00+02:00"}},
        ]
    )
    stored = [
        {"PolicyText": '{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-31T00:00:00.000Z"}}'},
        {"PolicyText": '{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"30","Unit":"Days"}}'},
    ]
    assert same_policies(mine, policies_from_aws(stored))
    assert not same_policies(mine, policies_from_aws(stored[:1]))
    # moto 5.2.5 returns PolicyText as a Python repr instead of JSON.
    assert policies_from_aws([{"PolicyText": repr(EXPIRATION)}]) == [EXPIRATION]


def test_empty_policies_clear_and_omitted_keep():
    assert parse_policies([]) == []
    assert parse_policies("") == []
    assert parse_policies(None) is None


def test_secure_values_are_masked_in_views():
    desired = build_desired("/app/x", {"value": SECRET, "type": "SecureString"})
    change = plan_parameter(desired, current("SecureString", value="Old-S3cret"))
    assert (change.before["value"], change.after["value"]) == (MASK, CHANGED_MASK)
    assert SECRET not in repr(change.before) + repr(change.after)
    same = plan_parameter(desired, current("SecureString", value=SECRET))
    assert not same.changed
    assert same.before["value"] == same.after["value"] == MASK
    assert masked_pair(None, SECRET, True) == (None, MASK)


def test_tag_reconciliation():
    assert compare_tags({"a": "1", "b": "2"}, {"a": "1", "c": "3"}, purge=True) == ({"c": "3"}, ["b"])
    assert compare_tags({"a": "1", "b": "2"}, {"a": "9"}, purge=False) == ({"a": "9"}, [])
    assert compare_tags({"a": "1"}, None, purge=True) == ({}, [])
    assert merged_tags({"a": "1", "b": "2"}, {"a": "9"}, purge=False) == {"a": "9", "b": "2"}
    assert check_tags({"n": 5, "flag": True, "empty": None}) == {"n": "5", "flag": "true", "empty": ""}


# -- trees --------------------------------------------------------------------------------
def test_tree_flattening():
    tree = {
        "db": {"host": "h", "port": 5432, "password": {"value": SECRET, "type": "SecureString"}},
        "origins": ["a", "b"],
        "cache/ttl": 300,
        "empty": {},
    }
    desired = flatten_tree("/prod/app", tree, defaults={"tier": "Advanced"})
    by_name = {entry.name: entry for entry in desired}
    assert sorted(by_name) == [
        "/prod/app/cache/ttl",
        "/prod/app/db/host",
        "/prod/app/db/password",
        "/prod/app/db/port",
        "/prod/app/origins",
    ]
    assert by_name["/prod/app/db/password"].type == "SecureString"
    assert by_name["/prod/app/origins"].type == "StringList"
    assert all(entry.tier == "Advanced" for entry in desired)
    assert flatten_tree("/", {"top": "v"})[0].name == "/top"


def test_tree_reports_every_problem_with_its_place():
    tree = {
        "ok": "fine",
        "bad name": "x",
        "db": {"password": {"value": SECRET, "type": "SecureString", "tier": "Standard", "policies": [EXPIRATION]}},
        "nothing": None,
        "dup": {"x": "1"},
        "dup/x": "2",
        "/abs": "3",
    }
    with pytest.raises(KeelRuleError) as err:
        flatten_tree("/prod", {k: v for k, v in tree.items() if k != "/abs"})
    message = str(err.value)
    assert message.startswith("4 problems: ")
    assert "parameters.bad name '/prod/bad name': only letters" in message
    assert "parameters.db/password.policies: Standard parameters take no policies" in message
    assert "parameters.nothing.value: required" in message
    assert "parameters.dup/x: names /prod/dup/x, which parameters.dup/x already names" in message
    assert SECRET not in message
    with pytest.raises(KeelRuleError, match="key '/abs' must be a relative name"):
        flatten_tree("/prod", {"/abs": "3"})


def test_tree_default_key_applies_only_to_secure_strings():
    desired = flatten_tree(
        "/p", {"a": "plain", "b": {"value": "s", "type": "SecureString"}}, defaults={"key_id": "alias/k"}
    )
    assert desired[0].effective_key_id(None) is None
    assert desired[1].effective_key_id(None) == "alias/k"
