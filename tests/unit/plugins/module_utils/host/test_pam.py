"""module_utils/host/pam.py asks pam-auth-update itself: these tests run this machine's
real pam-auth-update (Debian 12's libpam-runtime) on scratch copies of states the tool
wrote in a bookworm container (fixtures/pam_auth_update), and check that its plans are
exactly those states. Nothing here models the tool; trixie's pam-auth-update (1.7.0) is
exercised by the molecule pam scenario. Every real run in these tests points debconf at a
copy of this machine's database (the `isolated_debconf` fixture)."""

from __future__ import annotations

import os
import subprocess

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.host.pam import PamAuthUpdate, PamFiles
from tests.helpers.pam_roots import FIXTURES, KEEL, STACKS, make_root

pytestmark = pytest.mark.usefixtures("isolated_debconf")


def run_command(command, environ_update=None):
    completed = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(environ_update or {})})
    return completed.returncode, completed.stdout, completed.stderr


def tool(root, tmp_path):
    return PamAuthUpdate("/usr/sbin/pam-auth-update", run_command, str(root), scratch_dir=str(tmp_path))


def fixture_files(case):
    return PamFiles.read(str(FIXTURES / case))


def write_profile(root, name, text):
    (root / "usr/share/pam-configs" / name).write_text(text)


@pytest.mark.parametrize("case", ["debian", "keel", "keel-unix-only"])
def test_replanning_the_current_selection_reproduces_what_pam_auth_update_recorded(tmp_path, case):
    root = make_root(tmp_path, case)
    pam = tool(root, tmp_path)
    plan = pam.plan(pam.read().modules(), [], force=False)
    assert plan.files == fixture_files(case)
    assert plan.files.stacks_differing_from(pam.read()) == []


def test_plan_from_debian_to_keel_is_the_real_result(tmp_path):
    root = make_root(tmp_path, "debian", profiles_from="keel")  # the keel-* profiles written, not yet enabled
    pam = tool(root, tmp_path)
    before = pam.read()
    plan = pam.plan(KEEL, ["unix"], force=False)
    assert plan.files == fixture_files("keel")
    assert plan.enabled == ["pwquality", "keel-faillock", "keel-pwhistory", "keel-unix", "keel-faillock-authfail"]
    assert plan.files.stacks_differing_from(before) == list(STACKS)
    assert plan.files.stacks_differing_from(fixture_files("keel")) == []
    assert pam.read() == before  # planning wrote nothing to the root


def test_plan_turning_features_off_uses_the_initial_lines(tmp_path):
    pam = tool(make_root(tmp_path, "keel"), tmp_path)
    plan = pam.plan(
        ["keel-unix"], ["unix", "pwquality", "keel-pwhistory", "keel-faillock", "keel-faillock-authfail"], False
    )
    assert plan.enabled == ["keel-unix"]
    assert plan.files == fixture_files("keel-unix-only")
    assert (
        plan.files.saved["password"]
        == "Module: keel-unix\n[success=end default=ignore]\tpam_unix.so obscure yescrypt\n"
    )


def test_a_changed_profile_makes_its_stacks_stale(tmp_path):
    root = make_root(tmp_path, "keel")
    profile = root / "usr/share/pam-configs/keel-unix"
    profile.write_text(profile.read_text().replace("yescrypt", "sha512"))
    pam = tool(root, tmp_path)
    plan = pam.plan(KEEL, ["unix"], force=False)
    assert plan.files.stacks_differing_from(pam.read()) == ["password"]


