"""keel.ssm.pam_auth_update: its model of pam-auth-update against states the real tool wrote
(tests/unit/fixtures/pam_auth_update, captured on Debian bookworm), and the module's
decisions in check mode. Running pam-auth-update itself is covered by molecule/pam."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ansible.module_utils import basic

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.modules import pam_auth_update as pau
from tests.helpers.module_runner import run_module

FIXTURES = Path(__file__).parent / "fixtures" / "pam_auth_update"
KEEL = ["keel-unix", "keel-faillock", "keel-faillock-authfail", "keel-pwhistory", "pwquality"]


def config(case):
    return pau.PamConfig(str(FIXTURES / case))


@pytest.mark.parametrize("case", ["debian", "keel", "keel-unix-only"])
def test_the_model_reproduces_what_pam_auth_update_recorded(case):
    """Given the enabled set, recorded_state() yields exactly /var/lib/pam/<stack>."""
    cfg = config(case)
    profiles = cfg.profiles()
    recorded = cfg.recorded()
    enabled = pau.sort_profiles(pau.previously_enabled(recorded), profiles)
    for stack in pau.STACKS:
        expected = (FIXTURES / case / "var/lib/pam" / stack).read_text()
        assert pau.render_recorded(pau.recorded_state(profiles, enabled, stack)) == expected, stack
    assert pau.stale_stacks(profiles, enabled, recorded) == []


def test_plan_from_debian_to_keel_matches_the_real_result():
    before = config("debian")
    after = config("keel")
    profiles = after.profiles()  # the keel-* profiles written, not yet enabled
    planned = pau.plan(profiles, pau.previously_enabled(before.recorded()), before.seen(), KEEL, ["unix"])
    assert planned == pau.sort_profiles(pau.previously_enabled(after.recorded()), profiles)
    assert planned == ["pwquality", "keel-faillock", "keel-pwhistory", "keel-unix", "keel-faillock-authfail"]
    # Before the run every stack but session differs; after it, none does.
    assert pau.stale_stacks(profiles, planned, before.recorded()) == list(pau.STACKS)
    assert pau.stale_stacks(profiles, planned, after.recorded()) == []


def test_plan_turning_features_off_uses_the_initial_lines():
    cfg = config("keel")
    profiles = cfg.profiles()
    planned = pau.plan(
        profiles,
        pau.previously_enabled(cfg.recorded()),
        cfg.seen(),
        ["keel-unix"],
        ["unix", "pwquality", "keel-pwhistory", "keel-faillock", "keel-faillock-authfail"],
    )
    assert planned == ["keel-unix"]
    expected = config("keel-unix-only")
    assert pau.stale_stacks(profiles, planned, expected.recorded()) == []
    password = pau.recorded_state(profiles, planned, "password")
    assert password == [("keel-unix", ["[success=end default=ignore]\tpam_unix.so obscure yescrypt"])]


def test_a_changed_profile_makes_its_stacks_stale():
    cfg = config("keel")
    profiles = cfg.profiles()
    enabled = pau.previously_enabled(cfg.recorded())
    text = (FIXTURES / "keel/usr/share/pam-configs/keel-unix").read_text().replace("yescrypt", "sha512")
    profiles["keel-unix"] = pau.parse_profile(text)
    assert pau.stale_stacks(profiles, pau.sort_profiles(enabled, profiles), cfg.recorded()) == ["password"]


def test_parse_profile_follows_pam_auth_update():
    profile = pau.parse_profile(
        "Name: Demo\nX-Note: ignored field\nDefault: yes\nPriority: 10\nConflicts: a, b\n"
        "Auth-Type: Primary\nAuth:\n\t[success=end default=ignore]\tpam_demo.so one\n\n  required pam_two.so\n"
        "Session-Type: Additional\nSession-Final:\n\toptional\tpam_demo.so\n"
    )
    assert profile["Auth"] == "[success=end default=ignore]\tpam_demo.so one\nrequired pam_two.so"
    assert profile["Conflicts"] == {"a", "b"}
    assert profile["Session"] == "optional\tpam_demo.so"  # -Final is the old name of the plain field
    assert profile["Session-noninteractive"] == profile["Session"]
    interactive = pau.parse_profile("Session-Interactive-Only: yes\nSession-Type: Additional\nSession:\n\tx y.so\n")
    assert "Session-noninteractive" not in interactive
    assert pau.parse_profile("Auth-Type: Primary\nAuth:\n\trequired pam_tally.so\n") is None


def test_sort_is_priority_then_name_descending():
    profiles = {name: {"Priority": prio} for name, prio in (("a", "5"), ("b", "5"), ("c", "9"), ("d", "x"))}
    assert pau.sort_profiles(["a", "b", "c", "d"], profiles) == ["c", "b", "a", "d"]


@pytest.mark.parametrize(
    ("enable", "disable", "message"),
    [
        (["nope"], [], "no such profile in /usr/share/pam-configs: nope"),
        (["keel-unix"], ["keel-unix"], "both to enable and to disable: keel-unix"),
        (
            [],
            ["keel-unix", "unix", "keel-faillock", "keel-faillock-authfail"],
            "no enabled profile provides a primary auth module",
        ),
        (["unix", "keel-unix"], [], "keel-unix conflicts with enabled profile(s) unix"),
    ],
)
def test_plan_refusals(enable, disable, message):
    cfg = config("keel")
    with pytest.raises(KeelRuleError) as err:
        pau.plan(cfg.profiles(), pau.previously_enabled(cfg.recorded()), cfg.seen(), enable, disable)
    assert message in str(err.value)


def test_unseen_default_profiles_are_added_like_pam_auth_update_does():
    cfg = config("keel")
    profiles = cfg.profiles()
    profiles["newpkg"] = pau.parse_profile("Default: yes\nPriority: 100\nSession-Type: Additional\nSession:\n\tx.so\n")
    planned = pau.plan(profiles, pau.previously_enabled(cfg.recorded()), cfg.seen(), KEEL, ["unix"])
    assert "newpkg" in planned
    planned = pau.plan(profiles, pau.previously_enabled(cfg.recorded()), cfg.seen(), KEEL, ["unix", "newpkg"])
    assert "newpkg" not in planned


def test_unmergeable_lines_finds_hand_made_lines_only():
    cfg = config("keel")
    recorded = cfg.recorded()
    text = (FIXTURES / "keel/etc/pam.d/common-auth").read_text()
    assert pau.unmergeable_lines(text, recorded["auth"], "auth") == []
    # An option added by hand is merged by pam-auth-update, so it is not reported...
    assert pau.unmergeable_lines(text.replace("authfail", "authfail audit"), recorded["auth"], "auth") == []
    # ...but a line of its own is.
    edited = text.replace(
        "auth\trequisite\tpam_faillock.so preauth",
        "auth\toptional\tpam_warn.so\nauth\trequisite\tpam_faillock.so preauth",
    )
    assert pau.unmergeable_lines(edited, recorded["auth"], "auth") == ["auth\toptional\tpam_warn.so"]
    assert pau.unmergeable_lines("no markers\n", recorded["auth"], "auth") == [
        "(the pam-auth-update markers are missing)"
    ]


def run(monkeypatch, args, check_mode=False):
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: "/bin/false")
    return run_module(pau.main, args, check=check_mode, diff=True)


@pytest.fixture
def root(tmp_path):
    shutil.copytree(FIXTURES / "keel", tmp_path / "root")
    return tmp_path / "root"


def test_module_reports_no_change_when_the_state_matches(monkeypatch, root):
    result = run(monkeypatch, {"enable": KEEL, "disable": ["unix"], "root": str(root)})
    assert result["changed"] is False
    assert result["stale"] == []
    assert "command" not in result


def test_module_in_check_mode_predicts_and_runs_nothing(monkeypatch, root):
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    result = run(
        monkeypatch,
        {"enable": ["keel-unix", "pwquality"], "disable": ["unix", "keel-pwhistory"], "root": str(root)},
        check_mode=True,
    )
    assert result["changed"] is True
    assert result["stale"] == ["password"]
    assert "keel-pwhistory" not in result["enabled"]
    assert result["command"][-4:] == ["pwquality", "--disable", "unix", "keel-pwhistory"]
    assert "--root" in result["command"]
    assert "pam_pwhistory.so" in result["diff"][0]["before"]
    assert "pam_pwhistory.so" not in result["diff"][0]["after"]
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before


def test_module_fails_on_a_refused_plan(monkeypatch, root):
    result = run(
        monkeypatch,
        {"disable": ["keel-unix", "unix", "keel-faillock", "keel-faillock-authfail"], "root": str(root)},
    )
    assert result["failed"] is True
    assert "pam_permit" in result["msg"]


def test_module_warns_about_local_edits_in_check_mode(monkeypatch, root):
    auth = root / "etc/pam.d/common-auth"
    end = "# end of pam-auth-update config"
    auth.write_text(auth.read_text().replace(end, "auth\toptional\tpam_warn.so\n" + end))
    # Recorded at the call: how warnings reach the output differs between ansible-core versions.
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    args = {"enable": ["keel-unix"], "disable": ["unix", "keel-pwhistory"], "root": str(root)}
    result = run(monkeypatch, args, check_mode=True)
    assert result["changed"] is True
    assert len(warnings) == 1
    assert "common-auth: auth\toptional\tpam_warn.so" in warnings[0]


def test_module_runs_pam_auth_update_and_checks_the_result(monkeypatch, root):
    """The command is /bin/false here: a failing pam-auth-update fails the task."""
    result = run(monkeypatch, {"enable": ["keel-unix"], "disable": ["unix", "keel-pwhistory"], "root": str(root)})
    assert result["failed"] is True
    assert result["msg"] == "pam-auth-update failed (rc 1)"
