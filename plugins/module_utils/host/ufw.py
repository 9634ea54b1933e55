# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ufw on the host, behind one adapter: the only code that reads ufw's files or runs ufw.

- Reading: the rules ufw itself loads (the `### tuple ###` lines of /etc/ufw/user.rules
  and user6.rules, read as ufw's own parser reads them), /etc/default/ufw (IPv6,
  policies, IPT_SYSCTL) and /etc/ufw/ufw.conf (enabled, log level); whether its chains
  are loaded (iptables).
- Writing: `ufw` commands (rules, policies, logging, enable, disable, reload) and the
  /etc/default/ufw keys ufw has no command for; `apply_op` predicts what ufw stores after
  each rule command, and `ufw_number`/`op_argv` give the number and arguments ufw expects.

All of it is checked against the real ufw of Debian bookworm and trixie by fixtures
captured from it (scripts/capture_ufw_fixtures.py writes
tests/unit/plugins/module_utils/host/fixtures/ufw/<release>.json): every command the
planner gives for a set of scenarios, and what ufw stored after each. A ufw release that
stores, numbers or parses differently fails those tests when its fixture is captured.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError
from ansible_collections.keel.ssm.plugins.module_utils.host.files import read_text
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw_rules import (
    FAMILIES,
    Op,
    Rule,
    Rules,
    missing_management,
    next_rule_op,
)

TUPLE_PREFIX = "### tuple ###"
POLICIES = {"DROP": "deny", "ACCEPT": "allow", "REJECT": "reject"}
DEFAULTS_FILE = "/etc/default/ufw"
CONF_FILE = "/etc/ufw/ufw.conf"
RULES_FILES = {"v4": "/etc/ufw/user.rules", "v6": "/etc/ufw/user6.rules"}
POLICY_KEYS = {
    "incoming": "DEFAULT_INPUT_POLICY",
    "outgoing": "DEFAULT_OUTPUT_POLICY",
    "routed": "DEFAULT_FORWARD_POLICY",
}
# What Debian's ufw package ships, for check mode before it is installed.
PACKAGE_DEFAULTS = {
    "enabled": False,
    "running": False,
    "ipv6": True,
    "incoming": "deny",
    "outgoing": "allow",
    "routed": "deny",
    "logging": "low",
    "sysctl_file": "/etc/ufw/sysctl.conf",
}


def parse_tuple(line: str) -> Rule | None:
    """A Rule from one `### tuple ###` line, or None for any other line (as ufw reads it)."""
    line = line.strip()
    if not line.startswith(TUPLE_PREFIX):
        return None
    body = line.removeprefix(TUPLE_PREFIX)
    comment = ""
    if " comment=" in body:
        body, encoded = body.split(" comment=", 1)
        try:
            comment = bytes.fromhex(encoded.strip()).decode("utf-8", "replace")
        except ValueError:
            comment = encoded.strip()
    fields = body.split()
    if not 6 <= len(fields) <= 9:
        return None  # ufw skips malformed tuples too
    direction = fields[-1] if len(fields) in (7, 9) else "in"
    dapp, sapp = (fields[6], fields[7]) if len(fields) >= 8 else ("-", "-")
    action, forward = fields[0], False
    if ":" in action:  # route rules are stored as route:<action>
        forward, action = True, action.split(":", 1)[1]
    action, _sep, log = action.partition("_")  # allow_log, allow_log-all
    return Rule(
        action, fields[1], fields[2], fields[3], fields[4], fields[5], direction, dapp, sapp, forward, comment, log
    )


def parse_rules(text: str) -> list[Rule]:
    rules = []
    for line in text.splitlines():
        rule = parse_tuple(line)
        if rule is not None:
            rules.append(rule)
    return rules


def parse_key_values(text: str) -> dict[str, str]:
    """KEY=value lines of /etc/default/ufw or /etc/ufw/ufw.conf (quotes removed)."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = value.strip().strip("\"'")
    return values


def set_key_value(text: str, key: str, value: str) -> str:
    """Return text with KEY=value set: the first assignment replaced, or a line appended."""
    lines = text.splitlines(True)
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for index, line in enumerate(lines):
        if pattern.match(line):
            lines[index] = f"{key}={value}\n"
            return "".join(lines)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join([*lines, f"{key}={value}\n"])


def _app_tuple(rule):
    """ufw's get_app_tuple: the tuples of one application rule share it; '' for other rules."""
    dapp = "" if rule.dapp == "-" else rule.dapp
    sapp = "" if rule.sapp == "-" else rule.sapp
    if not dapp and not sapp:
        return ""
    first = dapp if dapp else rule.dport
    third = sapp if sapp else rule.sport
    return (first, rule.dst, third, rule.src, rule.direction)


def apply_op(current: Rules, op: Op) -> Rules:
    """The rules after `op`, as ufw would store them."""
    result = {family: list(rules) for family, rules in current.items()}
    rules = result[op.family]
    if op.kind == "insert":
        rules.insert(op.index, op.rule)
    elif op.kind == "update":
        rules[op.index] = op.rule
    elif op.kind == "delete":
        group = _app_tuple(rules[op.index])
        if group:  # deleting an application rule removes all of its tuples
            result[op.family] = [rule for rule in rules if _app_tuple(rule) != group]
        else:
            del rules[op.index]
    else:
        raise ValueError(f"unknown operation {op.kind!r}")
    return result


