"""Password quality: pwscore (libpwquality with pwquality.conf) and PAM itself refuse weak
passwords and accept strong ones, at the configured minimum length."""

from __future__ import annotations

import shlex

import pytest
from conftest import change_password, shadow_hash, strong_password


def pwscore(host, password):
    return host.run(f"printf '%s\\n' {shlex.quote(password)} | pwscore")


@pytest.fixture(autouse=True)
def _pwquality_on(settings):
    if not settings["keel_pam_pwquality"]:
        pytest.skip("keel_pam_pwquality is off in this converge")


def test_pwquality_conf_holds_the_settings(host, settings):
    lines = {line.strip() for line in host.file("/etc/security/pwquality.conf").content_string.splitlines()}
    for key in ("minlen", "minclass", "difok", "maxrepeat", "maxsequence", "dcredit", "ucredit", "lcredit", "ocredit"):
        assert f"{key} = {settings['keel_pam_pwquality_' + key]}" in lines
    assert f"dictcheck = {int(settings['keel_pam_pwquality_dictcheck'])}" in lines
    assert "enforcing = 1" in lines
    assert ("enforce_for_root" in lines) == settings["keel_pam_pwquality_enforce_for_root"]


def test_pwscore_draws_the_line_at_minlen(host, settings):
    minlen = settings["keel_pam_pwquality_minlen"]
    short = pwscore(host, strong_password(minlen - 1))
    assert short.rc != 0
    assert f"shorter than {minlen} characters" in short.stderr
    enough = pwscore(host, strong_password(minlen))
    assert enough.rc == 0, enough.stderr
    assert enough.stdout.strip().isdigit()


def test_pwscore_refuses_missing_classes_and_repeats(host, settings):
    minlen = settings["keel_pam_pwquality_minlen"]
    if settings["keel_pam_pwquality_minclass"] == 4:
        three_classes = pwscore(host, strong_password(minlen + 4, classes=("ABCDEFGH", "abcdefgh", "234567")))
        assert three_classes.rc != 0
        assert "less than 4 character classes" in three_classes.stderr
    maxrepeat = settings["keel_pam_pwquality_maxrepeat"]
    if maxrepeat:
        repeated = strong_password(minlen) + "z" * (maxrepeat + 1)
        result = pwscore(host, repeated)
        assert result.rc != 0
        assert f"more than {maxrepeat} same characters consecutively" in result.stderr


def test_pwscore_refuses_a_dictionary_word(host, settings):
    # Long enough, four classes, no repeats or sequences: only the dictionary check can refuse it.
    based_on_a_word = "Counterrevolutionaries#7Q"
    if not settings["keel_pam_pwquality_dictcheck"] or len(based_on_a_word) < settings["keel_pam_pwquality_minlen"]:
        pytest.skip("dictcheck is off, or minlen is longer than the sample")
    result = pwscore(host, based_on_a_word)
    assert result.rc != 0
    assert "fails the dictionary check" in result.stderr


def test_pam_refuses_a_weak_password_and_keeps_the_old_one(host, settings):
    before = shadow_hash(host, "keel-user")
    result = change_password(host, "keel-user", "weakpass", tries=3)
    assert result.rc != 0
    assert "BAD PASSWORD" in result.stdout + result.stderr
    assert shadow_hash(host, "keel-user") == before


def test_pam_refuses_one_character_below_minlen(host, settings):
    before = shadow_hash(host, "keel-user")
    result = change_password(host, "keel-user", strong_password(settings["keel_pam_pwquality_minlen"] - 1), tries=3)
    assert result.rc != 0
    assert shadow_hash(host, "keel-user") == before


def test_pam_accepts_a_strong_password(host, settings):
    before = shadow_hash(host, "keel-user")
    result = change_password(host, "keel-user", strong_password(settings["keel_pam_pwquality_minlen"] + 6))
    assert result.rc == 0, result.stdout + result.stderr
    assert "successfully" in result.stdout + result.stderr
    assert shadow_hash(host, "keel-user") != before
