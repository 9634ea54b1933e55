"""keel.ssm.auditd_rules: the keel-*.rules files become exactly the given set, on a real
directory, run the way Ansible runs the module (JSON arguments on stdin)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.keel.ssm.plugins.modules import auditd_rules as module
from tests.helpers.module_runner import run_module

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="the module makes files owned by root")


def _run(directory, files, check=False, diff=False, **extra):
    return run_module("auditd_rules", {"path": str(directory), "files": files, **extra}, check=check, diff=diff)


@pytest.fixture
def rules_dir(tmp_path):
    (tmp_path / "audit.rules").write_text("-D\n")  # the distribution's: never touched
    (tmp_path / "keel-50-retired.rules").write_text("-w /old -p wa -k old\n")
    (tmp_path / "keel-10-scope.rules").write_text("stale\n")
    return tmp_path


WANTED = {"keel-10-scope.rules": "-w /etc/sudoers -p wa -k scope\n", "keel-99-finalize.rules": "-e 2\n"}


def test_plan_lists_writes_and_removals(rules_dir):
    to_write, to_remove, diffs = module.plan(str(rules_dir), WANTED, "keel-")
    assert to_write == WANTED
    assert to_remove == ["keel-50-retired.rules"]
    assert [d["before_header"] for d in diffs] == [
        "keel-10-scope.rules",
        "keel-99-finalize.rules",
        "keel-50-retired.rules",
    ]


@pytest.mark.parametrize("name", ["other.rules", "keel-x.conf", "../keel-x.rules", "keel-.rules"])
def test_plan_refuses_names_outside_the_set(rules_dir, name):
    with pytest.raises(ValueError, match=r"must be a file name starting with 'keel-' and ending with \.rules"):
        module.plan(str(rules_dir), {name: "x"}, "keel-")


@AS_ROOT
def test_writes_exactly_the_set_then_is_idempotent(rules_dir):
    first = _run(rules_dir, WANTED)
    assert first["changed"] is True
    assert first["written"] == sorted(WANTED)
    assert first["removed"] == ["keel-50-retired.rules"]
    assert sorted(os.listdir(rules_dir)) == ["audit.rules", "keel-10-scope.rules", "keel-99-finalize.rules"]
    assert (rules_dir / "audit.rules").read_text() == "-D\n"
    for name, content in WANTED.items():
        assert (rules_dir / name).read_text() == content
        assert (rules_dir / name).stat().st_mode & 0o777 == 0o640
    second = _run(rules_dir, WANTED)
    assert (second["changed"], second["written"], second["removed"]) == (False, [], [])


@AS_ROOT
def test_a_mode_drift_is_repaired(rules_dir):
    _run(rules_dir, WANTED)
    (rules_dir / "keel-10-scope.rules").chmod(0o644)
    result = _run(rules_dir, WANTED)
    assert result["written"] == ["keel-10-scope.rules"]
    assert (rules_dir / "keel-10-scope.rules").stat().st_mode & 0o777 == 0o640


def test_check_mode_predicts_and_changes_nothing(rules_dir):
    before = {p.name: p.read_text() for p in rules_dir.iterdir()}
    result = _run(rules_dir, WANTED, check=True, diff=True)
    assert result["changed"] is True
    assert result["written"] == sorted(WANTED)
    assert result["removed"] == ["keel-50-retired.rules"]
    assert {p.name: p.read_text() for p in rules_dir.iterdir()} == before
    assert {"before_header": "keel-50-retired.rules", "before": "-w /old -p wa -k old\n", "after": ""} in result["diff"]


def test_missing_directory_is_named(tmp_path):
    result = _run(tmp_path / "nope", WANTED)
    assert result["failed"] is True
    assert result["msg"] == f"path: {tmp_path / 'nope'} is not a directory (is auditd installed?)"
