"""What keel.ssm.ufw_state wants from ufw (module_utils/host/ufw_rules.py): settings -> the exact
rules ufw stores, and the planner's order, which never closes the management port.
"""

from __future__ import annotations

import random

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw_rules import (
    COMMENTS,
    desired_rules,
    make_rule,
    missing_management,
)
from tests.helpers.ufw_cases import foreign, plan, settings


def test_settings_become_the_tuples_ufw_stores():
    rules = desired_rules(
        settings(
            management_sources=["10.20.0.0/16", "2001:DB8::/32"],
            allowed_ports=["443/tcp", "5432/tcp  from 10.0.0.1", "60000:61000/udp from ::/0"],
            allowed_out_ports=["53/udp to 192.0.2.0/24"],
        )
    )
    v4 = [(r.action, r.proto, r.dport, r.dst, r.src, r.direction, r.comment) for r in rules["v4"]]
    assert v4 == [
        ("limit", "tcp", "22", "0.0.0.0/0", "10.20.0.0/16", "in", COMMENTS["management"]),
        ("allow", "any", "any", "0.0.0.0/0", "0.0.0.0/0", "in_lo", COMMENTS["loopback"]),
        ("allow", "any", "any", "0.0.0.0/0", "0.0.0.0/0", "out_lo", COMMENTS["loopback"]),
        ("deny", "any", "any", "0.0.0.0/0", "127.0.0.0/8", "in", COMMENTS["loopback"]),
        ("allow", "tcp", "443", "0.0.0.0/0", "0.0.0.0/0", "in", COMMENTS["allowed"]),
        ("allow", "tcp", "5432", "0.0.0.0/0", "10.0.0.1", "in", COMMENTS["allowed"]),
        ("allow", "udp", "53", "192.0.2.0/24", "0.0.0.0/0", "out", COMMENTS["allowed-out"]),
    ]
    v6 = [(r.dport, r.src, r.dst, r.direction) for r in rules["v6"]]
    assert v6 == [
        ("22", "2001:db8::/32", "::/0", "in"),  # ufw's normal form: lower case, compressed
        ("any", "::/0", "::/0", "in_lo"),
        ("any", "::/0", "::/0", "out_lo"),
        ("any", "::1", "::/0", "in"),
        ("443", "::/0", "::/0", "in"),
        ("60000:61000", "::/0", "::/0", "in"),
    ]
    assert desired_rules(settings(management_limit=False, loopback=False, ipv6=False)) == {
        "v4": [make_rule("allow", "in", "tcp", "22", comment=COMMENTS["management"])]
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"management_port": "22"}, r"keel_ufw_management_port: '22' is not PORT/PROTO"),
        ({"management_port": "20:22/tcp"}, r"keel_ufw_management_port: '20:22/tcp' must be a single port"),
        ({"management_port": "22/sctp"}, r"protocol 'sctp' in '22/sctp' must be tcp or udp"),
        ({"management_sources": []}, r"keel_ufw_management_sources: must name at least one source"),
        ({"management_sources": ["10.1.2.3/8"]}, r"keel_ufw_management_sources\[0\]: '10.1.2.3/8' .*host bits"),
        ({"allowed_ports": ["443/tcp", "0/tcp"]}, r"keel_ufw_allowed_ports\[1\]: ports in '0/tcp' must be between"),
        ({"allowed_ports": ["80:70/tcp"]}, r"keel_ufw_allowed_ports\[0\]: range '80:70' .* low to high"),
        ({"allowed_ports": ["80,443/tcp"]}, r"keel_ufw_allowed_ports\[0\]: '80,443/tcp' is not PORT\[:PORT\]/PROTO"),
        ({"allowed_ports": ["443/tcp to 10.0.0.0/8"]}, r"keel_ufw_allowed_ports\[0\]: .*\[from ADDRESS\]"),
        ({"allowed_out_ports": ["443/tcp from any"]}, r"keel_ufw_allowed_out_ports\[0\]: .*\[to ADDRESS\]"),
        ({"allowed_ports": ["22/tcp"]}, r"keel_ufw_allowed_ports\[0\] duplicates keel_ufw_management_sources\[0\]"),
        ({"allowed_ports": ["8/udp from fd00::/8"], "ipv6": False}, r"allowed_ports\[0\]: .* IPv6 is switched off"),
    ],
)
def test_bad_settings_name_the_setting_and_the_rule(overrides, message):
    with pytest.raises(KeelRuleError, match=message):
        desired_rules(settings(**overrides), prefix="keel_ufw_")


DESIRED = desired_rules(settings(allowed_ports=["443/tcp", "5432/tcp from 10.0.0.0/8"]))


def test_fresh_host_gets_management_first_then_the_block():
    steps, states = plan({"v4": [], "v6": []}, DESIRED, active=False)
    assert [step.kind for step in steps] == ["insert"] * (len(DESIRED["v4"]) + len(DESIRED["v6"]))
    assert [step.rule.comment for step in steps[:2]] == [COMMENTS["management"]] * 2
    assert states[-1] == DESIRED


def test_already_enabled_host_management_rule_is_the_very_first_change():
    others = {"v4": [foreign(8080), foreign(9090, action="deny")], "v6": [foreign(8080, "v6")]}
    steps, states = plan(others, DESIRED, active=True)
    assert steps[0] == ("insert", "v4", 0, DESIRED["v4"][0])
    assert steps[1] == ("insert", "v6", 0, DESIRED["v6"][0])
    assert all(step.kind == "insert" for step in steps)  # nothing else is touched, nothing moves
    assert states[-1] == {family: DESIRED[family] + others[family] for family in others}


