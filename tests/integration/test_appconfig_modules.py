"""The AppConfig modules against moto over HTTP, with the AppConfig TEST DOUBLE answering
what moto lacks (environments, strategies, deployments, list calls; see
tests/helpers/appconfig_double.py). Every request goes through the AwsProxy, which counts
it by operation (that is how "no write", "no call at all" and "exactly one version and
one deployment" are proven), and is checked against botocore's service model (the
`appconfig` fixture fails a test whose requests broke it). Modules run their real main()
in this process (tests/helpers/module_runner.py)."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.keel.ssm.plugins.modules import (
    appconfig_application,
    appconfig_deployment,
    appconfig_deployment_strategy,
    appconfig_environment,
    appconfig_profile,
)
from tests.helpers.module_runner import run_module
from tests.helpers.module_runner import run_module as run_on_host

ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:payments-5xx"
FLAGS = {
    "version": "1",
    "flags": {
        "new_ui": {"name": "New UI", "attributes": {"theme": {"constraints": {"type": "string", "enum": ["a", "b"]}}}},
        "beta_api": {"name": "Beta API"},
    },
    "values": {"new_ui": {"enabled": True, "theme": "a"}, "beta_api": {"enabled": False}},
}
SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "properties": {"transaction_limit": {"type": "integer", "minimum": 1, "maximum": 10000}},
    "required": ["transaction_limit"],
}


def run(appconfig, module, check_mode=False, diff=False, **params):
    params.update(endpoint_url=appconfig.url)
    return run_module(module.main, params, check=check_mode, diff=diff)


def writes(appconfig):
    return {op: n for op, n in appconfig.counts.items() if not op.startswith(("Get", "List", "REST:POST"))}


def flags_profile(appconfig, flags=FLAGS, **extra):
    params = {"application": "payments", "name": "flags", "type": "AWS.AppConfig.FeatureFlags", "validators": []}
    params.update(extra)
    return run(appconfig, appconfig_profile, content=flags, **params)


@pytest.fixture
def payments(appconfig):
    """An application, an environment watched by ALARM and a fast linear strategy."""
    run(appconfig, appconfig_application, name="payments")
    run(appconfig, appconfig_environment, application="payments", name="prod", monitors=[{"alarm_arn": ALARM}])
    run(
        appconfig,
        appconfig_deployment_strategy,
        name="linear",
        deployment_duration_in_minutes=10,
        growth_factor=25,
        final_bake_time_in_minutes=5,
    )
    appconfig.reset_counts()
    return appconfig


def deploy(appconfig, version, **extra):
    params = {
        "application": "payments",
        "environment": "prod",
        "configuration_profile": "flags",
        "configuration_version": str(version),
        "strategy": "linear",
        "wait_interval": 0.1,
    }
    params.update(extra)
    return run(appconfig, appconfig_deployment, **params)


def test_resources_are_created_then_left_alone_then_updated_with_tags(appconfig):
    created = run(appconfig, appconfig_application, name="payments", description="one", tags={"Owner": "a"})
    assert created["changed"] and writes(appconfig) == {"CreateApplication": 1}
    appconfig.reset_counts()
    again = run(appconfig, appconfig_application, name="payments", description="one", tags={"Owner": "a"})
    assert again["changed"] is False and writes(appconfig) == {} and again["id"] == created["id"]
    appconfig.reset_counts()
    checked = run(appconfig, appconfig_application, check_mode=True, diff=True, name="payments", tags={"Owner": "b"})
    assert checked["changed"] and writes(appconfig) == {}
    assert checked["diff"][0]["before"]["tags"] == {"Owner": "a"} and checked["diff"][0]["after"]["tags"] == {
        "Owner": "b"
    }
    updated = run(appconfig, appconfig_application, name="payments", description="two", tags={"Team": "x"})
    assert (updated["changed"], updated["description"], updated["tags"]) == (True, "two", {"Team": "x"})
    assert {"UpdateApplication", "TagResource", "UntagResource"} <= set(writes(appconfig))

    env = {"application": "payments", "name": "prod", "monitors": [{"alarm_arn": ALARM}], "tags": {"Stage": "prod"}}
    made = run(appconfig, appconfig_environment, **env)
    assert made["changed"] and made["monitors"] == [{"alarm_arn": ALARM}] and made["state"] == "READY_FOR_DEPLOYMENT"
    appconfig.reset_counts()
    assert run(appconfig, appconfig_environment, **env)["changed"] is False and writes(appconfig) == {}
    cleared = run(appconfig, appconfig_environment, application="payments", name="prod", monitors=[])
    assert cleared["changed"] and cleared["monitors"] == []


def test_profile_type_and_location_cannot_change_and_parents_must_exist(appconfig):
    run(appconfig, appconfig_application, name="payments")
    run(appconfig, appconfig_profile, application="payments", name="limits")
    failed = run(appconfig, appconfig_profile, application="payments", name="limits", type="AWS.AppConfig.FeatureFlags")
    assert failed["failed"] and failed["msg"].startswith("type: configuration profile 'limits' has 'AWS.Freeform'")
    missing = run(appconfig, appconfig_environment, application="nowhere", name="prod")
    assert missing["failed"] and missing["msg"] == "application 'nowhere': no such application (name or ID)"
    predicted = run(appconfig, appconfig_environment, check_mode=True, application="nowhere", name="prod")
    assert predicted["changed"] and "check mode assumes an earlier task creates it" in json.dumps(predicted["warnings"])


def test_invalid_documents_fail_before_any_call_naming_the_field(appconfig):
    bad_flags = copy.deepcopy(FLAGS)
    bad_flags["values"]["new_ui"]["theme"] = "c"
    failed = flags_profile(appconfig, bad_flags)
    assert failed["failed"] and failed["msg"] == "content.values.new_ui.theme: not one of the attribute's enum values"
    malformed = flags_profile(appconfig, '{"version": "1", "flags": {"new_ui": ')
    assert malformed["failed"] and malformed["msg"].startswith("content: not valid JSON (Expecting value at line 1")
    schema = run(
        appconfig,
        appconfig_profile,
        application="payments",
        name="limits",
        validators=[{"type": "JSON_SCHEMA", "content": SCHEMA}],
        content={"transaction_limit": 20000},
    )
    assert schema["failed"] and schema["msg"] == (
        "content.transaction_limit: breaks maximum 10000, per validators[0] (as this task declares it)"
    )
    assert appconfig.total() == 0, dict(appconfig.counts)


def test_a_schema_held_by_the_profile_is_checked_before_any_write(appconfig):
    run(appconfig, appconfig_application, name="payments")
    run(
        appconfig,
        appconfig_profile,
        application="payments",
        name="limits",
        validators=[{"type": "JSON_SCHEMA", "content": SCHEMA}],
    )
    appconfig.reset_counts()
    failed = run(
        appconfig, appconfig_profile, application="payments", name="limits", content={"transaction_limit": "9"}
    )
    assert (
        failed["msg"]
        == "content.transaction_limit: must be of type integer, per validators[0] (as the profile holds it)"
    )
    assert writes(appconfig) == {}, dict(appconfig.counts)


def test_a_changed_flag_makes_exactly_one_version_and_one_deployment(payments):
    first = flags_profile(payments)
    deployed = deploy(payments, first["version_number"])
    assert (first["version_number"], deployed["state"], deployed["percentage_complete"]) == (1, "COMPLETE", 100.0)
    assert [e["event_type"] for e in reversed(deployed["event_log"])][:2] == [
        "DEPLOYMENT_STARTED",
        "PERCENTAGE_UPDATED",
    ]
    payments.reset_counts()
    assert flags_profile(payments)["changed"] is False
    assert deploy(payments, 1)["changed"] is False
    assert writes(payments) == {}
    changed = copy.deepcopy(FLAGS)
    changed["values"]["beta_api"]["enabled"] = True
    checked = flags_profile(payments, changed, check_mode=True, diff=True)
    assert checked["changed"] and checked["version_number"] == 2 and writes(payments) == {}
    assert (
        "enabled: true" in checked["diff"][-1]["after"]
        and checked["diff"][-1]["after_header"] == "version 2 (predicted)"
    )
    second = flags_profile(payments, changed)
    rollout = deploy(payments, second["version_number"])
    assert rollout["changed"] and rollout["state"] == "COMPLETE" and rollout["deployment_number"] == 2
    assert writes(payments) == {"CreateHostedConfigurationVersion": 1, "StartDeployment": 1}


def test_a_rolled_back_deployment_fails_with_appconfigs_reason(payments):
    flags_profile(payments)
    payments.double.fire_alarm_at(ALARM, 50)
    failed = deploy(payments, 1)
    assert failed["failed"] and failed["started"] and failed["state"] == "ROLLED_BACK"
    assert failed["msg"] == (
        f"deployment 1 of flags version 1 to prod was rolled back: Rollback initiated by CloudWatch Alarm: {ALARM}"
        " (triggered by CLOUDWATCH_ALARM)"
    )
    assert failed["percentage_complete"] == 50.0
    assert [e["event_type"] for e in failed["event_log"]][:2] == ["ROLLBACK_COMPLETED", "ROLLBACK_STARTED"]
    # The next run tries again (the version is not deployed), and succeeds once the alarm is quiet.
    payments.double.set_alarm(ALARM, "OK")
    again = deploy(payments, 1)
    assert again["changed"] and again["state"] == "COMPLETE" and again["deployment_number"] == 2


def test_wait_false_reports_progress_one_deployment_at_a_time_and_stop_rolls_back(payments):
    flags_profile(payments)
    run(payments, appconfig_profile, application="payments", name="other", content={"a": 1})
    payments.double.minute_seconds = 0.5  # 15 AppConfig minutes take 7.5 s here
    started = deploy(payments, 1, wait=False)
    assert started["changed"] and started["state"] == "DEPLOYING" and started["percentage_complete"] == 25.0
    payments.reset_counts()
    conflict = deploy(payments, 1, configuration_profile="other", wait=False)
    assert conflict["failed"] and "deployment 1 of flags is DEPLOYING" in conflict["msg"]
    assert writes(payments) == {}
    stopped = deploy(payments, 1, state="stopped")
    assert stopped["changed"] and stopped["state"] == "ROLLED_BACK"
    assert stopped["event_log"][1] == dict(stopped["event_log"][1], event_type="ROLLBACK_STARTED", triggered_by="USER")
    assert deploy(payments, 1, state="stopped")["changed"] is False


def test_a_deployment_in_progress_is_followed_not_restarted(payments):
    flags_profile(payments)
    payments.double.minute_seconds = 0.1
    deploy(payments, 1, wait=False)
    payments.reset_counts()
    followed = deploy(payments, 1)
    assert followed["changed"] is False and followed["state"] == "COMPLETE"
    assert "StartDeployment" not in payments.counts and payments.counts["GetDeployment"] >= 2


def test_debian_12_botocore_and_jsonschema(payments, core214, tmp_path):
    """Under Debian 12's Python libraries (.venv/core214: botocore 1.29, jsonschema 4.10, each
    module a separate process): botocore 1.29 knows no VersionLabel, and the module says so
    instead of failing inside botocore; JSON Schema validators are checked with jsonschema 4.10."""
    python = str(core214 / "python")
    args = {
        "application": "payments",
        "name": "flags",
        "type": "AWS.AppConfig.FeatureFlags",
        "validators": [],
        "content": FLAGS,
        "version_label": "release-1",
        "endpoint_url": payments.url,
    }
    result = run_on_host("appconfig_profile", args, python=python)
    assert result["failed"] and "version_label: the installed botocore 1.29.27 does not know" in result["msg"]
    assert writes(payments) == {"CreateConfigurationProfile": 1}  # the profile itself was fine
    del args["version_label"]
    assert run_on_host("appconfig_profile", args, python=python)["version_number"] == 1
    limits = {"application": "payments", "name": "limits", "endpoint_url": payments.url}
    limits.update(validators=[{"type": "JSON_SCHEMA", "content": SCHEMA}], content={"transaction_limit": 0})
    refused = run_on_host("appconfig_profile", limits, python=python)
    assert refused["msg"] == "content.transaction_limit: breaks minimum 1, per validators[0] (as this task declares it)"
    assert run_on_host("appconfig_profile", dict(limits, content={"transaction_limit": 5}), python=python)["changed"]
