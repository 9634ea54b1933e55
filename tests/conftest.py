"""Shared fixtures: the repository root on sys.path as `ansible_collections.keel.ssm`
(through the .collections link `make venv` creates) and a moto server over HTTP."""

from __future__ import annotations

import os
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
