"""Controls as data (roles/<role>/meta/controls.yml), checked against the roles as
ansible-playbook sees them and against the files the roles write:

- every task that enforces a control carries exactly one control id as a tag, every
  declared control is enforced by some task, and `--tags ID` / `--skip-tags ID` select
  exactly that control's tasks (ansible-playbook --list-tasks, the real tag logic);
- the internal keel.ssm.role_controls filter gives each check the settings it declares
  (a role default where none is given) and nothing else;
- each check is valid sh, fails on an empty root (nothing configured) and holds on the
  files the role's own templates render with its defaults, and fails again when one
  setting differs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.keel.ssm.plugins.filter.role_controls import FilterModule
from ansible_collections.keel.ssm.plugins.plugin_utils.role_controls import check_environment, role_controls
from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import PARAMETER_STORE_ROLES, ROLES_DIR
from tests.helpers import REPO_ROOT

TASK_LINE = re.compile(r"^\s+(?P<name>.+?)\tTAGS: \[(?P<tags>[^\]]*)\]$")
# Tasks that enforce something no benchmark recommendation asks for (the README says so).
NOT_A_BENCHMARK_CONTROL = {"auditd": {"auditd_retention"}}
# On an empty root these hold: nothing to remove, no boot loader to configure.
HOLD_ON_AN_EMPTY_ROOT = {"4.2.2", "6.2.1.3"}


def list_tasks(tmp_path, role, *args):
    playbook = tmp_path / f"{role}.yml"
    playbook.write_text(yaml.safe_dump([{"name": "list", "hosts": "all", "roles": [{"role": f"keel.ssm.{role}"}]}]))
    ansible = Path(sys.executable).parent / "ansible-playbook"
    completed = subprocess.run(
        [str(ansible), "-i", "localhost,", str(playbook), "--list-tasks", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    tasks = []
    for line in completed.stdout.splitlines():
        match = TASK_LINE.match(line)
        if match and not match["name"].startswith(("Validating arguments", "play #")):
            tasks.append((match["name"], {tag.strip() for tag in match["tags"].split(",") if tag.strip()}))
    return tasks


@pytest.fixture(scope="module", params=PARAMETER_STORE_ROLES)
def role_tasks(request, tmp_path_factory):
    role = request.param
    return role, list_tasks(tmp_path_factory.mktemp(role), role), tmp_path_factory


def test_every_enforcing_task_carries_exactly_one_control_id(role_tasks):
    role, tasks, _ = role_tasks
    ids = {control["id"] for control in role_controls(role)}
    enforced = set()
    for name, tags in tasks:
        carried = tags & ids
        assert len(carried) <= 1, f"{name}: {sorted(carried)}"
        enforced |= carried
        if not carried:
            assert "always" in tags or tags & NOT_A_BENCHMARK_CONTROL.get(role, set()), f"{name} carries no control id"
    assert enforced == ids


def test_tags_and_skip_tags_select_exactly_one_control(role_tasks):
    role, tasks, factory = role_tasks
    tmp_path = factory.mktemp(f"{role}-tags")
    for control in role_controls(role):
        cid = control["id"]
        own = [(name, tags) for name, tags in tasks if cid in tags]
        assert own
        selected = list_tasks(tmp_path, role, "--tags", cid)
        assert [task for task in selected if "always" not in task[1]] == own
        skipped = list_tasks(tmp_path, role, "--skip-tags", cid)
        assert skipped == [task for task in tasks if cid not in task[1]]


def run_check(control, values, root):
    env = check_environment(control, values, root=str(root))
    return subprocess.run(["sh", "-c", control["check"]], env={"PATH": "/usr/bin:/bin", **env}, check=False).returncode


def defaults(role):
    return yaml.safe_load((Path(ROLES_DIR) / role / "defaults" / "main.yml").read_text())


@pytest.mark.parametrize("role", PARAMETER_STORE_ROLES)
def test_checks_are_sh_and_fail_where_nothing_is_configured(role, tmp_path):
    for control in role_controls(role):
        syntax = subprocess.run(["sh", "-n", "-c", control["check"]], capture_output=True, text=True, check=False)
        assert syntax.returncode == 0, f"{control['id']}: {syntax.stderr}"
        status = run_check(control, defaults(role), tmp_path)
        assert (status == 0) == (control["id"] in HOLD_ON_AN_EMPTY_ROOT), control["id"]


def render_pam_files(root, values):
    # Config files, not HTML: rendered as the template module renders them (no escaping).
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(ROLES_DIR) / "pam" / "templates")))  # noqa: S701
    env.filters["comment"] = lambda text: f"# {text}"
    env.filters["bool"] = bool
    etc = root / "etc" / "security"
    etc.mkdir(parents=True, exist_ok=True)
    for name in ("faillock.conf", "pwquality.conf", "pwhistory.conf"):
        text = env.get_template(f"{name}.j2").render(ansible_managed="managed", **values)
        (etc / name).write_text(text)
    defs = {
        "ENCRYPT_METHOD": values["keel_pam_hashing"].upper(),
        "PASS_MAX_DAYS": values["keel_pam_pass_max_days"],
        "PASS_MIN_DAYS": values["keel_pam_pass_min_days"],
        "PASS_WARN_AGE": values["keel_pam_pass_warn_age"],
    }
    (root / "etc" / "login.defs").write_text("".join(f"{key}\t{value}\n" for key, value in defs.items()))


@pytest.mark.parametrize(
    ("cid", "setting", "other"),
    [
        ("5.3.3.1.1", "keel_pam_faillock_deny", 3),
        ("5.3.3.1.1", "keel_pam_faillock_even_deny_root", True),
        ("5.3.3.2.2", "keel_pam_pwquality_minlen", 20),
        ("5.3.3.2.2", "keel_pam_pwquality_dictcheck", False),
        ("5.3.3.3.1", "keel_pam_pwhistory_remember", 24),
        ("5.4.1.1", "keel_pam_pass_max_days", 90),
        ("5.4.1.1", "keel_pam_hashing", "sha512"),
    ],
)
def test_a_pam_check_holds_on_what_the_role_writes_and_fails_when_a_setting_differs(tmp_path, cid, setting, other):
    (control,) = [c for c in role_controls("pam") if c["id"] == cid]
    values = defaults("pam")
    render_pam_files(tmp_path, values)
    assert run_check(control, values, tmp_path) == 0
    assert run_check(control, dict(values, **{setting: other}), tmp_path) == 1
    render_pam_files(tmp_path, dict(values, **{setting: other}))
    assert run_check(control, dict(values, **{setting: other}), tmp_path) == 0


filter_role_controls = FilterModule().filters()["role_controls"]


def test_the_filter_gives_defaults_given_values_and_only_the_declared_settings():
    secret = "KEELTESTDOUBLE-filter-code"
    controls = filter_role_controls(
        {"keel_pam_faillock_deny": 3, "keel_ssm_agent_activation_code": secret, "keel_pam_unknown": 1},
        ["pam", "ssm_agent"],
        "/tmp/root",
    )
    faillock = next(c for c in controls if c["id"] == "5.3.3.1.1")
    assert faillock["role"] == "pam"
    assert faillock["environment"] == {
        "KEEL_ROOT": "/tmp/root",
        "KEEL_PAM_FAILLOCK": "true",
        "KEEL_PAM_FAILLOCK_DENY": "3",
        "KEEL_PAM_FAILLOCK_UNLOCK_TIME": "900",
        "KEEL_PAM_FAILLOCK_FAIL_INTERVAL": "900",
        "KEEL_PAM_FAILLOCK_EVEN_DENY_ROOT": "false",
    }
    assert [c["role"] for c in controls].count("ssm_agent") == 1
    assert all(secret not in str(c["environment"]) for c in controls)


def test_the_filter_refuses_bad_input():
    with pytest.raises(AnsibleFilterError, match="input must be a dict"):
        filter_role_controls([], ["pam"])
    with pytest.raises(AnsibleFilterError, match="cannot read"):
        filter_role_controls({}, ["nosuchrole"])


UFW_FIXTURES = REPO_ROOT / "tests" / "unit" / "plugins" / "module_utils" / "host" / "fixtures" / "ufw"


@pytest.mark.parametrize("release", ["bookworm", "trixie"])
def test_the_ufw_firewall_check_holds_on_what_the_real_ufw_stored(tmp_path, release):
    """The files bookworm's and trixie's real ufw left after the `fresh` scenario (the
    adapter's fixtures), as the role leaves them: enabled, policies, rules."""
    scenario = json.loads((UFW_FIXTURES / f"{release}.json").read_text())["scenarios"][0]
    files = dict(scenario["files"], **scenario["steps"][-1]["rules"])
    for path, text in files.items():
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (control,) = [c for c in role_controls("ufw") if c["id"] == "4.2.7"]
    values = dict(defaults("ufw"), keel_ufw_management_port=scenario["settings"]["management_port"])
    enabled = "ENABLED=yes" in files["/etc/ufw/ufw.conf"]
    assert run_check(control, values, tmp_path) == (0 if enabled else 1)
    (tmp_path / "etc/ufw/ufw.conf").write_text("ENABLED=yes\n")
    assert run_check(control, values, tmp_path) == 0
    assert run_check(control, dict(values, keel_ufw_management_port="2222/tcp"), tmp_path) == 1
    assert run_check(control, dict(values, keel_ufw_incoming="reject"), tmp_path) == 1


def test_the_pwhistory_check_reads_the_stack_where_pam_has_no_pwhistory_conf(tmp_path):
    """bookworm's PAM 1.5.2 takes remember= on pam_pwhistory's line (the role's profile)."""
    (control,) = [c for c in role_controls("pam") if c["id"] == "5.3.3.3.1"]
    pamd = tmp_path / "etc" / "pam.d"
    pamd.mkdir(parents=True)
    line = "password\trequisite\tpam_pwhistory.so remember=5 enforce_for_root use_authtok\n"
    (pamd / "common-password").write_text(line)
    values = defaults("pam")
    assert run_check(control, values, tmp_path) == 0
    assert run_check(control, dict(values, keel_pam_pwhistory_remember=24), tmp_path) == 1
    (pamd / "common-password").write_text(line.replace(" enforce_for_root", ""))
    assert run_check(control, values, tmp_path) == 1


def test_the_audit_rules_check_finds_the_files_the_role_names(tmp_path):
    """keel-<order>-<group with dashes>.rules, as roles/auditd/tasks/rules.yml names them."""
    (control,) = [c for c in role_controls("auditd") if c["id"] == "6.2.3.1"]
    groups = yaml.safe_load((Path(ROLES_DIR) / "auditd" / "vars" / "main.yml").read_text())["_keel_auditd_rule_groups"]
    rules = tmp_path / "etc" / "audit" / "rules.d"
    rules.mkdir(parents=True)
    for group in groups:
        (rules / f"keel-{group['order']}-{group['name'].replace('_', '-')}.rules").write_text("-w /x\n")
    (tmp_path / "etc" / "audit" / "audit.rules").write_text("-D\n")
    values = defaults("auditd")
    assert run_check(control, values, tmp_path) == 0
    (rules / "keel-11-user-emulation.rules").unlink()
    assert run_check(control, values, tmp_path) == 1
    assert run_check(control, dict(values, keel_auditd_disabled_rules=["user_emulation"]), tmp_path) == 0
