"""keel.ssm.pam_auth_update run through its real main() on copies of states the real
pam-auth-update wrote (bookworm, module_utils/host/fixtures/pam_auth_update): it plans with
this machine's real pam-auth-update on a scratch copy, refuses what is unsafe, reports and
diffs what would change, and after a real run checks that the files are the planned
ones. Every real run writes to a debconf database of the test's own (`isolated_debconf`);
the molecule pam scenario runs it on bookworm and trixie containers."""

from __future__ import annotations

import pytest
from ansible.module_utils import basic

from ansible_collections.keel.ssm.plugins.modules import pam_auth_update as pau
from tests.helpers.module_runner import run_module
from tests.helpers.pam_roots import KEEL, make_root, same_files

pytestmark = pytest.mark.usefixtures("isolated_debconf")


def run(args, check_mode=False):
    return run_module(pau.main, args, check=check_mode, diff=True)


def files_of(root):
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def root(tmp_path):
    return make_root(tmp_path, "keel")


def test_module_reports_no_change_when_the_state_matches(root):
    before = files_of(root)
    result = run({"enable": KEEL, "disable": ["unix"], "root": str(root)})
    assert result["changed"] is False
    assert result["stale"] == []
    assert "command" not in result
    assert files_of(root) == before


def test_module_in_check_mode_predicts_and_runs_nothing(root):
    before = files_of(root)
    result = run(
        {"enable": ["keel-unix", "pwquality"], "disable": ["unix", "keel-pwhistory"], "root": str(root)},
        check_mode=True,
    )
    assert result["changed"] is True
    assert result["stale"] == ["password"]
    assert "keel-pwhistory" not in result["enabled"]
    assert result["command"][-4:] == ["pwquality", "--disable", "unix", "keel-pwhistory"]
    assert "--root" in result["command"]
    assert result["diff"][0]["before_header"] == str(root / "etc/pam.d/common-password")
    assert "pam_pwhistory.so" in result["diff"][0]["before"]
    assert "pam_pwhistory.so" not in result["diff"][0]["after"]
    assert files_of(root) == before


def test_module_applies_the_plan_and_a_second_run_changes_nothing(tmp_path):
    root = make_root(tmp_path, "debian", profiles_from="keel")
    result = run({"enable": KEEL, "disable": ["unix"], "root": str(root)})
    assert result["changed"] is True, result
    assert result["previously_enabled"] == ["unix", "pwquality"]
    assert result["enabled"] == ["pwquality", "keel-faillock", "keel-pwhistory", "keel-unix", "keel-faillock-authfail"]
    assert same_files(root, "keel")  # exactly what pam-auth-update wrote in the bookworm container
    assert [entry["before_header"].rsplit("-", 1)[-1] for entry in result["diff"]] == ["auth", "account", "password"]
    again = run({"enable": KEEL, "disable": ["unix"], "root": str(root)})
    assert again["changed"] is False and again["stale"] == []


REFUSALS = [
    (["nope"], [], "no such profile in /usr/share/pam-configs: nope"),
    (["keel-unix"], ["keel-unix"], "both to enable and to disable: keel-unix"),
    (
        [],
        ["keel-unix", "unix", "keel-faillock", "keel-faillock-authfail"],
        "no enabled profile provides a primary auth module, so pam-auth-update would write pam_permit",
    ),
    (["unix", "keel-unix"], [], "keel-unix conflicts with enabled profile(s) unix"),
]


@pytest.mark.parametrize(
    ("enable", "disable", "message", "check_mode"),
    # In check mode a missing profile only warns (an earlier task may install it).
    [(*case, False) for case in REFUSALS] + [(*case, True) for case in REFUSALS[1:]],
)
def test_refusals_change_nothing(root, enable, disable, message, check_mode):
    before = files_of(root)
    result = run({"enable": enable, "disable": disable, "root": str(root)}, check_mode=check_mode)
    assert result["failed"] is True
    assert message in result["msg"]
    assert files_of(root) == before


def test_a_profile_not_installed_yet_only_warns_in_check_mode(monkeypatch, root):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    result = run({"enable": ["keel-new"], "root": str(root)}, check_mode=True)
    assert result["changed"] is True and result["stale"] == []
    assert warnings == ["profile(s) keel-new not present yet; assuming an earlier task installs them"]


def test_module_warns_about_local_edits_in_check_mode(monkeypatch, root):
    auth = root / "etc/pam.d/common-auth"
    end = "# end of pam-auth-update config"
    auth.write_text(auth.read_text().replace(end, "auth\toptional\tpam_warn.so\n" + end))
    # Recorded at the call: how warnings reach the output differs between ansible-core versions.
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    args = {"enable": ["keel-unix"], "disable": ["unix", "keel-pwhistory"], "root": str(root)}
    result = run(args, check_mode=True)
    assert result["changed"] is True
    assert len(warnings) == 1
    assert "common-auth: auth\toptional\tpam_warn.so" in warnings[0]
    # The prediction is what --force would do, which the real run refuses without force.
    assert "pam_warn.so" not in result["diff"][0]["after"]


def test_local_edits_fail_the_real_run_unless_forced(root):
    auth = root / "etc/pam.d/common-auth"
    end = "# end of pam-auth-update config"
    auth.write_text(auth.read_text().replace(end, "auth\toptional\tpam_warn.so\n" + end))
    before = files_of(root)
    args = {
        "enable": ["keel-unix", "pwquality", "keel-pwhistory"],
        "disable": ["unix", "keel-faillock", "keel-faillock-authfail"],
    }
    result = run({**args, "root": str(root)})
    assert result["failed"] is True
    assert "common-auth: auth\toptional\tpam_warn.so" in result["msg"] and "use force" in result["msg"]
    assert files_of(root) == before
    forced = run({**args, "root": str(root), "force": True})
    assert forced["changed"] is True, forced
    assert "pam_warn.so" not in auth.read_text() and "pam_faillock.so" not in auth.read_text()
    assert (root / "etc/pam.d/common-auth.pam-old").read_text() == before[auth].decode()


def test_a_failing_pam_auth_update_fails_the_task(monkeypatch, root):
    """The command is /bin/false here: a failing pam-auth-update fails the task."""
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False: "/bin/false")
    result = run({"enable": ["keel-unix"], "disable": ["unix", "keel-pwhistory"], "root": str(root)})
    assert result["failed"] is True
    assert result["msg"] == "pam-auth-update failed (rc 1)"
