"""Shared fixtures: the repository root on sys.path as `ansible_collections.keel.ssm`
(through the .collections link `make venv` creates) and a moto server over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS_ROOT = REPO_ROOT / ".collections"
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# Ansible's own collection loader, installed before any test imports collection code, so
# plugins load through lookup_loader & co. exactly as under ansible-playbook (a plugin
# loaded any other way has no option definitions), and every module is imported once.
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(COLLECTIONS_ROOT)])

from tests.helpers.moto_endpoint import FAKE_CREDENTIALS, MotoServer  # noqa: E402

# Shared fixtures: `proxy` (the AwsProxy test double before a clean moto server),
# `stubbed` (a Stubber-wrapped SSM client, checked against the service model),
# `appconfig` (the proxy with the AppConfig test double answering what moto lacks) and
# `isolated_debconf` (a debconf database of the test's own, for real pam-auth-update runs).
pytest_plugins = [
    "tests.helpers.proxy_fixture",
    "tests.helpers.stubbed_ssm",
    "tests.helpers.appconfig_fixture",
    "tests.helpers.pam_roots",
    "tests.helpers.collection_tarball",
    "tests.helpers.compliance_fixture",
]


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def moto(moto_server, monkeypatch):
    """A clean moto server, with fake credentials and the endpoint in the environment."""
    moto_server.reset()
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.url)
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return moto_server


@pytest.fixture
def ssm(moto):
    import boto3

    return boto3.client("ssm", endpoint_url=moto.url, region_name=os.environ["AWS_REGION"])


CORE214_BIN = REPO_ROOT / ".venv" / "core214" / "bin"


@pytest.fixture(scope="session")
def core214():
    """Debian 12's ansible-core 2.14 + boto3 1.26 (requirements-core214.txt, `make venv-core214`)."""
    subprocess.run(["make", "-s", "venv-core214"], cwd=REPO_ROOT, check=True, timeout=900)
    version = subprocess.run(
        [str(CORE214_BIN / "ansible-playbook"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert "core 2.14." in version
    return CORE214_BIN


@pytest.fixture(params=["2.19", "2.14"])
def ansible(request):
    """(version, bin directory) of the ansible-core a playbook-level test runs under: the
    venv's, and the one Debian 12 instances run under AWS-ApplyAnsiblePlaybooks."""
    if request.param == "2.14":
        return request.param, request.getfixturevalue("core214")
    return request.param, Path(sys.executable).parent
