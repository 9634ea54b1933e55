"""A configuration kept in Parameter Store, end to end: keel.ssm.appconfig_profile points a
profile at an ssm-parameter:// location (moto's real Parameter Store over HTTP), a
deployment of the parameter's version goes through the AppConfig TEST DOUBLE, and the
keel.ssm.appconfig lookup (loaded through Ansible's lookup_loader) reads back the deployed
version as text; a profile that does not exist fails naming it, or gives the default."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader

from ansible_collections.keel.ssm.plugins.modules import (
    appconfig_application,
    appconfig_deployment,
    appconfig_environment,
    appconfig_profile,
)
from tests.helpers.module_runner import run_module

ROLE = "arn:aws:iam::123456789012:role/appconfig-read-parameters"


def run(appconfig, module, **params):
    return run_module(module.main, dict(params, endpoint_url=appconfig.url))


def test_a_parameter_store_profile_is_deployed_and_read_back(appconfig, ssm):
    ssm.put_parameter(Name="/shop/endpoints", Value="https://pay.example/v1", Type="String")
    ssm.put_parameter(Name="/shop/endpoints", Value="https://pay.example/v2", Type="String", Overwrite=True)
    run(appconfig, appconfig_application, name="shop")
    run(appconfig, appconfig_environment, application="shop", name="prod")
    profile = {"application": "shop", "name": "endpoints", "location_uri": "ssm-parameter:///shop/endpoints"}
    refused = run(appconfig, appconfig_profile, **profile)
    assert refused["failed"] and refused["msg"].startswith("retrieval_role_arn: required for location_uri")
    made = run(appconfig, appconfig_profile, retrieval_role_arn=ROLE, **profile)
    assert made["changed"] and (made["location_uri"], made["retrieval_role_arn"]) == (profile["location_uri"], ROLE)
    assert run(appconfig, appconfig_profile, retrieval_role_arn=ROLE, **profile)["changed"] is False
    deployed = run(
        appconfig,
        appconfig_deployment,
        application="shop",
        environment="prod",
        configuration_profile="endpoints",
        configuration_version="1",
        strategy="AppConfig.AllAtOnce",
        wait_interval=0.1,
    )
    assert deployed["state"] == "COMPLETE" and deployed["configuration_version"] == "1"

    lookup = lookup_loader.get("keel.ssm.appconfig")
    where = {"application": "shop", "environment": "prod", "endpoint_url": appconfig.url, "cache": False}
    assert lookup.run(["endpoints"], {}, **where) == ["https://pay.example/v1"]
    with pytest.raises(AnsibleError, match=r"keel.ssm.appconfig: .*profile absent of shop/prod"):
        lookup.run(["absent"], {}, **where)
    assert lookup.run(["absent"], {}, default={}, **where) == [{}]
