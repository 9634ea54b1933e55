"""Password history: a password among the last `remember` ones is refused, an older one is
accepted again; with the profile turned off, reuse is allowed."""

from __future__ import annotations

from conftest import change_password, strong_password


def pam_password_lines(host):
    return [line for line in host.file("/etc/pam.d/common-password").content_string.splitlines() if line.strip()]


def test_pwhistory_settings_are_where_this_pam_reads_them(host, settings):
    lines = [line for line in pam_password_lines(host) if "pam_pwhistory.so" in line]
    if not settings["keel_pam_pwhistory"]:
        assert lines == []
        assert not host.file("/usr/share/pam-configs/keel-pwhistory").exists
        return
    assert len(lines) == 1
    remember = settings["keel_pam_pwhistory_remember"]
    enforce = settings["keel_pam_pwhistory_enforce_for_root"]
    ships_conf = host.run("dpkg-query --search /etc/security/pwhistory.conf").rc == 0
    if ships_conf:
        conf = {line.strip() for line in host.file("/etc/security/pwhistory.conf").content_string.splitlines()}
        assert f"remember = {remember}" in conf
        assert ("enforce_for_root" in conf) == enforce
        assert "remember=" not in lines[0]
    else:
        assert f"remember={remember}" in lines[0].split()
        assert ("enforce_for_root" in lines[0].split()) == enforce
    assert lines[0].split()[-1] == "use_authtok"


def test_reuse_within_remember_is_refused_and_allowed_after(host, settings):
    length = settings["keel_pam_pwquality_minlen"] + 6
    first = strong_password(length)
    assert change_password(host, "keel-user", first).rc == 0
    if not settings["keel_pam_pwhistory"]:
        assert change_password(host, "keel-user", strong_password(length)).rc == 0
        result = change_password(host, "keel-user", first)
        assert result.rc == 0, result.stdout + result.stderr
        return
    remember = settings["keel_pam_pwhistory_remember"]
    # After `remember` - 1 more changes, `first` is still among the last `remember` passwords.
    for _ in range(remember - 1):
        assert change_password(host, "keel-user", strong_password(length)).rc == 0
    refused = change_password(host, "keel-user", first)
    assert refused.rc != 0
    assert "already used" in refused.stdout + refused.stderr
    # One more change pushes it out of the history.
    assert change_password(host, "keel-user", strong_password(length)).rc == 0
    accepted = change_password(host, "keel-user", first)
    assert accepted.rc == 0, accepted.stdout + accepted.stderr
