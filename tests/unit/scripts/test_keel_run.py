"""keel-run's wait before the settings read (issue 11): a random 0..MaxReadDelaySeconds s,
only when a ParameterPath makes the playbook read Parameter Store, and before that read.
Sleep and the random draw are replaced, so nothing here waits."""

from __future__ import annotations

import argparse
import sys

import pytest

from tests.helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import keel_run


@pytest.fixture
def waits(monkeypatch):
    """(limits drawn from, seconds slept); each draw returns its upper bound, the worst case."""
    drawn, slept = [], []

    def uniform(low, high):
        assert low == 0
        drawn.append(high)
        return float(high)

    monkeypatch.setattr(keel_run.random, "uniform", uniform)
    monkeypatch.setattr(keel_run.time, "sleep", slept.append)
    return drawn, slept


def test_no_path_no_read_no_wait(waits, capsys):
    for path in (None, ""):
        assert keel_run.wait_before_read(path, 300) == 0.0
    assert waits == ([], [])
    assert "wait" not in capsys.readouterr().out


def test_with_a_path_the_wait_is_random_and_bounded(waits, capsys):
    assert keel_run.wait_before_read("/baseline/prod", 300) == 300.0
    assert waits == ([300], [300.0])
    assert "keel-run: waiting 300.0 s (random, at most MaxReadDelaySeconds=300) before the settings read" in (
        capsys.readouterr().out
    )


def test_the_real_draw_stays_within_the_limit(monkeypatch):
    slept = []
    monkeypatch.setattr(keel_run.time, "sleep", slept.append)
    for _ in range(200):
        keel_run.wait_before_read("/baseline/prod", 20)
    assert all(0 <= seconds <= 20 for seconds in slept)
    assert len(set(slept)) > 1, "not random"


def test_zero_disables_the_wait(waits, capsys):
    assert keel_run.wait_before_read("/baseline/prod", 0) == 0.0
    assert waits == ([], [])
    assert "no wait before the settings read (MaxReadDelaySeconds=0)" in capsys.readouterr().out


@pytest.fixture
def stage(tmp_path, monkeypatch, waits):
    """stage_run with the playbook run recorded instead of executed: the events in order."""
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "baseline.yml").write_text("[]\n")
    events = []
    monkeypatch.setattr(keel_run.time, "sleep", lambda seconds: events.append(("sleep", seconds)))

    def run(command, **kwargs):
        events.append(("playbook", command[0]))
        return argparse.Namespace(returncode=0)

    monkeypatch.setattr(keel_run, "run", run)
    for name in ("ParameterPath", "MaxReadDelaySeconds"):
        monkeypatch.delenv(f"SSM_{name}", raising=False)
    args = argparse.Namespace(
        bundle=str(tmp_path),
        role="baseline",
        playbook="playbooks/baseline.yml",
        ansible_playbook="ansible-playbook",
        python=sys.executable,
    )
    return args, events


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SSM_ParameterPath": "/baseline/prod", "SSM_MaxReadDelaySeconds": "20"}, [("sleep", 20.0)]),
        # Unset (a hand-run): the document default applies.
        ({"SSM_ParameterPath": "/baseline/prod"}, [("sleep", 300.0)]),
        ({"SSM_ParameterPath": "/baseline/prod", "SSM_MaxReadDelaySeconds": "0"}, []),
        ({"SSM_ParameterPath": "", "SSM_MaxReadDelaySeconds": "1800"}, []),
        ({"SSM_MaxReadDelaySeconds": "300"}, []),
    ],
)
def test_stage_run_waits_before_the_playbook_only_when_it_reads(stage, monkeypatch, environ, expected):
    args, events = stage
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert keel_run.stage_run(args) == 0
    assert events == [*expected, ("playbook", "ansible-playbook")]


@pytest.mark.parametrize("bad", ["1801", "01", "-1", ""])
def test_stage_run_refuses_a_bad_limit_before_waiting_or_running(stage, monkeypatch, bad):
    args, events = stage
    monkeypatch.setenv("SSM_ParameterPath", "/baseline/prod")
    monkeypatch.setenv("SSM_MaxReadDelaySeconds", bad)
    with pytest.raises(keel_run.RunError, match=r"^MaxReadDelaySeconds: must be a whole number of seconds"):
        keel_run.stage_run(args)
    assert events == []
