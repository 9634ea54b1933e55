"""plugin_utils/role_controls.py: every role's meta/controls.yml obeys the rules, a
controls file that breaks one is refused naming the file, the control and the rule, and
a check's environment carries the settings it depends on (booleans as true/false, lists
one item a line) and nothing else."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils import role_controls
from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import PARAMETER_STORE_ROLES

CONTROL = {"id": "1.2.3", "title": "t", "severity": "HIGH", "settings": ["keel_demo_on"], "check": "true\n"}


@pytest.mark.parametrize("role", PARAMETER_STORE_ROLES)
def test_every_role_declares_its_controls(role):
    controls = role_controls.role_controls(role)
    assert controls
    for control in controls:
        assert control["benchmark"]
        assert control["severity"] in role_controls.SEVERITIES
        assert control["id"] not in control["covers"]


def test_cis_ids_are_debian_12_and_the_agent_says_which_benchmark_it_cites():
    for role in ("pam", "ufw", "auditd"):
        assert {c["benchmark"] for c in role_controls.role_controls(role)} == {"CIS Debian Linux 12 Benchmark v1.1.0"}
    (agent,) = role_controls.role_controls("ssm_agent")
    assert agent["id"] == "SSM.1" and "Foundational Security Best Practices" in agent["benchmark"]


def _role(tmp_path, controls, benchmark="Bench v1"):
    meta = tmp_path / "demo" / "meta"
    meta.mkdir(parents=True)
    spec = {"argument_specs": {"main": {"options": {"keel_demo_on": {"type": "bool"}}}}}
    (meta / "argument_specs.yml").write_text(yaml.safe_dump(spec))
    (meta / "controls.yml").write_text(yaml.safe_dump({"benchmark": benchmark, "controls": controls}))
    return str(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": 5.3}, "id and covers must be quoted benchmark numbers"),
        ({"id": "5"}, "id and covers must be quoted benchmark numbers"),
        ({"covers": ["x y"]}, "id and covers must be quoted benchmark numbers"),
        ({"severity": "SEVERE"}, "severity must be one of CRITICAL, HIGH"),
        (
            {"settings": ["keel_demo_off"]},
            "settings keel_demo_off are not declared in roles/demo/meta/argument_specs.yml",
        ),
        ({"settings": "keel_demo_on"}, "settings must be a list"),
        ({"check": ""}, "check must be a POSIX sh script"),
        ({"tag": "x"}, "unknown field(s) tag"),
        ({"title": None, "check": None}, None),
    ],
)
def test_a_broken_control_is_refused_naming_the_rule(tmp_path, change, message):
    control = {key: value for key, value in {**CONTROL, **change}.items() if value is not None}
    with pytest.raises(KeelRuleError) as raised:
        role_controls.role_controls("demo", _role(tmp_path, [control]))
    assert "roles/demo/meta/controls.yml: control " in str(raised.value)
    assert (message or "title, check required") in str(raised.value)


def test_a_check_may_not_depend_on_a_secret(tmp_path):
    root = _role(tmp_path, [CONTROL])
    spec = tmp_path / "demo" / "meta" / "argument_specs.yml"
    spec.write_text(yaml.safe_dump({"argument_specs": {"main": {"options": {"keel_demo_on": {"no_log": True}}}}}))
    with pytest.raises(KeelRuleError, match="settings keel_demo_on are no_log: a check may not depend on a secret"):
        role_controls.role_controls("demo", root)


def test_ids_are_unique_and_a_benchmark_is_required(tmp_path):
    with pytest.raises(KeelRuleError, match=r"control 1\.2\.3: id used twice"):
        role_controls.role_controls("demo", _role(tmp_path / "a", [CONTROL, CONTROL]))
    with pytest.raises(KeelRuleError, match="benchmark: required"):
        role_controls.role_controls("demo", _role(tmp_path / "b", [CONTROL], benchmark=""))
    with pytest.raises(KeelRuleError, match="at least one control"):
        role_controls.role_controls("demo", _role(tmp_path / "c", []))
    with pytest.raises(KeelRuleError, match="cannot read"):
        role_controls.role_controls("missing", str(tmp_path))


def test_a_control_may_cite_another_benchmark(tmp_path):
    (control,) = role_controls.role_controls("demo", _role(tmp_path, [dict(CONTROL, benchmark="Other v2")]))
    assert control["benchmark"] == "Other v2" and control["covers"] == []


def test_the_check_environment_holds_the_settings_it_depends_on_only():
    control = dict(CONTROL, settings=["keel_a", "keel_b", "keel_c", "keel_d"])
    values = {"keel_a": True, "keel_b": ["443/tcp", "53/udp"], "keel_c": 5, "keel_d": None, "keel_secret": "x"}
    env = role_controls.check_environment(control, values, root="/tmp/r")
    assert env == {"KEEL_ROOT": "/tmp/r", "KEEL_A": "true", "KEEL_B": "443/tcp\n53/udp", "KEEL_C": "5", "KEEL_D": ""}
    with pytest.raises(KeelRuleError, match=r"control 1\.2\.3: no value for setting"):
        role_controls.check_environment(control, {"keel_a": False})