def ufw_number(current: Rules, family: str, index: int) -> int:
    """The number `ufw status numbered` shows for a stored rule (v4 first, then v6;
    the tuples of one application rule share one number)."""
    seen = set()
    number = 0
    for fam in [f for f in FAMILIES if f in current]:
        for position, rule in enumerate(current[fam]):
            group = _app_tuple(rule)
            if group:
                if (fam, group) in seen:
                    if fam == family and position == index:
                        return number
                    continue
                seen.add((fam, group))
            number += 1
            if fam == family and position == index:
                return number
    raise IndexError(f"no {family} rule at {index}")


def _count_numbers(rules):
    return len({_app_tuple(rule) or ("plain", index) for index, rule in enumerate(rules)})


def rule_argv(rule: Rule) -> list[str]:
    """ufw arguments that create `rule` (one family: the addresses are explicit)."""
    direction, _sep, interface = rule.direction.partition("_")
    argv = [rule.action, direction]
    if interface:
        argv += ["on", interface]
    if rule.proto != "any":
        argv += ["proto", rule.proto]
    argv += ["from", rule.src]
    if rule.sport != "any":
        argv += ["port", rule.sport]
    argv += ["to", rule.dst]
    if rule.dport != "any":
        argv += ["port", rule.dport]
    if rule.comment:
        argv += ["comment", rule.comment]
    return argv


def op_argv(current: Rules, op: Op) -> list[str]:
    """ufw arguments for one planned step, numbered against `current`."""
    if op.kind == "delete":
        return ["--force", "delete", str(ufw_number(current, op.family, op.index))]
    if op.kind == "update" or op.index >= len(current[op.family]):
        return rule_argv(op.rule)  # ufw updates a matching rule in place, or appends
    # `ufw insert N`: N is the rule's place in its own family for IPv4; for IPv6 ufw
    # subtracts the number of IPv4 rules first.
    offset = _count_numbers(current["v4"]) if op.family == "v6" else 0
    return ["insert", str(offset + op.index + 1), *rule_argv(op.rule)]


def render_state(state: Mapping[str, Any]) -> str:
    """A readable text of a firewall state, for --diff."""
    lines = [
        f"enabled: {'yes' if state['enabled'] else 'no'}",
        f"ipv6: {'yes' if state['ipv6'] else 'no'}",
        f"default: {state['incoming']} (incoming), {state['outgoing']} (outgoing), {state['routed']} (routed)",
        f"logging: {state['logging']}",
        f"IPT_SYSCTL: {state['sysctl_file']}",
    ]
    for family in FAMILIES:
        if family in state["rules"]:
            lines.append(f"{family} rules:")
            lines.extend(f"  {index + 1}. {rule.describe()}" for index, rule in enumerate(state["rules"][family]))
    return "\n".join(lines) + "\n"


def _read(path):
    return read_text(path) or ""  # ufw's parsers read a missing file as an empty one


def read_files(root: str = "/") -> dict[str, str]:
    """The texts of ufw's configuration and rule files under root, by their path."""
    return {
        path: _read(os.path.join(root, path.lstrip("/"))) for path in (DEFAULTS_FILE, CONF_FILE, *RULES_FILES.values())
    }


def state_from_files(
    files: Mapping[str, str], families: Callable[[bool], tuple[str, ...]], running: bool
) -> dict[str, Any]:
    """ufw's state as its files say (the rules of `families` only; `running`: its chains
    are loaded)."""
    defaults = parse_key_values(files.get(DEFAULTS_FILE, ""))
    conf = parse_key_values(files.get(CONF_FILE, ""))
    ipv6 = defaults.get("IPV6", "no").lower() == "yes"
    state = {
        "enabled": conf.get("ENABLED", "no").lower() == "yes",
        "running": running,
        "ipv6": ipv6,
        "sysctl_file": defaults.get("IPT_SYSCTL", ""),
        "logging": conf.get("LOGLEVEL", "low").lower(),
        "rules": {family: parse_rules(files.get(RULES_FILES[family], "")) for family in families(ipv6)},
    }
    for direction, key in POLICY_KEYS.items():
        value = defaults.get(key, "")
        state[direction] = POLICIES.get(value.upper(), value.lower())
    return state


