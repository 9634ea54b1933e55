"""keel.ssm.ufw, proved by behaviour.

Connections come from a second container on keel-ufw-net (the prober), over IPv4 and
IPv6; rules and policies are read the way an auditor reads them (`ufw status`), and
logging is checked on the kernel's LOG rules' packet counters (the log lines themselves
go to the container host's kernel log, which containers cannot read).

Hosts: keel-ufw-{bookworm,trixie} were fresh before converge; keel-ufw-*-live had ufw
enabled by someone else (other rules, default deny, no rule for port 22) and an SSH
session from the prober open since before that (molecule/ufw/prepare.yml).
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
import time
from pathlib import Path

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

RUNNER = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
HARDENED = RUNNER.get_hosts("hardened")
testinfra_hosts = [f"docker://{name}" for name in HARDENED]
REPORTS = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
PROBER4 = "10.213.47.10"
ALLOWED_SOURCE4 = "10.213.47.50"
LIMIT_SOURCE4 = "10.213.47.250"
WATCH_TIMEOUT = 5  # keel-probe watch's default: a SYN at 0, 1 and 3 s before "timeout"


@pytest.fixture(scope="module")
def prober():
    return testinfra.get_host("docker://keel-ufw-prober")


@pytest.fixture
def name(host):
    return host.backend.name


@pytest.fixture
def info(name):
    facts = RUNNER.get_variables(name)
    facts["live"] = "live" in facts["group_names"]
    return facts


def probe(prober, address, port, source=None, timeout=3, banner=False):
    command = f"keel-probe connect {address} {port} --timeout {timeout}"
    command += f" --source {source}" if source else ""
    command += " --banner" if banner else ""
    return json.loads(prober.check_output(command))


def connect_from(host, address, port, timeout=3):
    """A TCP connection made by the host itself: open, refused, timeout or error:<errno>."""
    code = (
        "import socket,sys\n"
        "s=socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)\n"
        f"s.settimeout({timeout})\n"
        "try:\n s.connect((sys.argv[1],int(sys.argv[2]))); print('open')\n"
        "except ConnectionRefusedError: print('refused')\n"
        "except socket.timeout: print('timeout')\n"
        "except OSError as e: print(f'error:{e.errno}')\n"
    )
    return host.check_output(f'python3 -c "{code}" {address} {port}')


def log_counter(host, chain, prefix, tool="iptables"):
    """Packets the LOG rule with this prefix in this chain has logged (None: no such rule)."""
    lines = host.check_output(f"{tool} -L {chain} -v -n -x").splitlines()
    for line in lines[2:]:
        if " LOG " in f" {line} " and prefix in line:
            return int(line.split()[0])
    return None


# --- check mode ---------------------------------------------------------------------


def test_check_mode_run_changed_nothing_and_predicted_the_real_run(host, name, info):
    before = host.file("/var/lib/keel-test/fingerprint-before-check.txt").content_string
    after = host.file("/var/lib/keel-test/fingerprint-after-check.txt").content_string
    assert "## packages" in before and "## iptables" in before
    assert before == after, "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm=""))
    predicted = json.loads((REPORTS / f"ufw-check-{name}.json").read_text())
    applied = json.loads((REPORTS / f"ufw-apply-{name}.json").read_text())
    assert predicted["changed"] and applied["changed"]
    assert predicted["installed"] is info["live"]  # fresh hosts: predicted before ufw was installed
    assert predicted["actions"] == applied["actions"]
    # the first ufw command of the run allows the management port
    first = next(action for action in applied["actions"] if action.startswith("ufw "))
    assert first.startswith(("ufw insert 1 limit in proto tcp", "ufw limit in proto tcp"))


# --- logging (first: other tests send blocked packets, which use the LOG rate limit) ---


def test_blocked_packets_are_logged(host, prober, info):
    before = log_counter(host, "ufw-after-logging-input", "[UFW BLOCK]")
    assert before is not None
    assert probe(prober, info["addr4"], 9999, timeout=2)["result"] == "timeout"
    assert log_counter(host, "ufw-after-logging-input", "[UFW BLOCK]") > before


def test_medium_logging_also_logs_new_connections(host, info):
    audit = log_counter(host, "ufw-before-logging-input", "[UFW AUDIT]")
    if info.get("keel_ufw_logging", "low") == "medium":
        assert audit is not None and audit > 0  # the continuous probes' new connections
    else:
        assert audit is None


# --- what the prober sees -------------------------------------------------------------


def reachability_plan():
    """Every connection the reachability tests need, for every hardened host: made at once
    (a dropped one costs its whole timeout, so in sequence they would take a minute)."""
    plan = {}
    for name in HARDENED:
        facts = RUNNER.get_variables(name)
        for family in ("addr4", "addr6"):
            address = facts[family]
            plan[(name, family, "ssh")] = {"host": address, "port": 22, "banner": True}
            plan[(name, family, "not-allowed")] = {"host": address, "port": 9999, "timeout": 2}
            plan[(name, family, "allowed")] = {"host": address, "port": 8443}
        plan[(name, "addr4", "one-source-allowed")] = {"host": facts["addr4"], "port": 8444, "source": ALLOWED_SOURCE4}
        plan[(name, "addr4", "one-source-other")] = {"host": facts["addr4"], "port": 8444, "timeout": 2}
        plan[(name, "addr4", "other-rule")] = {"host": facts["addr4"], "port": 8080, "timeout": 2}
    return plan


@pytest.fixture(scope="module")
def reachable(prober):
    """(host, family, check) -> what the prober saw: open, refused, timeout or error:<errno>."""
    plan = reachability_plan()
    results = json.loads(prober.check_output(f"echo {shlex.quote(json.dumps(list(plan.values())))} | keel-probe many"))
    return dict(zip(plan, results))


@pytest.mark.parametrize("family", ["addr4", "addr6"])
def test_management_port_reaches_a_real_sshd(reachable, name, family):
    answer = reachable[(name, family, "ssh")]
    assert answer["result"] == "open"
    assert answer["banner"].startswith("SSH-2.0-OpenSSH")


@pytest.mark.parametrize("family", ["addr4", "addr6"])
def test_listening_port_that_is_not_allowed_is_dropped(host, reachable, name, family):
    loopback = "127.0.0.1" if family == "addr4" else "::1"
    assert connect_from(host, loopback, 9999) == "open"  # it listens, and lo is allowed
    assert reachable[(name, family, "not-allowed")]["result"] == "timeout"


@pytest.mark.parametrize("family", ["addr4", "addr6"])
def test_allowed_port_is_open(reachable, name, family):
    assert reachable[(name, family, "allowed")]["result"] == "open"


def test_port_allowed_from_one_source_is_open_to_that_source_only(reachable, name):
    assert reachable[(name, "addr4", "one-source-allowed")]["result"] == "open"
    assert reachable[(name, "addr4", "one-source-other")]["result"] == "timeout"


def test_management_port_is_rate_limited(prober, info):
    results = json.loads(prober.check_output(f"keel-probe burst {info['addr4']} 22 --source {LIMIT_SOURCE4} --count 8"))
    # ufw limit: the 6th new connection within 30 s from one address is rejected
    assert results == ["open"] * 5 + ["refused"] * 3


def test_other_rules_are_kept_or_purged(host, reachable, name, info):
    if not info["live"]:
        pytest.skip("only the live hosts had rules made by someone else")
    status = host.check_output("ufw status")
    if info.get("keel_ufw_purge_unmanaged"):
        assert "8080" not in status and "9090" not in status
        assert reachable[(name, "addr4", "other-rule")]["result"] == "timeout"
    else:
        assert "8080/tcp" in status and "9090/tcp" in status
        assert reachable[(name, "addr4", "other-rule")]["result"] == "open"


def test_outgoing_policy(host, info):
    allowed = connect_from(host, PROBER4, 8081)
    other = connect_from(host, PROBER4, 8082)
    assert allowed == "open"
    if info.get("keel_ufw_outgoing", "allow") == "allow":
        assert other == "open"
    else:
        assert other != "open"  # a locally dropped SYN: EPERM (error:1)


# --- the management port stayed reachable throughout ----------------------------------


@pytest.fixture(scope="module")
def watch_log(prober):
    """Stop the continuous probes (started in prepare) and read every probe they made."""
    prober.check_output("touch /var/lib/keel-test/watch.stop")
    for _ in range(30):
        if not prober.service("keel-watch").is_running:
            break
        time.sleep(0.5)
    records = [json.loads(line) for line in prober.file("/var/lib/keel-test/watch.jsonl").content_string.splitlines()]
    assert records
    return records


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_management_port_never_closed_once_open(name, info, watch_log, family):
    """Coverage is judged by time, not by a count of probes (how many fit in a run depends
    on how fast the run was): the probes started before the check run, went on past the
    end of the first converge, and were never blind for longer than one attempt."""
    records = [record for record in watch_log if record["target"] == f"{name}/{family}"]
    results = [record["result"] for record in records]
    checked = (REPORTS / f"ufw-check-{name}.json").stat().st_mtime  # written by the --check run
    converged = (REPORTS / f"ufw-apply-{name}.json").stat().st_mtime  # written once, by the first converge
    assert records[0]["t"] < checked < converged < records[-1]["t"]
    gaps = [later["t"] - earlier["t"] for earlier, later in zip(records, records[1:])]
    assert max(gaps) < WATCH_TIMEOUT + 3, f"the probes of {name}/{family} paused for {max(gaps):.1f} s"
    opened = results.index("open")
    if info["live"]:
        # before the role ran nothing allowed port 22: new connections were dropped
        assert opened > 0 and set(results[:opened]) == {"timeout"}
        assert checked < records[opened]["t"] < converged  # opened by the converge, not before
    else:
        assert opened == 0  # no firewall before converge, and enabling it never closed the port
    after = results[opened:]
    # A SYN dropped while ufw restarts its chains is retransmitted 1 s later: such a
    # connection is slow, not refused; a port that stayed closed times out (5 s).
    slow = [record["seconds"] for record in records[opened:] if record["seconds"] > 0.9]
    not_open = [record for record in records[opened:] if record["result"] != "open"]
    assert set(after) == {"open"}, f"not open: {not_open}; slow attempts (s): {slow}"


def test_operator_session_survived(prober, info):
    if not info["live"]:
        pytest.skip("the session was opened on the live hosts before ufw was enabled there")
    socket = f"/run/keel-cm-{info['addr4']}"
    assert prober.service(f"keel-ssh@{info['addr4']}").is_running  # ssh exits after 3 missed 2 s keepalives
    prober.check_output(f"ssh -S {socket} -O check root@{info['addr4']}")
    noted = prober.file(f"{socket}.local").content_string.strip()
    established = prober.check_output(f"ss -Htn state established dst {info['addr4']} dport = :22")
    assert noted and noted in established  # the very TCP connection opened before ufw was enabled
    assert prober.check_output(f"ssh -S {socket} root@{info['addr4']} echo alive") == "alive"


# --- what ufw reports ---------------------------------------------------------------------

FRESH = [
    ("22/tcp", "LIMIT IN", "Anywhere", "management"),
    ("Anywhere on lo", "ALLOW IN", "Anywhere", "loopback"),
    ("Anywhere", "ALLOW OUT", "Anywhere on lo (out)", "loopback"),
    ("Anywhere", "DENY IN", "127.0.0.0/8", "loopback"),
    ("8443/tcp", "ALLOW IN", "Anywhere", "allowed"),
    ("8444/tcp", "ALLOW IN", "10.213.47.50", "allowed"),
    ("22/tcp (v6)", "LIMIT IN", "Anywhere (v6)", "management"),
    ("Anywhere (v6) on lo", "ALLOW IN", "Anywhere (v6)", "loopback"),
    ("Anywhere (v6)", "ALLOW OUT", "Anywhere (v6) on lo (out)", "loopback"),
    ("Anywhere (v6)", "DENY IN", "::1", "loopback"),
    ("8443/tcp (v6)", "ALLOW IN", "Anywhere (v6)", "allowed"),
]


def expected_rules(name, info):
    rules = list(FRESH)
    if info["live"]:
        rules[0] = ("22/tcp", "LIMIT IN", "10.213.47.0/24", "management")
        rules[6] = ("22/tcp", "LIMIT IN", "fd42:7ee1:5a1e::/64", "management")
    v4, v6 = rules[:6], rules[6:]
    if name == "keel-ufw-trixie-live":
        v4 += [
            ("53/udp", "ALLOW OUT", "Anywhere (out)", "allowed-out"),
            ("80/tcp", "ALLOW OUT", "Anywhere (out)", "allowed-out"),
            ("443/tcp", "ALLOW OUT", "Anywhere (out)", "allowed-out"),
            ("10.213.47.10 8081/tcp", "ALLOW OUT", "Anywhere (out)", "allowed-out"),
        ]
        v6 += [
            ("53/udp (v6)", "ALLOW OUT", "Anywhere (v6) (out)", "allowed-out"),
            ("80/tcp (v6)", "ALLOW OUT", "Anywhere (v6) (out)", "allowed-out"),
            ("443/tcp (v6)", "ALLOW OUT", "Anywhere (v6) (out)", "allowed-out"),
        ]
    if name == "keel-ufw-bookworm-live":  # someone else's rules, kept below the role's
        v4 += [("8080/tcp", "ALLOW IN", "Anywhere", ""), ("9090/tcp", "DENY IN", "Anywhere", "")]
        v6 += [("8080/tcp (v6)", "ALLOW IN", "Anywhere (v6)", ""), ("9090/tcp (v6)", "DENY IN", "Anywhere (v6)", "")]
    return [(to, action, source, f"keel.ssm.ufw:{kind}" if kind else "") for to, action, source, kind in v4 + v6]


def status_rows(text):
    """(To, Action, From, comment) rows of `ufw status numbered` (ufw's stored order),
    whitespace collapsed."""
    rows = []
    body = text.split("\n", 4)[4]
    for line in body.splitlines():
        if not line.strip():
            continue
        line, _, comment = line.split("] ", 1)[1].partition(" # ")
        columns = [" ".join(part.split()) for part in line.split("  ") if part.strip()]
        to, action, source = columns[0], columns[1], " ".join(columns[2:])
        rows.append((to, action, source, comment.strip()))
    return rows


def test_rules_and_policies_as_ufw_reports_them(host, name, info):
    """What an auditor runs: `ufw status verbose` for the state, `ufw status numbered`
    for the rules in the order ufw applies them."""
    text = host.check_output("ufw status verbose")
    assert "Status: active" in text
    assert f"Logging: on ({info.get('keel_ufw_logging', 'low')})" in text
    outgoing = info.get("keel_ufw_outgoing", "allow")
    forwarding = host.check_output("sysctl -n net.ipv4.ip_forward") == "1"
    routed = "deny" if forwarding else "disabled"  # ufw shows 'disabled' when the kernel does not forward
    assert f"Default: deny (incoming), {outgoing} (outgoing), {routed} (routed)" in text
    assert status_rows(host.check_output("ufw status numbered")) == expected_rules(name, info)


def test_ufw_is_enabled_at_boot_and_nothing_competes(host):
    assert host.service("ufw").is_enabled
    assert host.service("ufw").is_running
    assert not host.package("iptables-persistent").is_installed
    assert "ENABLED=yes" in host.file("/etc/ufw/ufw.conf").content_string


def test_ipt_sysctl_is_left_empty_in_a_container(host):
    # /proc/sys is read-only in the container; keel_ufw_sysctl=auto leaves IPT_SYSCTL empty
    assert host.file("/proc/sys/net/ipv4/ip_forward").exists
    assert "IPT_SYSCTL=\n" in host.file("/etc/default/ufw").content_string


def test_the_installed_ufw_is_the_release_the_adapter_was_checked_against(host):
    """keel.ssm.ufw_state reads and drives ufw through module_utils/host/ufw.py, whose unit
    tests replay what this release's ufw stored (fixtures/ufw/<release>.json). A new ufw
    in Debian fails here until scripts/capture_ufw_fixtures.py captures it again and the
    replay passes."""
    release = host.system_info.codename
    fixture = (
        Path(__file__).resolve().parents[3] / "tests/unit/plugins/module_utils/host/fixtures/ufw" / f"{release}.json"
    )
    assert fixture.is_file(), f"no ufw fixture for {release}: run scripts/capture_ufw_fixtures.py {release}"
    installed = host.check_output("dpkg-query -W -f '${Version}' ufw")
    assert installed == json.loads(fixture.read_text())["ufw_version"]
