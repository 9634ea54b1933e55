"""make demo's last step (scripts/demo.py): the per-control, per-instance table from what
keel.ssm.compliance_info read back, and the reasons the demo fails on it. The read-back
itself needs the instances (make demo); these are its parts that do not."""

from __future__ import annotations

import re
import sys

from tests.helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import demo

INSTANCES = {name: demo.instance_id(name) for name in ("web-1", "web-2", "db-1")}
TARGETED = ["web-1", "web-2"]


def item(control, status="COMPLIANT", severity="MEDIUM"):
    return {"id": control, "title": f"control {control}", "status": status, "severity": severity}


def resources(web_2_items):
    return [
        {
            "resource_id": INSTANCES["web-1"],
            "items": [item("4.2.1", severity="HIGH"), item("5.3.3.1.1"), item("4.2.10")],
        },
        {"resource_id": INSTANCES["web-2"], "items": web_2_items},
        {"resource_id": INSTANCES["db-1"], "items": []},
    ]


def test_instance_ids_are_distinct_managed_node_ids():
    assert len(set(INSTANCES.values())) == 3
    assert all(re.fullmatch(r"mi-[0-9a-f]{17}", node) for node in INSTANCES.values())
    # playbooks/rehearse.yml derives the same id when a command names none.
    assert "'mi-' ~ (item.instance | ansible.builtin.hash('sha1'))[:17]" in (
        REPO_ROOT / "playbooks" / "rehearse.yml"
    ).read_text(encoding="utf-8")


def test_table_has_a_row_per_control_and_a_column_per_instance():
    lines = demo.compliance_table(INSTANCES, TARGETED, resources([item("4.2.1", "NON_COMPLIANT", "HIGH")]))
    cells = [line.split() for line in lines]
    assert cells[0] == ["control", "severity", "web-1", "web-2", "db-1"]
    assert cells[1] == list(INSTANCES.values())
    # Dotted ids in numeric order; an item an instance did not report is "-".
    assert cells[2:5] == [
        ["4.2.1", "HIGH", "COMPLIANT", "NON_COMPLIANT", "-"],
        ["4.2.10", "MEDIUM", "COMPLIANT", "-", "-"],
        ["5.3.3.1.1", "MEDIUM", "COMPLIANT", "-", "-"],
    ]
    assert re.split(r"\s{2,}", lines[5].strip()) == ["3/3 compliant", "0/1 compliant", "no report (not targeted)"]


def test_problems_name_the_instance_without_items_and_the_failing_controls():
    assert demo.compliance_problems(INSTANCES, TARGETED, resources([item("4.2.1")])) == []
    problems = demo.compliance_problems(INSTANCES, TARGETED, resources([]))
    assert problems == [f"web-2 ({INSTANCES['web-2']}) has no compliance items: its report did not arrive"]
    problems = demo.compliance_problems(INSTANCES, TARGETED, resources([item("4.2.3", "NON_COMPLIANT")]))
    assert problems == [f"web-2 ({INSTANCES['web-2']}) does not comply with: 4.2.3"]
    untargeted = resources([item("4.2.1")])
    untargeted[2]["items"] = [item("4.2.1")]
    assert demo.compliance_problems(INSTANCES, TARGETED, untargeted) == [
        f"db-1 ({INSTANCES['db-1']}) was not targeted but has 1 compliance item(s)"
    ]
