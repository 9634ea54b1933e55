"""The stacks come from pam-auth-update: the modules sit between Debian's markers in the
expected order, the rest of each file is Debian's pristine template, the profiles are
recorded as enabled, and neither a package's `pam-auth-update --package` run nor a
reinstall of libpam-runtime undoes them."""

from __future__ import annotations

import pytest

PRIMARY = '# here are the per-package modules (the "Primary" block)'
FALLBACK = "# here's the fallback if no module succeeds"
STACKS = ("auth", "account", "password", "session", "session-noninteractive")


def managed_block(text):
    """Module lines of the Primary block (between pam-auth-update's markers)."""
    lines = text.splitlines()
    start, end = lines.index(PRIMARY), lines.index(FALLBACK)
    return [line.split(None, 1)[1] for line in lines[start + 1 : end]]


def modules(lines):
    return [next(word for word in line.split() if word.endswith(".so")) for line in lines]


def recorded_profiles(host, stack):
    text = host.file(f"/var/lib/pam/{stack}").content_string
    # "null" is pam-auth-update's placeholder for an empty primary block (session has none).
    return [
        line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Module: ") and line != "Module: null"
    ]


def expected_auth(settings):
    if settings["keel_pam_faillock"]:
        return ["pam_faillock.so", "pam_unix.so", "pam_faillock.so"]
    return ["pam_unix.so"]


def test_auth_stack(host, settings):
    block = managed_block(host.file("/etc/pam.d/common-auth").content_string)
    assert modules(block) == expected_auth(settings)
    unix = next(line for line in block if "pam_unix.so" in line)
    assert ("nullok" in unix.split()) == settings["keel_pam_unix_nullok"]
    if settings["keel_pam_faillock"]:
        assert block[0].split() == ["requisite", "pam_faillock.so", "preauth"]
        # pam_unix's success jumps over authfail and pam_deny, to pam_permit.
        assert unix.startswith("[success=2 default=ignore]")
        assert block[2].split() == ["[default=die]", "pam_faillock.so", "authfail"]


def test_account_stack(host, settings):
    block = managed_block(host.file("/etc/pam.d/common-account").content_string)
    expected = (["pam_faillock.so"] if settings["keel_pam_faillock"] else []) + ["pam_unix.so"]
    assert modules(block) == expected


def test_password_stack(host, settings):
    block = managed_block(host.file("/etc/pam.d/common-password").content_string)
    expected = (
        (["pam_pwquality.so"] if settings["keel_pam_pwquality"] else [])
        + (["pam_pwhistory.so"] if settings["keel_pam_pwhistory"] else [])
        + ["pam_unix.so"]
    )
    assert modules(block) == expected
    unix = block[-1].split()
    assert settings["keel_pam_hashing"] in unix
    assert {"yescrypt", "sha512"} - {settings["keel_pam_hashing"]} & set(unix) == set()
    assert "remember" not in " ".join(unix)  # CIS 5.3.3.4.2: history is pam_pwhistory's job
    if len(block) > 1:
        assert "use_authtok" in unix  # CIS 5.3.3.4.4


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_managed_block_differs_from_debian(host, stack):
    """Outside the block, each file is Debian's template: nothing was added by hand."""
    current = host.file(f"/etc/pam.d/common-{stack}").content_string.splitlines()
    pristine = host.file(f"/usr/share/pam/common-{stack}").content_string.splitlines()

    def outside(lines):
        kept, inside = [], False
        for line in lines:
            if line.startswith(("# here are the per-package", "# and here are more per-package")):
                inside = True
                kept.append(line)
            elif line.startswith(("# here's the fallback", "# end of pam-auth-update config")):
                inside = False
            if not inside:
                kept.append(line)
        return kept

    assert outside(current) == outside(pristine)


def test_profiles_recorded_as_enabled(host, settings):
    enabled = set()
    for stack in STACKS:
        enabled.update(recorded_profiles(host, stack))
    assert "unix" not in enabled
    assert "keel-unix" in enabled
    assert ("pwquality" in enabled) == settings["keel_pam_pwquality"]
    assert ("keel-pwhistory" in enabled) == settings["keel_pam_pwhistory"]
    assert ({"keel-faillock", "keel-faillock-authfail"} <= enabled) == settings["keel_pam_faillock"]
    debconf = host.check_output("debconf-show libpam-runtime")
    listed = next(line for line in debconf.splitlines() if "libpam-runtime/profiles:" in line)
    assert {name.strip() for name in listed.split(":", 1)[1].split(",")} == enabled


def checksum(host):
    # The stacks and the module lines pam-auth-update recorded (not its list of known profiles).
    return host.check_output("cat /etc/pam.d/common-* /var/lib/pam/[a-r]* /var/lib/pam/session* | sha256sum")


def test_a_package_run_of_pam_auth_update_keeps_the_stacks(host):
    before = checksum(host)
    host.check_output("DEBIAN_FRONTEND=noninteractive pam-auth-update --package")
    assert checksum(host) == before


def test_reinstalling_libpam_runtime_keeps_the_stacks(host):
    before = checksum(host)
    result = host.run("DEBIAN_FRONTEND=noninteractive apt-get install --reinstall -y -q libpam-runtime")
    assert result.rc == 0, result.stderr
    assert "Setting up libpam-runtime" in result.stdout
    assert checksum(host) == before
    # dpkg put Debian's unix profile back, and it stays disabled.
    assert host.file("/usr/share/pam-configs/unix").exists
    assert "unix" not in recorded_profiles(host, "auth")
