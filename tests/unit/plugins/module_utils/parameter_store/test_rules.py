"""Rules for a parameter's options (module_utils/parameter_store/rules.py, through desired.py's
build_desired where the task's input alone decides): each rule rejects with a message that
names the option and the rule, never the value, and accepts what AWS accepts.

These are our own checks. Limits and formats come from the PutParameter API reference
and the botocore service model (sizes, KeyId pattern, tag shape, policy types); moto
5.2.5 enforces none of the tier, size, policy, pattern, KMS or tag rules. The module
tests (tests/integration/test_parameter_module.py) show the same rules stop a task
before any AWS call.
"""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.desired import build_desired
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.rules import check_against_current
from tests.helpers.parameter_cases import EXPIRATION, INVALID_INPUTS, SECRET, current


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
