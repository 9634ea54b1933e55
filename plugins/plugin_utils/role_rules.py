# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' input rules that meta/argument_specs.yml cannot express, one function per
role, all checked the same way.

Each role's tasks/validate.yml hands every keel_<role>_* variable to the internal
keel.ssm.role_problems filter, which runs the role's function here, and asserts that the
list of problems is empty before anything changes. Each message names the variable and
the rule. Values are read the way the roles' templates read them (Jinja's int, string
and Ansible's bool), so a setting passes here exactly when the role can use it.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.keel.ssm.plugins.module_utils.documents.compliance import (
    check_compliance_type,
    check_resource_id,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.host.ssm_agent_rules import settings_problems
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw_rules import desired_rules

AUDITD_SIZE = re.compile(r"^[0-9]+%?$")
AUDITD_PERCENT = re.compile(r"^[0-9]+%$")
AUDITD_MAIL_ACCOUNT = re.compile(r"^[A-Za-z0-9._@+-]+$")
AUDITD_LOG_FILE = re.compile(r"^(/[A-Za-z0-9._-]+)+$")
DOT_SEGMENT = re.compile(r"/[.]{1,2}(/|$)")
PARAMETER_PATH = re.compile(r"^/[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
# keel.ssm.ufw_state options the ufw role sets from keel_ufw_<option> and whose shape
# (ports, addresses, duplicates) the argument spec cannot check.
UFW_RULE_OPTIONS = ("management_port", "management_sources", "allowed_ports", "allowed_out_ports")
UFW_SWITCHES = ("management_limit", "loopback", "ipv6")

Settings = dict[str, Any]


def _int(value: Any) -> int:
    """Jinja's `int` filter: the number, or 0 when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _bool(value: Any) -> bool:
    """Ansible's `bool` filter."""
    return boolean(value, strict=False)


def auditd_problems(settings: Settings) -> list[str]:
    def get(name):
        return settings.get(f"keel_auditd_{name}")

    problems = []
    if _int(get("max_log_file")) < 1:
        problems.append(f"keel_auditd_max_log_file: must be at least 1 (MiB), got {get('max_log_file')}")
    if not 0 <= _int(get("num_logs")) <= 999:
        problems.append(f"keel_auditd_num_logs: must be between 0 and 999, got {get('num_logs')}")
    space_left, admin_space_left = str(get("space_left")), str(get("admin_space_left"))
    if not AUDITD_SIZE.match(space_left):
        problems.append(f'keel_auditd_space_left: must be MiB (75) or percent (15%), got "{space_left}"')
    if not AUDITD_SIZE.match(admin_space_left):
        problems.append(f'keel_auditd_admin_space_left: must be MiB (50) or percent (5%), got "{admin_space_left}"')
    elif (
        AUDITD_SIZE.match(space_left)
        and bool(AUDITD_PERCENT.match(space_left)) == bool(AUDITD_PERCENT.match(admin_space_left))
        and _int(space_left.replace("%", "")) <= _int(admin_space_left.replace("%", ""))
    ):
        problems.append(
            f"keel_auditd_space_left ({space_left}) must be larger than keel_auditd_admin_space_left"
            f" ({admin_space_left}): auditd refuses to start otherwise"
        )
    mail_account = str(get("action_mail_acct"))
    if not AUDITD_MAIL_ACCOUNT.match(mail_account):
        problems.append(
            "keel_auditd_action_mail_acct: must be an account or address (letters, digits, ._@+-),"
            f' got "{mail_account}"'
        )
    log_file = str(get("log_file"))
    if not AUDITD_LOG_FILE.match(log_file) or os.path.dirname(log_file) == "/" or DOT_SEGMENT.search(log_file):
        problems.append(
            "keel_auditd_log_file: must be an absolute path of letters, digits and ._-/ below a directory"
            f' other than /, got "{log_file}"'
        )
    if get("retention_days") is not None and _int(get("retention_days")) < 0:
        problems.append(
            f"keel_auditd_retention_days: must be 0 (off), null (off) or a number of days, got {get('retention_days')}"
        )
    if _int(get("backlog_limit")) < 1:
        problems.append(
            f"keel_auditd_backlog_limit: must be at least 1 (CIS asks for 8192 or more), got {get('backlog_limit')}"
        )
    if _int(get("uid_min")) < 1:
        problems.append(f"keel_auditd_uid_min: must be at least 1, got {get('uid_min')}")
    return problems


def pam_problems(settings: Settings) -> list[str]:
    def get(name):
        return settings.get(f"keel_pam_{name}")

    problems = []
    if _bool(get("pwquality")) and not (
        6 <= _int(get("pwquality_minlen")) <= 256
        and _int(get("pwquality_difok")) >= 0
        and _int(get("pwquality_maxrepeat")) >= 0
        and _int(get("pwquality_maxsequence")) >= 0
    ):
        problems.append(
            "keel_pam_pwquality_minlen must be 6 to 256 (libpwquality refuses less than 6), and"
            " keel_pam_pwquality_difok, _maxrepeat and _maxsequence must be 0 or more"
            f" (got minlen={get('pwquality_minlen')}, difok={get('pwquality_difok')},"
            f" maxrepeat={get('pwquality_maxrepeat')}, maxsequence={get('pwquality_maxsequence')})."
        )
    faillock = _bool(get("faillock"))
    if faillock and not (
        _int(get("faillock_deny")) >= 1
        and _int(get("faillock_unlock_time")) >= 0
        and _int(get("faillock_fail_interval")) >= 1
    ):
        problems.append(
            "keel_pam_faillock_deny must be 1 or more (set keel_pam_faillock to false to turn lock-out off),"
            " keel_pam_faillock_unlock_time 0 or more and keel_pam_faillock_fail_interval 1 or more"
            f" (got deny={get('faillock_deny')}, unlock_time={get('faillock_unlock_time')},"
            f" fail_interval={get('faillock_fail_interval')})."
        )
    if faillock and _bool(get("faillock_even_deny_root")) and _int(get("faillock_root_unlock_time")) < 1:
        problems.append(
            "keel_pam_faillock_even_deny_root is set with keel_pam_faillock_root_unlock_time"
            f" {get('faillock_root_unlock_time')}: root would stay locked until `faillock --reset`, which only"
            " root can run, so a password-guessing attack could lock every account out for good. Set"
            " keel_pam_faillock_root_unlock_time to 1 or more (CIS 5.3.3.1.3 asks for 60 or more)."
        )
    if _bool(get("pwhistory")) and not 1 <= _int(get("pwhistory_remember")) <= 400:
        problems.append(
            "keel_pam_pwhistory_remember must be 1 to 400, pam_pwhistory's limit"
            f" (got {get('pwhistory_remember')}); set keel_pam_pwhistory to false to turn the history off."
        )
    max_days, min_days, warn_age = get("pass_max_days"), get("pass_min_days"), get("pass_warn_age")
    if not (1 <= _int(max_days) <= 99999 and _int(min_days) >= 0 and _int(warn_age) >= 0):
        problems.append(
            "keel_pam_pass_max_days must be 1 to 99999, keel_pam_pass_min_days and keel_pam_pass_warn_age"
            f" 0 or more (got {max_days}, {min_days}, {warn_age})."
        )
    if not _int(min_days) < _int(max_days):
        problems.append(
            f"keel_pam_pass_min_days ({min_days}) must be lower than keel_pam_pass_max_days ({max_days}):"
            " otherwise a password expires before its owner may change it, and every account with a"
            " password ends up locked out."
        )
    return problems


def ufw_problems(settings: Settings) -> list[str]:
    """The shapes keel.ssm.ufw_state's own parser checks (PORT/PROTO, addresses without
    host bits, duplicates, IPv6 sources with IPv6 off): the same code later builds the
    rules, so what passes here is what the module applies."""
    options: Settings = {name: settings.get(f"keel_ufw_{name}") for name in UFW_RULE_OPTIONS}
    options.update((name, _bool(settings.get(f"keel_ufw_{name}"))) for name in UFW_SWITCHES)
    try:
        desired_rules(options, prefix="keel_ufw_")
    except KeelRuleError as exc:
        return [str(exc)]
    return []


def ssm_agent_problems(settings: Settings) -> list[str]:
    return settings_problems(settings)


def baseline_problems(settings: Settings) -> list[str]:
    problems = []
    path = settings.get("keel_baseline_parameter_path") or ""
    if path and not PARAMETER_PATH.match(str(path)):
        problems.append(
            "keel_baseline_parameter_path must be empty or a Parameter Store path such as /baseline/prod"
            " (a leading '/', then levels of letters, digits, '_', '.', '-' separated by single '/', no"
            f" trailing '/'); got {json.dumps(path)}"
        )
    # The compliance report's own rules, checked before the roles change anything rather
    # than when the report is sent (a report that fails to send does not fail the run).
    compliance_type = settings.get("keel_baseline_compliance_type", "Custom:KeelBaseline")
    try:
        check_compliance_type(compliance_type)
    except KeelRuleError as exc:
        problems.append(f"keel_baseline_{exc}")
    resource_id = settings.get("keel_baseline_compliance_resource_id") or ""
    if resource_id:
        try:
            check_resource_id(str(resource_id), "keel_baseline_compliance_resource_id")
        except KeelRuleError as exc:
            problems.append(str(exc))
    return problems


ROLE_RULES: dict[str, Callable[[Settings], list[str]]] = {
    "auditd": auditd_problems,
    "baseline": baseline_problems,
    "pam": pam_problems,
    "ssm_agent": ssm_agent_problems,
    "ufw": ufw_problems,
}


def role_problems(role: str, settings: Settings) -> list[str]:
    """Every broken rule of `role`'s settings (by full variable name); empty when usable."""
    if role not in ROLE_RULES:
        raise KeelRuleError(f"role: {role!r} is not one of {', '.join(sorted(ROLE_RULES))}")
    return ROLE_RULES[role](settings)