class Ufw:
    """ufw on this host: reads its files, runs its command, or simulates both in check mode.
    Every change is recorded in `actions`; failures raise KeelHostError."""

    def __init__(self, module: Any, desired: dict[str, list[Rule]], ipv6_kernel: bool) -> None:
        self.module = module
        self.desired = desired
        self.ipv6_kernel = ipv6_kernel
        self.check = module.check_mode
        self.actions = []
        self.restarted = True  # only a later IPT_SYSCTL change makes a restart necessary
        self.ufw = module.get_bin_path("ufw")
        self.installed = self.ufw is not None
        self.state = self.read_state() if self.installed else self._package_defaults()

    # --- reading ---------------------------------------------------------------------
    def families(self, ipv6: bool) -> tuple[str, ...]:
        return FAMILIES if ipv6 and self.ipv6_kernel else ("v4",)

    def _package_defaults(self):
        state = dict(PACKAGE_DEFAULTS)
        state["rules"] = {family: [] for family in self.families(state["ipv6"])}
        return state

    def _read_rules(self, ipv6):
        return {family: parse_rules(_read(RULES_FILES[family])) for family in self.families(ipv6)}

    def _running(self):
        iptables = self.module.get_bin_path("iptables")
        if iptables is None:
            return False
        rc, _out, _err = self.module.run_command([iptables, "-n", "-L", "ufw-user-input"])
        return rc == 0

    def read_state(self) -> dict[str, Any]:
        return state_from_files(read_files(), self.families, self._running())

    @property
    def active(self) -> bool:
        return self.state["enabled"] and self.state["running"]

    # --- doing -----------------------------------------------------------------------
    def _ufw(self, argv):
        self.actions.append("ufw " + " ".join(argv))
        if self.check:
            return ""
        rc, out, err = self.module.run_command([self.ufw, *argv], environ_update={"LANG": "C", "LC_ALL": "C"})
        if rc != 0:
            raise KeelHostError(f"'ufw {' '.join(argv)}' failed (rc {rc}): {(err or out).strip()}")
        return out

    def guard(self, what: str) -> None:
        """Refuse `what` (enabling, or restarting an active firewall) unless every management
        rule is in ufw's rule store. A real run re-reads the store for this."""
        rules = self.state["rules"] if self.check else self._read_rules(self.state["ipv6"])
        missing = missing_management(rules, self.desired)
        if missing:
            raise KeelHostError(f"refusing to {what}: {'; '.join(missing)}")

    def _set_default(self, key, value):
        """Set KEY=value in /etc/default/ufw (a file edit: ufw has no command for these keys)."""
        self.actions.append(f"set {key}={value} in {DEFAULTS_FILE}")
        if not self.check:
            path = os.path.join(self.module.tmpdir, "ufw-defaults")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(set_key_value(_read(DEFAULTS_FILE), key, value))
            os.chmod(path, 0o644)
            self.module.atomic_move(path, DEFAULTS_FILE)

    def set_ipv6(self, value: bool) -> None:
        self._set_default("IPV6", "yes" if value else "no")
        self.state["ipv6"] = value
        # Reading is harmless in check mode too: the family that appears starts from its file.
        self.state["rules"] = self._read_rules(value) if self.installed else self._package_defaults()["rules"]

    def set_sysctl_file(self, value: str) -> None:
        self._set_default("IPT_SYSCTL", value)
        self.state["sysctl_file"] = value
        # ufw applies the file when it starts; an emptied setting has nothing to apply, and
        # a restart drops new connections for an instant, so only a new file needs one.
        self.restarted = self.restarted and not value

    def reload(self) -> None:
        self.guard("reload ufw")
        self._ufw(["reload"])
        self.restarted = True

    def enable(self) -> None:
        self.guard("enable ufw")
        self._ufw(["--force", "enable"])
        self.state["enabled"] = self.state["running"] = True
        self.restarted = True

    def disable(self) -> None:
        self._ufw(["disable"])
        self.state["enabled"] = self.state["running"] = False

    def set_policy(self, direction: str, policy: str) -> None:
        if self.active:
            self.guard(f"set the {direction} policy of the active firewall (ufw restarts it to do so)")
        self._ufw(["default", policy, direction])
        self.state[direction] = policy
        self.restarted = self.restarted or self.active

    def set_logging(self, level: str) -> None:
        self._ufw(["logging", level])
        self.state["logging"] = level

    def reconcile_rules(self, purge: bool) -> None:
        # Each step changes one rule; a correct plan never reaches this bound.
        sizes = sum(len(rules) for rules in self.state["rules"].values()) + sum(len(r) for r in self.desired.values())
        for _attempt in range(4 * sizes + 8):
            op = next_rule_op(self.state["rules"], self.desired, self.active, purge)
            if op is None:
                return
            expected = apply_op(self.state["rules"], op)
            output = self._ufw(op_argv(self.state["rules"], op))
            if not self.check and self._read_rules(self.state["ipv6"]) != expected:
                raise KeelHostError(
                    f"ufw did not store what was planned for '{self.actions[-1]}' "
                    f"({op.kind} {op.family}: {op.rule.describe()}); ufw said {output.strip()!r}. "
                    "Nothing further was changed."
                )
            self.state["rules"] = expected
        raise KeelHostError("the rule plan did not converge (please report this as a bug)")

    def snapshot(self) -> dict[str, Any]:
        return {
            "enabled": self.active,
            "ipv6": self.state["ipv6"],
            "incoming": self.state["incoming"],
            "outgoing": self.state["outgoing"],
            "routed": self.state["routed"],
            "logging": self.state["logging"],
            "sysctl_file": self.state["sysctl_file"],
            "rules": {family: list(rules) for family, rules in self.state["rules"].items()},
        }
