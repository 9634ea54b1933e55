"""ufw as the adapter (module_utils/host/ufw.py) reads and drives it: its rule store, its key=value
files, the command lines and rule numbers it expects, and what it stores after each command.

The tuple lines below were produced by ufw 0.36.2 (Debian 12 and 13) in the test containers;
the fixture tests at the end replay what real ufw stored, command by command (fixtures/ufw).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.host.ufw import (
    RULES_FILES,
    apply_op,
    op_argv,
    parse_key_values,
    parse_rules,
    parse_tuple,
    rule_argv,
    set_key_value,
    state_from_files,
    ufw_number,
)
from ansible_collections.keel.ssm.plugins.module_utils.host.ufw_rules import (
    COMMENTS,
    Op,
    Rule,
    desired_rules,
    make_rule,
    missing_management,
    next_rule_op,
)

USER_RULES = """
*filter
:ufw-user-input - [0:0]
### RULES ###

### tuple ### allow_log tcp 80 0.0.0.0/0 any 0.0.0.0/0 in
-A ufw-user-input -p tcp --dport 80 -j ufw-user-limit-accept
### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=6b65656c2e73736d2e7566773a6d616e6167656d656e74
### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in
### tuple ### route:allow tcp 90 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 91 0.0.0.0/0 any 0.0.0.0/0 in_eth0
### tuple ### allow any any 0.0.0.0/0 any 0.0.0.0/0 out_lo
### tuple ### deny any any 0.0.0.0/0 any 127.0.0.0/8 in
### tuple ### broken
### END RULES ###
"""


def test_the_rule_store_is_read_as_ufw_reads_it():
    rules = parse_rules(USER_RULES)
    assert len(rules) == 7  # the malformed tuple is skipped, like ufw does
    logged, management, app, route, iface, out_lo, deny = rules
    assert (logged.action, logged.log, logged.dport) == ("allow", "log", "80")
    assert management.comment == "keel.ssm.ufw:management" and management.ours
    assert (app.dapp, app.sapp, app.direction) == ("OpenSSH", "-", "in")
    assert route.forward and route.action == "allow"
    assert iface.direction == "in_eth0"
    assert out_lo.direction == "out_lo"
    assert deny.src == "127.0.0.0/8" and not deny.ours
    # same traffic, other action/comment: the same rule for ufw (it would update it in place)
    assert management.key == parse_tuple("### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in").key
    assert management.key != app.key


def test_key_value_files_round_trip():
    text = '# comment\nIPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nIPT_SYSCTL=/etc/ufw/sysctl.conf\n'
    assert parse_key_values(text) == {
        "IPV6": "yes",
        "DEFAULT_INPUT_POLICY": "DROP",
        "IPT_SYSCTL": "/etc/ufw/sysctl.conf",
    }
    changed = set_key_value(text, "IPV6", "no")
    assert changed == text.replace("IPV6=yes", "IPV6=no")
    assert set_key_value("A=1", "B", "2") == "A=1\nB=2\n"


def test_command_lines_and_numbers():
    rule = make_rule("limit", "in", "tcp", "22", "10.0.0.0/8", comment=COMMENTS["management"])
    assert rule_argv(rule) == [
        *["limit", "in", "proto", "tcp", "from", "10.0.0.0/8", "to", "0.0.0.0/0", "port", "22"],
        *["comment", "keel.ssm.ufw:management"],
    ]
    assert rule_argv(rule.bridge())[:8] == ["allow", "in", "proto", "tcp", "from", "10.0.0.0/8", "port", "1:65535"]
    assert rule_argv(make_rule("allow", "out_lo")) == [
        "allow",
        "out",
        "on",
        "lo",
        "from",
        "0.0.0.0/0",
        "to",
        "0.0.0.0/0",
    ]
    app = "### tuple ### allow {proto} 137,138 0.0.0.0/0 any 0.0.0.0/0 Samba - in"
    current = {
        "v4": parse_rules("\n".join([app.format(proto="udp"), app.format(proto="tcp"), USER_RULES])),
        "v6": [make_rule("allow", "in", "tcp", "80", "::/0", "::/0")] * 2,
    }
    # the two tuples of the Samba application rule share number 1, as in `ufw status numbered`
    assert [ufw_number(current, "v4", index) for index in range(3)] == [1, 1, 2]
    assert ufw_number(current, "v6", 1) == len(current["v4"]) - 1 + 2
    insert_v6 = Op("insert", "v6", 1, rule._replace(src="::/0", dst="::/0"))
    assert op_argv(current, insert_v6)[:2] == ["insert", str(len(current["v4"]) - 1 + 2)]
    assert op_argv(current, Op("insert", "v6", 2, insert_v6.rule))[0] == "limit"  # the end: append
    assert op_argv(current, Op("delete", "v4", 3, current["v4"][3])) == ["--force", "delete", "3"]
    # deleting an application rule removes all of its tuples, as ufw does
    assert len(apply_op(current, Op("delete", "v4", 0, current["v4"][0]))["v4"]) == len(current["v4"]) - 2


def test_rule_is_a_plain_tuple():
    rule = parse_tuple("### tuple ### limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=6b65656c2e73736d2e756677")
    assert isinstance(rule, Rule) and rule.ours and not rule.is_bridge
    assert rule.describe() == "limit in tcp 22 from 0.0.0.0/0 to 0.0.0.0/0 comment 'keel.ssm.ufw'"


# -- what the real ufw of bookworm and trixie stored (fixtures/ufw, captured from it) ----
UFW_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "ufw").glob("*.json"))


def load_fixture(path):
    return json.loads(path.read_text())


def test_there_is_a_fixture_for_each_release_the_collection_supports():
    assert [path.stem for path in UFW_FIXTURES] == ["bookworm", "trixie"]


@pytest.mark.parametrize("path", UFW_FIXTURES, ids=lambda path: path.stem)
def test_real_ufw_stores_what_the_adapter_predicts_command_by_command(path):
    """Replays every scenario: the planner must still give the captured commands, and after
    each, the rules real ufw stored (read by the adapter's parser) must be exactly the
    adapter's prediction (apply_op: ufw's numbering, insert, update, delete, application
    rules whose tuples go together)."""
    fixture = load_fixture(path)
    assert {scenario["name"] for scenario in fixture["scenarios"]} == {"fresh", "live", "purge"}
    for scenario in fixture["scenarios"]:
        desired = desired_rules(scenario["settings"])
        files = scenario["files"]
        current = state_from_files(files, lambda ipv6: ("v4", "v6") if ipv6 else ("v4",), running=False)["rules"]
        kinds, grouped = [], 0
        for number, step in enumerate(scenario["steps"], start=1):
            where = f"{fixture['release']} {scenario['name']} step {number}"
            op = next_rule_op(current, desired, scenario["active"], scenario["purge"])
            assert op is not None, f"{where}: the planner stops early"
            assert op_argv(current, op) == step["argv"], f"{where}: the planner's command changed: capture again"
            predicted = apply_op(current, op)
            stored = {family: parse_rules(step["rules"][RULES_FILES[family]]) for family in current}
            assert stored == predicted, f"{where}: ufw {' '.join(step['argv'])} stored something else"
            grouped += len(current[op.family]) - len(stored[op.family]) > 1  # an application rule's tuples
            current = stored
            kinds.append(op.kind if op.rule.comment != COMMENTS["bridge"] else "bridge")
        assert next_rule_op(current, desired, scenario["active"], scenario["purge"]) is None
        assert missing_management(current, desired) == []
        if scenario["name"] == "live":  # a wanted rule below someone else's moved up behind a bridge
            assert "bridge" in kinds and "delete" in kinds, (fixture["release"], kinds)
        if scenario["name"] == "purge":  # the application rule went with one command, both its tuples
            assert grouped >= 1, (fixture["release"], kinds)


@pytest.mark.parametrize("path", UFW_FIXTURES, ids=lambda path: path.stem)
def test_the_adapter_reads_policies_logging_and_enabled_as_ufw_wrote_them(path):
    fixture = load_fixture(path)
    for step in fixture["settings_steps"]:
        state = state_from_files(step["files"], lambda ipv6: ("v4",), running=False)
        assert {key: state[key] for key in step["expect"]} == step["expect"], step["argv"]
        assert state["ipv6"] is True and state["sysctl_file"] == ""
