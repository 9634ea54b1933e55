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
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw import Ufw, render_state
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw_rules import desired_rules, missing_management
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module


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
    firewall = Ufw(module, desired, ipv6_kernel)
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
        firewall.state = firewall.read_state()
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
