"""Role settings as SSM document parameters: names, injection-proof rules, and the way
keel-run turns the agent's SSM_<Name> variables back into typed extra vars."""

from __future__ import annotations

import re

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.document_parameters import (
    DELIVERY_PARAMETERS,
    check_value,
    document_name,
    document_settings,
    extra_vars_from_environment,
    max_read_delay,
    parameter_definition,
    parameter_name,
    value_rule,
)

# Everything a POSIX shell gives meaning to, plus the characters of a {{ }} placeholder.
SHELL_METACHARACTERS = [*"'\"\\$`;&|<>(){}*?[]!#~\n\t", "$(id)", "`id`", "a'b", "{{ X }}"]

BASELINE_SPEC = {
    "keel_baseline_parameter_path": {"type": "str", "default": "", "description": "Path C(/baseline/prod)."},
    "keel_baseline_aws_region": {"type": "str", "default": "", "description": "Region."},
    "keel_baseline_aws_endpoint_url": {"type": "str", "default": "", "description": "Endpoint."},
    "keel_baseline_pam": {"type": "bool", "default": True, "description": "Apply pam."},
}
PAM_SPEC = {
    "keel_pam_faillock_deny": {"type": "int", "default": 5, "description": "Lock after N failures."},
    "keel_pam_hashing": {"type": "str", "default": "yescrypt", "choices": ["yescrypt", "sha512"]},
    "keel_pam_enforce_for_root": {"type": "bool", "default": False},
    "keel_pam_groups": {"type": "list", "elements": "str", "default": []},
    "keel_pam_ports": {"type": "list", "elements": "int", "default": [22]},
    "keel_pam_ratio": {"type": "float", "default": 0.5},
    "keel_pam_minclass": {"type": "int", "default": 3, "choices": [0, 1, 2, 3, 4]},
    "keel_pam_secret": {"type": "str", "no_log": True, "default": ""},
    "keel_pam_extra": {"type": "dict", "default": {}},
}


