"""Roots for the pam-auth-update tests: copies of states the real tool wrote (captured on
Debian bookworm, tests/unit/plugins/module_utils/host/fixtures/pam_auth_update/README.md),
and a debconf database of the test's own, so that no test touches this machine's."""

from __future__ import annotations

import contextlib
import shutil

import pytest

from tests.helpers import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "unit" / "plugins" / "module_utils" / "host" / "fixtures" / "pam_auth_update"
STACKS = ("auth", "account", "password", "session", "session-noninteractive")
# The role's default profiles (bookworm), as the `keel` fixture enabled them.
KEEL = ["keel-unix", "keel-faillock", "keel-faillock-authfail", "keel-pwhistory", "pwquality"]


def make_root(tmp_path, case, profiles_from=None):
    """A copy of fixture `case`; with `profiles_from`, that case's /usr/share/pam-configs."""
    root = tmp_path / f"root-{case}"
    shutil.copytree(FIXTURES / case, root)
    if profiles_from:
        shutil.rmtree(root / "usr/share/pam-configs")
        shutil.copytree(FIXTURES / profiles_from / "usr/share/pam-configs", root / "usr/share/pam-configs")
    return root


def same_files(root, case):
    """True when root's stacks and saved state equal fixture `case`'s."""
    return all(
        (root / "etc/pam.d" / f"common-{stack}").read_text()
        == (FIXTURES / case / "etc/pam.d" / f"common-{stack}").read_text()
        and (root / "var/lib/pam" / stack).read_text() == (FIXTURES / case / "var/lib/pam" / stack).read_text()
        for stack in STACKS
    )


@pytest.fixture
def isolated_debconf(tmp_path, monkeypatch):
    """pam-auth-update keeps its selection in debconf: a real run in a test writes to a copy
    of this machine's database (DEBCONF_SYSTEMRC), never to the database itself. (Planning
    never needs this: the module points debconf at its own scratch copy.)"""
    db = tmp_path / "debconf"
    db.mkdir()
    for name in ("config.dat", "templates.dat"):
        with contextlib.suppress(FileNotFoundError):  # a database debconf has not written yet
            shutil.copy2("/var/cache/debconf/" + name, db / name)
    conf = db / "debconf.conf"
    conf.write_text(
        f"Config: config\nTemplates: templates\n\nName: config\nDriver: File\nFilename: {db}/config.dat\n\n"
        f"Name: templates\nDriver: File\nFilename: {db}/templates.dat\n"
    )
    monkeypatch.setenv("DEBCONF_SYSTEMRC", str(conf))
    return conf
