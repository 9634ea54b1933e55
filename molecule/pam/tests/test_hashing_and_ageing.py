"""Hashing: a password changed through PAM, and a group password set by chgpasswd (which
reads ENCRYPT_METHOD from login.defs, without PAM), get the configured method. Ageing:
login.defs values apply to new accounts, and to existing ones only when asked."""

from __future__ import annotations

import pytest
from conftest import change_password, shadow_hash, strong_password

PREFIX = {"yescrypt": "$y$", "sha512": "$6$"}


def login_defs(host):
    values = {}
    for line in host.file("/etc/login.defs").content_string.splitlines():
        parts = line.split()
        if len(parts) == 2 and not parts[0].startswith("#"):
            values[parts[0]] = parts[1]
    return values


def shadow_ageing(host, user):
    fields = host.check_output(f"getent shadow {user}").split(":")
    return {"min": fields[3], "max": fields[4], "warn": fields[5]}


def test_login_defs_values(host, settings):
    values = login_defs(host)
    assert values["ENCRYPT_METHOD"] == settings["keel_pam_hashing"].upper()
    assert values["PASS_MAX_DAYS"] == str(settings["keel_pam_pass_max_days"])
    assert values["PASS_MIN_DAYS"] == str(settings["keel_pam_pass_min_days"])
    assert values["PASS_WARN_AGE"] == str(settings["keel_pam_pass_warn_age"])


def test_a_password_changed_through_pam_uses_the_method(host, settings):
    assert change_password(host, "keel-user", strong_password(settings["keel_pam_pwquality_minlen"] + 6)).rc == 0
    assert shadow_hash(host, "keel-user").startswith(PREFIX[settings["keel_pam_hashing"]])


def test_chgpasswd_uses_login_defs(host, settings):
    host.check_output("getent group keel-probe-group || groupadd keel-probe-group")
    host.check_output("printf '%s\\n' 'keel-probe-group:Gr0up-pw#Keel' | chgpasswd")
    group_hash = host.check_output("getent gshadow keel-probe-group | cut -d: -f2")
    assert group_hash.startswith(PREFIX[settings["keel_pam_hashing"]])


def test_a_new_account_gets_the_ageing_of_login_defs(host, settings):
    host.run("userdel keel-new")  # left over from an interrupted run, if any
    host.check_output("useradd --no-create-home keel-new")
    try:
        assert shadow_ageing(host, "keel-new") == {
            "min": str(settings["keel_pam_pass_min_days"]),
            "max": str(settings["keel_pam_pass_max_days"]),
            "warn": str(settings["keel_pam_pass_warn_age"]),
        }
    finally:
        host.check_output("userdel keel-new")


def test_existing_accounts_follow_apply_existing(host, settings):
    aged = shadow_ageing(host, "keel-aged")
    if settings["keel_pam_pass_apply_existing"]:
        assert aged == {
            "min": str(settings["keel_pam_pass_min_days"]),
            "max": str(settings["keel_pam_pass_max_days"]),
            "warn": str(settings["keel_pam_pass_warn_age"]),
        }
    else:
        assert aged["max"] != str(settings["keel_pam_pass_max_days"])


@pytest.mark.parametrize("user", ["keel-stale", "keel-nopw"])
def test_accounts_the_ageing_must_not_touch(host, user):
    # keel-stale's password is from 2000: a maximum age would expire it on the spot.
    # keel-nopw has no password. Both keep useradd's values from before the role.
    assert shadow_ageing(host, user)["max"] == "99999"