@pytest.fixture
def roles_dir(tmp_path):
    for role, options in (("baseline", BASELINE_SPEC), ("pam", PAM_SPEC)):
        meta = tmp_path / role / "meta"
        meta.mkdir(parents=True)
        (meta / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": {"main": {"options": options}}}))
    return str(tmp_path)


def test_names():
    assert parameter_name("pam", "keel_pam_faillock_deny") == "FaillockDeny"
    assert parameter_name("ssm_agent", "keel_ssm_agent_proxy_url") == "ProxyUrl"
    assert document_name("ssm_agent") == "keel-ssm-ssm-agent"
    assert document_name("baseline") == "keel-ssm-baseline"
    with pytest.raises(KeelRuleError, match=r"^keel_other_x: role pam's settings"):
        parameter_name("pam", "keel_other_x")


def test_single_role_document_carries_connection_options_and_its_role(roles_dir):
    settings, left_out = document_settings("pam", roles_dir)
    names = [name for name, _, _ in settings]
    assert names == [
        "AwsEndpointUrl",
        "AwsRegion",
        "ParameterPath",
        "EnforceForRoot",
        "FaillockDeny",
        "Groups",
        "Hashing",
        "Minclass",
        "Ports",
        "Ratio",
    ]
    # Secrets travel only through Parameter Store (SecureString), never as document parameters.
    assert left_out == ["keel_pam_extra", "keel_pam_secret"]


def test_baseline_document_carries_the_switches(roles_dir):
    names = [name for name, _, _ in document_settings("baseline", roles_dir)[0]]
    assert "Pam" in names and "ParameterPath" in names


def test_every_definition_is_an_empty_default_env_var_string(roles_dir):
    for _, variable, spec in document_settings("pam", roles_dir)[0]:
        definition = parameter_definition(variable, spec)
        assert definition["type"] == "String"
        assert definition["default"] == ""
        assert definition["interpolationType"] == "ENV_VAR"
        assert variable in definition["description"]
        assert "allowedValues" in definition or definition["allowedPattern"].startswith("^")
        if "allowedPattern" in definition:
            assert definition["allowedPattern"].endswith("$")
            assert re.search(definition["allowedPattern"], "")


@pytest.mark.parametrize("spec", [spec for spec in PAM_SPEC.values() if value_rule(spec, "x")] + [{"type": "path"}])
@pytest.mark.parametrize("bad", SHELL_METACHARACTERS)
def test_rules_reject_shell_metacharacters(spec, bad):
    rule = value_rule(spec, "x")
    for value in (bad, f"ok{bad}", f"{bad}ok"):
        if "allowedValues" in rule:
            assert value not in rule["allowedValues"]
        elif bad == "\n" and value.endswith("\n"):
            # The service's `$` (like Python's re.search) matches before one final newline,
            # so "ok\n" passes there; inside the script's single quotes it is inert, and
            # keel-run's own check (fullmatch) refuses it.
            with pytest.raises(KeelRuleError):
                check_value("X", rule, value)
        else:
            assert not re.search(rule["allowedPattern"], value), (rule, value)


def test_delivery_parameters_are_anchored():
    for name, definition in DELIVERY_PARAMETERS.items():
        assert "allowedValues" in definition or (
            definition["allowedPattern"].startswith("^") and definition["allowedPattern"].endswith("$")
        ), name
    pattern = DELIVERY_PARAMETERS["BundleUrl"]["allowedPattern"]
    assert re.search(pattern, "https://s3.eu-west-1.amazonaws.com/bucket/keel-ssm/keel-ssm-bundle.zip")
    assert not re.search(pattern, "https://s3.amazonaws.com/b/x.zip;reboot")
    assert not re.search(pattern, "http://s3.amazonaws.com/b/x.zip")


@pytest.mark.parametrize(
    ("value", "seconds"), [("0", 0), ("7", 7), ("300", 300), ("999", 999), ("1799", 1799), ("1800", 1800)]
)
def test_max_read_delay_accepts_0_to_1800(value, seconds):
    assert max_read_delay({"SSM_MaxReadDelaySeconds": value}) == seconds
    # The document refuses what the helper refuses: one rule for both.
    assert re.search(DELIVERY_PARAMETERS["MaxReadDelaySeconds"]["allowedPattern"], value)


def test_max_read_delay_unset_is_the_document_default():
    assert DELIVERY_PARAMETERS["MaxReadDelaySeconds"]["default"] == "300"
    assert max_read_delay({}) == 300


@pytest.mark.parametrize("bad", ["1801", "2000", "01", "00", "-1", "", " 5", "5 ", "1.5", "1e3", "300\n", "$(id)"])
def test_max_read_delay_refuses_anything_else_naming_the_field_and_rule(bad):
    with pytest.raises(KeelRuleError, match=r"^MaxReadDelaySeconds: must be a whole number of seconds from 0 to 1800"):
        max_read_delay({"SSM_MaxReadDelaySeconds": bad})
    if not bad.endswith("\n"):  # the service's `$` admits one final newline; keel-run does not
        assert not re.search(DELIVERY_PARAMETERS["MaxReadDelaySeconds"]["allowedPattern"], bad)


def test_extra_vars_are_typed_and_empty_means_unset(roles_dir):
    environ = {
        "SSM_FaillockDeny": "3",
        "SSM_EnforceForRoot": "true",
        "SSM_Groups": "adm,sudo",
        "SSM_Ports": "22,443",
        "SSM_Ratio": "0.25",
        "SSM_Minclass": "2",
        "SSM_Hashing": "",
        "SSM_ParameterPath": "/baseline/prod",
        "SSM_Unrelated": "x",
    }
    assert extra_vars_from_environment("pam", environ, roles_dir) == {
        "keel_pam_faillock_deny": 3,
        "keel_pam_enforce_for_root": True,
        "keel_pam_groups": ["adm", "sudo"],
        "keel_pam_ports": [22, 443],
        "keel_pam_ratio": 0.25,
        "keel_pam_minclass": 2,
        "keel_baseline_parameter_path": "/baseline/prod",
    }


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SSM_FaillockDeny": "3; reboot"}, "FaillockDeny: value does not match"),
        ({"SSM_Hashing": "md5"}, "Hashing: value is not one of the allowed values"),
        ({"SSM_EnforceForRoot": "yes"}, "EnforceForRoot: value is not one of the allowed values"),
        ({"SSM_Minclass": "7"}, "Minclass: value is not one of the allowed values"),
    ],
)
def test_values_are_rechecked_on_the_instance(roles_dir, environ, message):
    with pytest.raises(KeelRuleError, match=message):
        extra_vars_from_environment("pam", environ, roles_dir)


def test_unknown_spec_type_is_refused():
    with pytest.raises(KeelRuleError, match=r"^keel_x_y: type 'tuple'"):
        value_rule({"type": "tuple"}, "keel_x_y")


def test_conversion_errors_name_the_parameter(roles_dir, tmp_path):
    # A pattern that admits a value the spec's type refuses (a list of ints given "1,x"
    # cannot pass the int pattern, so use a bool spec mutated to int to reach convert_setting).
    with pytest.raises((KeelRuleError, KeelRuleError), match="Ports"):
        extra_vars_from_environment("pam", {"SSM_Ports": "1,x"}, roles_dir)
