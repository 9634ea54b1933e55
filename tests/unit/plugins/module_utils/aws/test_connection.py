"""The AWS connection layer: the documented options and the module argument spec must
agree, options are checked, and clients carry botocore's bounded retry policy."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.doc_fragments.aws import ModuleDocFragment
from ansible_collections.keel.ssm.plugins.module_utils.aws.connection import (
    AWS_ARGUMENT_SPEC,
    COLLECTION_VERSION,
    aws_client,
    connection_identity,
    connection_params,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from tests.helpers import REPO_ROOT


def test_doc_fragment_matches_argument_spec():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    environment = yaml.safe_load(ModuleDocFragment.PLUGINS)["options"]
    assert set(documented) == set(AWS_ARGUMENT_SPEC)
    assert set(environment) <= set(documented)
    for name, doc in documented.items():
        spec = AWS_ARGUMENT_SPEC[name]
        assert doc["type"] == spec["type"], name
        assert doc.get("aliases", []) == spec.get("aliases", []), name
        assert doc.get("default") == spec.get("default"), name
        assert doc.get("choices") == spec.get("choices"), name
        # Modules may not document env (validate-modules); the text names the variables
        # and the plugins' fragment declares them.
        assert "env" not in doc, name
        env_names = [entry["name"] for entry in environment.get(name, {}).get("env", [])]
        fallback = spec.get("fallback", (None, []))[1]
        assert env_names == fallback, name
        assert all(f"E({variable})" in " ".join(doc["description"]) for variable in fallback), name


def base(**overrides):
    options = dict.fromkeys(AWS_ARGUMENT_SPEC)
    options.update(overrides)
    return options


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"retry_mode": "legacy"}, "retry_mode"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 21}, "max_attempts"),
        ({"profile": "p", "access_key": "a", "secret_key": "s"}, "profile"),
        ({"access_key": "a"}, "access_key/secret_key"),
    ],
)
def test_bad_connection_options_name_the_option(overrides, field):
    with pytest.raises(KeelRuleError, match=f"^{field}:"):
        connection_params(base(**overrides))


def test_client_uses_standard_retries_with_bounds():
    params = connection_params(base(region="eu-west-1", endpoint_url="http://127.0.0.1:1", max_attempts=4))
    client = aws_client(params)
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 4}
    assert client.meta.endpoint_url == "http://127.0.0.1:1"
    assert "keel.ssm/" in client.meta.config.user_agent_extra


def test_the_user_agent_names_the_version_galaxy_yml_gives():
    """galaxy.yml holds the version; modules run on hosts without it, so connection.py keeps
    a copy for the User-Agent, and this test keeps the two equal."""
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    assert galaxy["version"] == COLLECTION_VERSION
    params = connection_params(base(region="eu-west-1"))
    assert aws_client(params).meta.config.user_agent_extra == f"keel.ssm/{galaxy['version']}"


def test_identity_separates_endpoints_and_hides_secrets():
    one = connection_params(base(region="eu-west-1", access_key="AKIA", secret_key="topsecret"))
    two = connection_params(base(region="eu-west-1", access_key="AKIA", secret_key="other"))
    assert connection_identity(one) != connection_identity(two)
    assert "topsecret" not in connection_identity(one)
