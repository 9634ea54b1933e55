"""Settings and a planner driver shared by the ufw tests (unit and fixture replays)."""

from __future__ import annotations

from ansible_collections.keel.ssm.plugins.module_utils.host.ufw import apply_op
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw_rules import make_rule, next_rule_op

SETTINGS = {
    "management_port": "22/tcp",
    "management_sources": ["any"],
    "management_limit": True,
    "loopback": True,
    "allowed_ports": [],
    "allowed_out_ports": [],
    "ipv6": True,
}


def settings(**overrides):
    return dict(SETTINGS, **overrides)


def plan(current, desired, active=True, purge=False, limit=500):
    """Every step the planner takes from `current`, and the states in between."""
    steps, states = [], [current]
    for _ in range(limit):
        op = next_rule_op(current, desired, active, purge)
        if op is None:
            return steps, states
        current = apply_op(current, op)
        steps.append(op)
        states.append(current)
    raise AssertionError("plan did not converge")


def foreign(port, family="v4", action="allow"):
    any_addr = "0.0.0.0/0" if family == "v4" else "::/0"
    return make_rule(action, "in", "tcp", str(port), any_addr, any_addr)
