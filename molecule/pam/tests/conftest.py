"""Helpers for the keel.ssm.pam behaviour tests.

Every check drives the real PAM stack of the container (pamtester, pwscore, chage,
useradd ...) and compares the outcome with the settings the converge ran with, which
record_settings.yml wrote to /var/lib/keel-test/pam-settings.json.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from pam_checks import (  # shared with the baseline scenario
    authenticate,
    fail_logins,
    faillock_reset,
    feed,
    pwscore,
    strong_password,
)

__all__ = ["authenticate", "fail_logins", "faillock_reset", "pwscore", "strong_password"]

SETTINGS_FILE = "/var/lib/keel-test/pam-settings.json"
# Known passwords of the fixtures (prepare.yml); test data for throw-away containers.
ROOT_PASSWORD = "Root-pw-1sN0t#Weak-Keel"  # noqa: S105
USER_PASSWORD = "User-pw-1sN0t#Weak-Keel"  # noqa: S105


@pytest.fixture
def settings(host):
    return json.loads(host.file(SETTINGS_FILE).content_string)


def change_password(host, user, password, tries=1):
    """Change `user`'s password through the password stack, as root does with passwd(1):
    pam_pwquality asks for the new password and its confirmation; pam_pwhistory and
    pam_unix use that token. Each refused try consumes the next pair of answers."""
    return host.run(feed(*([password, password] * tries)) + f"pamtester passwd {shlex.quote(user)} chauthtok")


def shadow_hash(host, user):
    return host.check_output(f"getent shadow {shlex.quote(user)} | cut -d: -f2")


@pytest.fixture
def clean_faillock(host):
    faillock_reset(host, "root", "keel-user")
    yield
    faillock_reset(host, "root", "keel-user")
