"""The baseline on booted Debian 12 VMs, checked by behaviour on their real kernels after
the reboot (molecule/vm): keel-vm-defaults ran the keel-ssm-baseline document with its
defaults, keel-vm-settings with settings from the moto server on the controller
(immutable audit rules among them); both were rebooted through GRUB.

Expected values: the role defaults on keel-vm-defaults; on keel-vm-settings the scenario's
settings (group_vars/all.yml), each first checked to differ from the role default, so a
default cannot pass for a setting.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import time
from pathlib import Path

import pytest
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from pam_checks import authenticate, fail_logins, faillock_reset, pwscore, strong_password  # noqa: E402
from probe import connect  # noqa: E402

ROLES = SCENARIO.parents[1] / "roles"
VARS = yaml.safe_load((SCENARIO / "group_vars" / "all.yml").read_text())
SETTINGS = VARS["vm_settings"]
PLATFORMS = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["platforms"]
STATE = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "vm"
OUTPUT = STATE / "rehearsal" / "output"
COMMANDS = {command["instance"]: command["command"] for command in VARS["vm_all_commands"]}
testinfra_hosts = [platform["name"] for platform in PLATFORMS]
SETTINGS_HOST = "keel-vm-settings"


def role_default(role, setting):
    return yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())[f"keel_{role}_{setting}"]


def from_parameter_store(role, name):
    value = SETTINGS[role][name]
    assert str(value).lower() != str(role_default(role, name)).lower(), f"{role}/{name} equals the role default"
    return value


@pytest.fixture(scope="module")
def name(host):
    return host.backend.get_hostname()


@pytest.fixture(scope="module")
def expected(name):
    """What this guest must hold: Parameter Store's value on the settings guest, the role
    default on the other."""

    def value(role, setting):
        found = from_parameter_store(role, setting) if name == SETTINGS_HOST else role_default(role, setting)
        return str(found).lower()

    return value


@pytest.fixture(scope="module")
def lab(name):
    return json.loads((STATE / f"{name}.json").read_text())


def output(name, first=False):
    return (OUTPUT / f"{COMMANDS[name]}{'.first' if first else ''}.log").read_text()


# --- the runs -------------------------------------------------------------------------

RECAP = re.compile(r"ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


@pytest.mark.parametrize("first", [True, False], ids=["converge", "rerun"])
def test_the_document_ran_clean_under_debians_ansible_core(name, first):
    log = output(name, first)
    assert re.findall(r"\(exit (\d+)\)", log) == ["0"] * len(re.findall(r"\(exit ", log)), log[-3000:]
    assert re.search(r"using the distribution's ansible-core 2\.14\.\d+", log), log[:2000]
    recaps = RECAP.findall(log)
    assert len(recaps) == 1 and recaps[0][1:] == ("0", "0"), recaps


def test_the_rerun_changed_nothing(name):
    """The idempotence step's run of the same command (its output replaced converge's)."""
    assert [changed for changed, _unreachable, _failed in RECAP.findall(output(name))] == ["0"]
    assert RECAP.findall(output(name, first=True))[0][0] != "0", "the first run changed nothing: not a fresh host"


def test_settings_came_from_where_they_should(name):
    log = output(name, first=True)
    read = re.search(r"\d+ setting\(s\) from " + re.escape(VARS["vm_parameter_path"]) + ":", log)
    assert bool(read) == (name == SETTINGS_HOST), log[-3000:]
    if name != SETTINGS_HOST:
        # keel-run's own line: the one document parameter given (SsmAgent) and nothing else.
        assert "1 setting(s) from document parameters: keel_baseline_ssm_agent" in log


WAITED = re.compile(
    r"keel-run: waiting (\d+\.\d) s \(random, at most MaxReadDelaySeconds=(\d+)\) before the settings read"
)


@pytest.mark.parametrize("first", [True, False], ids=["converge", "rerun"])
def test_keel_run_waited_a_bounded_random_time_only_before_a_read(name, first):
    """The settings guest's document passes MaxReadDelaySeconds=20 with its ParameterPath;
    the defaults guest has no path, so nothing is read and nothing waited for (its document
    default, 300, notwithstanding)."""
    waits = WAITED.findall(output(name, first))
    if name != SETTINGS_HOST:
        assert waits == []
        return
    limit = VARS["vm_settings_parameters"]["MaxReadDelaySeconds"]
    assert limit == "20"
    assert len(waits) == 1 and waits[0][1] == limit, output(name, first)[:3000]
    assert 0 <= float(waits[0][0]) <= int(limit)


def test_the_first_run_refreshed_the_empty_apt_lists_for_pam(host, name):
    """The image has no apt lists and nothing ran apt before the document: the pam role
    found its packages missing and refreshed the lists itself."""
    log = output(name, first=True)
    assert re.search(r"TASK \[keel\.ssm\.pam : Install the PAM packages\][^\n]*\n(changed|ok): ", log), log[-4000:]
    assert host.package("libpam-pwquality").is_installed


# --- boot -----------------------------------------------------------------------------


def test_booted_through_grub_with_the_audit_settings(host, expected):
    cmdline = host.file("/proc/cmdline").content_string.split()
    assert any(word.startswith("BOOT_IMAGE=") for word in cmdline), "not booted through GRUB"
    assert "audit=1" in cmdline
    assert f"audit_backlog_limit={expected('auditd', 'backlog_limit')}" in cmdline


def test_the_guest_is_not_taken_for_a_container(host):
    assert host.check_output("systemd-detect-virt") == "qemu"


# --- auditd ---------------------------------------------------------------------------


def normalise(rule):
    """A rule as auditctl -l prints it: -k KEY is -F key=KEY, unset and 4294967295 are -1,
    syscall lists in any order, an exit rule without syscalls is -S all, a field comparison
    (-C) in either order."""
    words = shlex.split(rule)
    head, fields, syscalls, key = [], [], [], None
    index = 0
    while index < len(words):
        word, value = words[index], words[index + 1] if index + 1 < len(words) else ""
        if word in ("-a", "-w", "-p"):
            head.append(f"{word} {value.rstrip('/') if word == '-w' else value}")
        elif word == "-S":
            syscalls.extend(value.split(","))
        elif word == "-k" or (word == "-F" and value.startswith("key=")):
            key = value.removeprefix("key=")
        elif word == "-C":
            # A comparison of two fields: auditctl prints `-C euid!=uid` as `-C uid!=euid`.
            left, operator, right = re.match(r"(\w+)(!=|=)(\w+)$", value).groups()
            fields.append(f"-C {operator.join(sorted((left, right)))}")
        elif word == "-F":
            fields.append(word + " " + re.sub(r"(!=|=)(unset|4294967295)$", r"\g<1>-1", value))
        else:
            raise AssertionError(f"unexpected word {word!r} in rule {rule!r}")
        index += 2
    if head and head[0].startswith("-a") and not syscalls:
        syscalls = ["all"]
    return (tuple(head), tuple(sorted(set(syscalls))), tuple(fields), key)


def written_rules(host):
    """The rules augenrules merged from the role's files (what the kernel must hold)."""
    text = host.file("/etc/audit/audit.rules").content_string
    return [line for line in text.splitlines() if line.startswith(("-a ", "-w "))]


