"""keel.ssm.auditd in Docker (bookworm and trixie).

The kernel's audit interface is unreachable in a container (auditctl -s: "Operation not
permitted"), so no rule is loaded and auditd does not run here. What these tests prove
instead: the files (auditd.conf, every rules file, the composed audit.rules, the GRUB
drop-in, the retention units), that auditd's and auditctl's own parsers accept them
(both parse before they touch the kernel, see test_auditctl_parser_check_can_fail), the
retention job's effect on real files, that the privileged-commands list is exactly the
setuid/setgid programs present, and that the role reports what it skipped. Loading
rules into a kernel, auditd's runtime and a real update-grub are NOT verified here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

# What converge.yml and molecule.yml ask for (the rest are the role's defaults).
EXPECTED_CONF = {
    "log_file": "/var/log/audit/audit.log",
    "flush": "incremental_async",
    "max_log_file": "16",
    "num_logs": "5",
    "max_log_file_action": "keep_logs",
    "space_left": "20%",
    "space_left_action": "email",
    "action_mail_acct": "root",
    "admin_space_left": "5%",
    "admin_space_left_action": "single",
    "disk_full_action": "single",
    "disk_error_action": "syslog",
}
# Keys the role does not manage: the installed version's values must survive.
DISTRO_KEYS = {"log_format": "ENRICHED", "priority_boost": "4", "plugin_dir": "/etc/audit/plugins.d", "q_depth": "2000"}
AUID = "-F auid>=1000 -F auid!=unset"
RULES_DIR = "/etc/audit/rules.d"

# The CIS rule text per group on x86_64 (CIS Debian 12 6.2.3.N / Ubuntu 22.04 4.1.3.N).
# None marks the groups whose lines come from the host (privileged, sudo_log).
EXPECTED_RULES = {
    "keel-10-scope.rules": ["-w /etc/sudoers -p wa -k scope", "-w /etc/sudoers.d -p wa -k scope"],
    "keel-11-user-emulation.rules": [
        "-a always,exit -F arch=b64 -S execve -C euid!=uid -F auid!=unset -k user_emulation",
        "-a always,exit -F arch=b32 -S execve -C euid!=uid -F auid!=unset -k user_emulation",
    ],
    "keel-12-sudo-log.rules": None,
    "keel-13-time-change.rules": [
        "-w /etc/localtime -p wa -k time-change",
        # stime exists only in the 32-bit table: left out of the b64 rule.
        "-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change",
        "-a always,exit -F arch=b32 -S adjtimex,settimeofday,clock_settime,stime -k time-change",
    ],
    "keel-14-system-locale.rules": [
        "-w /etc/issue -p wa -k system-locale",
        "-w /etc/issue.net -p wa -k system-locale",
        "-w /etc/hosts -p wa -k system-locale",
        "-w /etc/networks -p wa -k system-locale",
        "-w /etc/network/ -p wa -k system-locale",
        "-w /etc/netplan/ -p wa -k system-locale",
        "-a always,exit -F arch=b64 -S sethostname,setdomainname -k system-locale",
        "-a always,exit -F arch=b32 -S sethostname,setdomainname -k system-locale",
    ],
    "keel-15-privileged.rules": None,
    "keel-16-access.rules": [
        f"-a always,exit -F arch={arch} -S creat,open,openat,truncate,ftruncate -F exit={code} {AUID} -k access"
        for code in ("-EACCES", "-EPERM")
        for arch in ("b64", "b32")
    ],
    "keel-17-identity.rules": [
        f"-w {path} -p wa -k identity"
        for path in (
            "/etc/group",
            "/etc/passwd",
            "/etc/gshadow",
            "/etc/shadow",
            "/etc/security/opasswd",
            "/etc/nsswitch.conf",
            "/etc/pam.conf",
            "/etc/pam.d",
        )
    ],
    "keel-18-perm-mod.rules": [
        f"-a always,exit -F arch={arch} -S {names} {AUID} -k perm_mod"
        for names in (
            "chmod,fchmod,fchmodat",
            "chown,fchown,lchown,fchownat",
            "setxattr,lsetxattr,fsetxattr,removexattr,lremovexattr,fremovexattr",
        )
        for arch in ("b64", "b32")
    ],
    "keel-19-mounts.rules": [f"-a always,exit -F arch={arch} -S mount {AUID} -k mounts" for arch in ("b64", "b32")],
    "keel-20-session.rules": [f"-w {p} -p wa -k session" for p in ("/var/run/utmp", "/var/log/wtmp", "/var/log/btmp")],
    "keel-21-logins.rules": ["-w /var/log/lastlog -p wa -k logins", "-w /var/run/faillock -p wa -k logins"],
    "keel-22-delete.rules": [
        f"-a always,exit -F arch={arch} -S rename,unlink,unlinkat,renameat {AUID} -k delete" for arch in ("b64", "b32")
    ],
    "keel-23-mac-policy.rules": ["-w /etc/apparmor/ -p wa -k MAC-policy", "-w /etc/apparmor.d/ -p wa -k MAC-policy"],
    "keel-24-perm-chng.rules": [
        f"-a always,exit -F path={p} -F perm=x {AUID} -k perm_chng"
        for p in ("/usr/bin/chcon", "/usr/bin/setfacl", "/usr/bin/chacl")
    ],
    "keel-25-usermod.rules": [f"-a always,exit -F path=/usr/sbin/usermod -F perm=x {AUID} -k usermod"],
    "keel-26-kernel-modules.rules": [
        f"-a always,exit -F arch={arch} -S init_module,finit_module,delete_module,create_module,query_module "
        f"{AUID} -k kernel_modules"
        for arch in ("b64", "b32")
    ]
    + [f"-a always,exit -F path=/usr/bin/kmod -F perm=x {AUID} -k kernel_modules"],
}

# Runs on the host: feeds each rule line to auditctl and returns what it printed.
AUDITCTL_PROBE = """
import json, shlex, subprocess, sys
out = []
for line in json.loads(sys.argv[1]):
    proc = subprocess.run(["auditctl", *shlex.split(line)], capture_output=True, text=True)
    out.append({"line": line, "rc": proc.returncode, "output": proc.stdout + proc.stderr})
