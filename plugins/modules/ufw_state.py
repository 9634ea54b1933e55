#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ufw_state
short_description: Apply a complete ufw firewall state in an order that cannot lock out the management port
version_added: 0.1.0
description:
  - Takes the whole desired state of ufw (management port, allowed ports, loopback rules, default policies,
    logging, IPv6, enabled) and applies it with the C(ufw) command, one step at a time, re-reading ufw's own rule
    store (C(/etc/ufw/user.rules), C(/etc/ufw/user6.rules)) after every step and failing as soon as ufw stored
    something other than what was planned.
  - "Order: the management rules first (at the top of each address family's list), then the other rules of this
    module, then removals, then default policies, logging, and enabling last. Before it enables ufw, and before
    any step that restarts an active firewall (a default policy change, a reload), it checks in the rule store that
    every management rule is present, and refuses otherwise. No option can skip that check."
  - Rules it creates carry a C(keel.ssm.ufw:<kind>) comment; that is how it recognises them later. Its own rules
    that are no longer wanted are always removed; rules created by anything else are kept below its block, or
    removed when O(purge_unmanaged=true).
  - On an active firewall, a rule of its own that has to move up (for example after someone inserted a rule above
    it) is first covered by a temporary rule matching the same traffic (source ports 1-65535, comment
    C(keel.ssm.ufw:bridge)), so the port stays open while it moves.
  - Switching O(ipv6) on an active firewall disables ufw while its rules are rebuilt and enables it again at the
    end (the firewall is open, never closed, for those seconds).
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  management_port:
    description: The management port as C(PORT/PROTO), for example C(22/tcp).
    type: str
    default: 22/tcp
  management_sources:
    description:
      - Addresses or networks allowed to reach O(management_port); C(any) for every address (IPv4 and IPv6).
      - An IPv4 source makes an IPv4 rule only, an IPv6 source an IPv6 rule only.
    type: list
    elements: str
    default: [any]
  management_limit:
    description:
      - Rate-limit the management port (ufw C(limit), 6 new connections per 30 s per source) instead of C(allow).
    type: bool
    default: true
  allowed_ports:
    description:
      - Incoming ports to allow, each C(PORT[:PORT]/PROTO [from ADDRESS]), for example C(5432/tcp from 10.0.0.0/8).
    type: list
    elements: str
    default: []
  allowed_out_ports:
    description: Outgoing ports to allow, each C(PORT[:PORT]/PROTO [to ADDRESS]), for example C(443/tcp).
    type: list
    elements: str
    default: []
  loopback:
    description: Allow traffic in and out on C(lo) and deny loopback source addresses arriving elsewhere.
    type: bool
    default: true
  incoming:
    description: Default policy for incoming traffic.
    type: str
    choices: [deny, reject]
    default: deny
  outgoing:
    description: Default policy for outgoing traffic.
    type: str
    choices: [allow, deny, reject]
    default: allow
  routed:
    description: Default policy for routed (forwarded) traffic.
    type: str
    choices: [deny, reject, allow]
    default: deny
  logging:
    description: ufw's log level.
    type: str
    choices: ["off", low, medium, high, full]
    default: low
  ipv6:
    description: Let ufw manage IPv6 (C(IPV6) in C(/etc/default/ufw)).
    type: bool
    default: true
  sysctl_file:
    description:
      - Value for C(IPT_SYSCTL) in C(/etc/default/ufw), the kernel settings file ufw applies when it starts;
        C("") stops ufw from applying one (containers, where C(/proc/sys) is read-only). Unset leaves it alone.
      - Set before ufw is enabled; when it changes to a file on an active firewall that nothing else restarted in
        the run, ufw is reloaded (after the same management-rule check). Emptying it needs no reload.
    type: str
  enabled:
    description: Whether ufw is enabled (and running). C(false) disables it after configuring it.
    type: bool
    default: true
  purge_unmanaged:
    description: Remove rules this module did not create.
    type: bool
    default: false
notes:
  - Supports check mode (the plan is simulated with the same planner the real run uses) and diff mode.
  - Needs ufw 0.36 or later (Debian 12 and 13, Ubuntu 22.04 and 24.04).
attributes:
  check_mode:
    support: full
    description: Simulates the same plan step by step against the current state, changing nothing.
  diff_mode:
    support: full
    description: Rules, policies and settings before and after.