def test_profile_fields_as_pam_auth_update_reads_them(tmp_path):
    root = make_root(tmp_path, "keel")
    write_profile(
        root,
        "demo",
        "Name: Demo\nX-Note: ignored field\nDefault: no\nPriority: 10\nConflicts: a, b\n"
        "Auth-Type: Additional\nAuth:\n\toptional\tpam_demo.so one\n\n  required pam_two.so\n"
        "Session-Type: Additional\nSession-Final:\n\toptional\tpam_demo.so\n",
    )
    write_profile(
        root, "interactive", "Session-Interactive-Only: yes\nSession-Type: Additional\nSession:\n\toptional x.so\n"
    )
    write_profile(root, "tally", "Auth-Type: Primary\nAuth:\n\trequired pam_tally.so\n")
    pam = tool(root, tmp_path)
    plan = pam.plan([*KEEL, "demo", "interactive", "tally"], ["unix"], force=False)
    # -Final is the old name of the plain field; a session profile covers non-interactive sessions
    # unless it says Session-Interactive-Only.
    # Continuation lines join the field, blank ones and indentation dropped.
    assert "Module: demo\noptional\tpam_demo.so one\nrequired pam_two.so\n" in plan.files.saved["auth"]
    assert "Module: demo\noptional\tpam_demo.so\n" in plan.files.saved["session"]
    assert "Module: demo\noptional\tpam_demo.so\n" in plan.files.saved["session-noninteractive"]
    assert "Module: interactive" in plan.files.saved["session"]
    assert "Module: interactive" not in plan.files.saved["session-noninteractive"]
    # pam-auth-update ignores a profile that names pam_tally: it cannot be enabled.
    assert "tally" not in plan.enabled
    assert pam.conflicts("demo") == {"a", "b"}


def test_profiles_are_ordered_by_priority_then_name_descending(tmp_path):
    root = make_root(tmp_path, "keel")
    for name, priority in (("a", 5), ("b", 5), ("c", 9), ("d", "x")):
        write_profile(
            root, name, f"Priority: {priority}\nSession-Type: Additional\nSession:\n\toptional pam_{name}.so\n"
        )
    plan = tool(root, tmp_path).plan([*KEEL, "a", "b", "c", "d"], ["unix"], force=False)
    order = [name for name in plan.enabled if name in "abcd"]
    assert order == ["c", "b", "a", "d"]


def test_unseen_default_profiles_are_added_and_disabled_ones_remembered(tmp_path):
    root = make_root(tmp_path, "keel")
    write_profile(root, "newpkg", "Default: yes\nPriority: 100\nSession-Type: Additional\nSession:\n\toptional x.so\n")
    pam = tool(root, tmp_path)
    assert "newpkg" in pam.plan(KEEL, ["unix"], force=False).enabled
    assert "newpkg" not in pam.plan(KEEL, ["unix", "newpkg"], force=False).enabled


def test_no_primary_module_shows_as_module_null(tmp_path):
    pam = tool(make_root(tmp_path, "keel"), tmp_path)
    plan = pam.plan([], ["keel-unix", "unix", "keel-faillock", "keel-faillock-authfail"], force=False)
    # pwquality still gives the password stack a primary module.
    assert plan.files.stacks_without_primary() == ["auth", "account"]
    assert "pam_permit.so" in plan.files.common["auth"]


def test_hand_made_lines_make_pam_auth_update_refuse_and_are_named(tmp_path):
    root = make_root(tmp_path, "keel")
    auth = root / "etc/pam.d/common-auth"
    original = auth.read_text()
    pam = tool(root, tmp_path)
    assert pam.unplaceable_lines() == {}
    # An option added by hand is merged by pam-auth-update: no refusal...
    auth.write_text(original.replace("authfail", "authfail audit"))
    plan = pam.plan(KEEL, ["unix"], force=False)
    assert not plan.refused and "pam_faillock.so authfail audit" in plan.files.common["auth"]
    # ...but a line of its own is refused, and named.
    auth.write_text(
        original.replace(
            "auth\trequisite\tpam_faillock.so preauth",
            "auth\toptional\tpam_warn.so\nauth\trequisite\tpam_faillock.so preauth",
        )
    )
    plan = pam.plan(["keel-unix"], ["unix", "keel-pwhistory"], force=False)
    assert plan.refused and "Local modifications" in plan.stderr
    assert plan.files == pam.read()  # it wrote nothing
    assert pam.unplaceable_lines() == {"common-auth": ["auth\toptional\tpam_warn.so"]}
    forced = pam.plan(["keel-unix"], ["unix", "keel-pwhistory"], force=True)
    assert not forced.refused and "pam_warn.so" not in forced.files.common["auth"]
    auth.write_text("no markers\n")
    assert pam.unplaceable_lines()["common-auth"] == ["(the pam-auth-update markers are missing)"]
