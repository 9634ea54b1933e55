"""The roles' input rules (plugin_utils/role_rules.py), which every role checks the same
way through keel.ssm.role_problems before it changes anything: each role's defaults pass,
each broken rule gives a message naming the variable and the rule."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.keel.ssm.plugins.filter.role_problems import role_problems as role_problems_filter
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.role_rules import ROLE_RULES, role_problems
from tests.helpers import REPO_ROOT

ROLES = REPO_ROOT / "roles"


def defaults(role, **overrides):
    values = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    values.update({f"keel_{role}_{key}": value for key, value in overrides.items()})
    return values


def test_every_role_has_rules_and_its_validate_tasks_use_them():
    assert set(ROLE_RULES) == {path.name for path in ROLES.iterdir() if (path / "tasks" / "validate.yml").exists()}
    for role in ROLE_RULES:
        text = (ROLES / role / "tasks" / "validate.yml").read_text()
        assert f"keel.ssm.role_problems('{role}')" in text, role


@pytest.mark.parametrize("role", sorted(ROLE_RULES))
def test_defaults_pass(role):
    assert role_problems(role, defaults(role)) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_log_file": 0}, "keel_auditd_max_log_file: must be at least 1 (MiB), got 0"),
        ({"num_logs": 1000}, "keel_auditd_num_logs: must be between 0 and 999, got 1000"),
        ({"space_left": "15 %"}, 'keel_auditd_space_left: must be MiB (75) or percent (15%), got "15 %"'),
        ({"admin_space_left": "x"}, 'keel_auditd_admin_space_left: must be MiB (50) or percent (5%), got "x"'),
        (
            {"space_left": "5%", "admin_space_left": "5%"},
            "keel_auditd_space_left (5%) must be larger than keel_auditd_admin_space_left (5%)",
        ),
        ({"action_mail_acct": "root;rm"}, "keel_auditd_action_mail_acct: must be an account or address"),
        ({"log_file": "/audit.log"}, "keel_auditd_log_file: must be an absolute path"),
        ({"log_file": "/var/log/../audit.log"}, "keel_auditd_log_file: must be an absolute path"),
        ({"retention_days": -1}, "keel_auditd_retention_days: must be 0 (off), null (off) or a number of days"),
        ({"backlog_limit": 0}, "keel_auditd_backlog_limit: must be at least 1"),
        ({"uid_min": "none"}, "keel_auditd_uid_min: must be at least 1, got none"),
    ],
)
def test_auditd_rules(overrides, message):
    problems = role_problems("auditd", defaults("auditd", **overrides))
    assert len(problems) == 1 and message in problems[0]


def test_auditd_sizes_in_different_units_are_not_compared():
    assert role_problems("auditd", defaults("auditd", space_left="75", admin_space_left="50%")) == []
    assert role_problems("auditd", defaults("auditd", retention_days=None)) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"pwquality_minlen": 5}, "keel_pam_pwquality_minlen must be 6 to 256 (libpwquality refuses less than 6)"),
        ({"faillock_deny": 0}, "keel_pam_faillock_deny must be 1 or more"),
        (
            {"faillock_even_deny_root": True, "faillock_root_unlock_time": 0},
            "keel_pam_faillock_root_unlock_time 0: root would stay locked until `faillock --reset`",
        ),
        ({"pwhistory_remember": 401}, "keel_pam_pwhistory_remember must be 1 to 400, pam_pwhistory's limit (got 401)"),
        ({"pass_warn_age": -1}, "keel_pam_pass_min_days and keel_pam_pass_warn_age 0 or more"),
        (
            {"pass_min_days": 30, "pass_max_days": 30},
            "keel_pam_pass_min_days (30) must be lower than keel_pam_pass_max_days (30)",
        ),
    ],
)
def test_pam_rules(overrides, message):
    problems = role_problems("pam", defaults("pam", **overrides))
    assert len(problems) == 1 and message in problems[0]


def test_pam_rules_of_a_feature_turned_off_do_not_apply():
    settings = defaults("pam", pwquality=False, pwquality_minlen=1, faillock="false", faillock_deny=0)
    settings.update(keel_pam_pwhistory="no", keel_pam_pwhistory_remember=0)
    assert role_problems("pam", settings) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"management_port": "22"}, "keel_ufw_management_port: '22' is not PORT/PROTO"),
        ({"management_sources": []}, "keel_ufw_management_sources: must name at least one source"),
        ({"allowed_ports": ["443/tcp from 10.0.0.1/8"]}, "keel_ufw_allowed_ports[0]: '10.0.0.1/8' must be 'any'"),
        ({"allowed_ports": ["443/tcp", "443/tcp"]}, "keel_ufw_allowed_ports[1] duplicates keel_ufw_allowed_ports[0]"),
        (
            {"ipv6": "false", "allowed_out_ports": ["53/udp to 2001:db8::1"]},
            "keel_ufw_allowed_out_ports[0]: '53/udp to 2001:db8::1' is an IPv6 address but IPv6 is switched off",
        ),
    ],
)
def test_ufw_rules_are_the_modules_own_parser(overrides, message):
    problems = role_problems("ufw", defaults("ufw", **overrides))
    assert len(problems) == 1 and message in problems[0]


def test_baseline_path_rule():
    assert role_problems("baseline", defaults("baseline", parameter_path="/baseline/prod")) == []
    problems = role_problems("baseline", defaults("baseline", parameter_path="baseline/prod/"))
    assert problems == [
        "keel_baseline_parameter_path must be empty or a Parameter Store path such as /baseline/prod (a leading"
        " '/', then levels of letters, digits, '_', '.', '-' separated by single '/', no trailing '/'); got"
        ' "baseline/prod/"'
    ]


def test_an_unknown_role_is_refused():
    with pytest.raises(KeelRuleError, match="role: 'nginx' is not one of"):
        role_problems("nginx", {})
    with pytest.raises(AnsibleFilterError, match=r"keel\.ssm\.role_problems: role: 'nginx'"):
        role_problems_filter({}, "nginx")


def test_baseline_compliance_rules():
    assert role_problems("baseline", defaults("baseline", compliance_resource_id="mi-0123456789abcdef0")) == []
    problems = role_problems(
        "baseline", defaults("baseline", compliance_type="Custom:keel.baseline", compliance_resource_id="i" * 101)
    )
    assert problems[0].startswith("keel_baseline_compliance_type: letters, digits and _")
    assert (
        problems[1] == "keel_baseline_compliance_resource_id: 1 to 100 characters (an instance id such as"
        " i-0123456789abcdef0 or mi-...)"
    )
