#!/usr/bin/env python3
"""Capture what the real ufw of each Debian release stores, command by command, as the
fixtures of module_utils/host/ufw.py (the adapter keel.ssm.ufw_state reads and drives ufw
through).

For each release a container of the test image (keel-test/debian:<release>) installs ufw
from Debian's archive. For each scenario below it resets ufw, runs the scenario's setup
commands (rules "someone else" made), reads ufw's files, and then lets the collection's
own planner drive it: the next planned step's command line (op_argv) runs through
`docker exec`, and ufw's files are read again after every step, until the planner has
nothing left to do. The settings scenario runs policy, logging and enable commands and
records the files after each with the state they must read as.

The fixture (tests/unit/plugins/module_utils/host/fixtures/ufw/<release>.json) holds the
ufw version, every command, ufw's files as they were before each scenario, and after each
command the rule lines ufw stored (and /etc/default/ufw and ufw.conf for the settings). The unit tests replay it: the
planner must still give the same commands, and after each one the rules ufw stored must
be exactly what the adapter predicted (apply_op), parsed as the adapter parses them. A
new ufw release in Debian shows up when its fixture is captured again (the molecule ufw
scenario fails while the installed ufw differs from the fixture's version).

Usage (starts containers: take the Docker lock):
  flock /tmp/keel-docker.lock .venv/bin/python scripts/capture_ufw_fixtures.py [RELEASE ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / ".collections"))

from ansible_collections.keel.ssm.plugins.module_utils.host.ufw import (  # noqa: E402
    CONF_FILE,
    DEFAULTS_FILE,
    RULES_FILES,
    TUPLE_PREFIX,
    op_argv,
    parse_rules,
)
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw_rules import (  # noqa: E402
    desired_rules,
    next_rule_op,
)

FIXTURES = REPO_ROOT / "tests" / "unit" / "plugins" / "module_utils" / "host" / "fixtures" / "ufw"
IMAGE = "keel-test/debian:{release}"
FILES = (DEFAULTS_FILE, CONF_FILE, *RULES_FILES.values())
# An application profile with two protocols: one rule, two tuples per family, one number.
APP_PROFILE = "[KeelCapture]\ntitle=keel capture\ndescription=two protocols\nports=8443/tcp|8443/udp\n"
SETTINGS = {
    "management_port": "22/tcp",
    "management_sources": ["any"],
    "management_limit": True,
    "loopback": True,
    "allowed_ports": ["443/tcp", "5432/tcp from 10.0.0.0/8"],
    "allowed_out_ports": ["53/udp"],
    "ipv6": True,
}
SCENARIOS = [
    # A host ufw was just installed on: nothing to move, every rule inserted in order.
    {"name": "fresh", "setup": [], "active": False, "purge": False, "settings": SETTINGS},
    # ufw enabled by someone else, with their rules (one an application rule) above an old
    # management rule of ours and a stale one: ours move up behind a bridge, theirs stay.
    {
        "name": "live",
        "setup": [
            ["allow", "80/tcp"],
            ["allow", "KeelCapture"],
            ["route", "allow", "in", "on", "eth0", "out", "on", "eth0"],
            ["allow", "from", "192.168.0.0/16", "to", "any", "port", "8080", "proto", "tcp"],
            *(
                [
                    "limit",
                    "in",
                    "proto",
                    "tcp",
                    "from",
                    src,
                    "to",
                    src,
                    "port",
                    "22",
                    "comment",
                    "keel.ssm.ufw:management",
                ]
                for src in ("0.0.0.0/0", "::/0")
            ),
            *(
                [
                    "allow",
                    "in",
                    "proto",
                    "tcp",
                    "from",
                    "0.0.0.0/0",
                    "to",
                    "0.0.0.0/0",
                    "port",
                    port,
                    "comment",
                    "keel.ssm.ufw:allowed",
                ]
                for port in ("443", "8443")  # 443 is still wanted (it moves up), 8443 is stale
            ),
            ["--force", "enable"],
        ],
        "active": True,
        "purge": False,
        "settings": {**SETTINGS, "management_sources": ["10.0.0.0/8", "fd00::/8"]},
    },
    # The same, purging what is not ours (the application rule's tuples go together).
    {"name": "purge", "setup": "live", "active": True, "purge": True, "settings": SETTINGS},
]
# Commands ufw has for the rest of its state, and what the adapter must read afterwards.
SETTING_STEPS = [
    (["default", "reject", "incoming"], {"incoming": "reject", "enabled": False}),
    (["default", "deny", "outgoing"], {"outgoing": "deny"}),
    (["default", "allow", "routed"], {"routed": "allow"}),
    (["logging", "medium"], {"logging": "medium"}),
    (["--force", "enable"], {"enabled": True}),
    (["logging", "off"], {"logging": "off"}),
    (["disable"], {"enabled": False}),
]


def docker(*args, check=True, stdin=None):
    completed = subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, check=False)
    if check and completed.returncode != 0:
        raise SystemExit(f"docker {' '.join(args)} failed: {completed.stderr.strip()}")
    return completed


class Host:
    def __init__(self, release):
        self.release = release
        self.name = f"keel-ufw-capture-{release}"

    def start(self):
        docker("rm", "-f", self.name, check=False)
        docker(
            "run",
            "-d",
            "--rm",
            "--name",
            self.name,
            "--cap-add",
            "NET_ADMIN",
            IMAGE.format(release=self.release),
            "sleep",
            "infinity",
        )
        for attempt in range(3):  # apt-get update right after start failed once here (apt-key)
            if self.sh("apt-get update -qq", check=False).returncode == 0:
                break
            time.sleep(5 * (attempt + 1))
        self.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ufw >/dev/null")
        self.sh("cat > /etc/ufw/applications.d/keel-capture", stdin=APP_PROFILE)
        return self

    def stop(self):
        docker("rm", "-f", self.name, check=False)

    def sh(self, script, check=True, stdin=None):
        return docker("exec", "-i", self.name, "sh", "-c", script, check=check, stdin=stdin)

    def ufw(self, argv):
        completed = docker("exec", "-e", "LANG=C", "-e", "LC_ALL=C", self.name, "ufw", *argv, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"{self.release}: ufw {' '.join(argv)} failed: {completed.stderr.strip()}")
        return completed.stdout

    def files(self):
        return {path: self.sh(f"cat {path}").stdout for path in FILES}

    def version(self):
        return self.sh("dpkg-query -W -f '${Version}' ufw").stdout.strip()

    def reset(self):
        self.ufw(["--force", "reset"])
        # /proc/sys is read-only in a container: ufw must not apply a sysctl file.
        self.sh(f"sed -i 's/^IPT_SYSCTL=.*/IPT_SYSCTL=/' {DEFAULTS_FILE}")


def tuples(text):
    """The lines of a rule file ufw loads its rules from (the whole files are kept for the
    starting state of each scenario; after each step the rules are what matters)."""
    return "".join(line for line in text.splitlines(True) if line.startswith(TUPLE_PREFIX))


def families(files):
    ipv6 = "IPV6=yes" in files[DEFAULTS_FILE]
    return ("v4", "v6") if ipv6 else ("v4",)


def capture_rules(host, scenario, setup):
    host.reset()
    for argv in setup:
        host.ufw(argv)
    initial = host.files()
    desired = desired_rules(scenario["settings"])
    current = {family: parse_rules(initial[RULES_FILES[family]]) for family in families(initial)}
    steps = []
    for _ in range(200):
        op = next_rule_op(current, desired, scenario["active"], scenario["purge"])
        if op is None:
            break
        argv = op_argv(current, op)
        output = host.ufw(argv)
        files = host.files()
        steps.append(
            {"argv": argv, "output": output, "rules": {path: tuples(files[path]) for path in RULES_FILES.values()}}
        )
        current = {family: parse_rules(files[RULES_FILES[family]]) for family in current}
    else:
        raise SystemExit(f"{host.release} {scenario['name']}: the plan did not converge")
    return {
        "name": scenario["name"],
        "settings": scenario["settings"],
        "active": scenario["active"],
        "purge": scenario["purge"],
        "setup": setup,
        "files": initial,
        "steps": steps,
    }


def capture_settings(host):
    host.reset()
    steps = []
    for argv, expect in SETTING_STEPS:
        output = host.ufw(argv)
        files = host.files()
        steps.append(
            {
                "argv": argv,
                "output": output,
                "files": {path: files[path] for path in (DEFAULTS_FILE, CONF_FILE)},
                "expect": expect,
            }
        )
    return steps


def capture(release):
    host = Host(release).start()
    try:
        by_name = {}
        scenarios = []
        for scenario in SCENARIOS:
            setup = scenario["setup"]
            setup = by_name[setup]["setup"] if isinstance(setup, str) else setup
            captured = capture_rules(host, scenario, setup)
            by_name[scenario["name"]] = captured
            scenarios.append(captured)
        fixture = {
            "release": release,
            "ufw_version": host.version(),
            "captured_by": "scripts/capture_ufw_fixtures.py",
            "scenarios": scenarios,
            "settings_steps": capture_settings(host),
        }
    finally:
        host.stop()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    path = FIXTURES / f"{release}.json"
    path.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    steps = sum(len(scenario["steps"]) for scenario in scenarios) + len(SETTING_STEPS)
    print(f"{release}: ufw {fixture['ufw_version']}, {steps} commands captured in {path.relative_to(REPO_ROOT)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("releases", nargs="*", default=["bookworm", "trixie"])
    for release in parser.parse_args(argv).releases:
        capture(release)
    return 0


if __name__ == "__main__":
    sys.exit(main())
