"""Parameter Store values -> typed role variables, per meta/argument_specs.yml."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.filter.settings import settings as settings_filter
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import (
    settings_from_parameters,
)

SPEC = {
    "argument_specs": {
        "main": {
            "options": {
                "keel_pam_faillock_deny": {"type": "int", "default": 5},
                "keel_pam_faillock_even_deny_root": {"type": "bool", "default": False},
                "keel_pam_hashing": {"type": "str", "choices": ["yescrypt", "sha512"]},
                "keel_pam_groups": {"type": "list", "elements": "str"},
                "keel_pam_ports": {"type": "list", "elements": "int"},
                "keel_pam_extra": {"type": "dict"},
            }
        }
    }
}


@pytest.fixture
def roles_dir(tmp_path):
    meta = tmp_path / "pam" / "meta"
    meta.mkdir(parents=True)
    (meta / "argument_specs.yml").write_text(yaml.safe_dump(SPEC))
    return tmp_path


def convert(roles_dir, parameters):
    return settings_from_parameters(parameters, "/baseline/prod", ["pam"], roles_dir=str(roles_dir))


def test_values_take_the_declared_type(roles_dir):
    result = convert(
        roles_dir,
        {
            "/baseline/prod/pam/faillock_deny": "3",
            "/baseline/prod/pam/faillock_even_deny_root": "yes",
            "/baseline/prod/pam/hashing": "sha512",
            "/baseline/prod/pam/groups": "adm, sudo",
            "/baseline/prod/pam/ports": "[22, 443]",
            "/baseline/prod/pam/extra": '{"a": 1}',
        },
    )
    assert result == {
        "keel_pam_faillock_deny": 3,
        "keel_pam_faillock_even_deny_root": True,
        "keel_pam_hashing": "sha512",
        "keel_pam_groups": ["adm", "sudo"],
        "keel_pam_ports": [22, 443],
        "keel_pam_extra": {"a": 1},
    }


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("/baseline/prod/pam/faillock_deny", "three", "expected an integer"),
        ("/baseline/prod/pam/faillock_even_deny_root", "maybe", "expected a boolean"),
        ("/baseline/prod/pam/hashing", "md5", "not one of yescrypt, sha512"),
        ("/baseline/prod/pam/ports", "22,x", "(element 1): expected an integer"),
        ("/baseline/prod/pam/extra", "[1]", "expected a JSON dict"),
        ("/baseline/prod/pam/no_such_setting", "1", "keel_pam_no_such_setting is not a setting of role pam"),
        ("/baseline/prod/nginx/workers", "1", "unknown role 'nginx'"),
        ("/baseline/prod/pam/deep/er", "1", "expected /baseline/prod/<role>/<setting>"),
    ],
)
def test_bad_parameters_are_named(roles_dir, name, value, rule):
    with pytest.raises(KeelRuleError) as err:
        convert(roles_dir, {name: value})
    assert str(err.value).startswith(name)
    assert rule in str(err.value)
    assert value not in str(err.value).replace(name, "")


def test_filter_wraps_errors():
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError, match=r"keel\.ssm\.settings: input must be a dict"):
        settings_filter(["not", "a", "dict"], "/baseline/prod")
