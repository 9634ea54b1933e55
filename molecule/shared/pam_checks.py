"""Driving a container's real PAM stack from testinfra, shared by the pam and baseline
scenarios' tests (molecule/<scenario>/tests put molecule/shared on sys.path)."""

from __future__ import annotations

import secrets
import shlex

# pamtester with a service that has no file uses /etc/pam.d/other, i.e. exactly the
# common-* stacks, without login's pam_faildelay or securetty.
PROBE_SERVICE = "keel-probe"
CLASSES = ("ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "#%+=@^_-")


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


def faillock_reset(host, *users):
    for user in users:
        host.run_test(f"faillock --user {shlex.quote(user)} --reset")


def pwscore(host, password):
    """libpwquality's verdict on `password` with the host's pwquality.conf (rc 0: accepted)."""
    return host.run(f"printf '%s\\n' {shlex.quote(password)} | pwscore")
