"""The collection as users get it: the tarball `ansible-galaxy collection build` makes
(built once per session), installed into an empty collections path by one core's own
ansible-galaxy, run with no ansible.cfg, Ansible home or collections path of the checkout.
Shared by tests/integration/test_tarball.py and test_publish_installed.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def clean_env(home, bin_dir, collections=None):
    """No ansible.cfg, no Ansible home and no collections path of the checkout."""
    config = Path(home) / "ansible.cfg"
    config.touch()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "AWS_"))}
    env.update(
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_HOME=str(Path(home) / "ansible-home"),
        ANSIBLE_NOCOLOR="1",
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    )
    if collections is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    return env


@pytest.fixture(scope="session")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("tarball")
    subprocess.run(
        [str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(REPO_ROOT)],
        check=True,
        capture_output=True,
        env=clean_env(out, VENV_BIN),
    )
    (path,) = out.glob("keel-ssm-*.tar.gz")
    return path


@pytest.fixture
def installed(tarball, tmp_path, ansible):
    """(version, bin dir, env, installed root) with the tarball installed by that core's ansible-galaxy."""
    version, bin_dir = ansible
    collections = tmp_path / "collections"
    collections.mkdir()
    env = clean_env(tmp_path, bin_dir, collections)
    subprocess.run(
        [str(bin_dir / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections), str(tarball)],
        check=True,
        capture_output=True,
        env=env,
        cwd=tmp_path,
    )
    root = collections / "ansible_collections" / "keel" / "ssm"
    assert (root / "MANIFEST.json").is_file()
    return version, bin_dir, env, root