def test_the_kernel_holds_exactly_the_rules_the_role_wrote(host):
    written = [normalise(rule) for rule in written_rules(host)]
    listed = host.check_output("auditctl -l").splitlines()
    loaded = [normalise(rule) for rule in listed if rule.strip() and rule != "No rules"]
    assert len(written) > 50
    missing = [rule for rule in written if rule not in loaded]
    extra = [rule for rule in loaded if rule not in written]
    assert not missing and not extra, f"written, not loaded: {missing}\nloaded, not written: {extra}"
    assert loaded == written, "same rules, another order"


def test_auditd_runs_with_the_settings(host, expected):
    assert host.service("auditd").is_running
    status = host.check_output("auditctl -s")
    assert re.search(rf"^backlog_limit {expected('auditd', 'backlog_limit')}$", status, re.M), status
    conf = host.file("/etc/audit/auditd.conf").content_string
    assert re.search(rf"^num_logs = {expected('auditd', 'num_logs')}$", conf, re.M)


def test_immutable_exactly_where_set(host, expected):
    immutable = expected("auditd", "immutable") == "true"
    status = host.check_output("auditctl -s")
    assert re.search(rf"^enabled {2 if immutable else 1}$", status, re.M), status
    attempt = host.run("auditctl -w /var/tmp -p wa -k keel-vm-probe")
    try:
        if immutable:
            # auditctl exits 0 here; the kernel's refusal is in its message, and the rule is absent.
            assert "immutable mode" in attempt.stdout + attempt.stderr
            assert "keel-vm-probe" not in host.check_output("auditctl -l")
        else:
            assert attempt.rc == 0 and "keel-vm-probe" in host.check_output("auditctl -l")
    finally:
        if not immutable:
            host.run("auditctl -W /var/tmp -p wa -k keel-vm-probe")


