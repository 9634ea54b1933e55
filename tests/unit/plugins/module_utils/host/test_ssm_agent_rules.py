"""Rules of module_utils/host/ssm_agent_rules.py, which the role checks (keel.ssm.role_problems) before it
changes anything: each broken rule gives one message naming the variable, never the activation code."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.filter.role_problems import role_problems
from ansible_collections.keel.ssm.plugins.module_utils.host.ssm_agent_rules import (
    activation_problems,
    normalize_fingerprint,
    settings_problems,
)
from tests.helpers import REPO_ROOT

DEFAULTS = yaml.safe_load((REPO_ROOT / "roles" / "ssm_agent" / "defaults" / "main.yml").read_text())
CODE = "SecretActivationCode-0123456789"
ACTIVATION_ID = "0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBGTtIoI=\n-----END PGP PUBLIC KEY BLOCK-----\n"
FINGERPRINT = "8108 A07A 9EBE 248E 3F1C  63F2 54F4 F56E 693E CA21"


def settings(**overrides):
    return {**DEFAULTS, **{f"keel_ssm_agent_{key}": value for key, value in overrides.items()}}


def test_the_role_defaults_are_valid():
    assert settings_problems(DEFAULTS) == []


def test_a_fully_pinned_production_setup_is_valid():
    assert (
        settings_problems(
            settings(
                version="3.3.1142.0",
                region="eu-west-1",
                package_checksum="sha256:" + "ab" * 32,
                signature_key=KEY,
                signature_fingerprint=FINGERPRINT,
                require_verification=True,
                http_proxy="http://proxy.example.com:3128",
                no_proxy=["localhost", ".internal"],
                config={"Mds": {"CommandWorkersLimit": 10}},
                activation_code=CODE,
                activation_id=ACTIVATION_ID,
            )
        )
        == []
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"version": "3.3"}, "keel_ssm_agent_version '3.3': expected 'latest' or an agent version"),
        ({"version": "3.3.1.0", "package_checksum": "md5:abc"}, "package_checksum: expected sha256:<64 hex>"),
        ({"package_checksum": "sha256:" + "ab" * 32}, "package_checksum pins one file: set keel_ssm_agent_version"),
        ({"signature_key": KEY}, "signature_key and keel_ssm_agent_signature_fingerprint go together"),
        ({"signature_fingerprint": FINGERPRINT}, "signature_key and keel_ssm_agent_signature_fingerprint go together"),
        ({"signature_key": "ssh-rsa AAAA", "signature_fingerprint": FINGERPRINT}, "ASCII-armored OpenPGP public key"),
        ({"signature_key": KEY, "signature_fingerprint": "ABCD"}, "signature_fingerprint: expected 40 (v4) or 64"),
        ({"package_base_url": "ftp://mirror/ssm"}, "package_base_url 'ftp://mirror/ssm': expected an http(s)://"),
        ({"package_base_url": "http://mirror.internal/ssm"}, "package_base_url is plain http://"),
        ({"require_verification": True}, "require_verification is true"),
        ({"http_proxy": "proxy:3128"}, "keel_ssm_agent_http_proxy 'proxy:3128': expected http://host:port"),
        ({"https_proxy": 'http://a:1" X=y'}, "keel_ssm_agent_https_proxy"),
        ({"no_proxy": ["ok", "a b"]}, "keel_ssm_agent_no_proxy[1] 'a b'"),
        ({"config": {"Agent": "x"}}, "keel_ssm_agent_config.Agent: every amazon-ssm-agent.json section is an object"),
        ({"config_defaults": ["x"]}, "keel_ssm_agent_config_defaults: expected a dict"),
        ({"region": "Europe"}, "keel_ssm_agent_region 'Europe': expected an AWS Region name"),
        (
            {"region": "eu-west-1", "config": {"Agent": {"Region": "us-east-1"}}},
            "config.Agent.Region 'us-east-1' contradicts keel_ssm_agent_region 'eu-west-1'",
        ),
        ({"activation_code": CODE, "region": "eu-west-1"}, "activation_code is set but keel_ssm_agent_activation_id"),
        (
            {"activation_id": ACTIVATION_ID, "region": "eu-west-1"},
            "activation_id is set but keel_ssm_agent_activation_code",
        ),
        ({"activation_code": CODE, "activation_id": ACTIVATION_ID}, "keel_ssm_agent_region: required to register"),
        (
            {"activation_code": CODE, "activation_id": ACTIVATION_ID.upper(), "region": "eu-west-1"},
            "activation_id '0F1E2D3C-4B5A-4978-8A9B-0C1D2E3F4A5B': expected a lower-case UUID",
        ),
        (
            {"activation_code": "short", "activation_id": ACTIVATION_ID, "region": "eu-west-1"},
            "activation_code: expected 20-250 characters",
        ),
    ],
)
def test_each_rule_names_the_variable(overrides, expected):
    problems = settings_problems(settings(**overrides))
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_the_activation_code_is_never_quoted():
    for code in (CODE, "has a blank in it but is long", "x" * 300):
        problems = settings_problems(settings(activation_code=code, activation_id="nope", region="eu-west-1"))
        assert problems
        assert all(code not in problem for problem in problems)


def test_region_is_reported_once_for_an_activation():
    problems = settings_problems(settings(activation_code=CODE, activation_id=ACTIVATION_ID, region="moon-1"))
    assert problems == ["keel_ssm_agent_region 'moon-1': expected an AWS Region name such as eu-west-1"]


def test_module_prefix_for_activation_rules():
    assert activation_problems("", "", "") == []
    assert activation_problems(CODE, "", "eu-west-1", prefix="") == [
        "activation_code is set but activation_id is empty: give both or neither"
    ]


def test_fingerprints_are_normalized():
    assert normalize_fingerprint(FINGERPRINT) == "8108A07A9EBE248E3F1C63F254F4F56E693ECA21"
    assert normalize_fingerprint(None) == ""


def test_filter_rejects_non_dict_input():
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError, match="must be a dict"):
        role_problems(["keel_ssm_agent_version"], "ssm_agent")
    assert role_problems(settings(version="x"), "ssm_agent")
