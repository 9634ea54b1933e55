"""Helpers for the keel.ssm.pam behaviour tests.

Every check drives the real PAM stack of the container (pamtester, pwscore, chage,
useradd ...) and compares the outcome with the settings the converge ran with, which
record_settings.yml wrote to /var/lib/keel-test/pam-settings.json.
"""

from __future__ import annotations

import json
import secrets
import shlex

import pytest

SETTINGS_FILE = "/var/lib/keel-test/pam-settings.json"
# Known passwords of the fixtures (prepare.yml); test data for throw-away containers.
ROOT_PASSWORD = "Root-pw-1sN0t#Weak-Keel"  # noqa: S105
USER_PASSWORD = "User-pw-1sN0t#Weak-Keel"  # noqa: S105
# pamtester with a service that has no file uses /etc/pam.d/other, i.e. exactly the
# common-* stacks, without login's pam_faildelay or securetty.
PROBE_SERVICE = "keel-probe"
CLASSES = ("ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "#%+=@^_-")


@pytest.fixture
def settings(host):
    return json.loads(host.file(SETTINGS_FILE).content_string)


def strong_password(length, classes=CLASSES):
    """A random password of `length` characters that cycles through `classes`, so it never
    repeats a character or forms a sequence (pwquality's maxrepeat/maxsequence)."""
    return "".join(secrets.choice(classes[index % len(classes)]) for index in range(length))


def feed(*answers):
    """A shell pipeline prefix that answers PAM's prompts in order."""
    return "printf '%s\\n' " + " ".join(shlex.quote(answer) for answer in answers) + " | "


def authenticate(host, user, password):
    return host.run(feed(password) + f"pamtester {PROBE_SERVICE} {shlex.quote(user)} authenticate")


def fail_logins(host, user, count):
    """`count` wrong passwords at once (in parallel: pam_unix waits about 2 s after each failure)."""
    host.run_test(
        f"for i in $(seq {count}); do (printf 'wrong\\n' | pamtester {PROBE_SERVICE} {shlex.quote(user)} "
        "authenticate >/dev/null 2>&1) & done; wait"
    )


def change_password(host, user, password, tries=1):
    """Change `user`'s password through the password stack, as root does with passwd(1):
    pam_pwquality asks for the new password and its confirmation; pam_pwhistory and
    pam_unix use that token. Each refused try consumes the next pair of answers."""
    return host.run(feed(*([password, password] * tries)) + f"pamtester passwd {shlex.quote(user)} chauthtok")


def shadow_hash(host, user):
    return host.check_output(f"getent shadow {shlex.quote(user)} | cut -d: -f2")


def faillock_reset(host, *users):
    for user in users:
        host.run_test(f"faillock --user {shlex.quote(user)} --reset")


@pytest.fixture
def clean_faillock(host):
    faillock_reset(host, "root", "keel-user")
    yield
    faillock_reset(host, "root", "keel-user")