def wait_for_event(host, key, needle, timeout=30):
    """auditd writes asynchronously: an event shows in ausearch a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        # --input-logs: without a terminal ausearch would read its standard input instead.
        found = host.run(f"ausearch --input-logs -i -k {shlex.quote(key)} --start recent")
        if needle in found.stdout or time.monotonic() > deadline:
            return found.stdout
        time.sleep(2)


def test_audited_actions_produce_events_with_the_roles_keys(host):
    host.run_test("userdel -r keel-vm-audit >/dev/null 2>&1 || true; useradd -M keel-vm-audit")
    try:
        assert "keel-vm-audit" in wait_for_event(host, "identity", "keel-vm-audit")
        host.run_test("install -m 0440 /dev/null /etc/sudoers.d/keel-vm-audit")
        assert "keel-vm-audit" in wait_for_event(host, "scope", "/etc/sudoers.d/keel-vm-audit")
    finally:
        host.run("rm -f /etc/sudoers.d/keel-vm-audit; userdel keel-vm-audit")


def test_the_retention_timer_exactly_where_set(host, expected):
    timer = host.service("keel-auditd-retention.timer")
    if int(expected("auditd", "retention_days")) > 0:
        assert timer.is_enabled and timer.is_running
    else:
        assert not host.file("/etc/systemd/system/keel-auditd-retention.timer").exists


# --- ufw ------------------------------------------------------------------------------


def test_ufw_is_active_after_the_reboot(host, name):
    status = host.check_output("ufw status verbose")
    assert "Status: active" in status
    allows_8443 = re.search(r"^8443/tcp\s+ALLOW IN\s+Anywhere", status, re.M)
    assert bool(allows_8443) == (name == SETTINGS_HOST), status


def test_ufw_kernel_settings_are_in_effect(host):
    managed = {}
    for line in host.file("/etc/ufw/sysctl.conf").content_string.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            managed[name.strip().replace("/", ".")] = value.strip()
    assert len(managed) > 5
    wrong = {}
    for name, value in managed.items():
        actual = host.run(f"sysctl -n {shlex.quote(name)}")
        if actual.rc == 0 and actual.stdout.split() != value.split():
            wrong[name] = (value, actual.stdout.strip())
    assert not wrong, f"sysctl.conf value, kernel value: {wrong}"


def test_from_the_host_allowed_ports_answer_and_an_unlisted_one_does_not(host, lab):
    answers = {label: connect("127.0.0.1", port, timeout=20, banner=True) for label, port in lab["ports"].items()}
    assert answers["ssh"]["result"] == "open" and answers["ssh"]["banner"].startswith("SSH-2.0-"), answers
    if "allowed" in answers:
        assert answers["allowed"]["result"] == "open", answers
        assert answers["allowed"]["banner"] == "keel-vm-listener 8443", answers
    assert answers["unlisted"]["result"] == "silent", answers
    # The unlisted port does listen: inside the guest it answers.
    inside = host.run("python3 -c 'import socket; print(socket.create_connection((\"127.0.0.1\", 8081)).recv(64))'")
    assert "keel-vm-listener 8081" in inside.stdout


def test_the_management_port_stayed_open_through_every_run(name, lab):
    """The watch probed ssh's banner from boot until before the reboot: every probe answered,
    none paused long, and the probes span the converge and the rerun."""
    records = [json.loads(line) for line in (STATE / f"{name}.watch.jsonl").read_text().splitlines()]
    assert len(records) > 10
    closed = [record for record in records if record["result"] != "open"]
    assert not closed, f"the management port did not answer: {closed}"
    times = [record["t"] for record in records]
    gaps = [round(later - earlier) for earlier, later in zip(times, times[1:]) if later - earlier > 35]
    assert not gaps, f"the watch paused for {gaps} s"
    first_run_ended = (OUTPUT / f"{COMMANDS[name]}.first.log").stat().st_mtime
    rerun_ended = (OUTPUT / f"{COMMANDS[name]}.log").stat().st_mtime
    assert times[0] < first_run_ended - 300, "the watch started after the converge"
    assert times[-1] >= rerun_ended - 20, "the watch ended before the rerun"


# --- PAM ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def passwords(host):
    """keel-user and root with known passwords (root logs in with a key: a password is set
    here only to prove faillock never locks it)."""
    user = VARS["vm_user"]
    chosen = {user: strong_password(20), "root": strong_password(20)}
    host.run_test(f"id {user} >/dev/null 2>&1 || useradd -m {user}")
    for name, password in chosen.items():
        host.run_test(f"echo {shlex.quote(f'{name}:{password}')} | chpasswd")
    faillock_reset(host, *chosen)
    return chosen


def test_faillock_locks_after_the_expected_count(host, passwords, expected):
    user = VARS["vm_user"]
    deny = int(expected("pam", "faillock_deny"))
    try:
        fail_logins(host, user, deny - 1)
        assert authenticate(host, user, passwords[user]).rc == 0, "locked before the expected count"
        fail_logins(host, user, deny)
        locked = authenticate(host, user, passwords[user])
        assert locked.rc != 0 and "The account is locked" in locked.stdout + locked.stderr
    finally:
        faillock_reset(host, user)


def test_root_is_never_locked(host, passwords, expected):
    deny = int(expected("pam", "faillock_deny"))
    try:
        fail_logins(host, "root", deny + 2)
        assert authenticate(host, "root", passwords["root"]).rc == 0
    finally:
        faillock_reset(host, "root")


def test_pwquality_uses_the_expected_length(host, expected):
    minlen = int(expected("pam", "pwquality_minlen"))
    assert pwscore(host, strong_password(minlen)).rc == 0
    short = pwscore(host, strong_password(minlen - 1))
    assert short.rc != 0 and "shorter than" in short.stdout + short.stderr
