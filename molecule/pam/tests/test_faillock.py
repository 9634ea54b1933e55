"""Lock-out: `deny` wrong passwords lock an account (the right password then fails),
one fewer does not, and root is locked only when even_deny_root is set."""

from __future__ import annotations

import pytest
from conftest import ROOT_PASSWORD, authenticate, change_password, fail_logins, strong_password


@pytest.fixture(autouse=True)
def _faillock_on(settings, clean_faillock):
    if not settings["keel_pam_faillock"]:
        pytest.skip("keel_pam_faillock is off in this converge")


@pytest.fixture
def user_password(host, settings):
    """keel-user with a password this test knows (set through the password stack)."""
    password = strong_password(settings["keel_pam_pwquality_minlen"] + 6)
    result = change_password(host, "keel-user", password)
    assert result.rc == 0, result.stdout + result.stderr
    return password


def test_faillock_conf_holds_the_settings(host, settings):
    lines = {line.strip() for line in host.file("/etc/security/faillock.conf").content_string.splitlines()}
    assert f"deny = {settings['keel_pam_faillock_deny']}" in lines
    assert f"unlock_time = {settings['keel_pam_faillock_unlock_time']}" in lines
    assert f"fail_interval = {settings['keel_pam_faillock_fail_interval']}" in lines
    even = settings["keel_pam_faillock_even_deny_root"]
    assert ("even_deny_root" in lines) == even
    assert (f"root_unlock_time = {settings['keel_pam_faillock_root_unlock_time']}" in lines) == even


def test_the_right_password_works_before_any_failure(host, user_password):
    assert authenticate(host, "keel-user", user_password).rc == 0


def test_one_failure_fewer_than_deny_does_not_lock(host, settings, user_password):
    fail_logins(host, "keel-user", settings["keel_pam_faillock_deny"] - 1)
    result = authenticate(host, "keel-user", user_password)
    assert result.rc == 0, result.stdout + result.stderr


def test_deny_failures_lock_the_account(host, settings, user_password):
    deny = settings["keel_pam_faillock_deny"]
    fail_logins(host, "keel-user", deny)
    assert len(host.check_output("faillock --user keel-user").splitlines()) - 2 == deny
    result = authenticate(host, "keel-user", user_password)
    assert result.rc != 0
    assert "The account is locked" in result.stdout + result.stderr
    # faillock --reset (what an administrator runs) lets the user in again.
    host.run_test("faillock --user keel-user --reset")
    assert authenticate(host, "keel-user", user_password).rc == 0


def test_root_is_locked_only_when_asked(host, settings):
    fail_logins(host, "root", settings["keel_pam_faillock_deny"] + 2)
    result = authenticate(host, "root", ROOT_PASSWORD)
    if settings["keel_pam_faillock_even_deny_root"]:
        assert result.rc != 0
        assert "The account is locked" in result.stdout + result.stderr
    else:
        assert result.rc == 0, result.stdout + result.stderr
