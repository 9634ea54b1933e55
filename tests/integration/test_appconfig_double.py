"""The AppConfig TEST DOUBLE itself (tests/helpers/appconfig_double.py), through boto3 over
HTTP: it refuses what the service model refuses (which botocore does not check), it
models a deployment's progression and its rollback, and AppConfig Data serves what is
deployed, with single-use tokens. The modules' and the lookup's tests rely on this."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from tests.helpers.appconfig_double import AppConfigDouble


@pytest.fixture
def clients(appconfig):
    kw = {"endpoint_url": appconfig.url, "region_name": "us-east-1"}
    return boto3.client("appconfig", **kw), boto3.client("appconfigdata", **kw)


def test_requests_that_break_the_service_model_are_refused(appconfig, clients):
    control, _data = clients
    with pytest.raises(control.exceptions.BadRequestException, match="the model's maximum is 64"):
        control.create_application(Name="x" * 65)  # botocore itself checks minimums only
    with pytest.raises(control.exceptions.BadRequestException, match="is not one of"):
        control.create_deployment_strategy(Name="s", DeploymentDurationInMinutes=1, GrowthFactor=10, GrowthType="STEP")
    assert len(appconfig.double.violations) == 2
    appconfig.double.violations.clear()
    assert appconfig.total() == 2 and control.list_applications()["Items"] == []


def test_strategies_grow_as_their_type_says():
    double = AppConfigDouble("http://127.0.0.1:9")
    linear = {"GrowthFactor": 30.0, "GrowthType": "LINEAR", "DeploymentDurationInMinutes": 9}
    assert double.steps(linear) == [(0, 30.0), (3, 60.0), (6, 90.0), (9, 100.0)]
    exponential = {"GrowthFactor": 10.0, "GrowthType": "EXPONENTIAL", "DeploymentDurationInMinutes": 20}
    assert [p for _minute, p in double.steps(exponential)] == [10.0, 20.0, 40.0, 80.0, 100.0]
    assert double.steps({"GrowthFactor": 100.0, "DeploymentDurationInMinutes": 0}) == [(0, 100.0)]


def test_appconfig_data_serves_the_deployed_flags_and_falls_back_after_a_rollback(appconfig, clients):
    control, data = clients
    app = control.create_application(Name="shop")["Id"]
    alarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop"
    env = control.create_environment(ApplicationId=app, Name="prod", Monitors=[{"AlarmArn": alarm}])["Id"]
    profile = control.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )["Id"]
    for enabled in (True, False):
        document = {
            "version": "1",
            "flags": {"cart": {"name": "Cart", "attributes": {"size": {}}}, "chat": {"name": "Chat"}},
            "values": {"cart": {"enabled": enabled, "size": 3}},
        }
        control.create_hosted_configuration_version(
            ApplicationId=app, ConfigurationProfileId=profile, Content=json.dumps(document).encode(),
            ContentType="application/json",
        )  # fmt: skip

    def start(version):
        return control.start_deployment(
            ApplicationId=app, EnvironmentId=env, DeploymentStrategyId="AppConfig.AllAtOnce",
            ConfigurationProfileId=profile, ConfigurationVersion=str(version),
        )  # fmt: skip

    session = data.start_configuration_session(
        ApplicationIdentifier="shop", EnvironmentIdentifier="prod", ConfigurationProfileIdentifier="flags"
    )
    with pytest.raises(data.exceptions.ResourceNotFoundException):
        data.get_latest_configuration(ConfigurationToken=session["InitialConfigurationToken"])
    start(1)
    time.sleep(10 * 0.02 + 0.1)  # AllAtOnce bakes 10 minutes
    token = data.start_configuration_session(
        ApplicationIdentifier=app, EnvironmentIdentifier=env, ConfigurationProfileIdentifier=profile
    )["InitialConfigurationToken"]
    first = data.get_latest_configuration(ConfigurationToken=token)
    assert json.loads(first["Configuration"].read()) == {
        "cart": {"enabled": True, "size": 3},
        "chat": {"enabled": False},
    }
    unchanged = data.get_latest_configuration(ConfigurationToken=first["NextPollConfigurationToken"])
    assert unchanged["Configuration"].read() == b""
    with pytest.raises(data.exceptions.BadRequestException, match="used configuration token"):
        data.get_latest_configuration(ConfigurationToken=token)

    appconfig.double.set_alarm(alarm)
    rolled = start(2)
    assert rolled["State"] in ("ROLLING_BACK", "ROLLED_BACK")
    time.sleep(0.05)
    final = control.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=2)
    assert final["State"] == "ROLLED_BACK" and final["EventLog"][1]["TriggeredBy"] == "CLOUDWATCH_ALARM"
    assert control.get_environment(ApplicationId=app, EnvironmentId=env)["State"] == "ROLLED_BACK"
    token = data.start_configuration_session(
        ApplicationIdentifier="shop", EnvironmentIdentifier="prod", ConfigurationProfileIdentifier="flags"
    )["InitialConfigurationToken"]
    served = json.loads(data.get_latest_configuration(ConfigurationToken=token)["Configuration"].read())
    assert served["cart"]["enabled"] is True, "version 1 is still what is deployed"