print(json.dumps(out))
"""
# The request auditctl sends once a line is fully parsed. Without the kernel, sending
# fails with EPERM, so the message is proof the parser accepted the whole line.
SENT_AFTER_PARSE = {
    "-a": "Error sending add rule data request",
    "-w": "Error sending add rule data request",
    "-e": "Error sending enable request",
    "-b": "Error sending backlog limit request",
    "-D": "Error sending rule list data request",
}


def _name(host):
    return host.ansible.get_variables()["inventory_hostname"]


def _is_trixie(host):
    return _name(host).endswith("trixie")


def _rule_lines(text):
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _keel_rules(host):
    """{file name: text} of every keel-*.rules file, read in one command."""
    dump = host.run(f'for f in {RULES_DIR}/keel-*.rules; do printf "\\n==> %s\\n" "${{f##*/}}"; cat "$f"; done')
    assert dump.rc == 0, dump.stderr
    parts = re.split(r"(?m)^==> (keel-[^\n]+\.rules)$", dump.stdout)
    return dict(zip(parts[1::2], parts[2::2]))


def _auditctl_verdicts(host, lines):
    result = host.run("python3 -c %s %s", AUDITCTL_PROBE, json.dumps(lines))
    assert result.rc == 0, result.stderr
    return [
        (item["line"], SENT_AFTER_PARSE[item["line"].split()[0]] in item["output"], item["output"])
        for item in json.loads(result.stdout)
    ]


def _conf(host):
    conf = {}
    for line in host.file("/etc/audit/auditd.conf").content_string.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$", line)
        if match:
            assert match.group(1) not in conf, f"duplicate key {match.group(1)}"
            conf[match.group(1)] = match.group(2)
    return conf


def test_packages_installed(host):
    assert host.package("auditd").is_installed
    assert host.package("audispd-plugins").is_installed


def test_auditd_conf_values(host):
    conf = _conf(host)
    for key, value in EXPECTED_CONF.items():
        assert conf.get(key) == value, key
    for key, value in DISTRO_KEYS.items():
        assert conf.get(key) == value, f"{key} (not managed) changed"
    conf_file = host.file("/etc/audit/auditd.conf")
    assert (conf_file.user, conf_file.group, conf_file.mode) == ("root", "root", 0o640)


def test_auditd_conf_accepted_by_auditd_parser(host):
    # auditd -f parses auditd.conf first; a bad value exits 6 ("Option ... not found -
    # line N") before it gets to the privileged steps that fail in a container.
    good = host.run("timeout 10 auditd -f")
    assert good.rc != 6, good.stdout + good.stderr
    assert "opened for parsing" in good.stderr + good.stdout
    assert not re.search(r"line \d+|Error -", good.stdout + good.stderr)
    # Negative control: the same check fails for a broken copy.
    bad = host.run(
        "d=$(mktemp -d) && sed 's/^space_left_action = .*/space_left_action = explode/' /etc/audit/auditd.conf"
        ' > "$d/auditd.conf" && timeout 10 auditd -f -c "$d"; rc=$?; rm -rf "$d"; exit $rc'
    )
    assert bad.rc == 6, bad.stdout + bad.stderr
    assert "explode" in bad.stdout + bad.stderr


def test_syslog_plugin_switched_on(host):
    assert re.search(r"(?m)^active = yes$", host.file("/etc/audit/plugins.d/syslog.conf").content_string)


def test_rules_files_per_group(host):
    rules = _keel_rules(host)
    expected = {name for name in EXPECTED_RULES if not (_is_trixie(host) and name == "keel-19-mounts.rules")}
    assert set(rules) == expected | {"keel-00-base.rules", "keel-99-finalize.rules"}
    for name in expected:
        if EXPECTED_RULES[name] is not None:
            assert _rule_lines(rules[name]) == EXPECTED_RULES[name], name
    assert _rule_lines(rules["keel-00-base.rules"]) == ["-D", "-b 8192"]
    modes = host.run(f"stat -c '%U %G %a %n' {RULES_DIR}/keel-*.rules").stdout.splitlines()
    assert len(modes) == len(rules)
    assert all(line.startswith("root root 640 ") for line in modes), modes


def test_disabled_group_and_stale_file_are_gone(host):
    # trixie switches `mounts` off (molecule.yml); side_effect.yml left a retired file.
    assert host.file(f"{RULES_DIR}/keel-19-mounts.rules").exists != _is_trixie(host)
    assert not host.file(f"{RULES_DIR}/keel-50-retired.rules").exists


def test_sudo_log_rule_follows_sudoers(host):
    # bookworm's sudoers names its own log file (prepare.yml); trixie uses CIS's default.
    path = "/var/log/sudo.log" if _is_trixie(host) else "/var/log/sudo-keel.log"
    lines = _rule_lines(host.file(f"{RULES_DIR}/keel-12-sudo-log.rules").content_string)
    assert lines == [f"-w {path} -p wa -k sudo_log_file"]


def test_privileged_rules_match_setuid_setgid_programs(host):
    # Independent of the role's module: find over the local filesystems that allow setuid.
    found = host.run("find / -xdev -perm /6000 -type f 2>/dev/null | sort")
    programs = found.stdout.split()
    assert "/usr/local/bin/keel-fixture-setuid" in programs
    assert "/usr/local/sbin/keel-fixture-setgid" in programs
    lines = _rule_lines(host.file(f"{RULES_DIR}/keel-15-privileged.rules").content_string)
    assert lines == [f"-a always,exit -F path={p} -F perm=x {AUID} -k privileged" for p in programs]
    # On a nosuid mount a setuid bit grants nothing: not listed (as CIS's audit does).
    assert host.file("/run/keel-fixture-nosuid").mode & 0o4000
    assert "/run/keel-fixture-nosuid" not in " ".join(lines)


def test_finalize_file_says_whether_rules_are_immutable(host):
    lines = _rule_lines(host.file(f"{RULES_DIR}/keel-99-finalize.rules").content_string)
    if _is_trixie(host):
        assert lines == ["-e 2"]
    else:
        assert lines == []
        assert "OFF: keel_auditd_immutable is false" in host.file(f"{RULES_DIR}/keel-99-finalize.rules").content_string


def test_composed_audit_rules(host):
    composed = _rule_lines(host.file("/etc/audit/audit.rules").content_string)
    assert composed[:2] == ["-D", "-b 8192"]
    ours = [line for _, text in sorted(_keel_rules(host).items()) for line in _rule_lines(text)]
    body = [line for line in ours if line not in ("-D", "-b 8192", "-e 2")]
    positions = [composed.index(line) for line in body]
    assert positions == sorted(positions), "rules out of file order"
    assert (composed[-1] == "-e 2") == _is_trixie(host)
    # On-disk rules match rules.d (CIS Debian 12 6.2.3.21 / Ubuntu 22.04 4.1.3.21, file side).
    check = host.run("augenrules --check")
    assert "No change" in check.stdout, check.stdout + check.stderr


def test_every_rule_line_accepted_by_auditctl_parser(host):
    lines = [line for text in _keel_rules(host).values() for line in _rule_lines(text)]
    assert len(lines) > 60
    rejected = [(line, output) for line, accepted, output in _auditctl_verdicts(host, lines) if not accepted]
    assert rejected == []


def test_auditctl_parser_check_can_fail(host):
    # Negative controls: every one is refused by the parser before anything is sent.
    malformed = [
        "-a always,exit -F arch=b64 -S nosuchsyscall -k x",
        "-a always,exit -F arch=b64 -S stime -k x",  # only in the 32-bit table
        "-w /etc/passwd -p wz -k x",
        f"-a always,exit -F arch=b64 -S mount -F auid {AUID} -k x",
        "-a always,exit -F arch=b64 -S mount -F bogus=1 -k x",
        "-e 3",
    ]
    verdicts = _auditctl_verdicts(host, malformed)
    assert [(line, accepted) for line, accepted, _ in verdicts] == [(line, False) for line in malformed]


def test_retention_deletes_only_old_rotated_logs(host):
    log_dir = "/var/log/audit"
    fixtures = {
        "audit.log": "90 days ago",  # the live log: never deleted, however old
        "audit.log.1": "40 days ago",
        "audit.log.2": "31 days ago",
        "audit.log.3": "29 days ago",  # younger than 30 days: kept
        "audit.log.4": "1 hour ago",
        "audit.log.bak": "90 days ago",  # not <log>.<number>
        "audit.log.5.gz": "90 days ago",
        "other.log": "90 days ago",
    }
    setup = " && ".join(
        f"printf x > {log_dir}/{name} && chmod 0600 {log_dir}/{name} && touch -d '{age}' {log_dir}/{name}"
        for name, age in fixtures.items()
    )
    setup += f" && mkdir -p {log_dir}/audit.log.6 && touch -d '90 days ago' {log_dir}/audit.log.6"
    assert host.run(setup).rc == 0
    run = host.run("systemctl start keel-auditd-retention.service")
    assert run.rc == 0, run.stderr
    remaining = set(host.run(f"ls -1A {log_dir}").stdout.split())
    assert remaining == set(fixtures) - {"audit.log.1", "audit.log.2"} | {"audit.log.6"}
    # Every deletion is named in the journal.
    journal = host.run("journalctl -u keel-auditd-retention.service --no-pager -o cat").stdout
    assert f"{log_dir}/audit.log.1" in journal
    assert f"{log_dir}/audit.log.2" in journal


def test_retention_timer_scheduled(host):
    assert host.service("keel-auditd-retention.timer").is_enabled
    assert host.run("systemctl is-active keel-auditd-retention.timer").stdout.strip() == "active"


def test_kernel_command_line_through_grub(host):
    dropin = host.file("/etc/default/grub.d/99-keel-audit.cfg")
    if _is_trixie(host):
        # No GRUB: nothing written (the report names the skip, see below).
        assert not host.file("/etc/default/grub").exists
        assert not dropin.exists
        return
    assert dropin.exists
    # update-grub (TEST DOUBLE, prepare.yml) ran once: at converge, not at idempotence.
    calls = host.file("/var/tmp/update-grub.calls")  # noqa: S108 (a path in the container)
    assert calls.content_string.split() == ["call"]
    # Composed the way grub-mkconfig does: our arguments come after the operator's, so
    # audit=1 wins over the fixture's audit=0 (the kernel takes the last one).
    linux = host.file("/boot/grub/grub.cfg").content_string.split()
    assert linux.index("audit=1") > linux.index("audit=0")
    assert "audit_backlog_limit=8192" in linux
    assert "console=ttyS0" in linux


def test_report_names_what_was_skipped(host):
    report_file = host.file("/var/tmp/keel-auditd-report.json")  # noqa: S108 (a path in the container)
    report = json.loads(report_file.content_string)
    skipped = " | ".join(report["skipped"])
    assert "auditd service start/restart and rule loading (augenrules --load)" in skipped
    assert ("/etc/default/grub not found" in skipped) == _is_trixie(host)
    assert "kernel audit interface: NOT reachable (auditctl -s: Error sending status request" in report["applied"][0]
    # Never claims a service that is not running.
    assert "auditd service: NOT running, enabled at boot" in report["applied"]
    assert host.run("systemctl is-active auditd").stdout.strip() != "active"
    assert host.service("auditd").is_enabled


@pytest.fixture(scope="module")
def check_run():
    """One --check run of converge.yml from the controller with changed settings."""
    command = [
        "ansible-playbook",
        "-i",
        os.environ["MOLECULE_INVENTORY_FILE"],
        "--check",
        os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"),
        "-e",
        json.dumps({"keel_auditd_max_log_file": 77, "keel_auditd_retention_days": 0}),
    ]
    env = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, env=env)


def test_check_mode_predicts_changes_and_makes_none(host, check_run):
    assert check_run.returncode == 0, check_run.stdout[-3000:] + check_run.stderr[-3000:]
    recap = re.search(rf"(?m)^{re.escape(_name(host))}\s*:.*?changed=(\d+)", check_run.stdout)
    assert recap and int(recap.group(1)) >= 2, check_run.stdout[-3000:]
    assert _conf(host)["max_log_file"] == "16"
    assert host.file("/etc/systemd/system/keel-auditd-retention.timer").exists
    assert host.service("keel-auditd-retention.timer").is_enabled