"""

EXAMPLES = r"""
- name: Firewall with SSH from the bastion network, HTTPS for everyone
  keel.ssm.ufw_state:
    management_sources: [10.20.0.0/16]
    allowed_ports:
      - 443/tcp
      - 5432/tcp from 10.0.0.0/8
    logging: low
"""

RETURN = r"""
actions:
  description: The ufw commands run (or, in check mode, that would run), in order; file edits as C(set IPV6=...).
  returned: always
  type: list
  elements: str
  sample: ["ufw insert 1 limit in proto tcp from 0.0.0.0/0 to 0.0.0.0/0 port 22 comment keel.ssm.ufw:management"]
rules:
  description: The rules this module owns, per address family, as ufw stores them.
  returned: always
  type: dict
  sample: {"v4": ["limit in tcp 22 from 0.0.0.0/0 to 0.0.0.0/0 comment 'keel.ssm.ufw:management'"], "v6": []}
state:
  description: The firewall after the run (predicted in check mode).
  returned: always
  type: dict
  contains:
    enabled: {description: ufw is enabled and its chains are loaded., type: bool}
    incoming: {description: Default incoming policy., type: str}
    outgoing: {description: Default outgoing policy., type: str}
    routed: {description: Default routed policy., type: str}
    logging: {description: Log level., type: str}
    sysctl_file: {description: C(IPT_SYSCTL) in C(/etc/default/ufw)., type: str}
    ipv6: {description: ufw manages IPv6., type: bool}
    rules: {description: Every stored rule per family (ours and others) in order., type: dict}