def test_port_change_adds_the_new_port_before_removing_the_old_one():
    old = desired_rules(settings(management_port="2222/tcp"))
    new = desired_rules(settings())
    steps, states = plan(old, new, active=True)
    assert [(step.kind, step.rule.dport) for step in steps] == [
        ("insert", "22"),
        ("insert", "22"),
        ("delete", "2222"),
        ("delete", "2222"),
    ]
    assert states[-1] == new


def test_existing_rule_for_the_same_traffic_is_adopted_in_place():
    admin = {"v4": [foreign(22)], "v6": [foreign(22, "v6")]}
    steps, _ = plan(admin, desired_rules(settings(loopback=False)), active=True, purge=True)
    assert [(step.kind, step.index) for step in steps] == [("update", 0), ("update", 0)]


def test_purge_never_removes_a_rule_before_the_management_rules_exist():
    admin = {
        "v4": [foreign(22, action="allow")._replace(src="10.9.0.0/16"), foreign(8080)],
        "v6": [foreign(8080, "v6")],
    }
    steps, states = plan(admin, DESIRED, active=True, purge=True)
    first_delete = next(index for index, step in enumerate(steps) if step.kind == "delete")
    assert not missing_management(states[first_delete], DESIRED)
    assert states[-1] == DESIRED


def test_rule_moved_above_by_someone_else_is_bridged_while_it_moves_back():
    intruder = make_rule("deny", "in", src="192.0.2.1")
    current = {"v4": [intruder, *DESIRED["v4"]], "v6": list(DESIRED["v6"])}
    steps, states = plan(current, DESIRED, active=True)
    management = DESIRED["v4"][0]
    assert steps[:4] == [
        ("insert", "v4", 0, management.bridge()),
        ("delete", "v4", 2, management),
        ("insert", "v4", 0, management),
        ("delete", "v4", 1, management.bridge()),
    ]
    assert states[-1] == {"v4": [*DESIRED["v4"], intruder], "v6": DESIRED["v6"]}
    # inactive firewall: nothing to keep open, a plain move
    steps, _ = plan(current, DESIRED, active=False)
    assert not any(step.rule.is_bridge for step in steps)


def covered(rules, want):
    return any(rule.key in (want.key, want.bridge().key) and rule.action in ("allow", "limit") for rule in rules)


@pytest.mark.parametrize("seed", range(300))
def test_random_states_converge_safely(seed):
    """Whatever the starting rules (the role's, stale ones, bridges, others, shuffled), the
    plan converges to the block on top, never uncovers a management port that was open,
    never touches other rules before every management rule exists, and keeps other rules
    in their order unless purging."""
    rng = random.Random(seed)
    desired = desired_rules(
        settings(
            management_port=rng.choice(["22/tcp", "2222/tcp"]),
            management_sources=rng.choice([["any"], ["10.0.0.0/8", "fd00::/8"], ["192.0.2.0/24"]]),
            management_limit=rng.random() < 0.5,
            loopback=rng.random() < 0.7,
            allowed_ports=rng.sample(["443/tcp", "80/tcp", "5432/tcp from 10.0.0.0/8", "53/udp"], rng.randint(0, 3)),
        )
    )
    stale = desired_rules(settings(management_port="2022/tcp", allowed_ports=["8443/tcp"]))
    current = {}
    for family in desired:
        pool = [rule for rule in desired[family] if rng.random() < 0.6]
        pool += [rule for rule in stale[family] if rng.random() < 0.3]
        pool += [foreign(port, family) for port in rng.sample([8080, 9090, 22, 443], rng.randint(0, 3))]
        pool += [rule.bridge() for rule in desired[family] if rule.bridgeable and rng.random() < 0.1]
        if (
            desired[family] and rng.random() < 0.3
        ):  # an admin's rule for the management traffic, other action and no comment
            pool += [desired[family][0]._replace(action="allow", comment="")]
        unique = list({rule.key: rule for rule in pool}.values())
        rng.shuffle(unique)
        current[family] = unique
    active, purge = rng.random() < 0.7, rng.random() < 0.4
    steps, states = plan(current, desired, active=active, purge=purge)

    for family in desired:
        assert states[-1][family][: len(desired[family])] == desired[family]
        rest = states[-1][family][len(desired[family]) :]
        assert not any(rule.ours for rule in rest)
        kept = [r for r in current[family] if not r.ours and r.key not in {d.key for d in desired[family]}]
        assert rest == ([] if purge else kept)
    if active:
        for family in desired:
            for want in (rule for rule in desired[family] if rule.comment == COMMENTS["management"]):
                opened = next((i for i, state in enumerate(states) if covered(state[family], want)), None)
                assert opened is not None
                assert all(covered(state[family], want) for state in states[opened:])
    complete = next(i for i, state in enumerate(states) if not missing_management(state, desired))
    assert all(step.rule.comment == COMMENTS["management"] for step in steps[:complete])


def test_the_guard_reports_what_is_missing():
    assert missing_management(DESIRED, DESIRED) == []
    missing = missing_management({"v4": DESIRED["v4"], "v6": []}, DESIRED)
    assert missing == [f"management rule not in ufw's rule store (v6): {DESIRED['v6'][0].describe()}"]
    assert "no management rule applies" in missing_management({"v4": []}, {"v4": []})[0]