management_allowed:
  description: Every management rule is stored (checked in ufw's rule store after the run).
  returned: always
  type: bool
installed:
  description: Whether ufw was installed. In check mode before the package is installed, the prediction starts from
    the Debian package's defaults.
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelError, KeelHostError
from ansible_collections.keel.ssm.plugins.module_utils.host.files import read_text
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw import (
    FAMILIES,
    POLICIES,
    apply_op,
    desired_rules,
    missing_management,
    next_rule_op,
    op_argv,
    parse_key_values,
    parse_rules,
    render_state,
    set_key_value,
)
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

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


def _read(path):
    return read_text(path) or ""  # ufw's parsers read a missing file as an empty one


class Firewall:
    """ufw on this host: reads its files, runs its command, or simulates both in check mode."""

    def __init__(self, module, desired, ipv6_kernel):
        self.module = module
        self.desired = desired
        self.ipv6_kernel = ipv6_kernel
        self.check = module.check_mode
        self.actions = []
        self.restarted = True  # only a later IPT_SYSCTL change makes a restart necessary
        self.ufw = module.get_bin_path("ufw")
        self.installed = self.ufw is not None
        self.state = self._read_state() if self.installed else self._package_defaults()

    # --- reading ---------------------------------------------------------------------
    def families(self, ipv6):
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

    def _read_state(self):
        defaults = parse_key_values(_read(DEFAULTS_FILE))
        conf = parse_key_values(_read(CONF_FILE))
        ipv6 = defaults.get("IPV6", "no").lower() == "yes"
        state = {
            "enabled": conf.get("ENABLED", "no").lower() == "yes",
            "running": self._running(),
            "ipv6": ipv6,
            "sysctl_file": defaults.get("IPT_SYSCTL", ""),
            "logging": conf.get("LOGLEVEL", "low").lower(),
            "rules": self._read_rules(ipv6),
        }
        for direction, key in POLICY_KEYS.items():
            value = defaults.get(key, "")
            state[direction] = POLICIES.get(value.upper(), value.lower())
        return state

    @property
    def active(self):
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

    def guard(self, what):
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

    def set_ipv6(self, value):
        self._set_default("IPV6", "yes" if value else "no")
        self.state["ipv6"] = value
        # Reading is harmless in check mode too: the family that appears starts from its file.
        self.state["rules"] = self._read_rules(value) if self.installed else self._package_defaults()["rules"]

    def set_sysctl_file(self, value):
        self._set_default("IPT_SYSCTL", value)
        self.state["sysctl_file"] = value
        # ufw applies the file when it starts; an emptied setting has nothing to apply, and
        # a restart drops new connections for an instant, so only a new file needs one.
        self.restarted = self.restarted and not value

    def reload(self):
        self.guard("reload ufw")
        self._ufw(["reload"])
        self.restarted = True

    def enable(self):
        self.guard("enable ufw")
        self._ufw(["--force", "enable"])
        self.state["enabled"] = self.state["running"] = True
        self.restarted = True

    def disable(self):
        self._ufw(["disable"])
        self.state["enabled"] = self.state["running"] = False

    def set_policy(self, direction, policy):
        if self.active:
            self.guard(f"set the {direction} policy of the active firewall (ufw restarts it to do so)")
        self._ufw(["default", policy, direction])
        self.state[direction] = policy
        self.restarted = self.restarted or self.active

    def set_logging(self, level):
        self._ufw(["logging", level])
        self.state["logging"] = level

    def reconcile_rules(self, purge):
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

    def snapshot(self):
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


def run(module):
    params = module.params
    desired = desired_rules(params)
    described = {family: [rule.describe() for rule in rules] for family, rules in desired.items()}

    ipv6_kernel = os.path.exists("/proc/sys/net/ipv6")
    if params["outgoing"] != "allow" and not params["allowed_out_ports"]:
        module.warn(
            f"outgoing is {params['outgoing']} and allowed_out_ports is empty: this host cannot open any connection "
            "(DNS, package mirrors, the SSM agent's 443/tcp) except on lo"
        )
    if params["ipv6"] and not ipv6_kernel:
        module.warn("ipv6 is true but this kernel has no IPv6 (/proc/sys/net/ipv6 is missing): IPv4 rules only")
        desired = {"v4": desired["v4"]}
    firewall = Firewall(module, desired, ipv6_kernel)
    if not firewall.installed and not module.check_mode:
        raise KeelHostError("ufw is not installed (the keel.ssm.ufw role installs it before this step)")
    before = firewall.snapshot()

    try:
        if firewall.state["ipv6"] != params["ipv6"]:
            if firewall.active:
                # ufw cannot add or drop a whole address family on a running firewall: it is
                # off (open, not closed) while the rules are rebuilt, and enabled again below.
                firewall.disable()
            firewall.set_ipv6(params["ipv6"])
        if params["sysctl_file"] is not None and firewall.state["sysctl_file"] != params["sysctl_file"]:
            firewall.set_sysctl_file(params["sysctl_file"])
        firewall.reconcile_rules(params["purge_unmanaged"])
        for direction in ("incoming", "outgoing", "routed"):
            if firewall.state[direction] != params[direction]:
                firewall.set_policy(direction, params[direction])
        if firewall.state["logging"] != params["logging"]:
            firewall.set_logging(params["logging"])
        if params["enabled"] and not firewall.active:
            firewall.enable()
        elif not params["enabled"] and (firewall.state["enabled"] or firewall.state["running"]):
            firewall.disable()
        if firewall.active and not firewall.restarted:
            firewall.reload()  # ufw applies IPT_SYSCTL when it starts
    except KeelError as error:  # say what was done before it
        error.result.update(actions=firewall.actions, changed=bool(firewall.actions))
        raise

    if firewall.installed and not module.check_mode:
        firewall.state = firewall._read_state()
    after = firewall.snapshot()
    result = {
        "changed": bool(firewall.actions),
        "actions": firewall.actions,
        "rules": described,
        "installed": firewall.installed,
        "management_allowed": not missing_management(after["rules"], desired),
        "state": dict(after, rules={family: [r.describe() for r in rules] for family, rules in after["rules"].items()}),
    }
    if module._diff:
        result["diff"] = {"before": render_state(before), "after": render_state(after)}
    return result


ARGUMENT_SPEC = {
    "management_port": {"type": "str", "default": "22/tcp"},
    "management_sources": {"type": "list", "elements": "str", "default": ["any"]},
    "management_limit": {"type": "bool", "default": True},
    "allowed_ports": {"type": "list", "elements": "str", "default": []},
    "allowed_out_ports": {"type": "list", "elements": "str", "default": []},
    "loopback": {"type": "bool", "default": True},
    "incoming": {"type": "str", "default": "deny", "choices": ["deny", "reject"]},
    "outgoing": {"type": "str", "default": "allow", "choices": ["allow", "deny", "reject"]},
    "routed": {"type": "str", "default": "deny", "choices": ["deny", "reject", "allow"]},
    "logging": {"type": "str", "default": "low", "choices": ["off", "low", "medium", "high", "full"]},
    "ipv6": {"type": "bool", "default": True},
    "sysctl_file": {"type": "str"},
    "enabled": {"type": "bool", "default": True},
    "purge_unmanaged": {"type": "bool", "default": False},
}


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
