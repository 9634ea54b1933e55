"""AppConfig in real ansible-playbook runs, under the venv's ansible-core 2.19 and Debian
12's 2.14 (.venv/core214), against moto behind the AwsProxy with the AppConfig TEST
DOUBLE (requests counted where they reach the endpoint, each checked against the
service model):

- the demo's own AppConfig playbook (scripts/demo/appconfig.yml): a rerun reports 0
  changed, a changed flag makes exactly one hosted version and one deployment;
- keel.ssm.appconfig read by 40 local hosts with 10 forks at -vvvv: one session start and
  one configuration read for the whole run, every host gets the flags, no value shown."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from tests.helpers.fleet import PLAYBOOKS, REPO_ROOT, run_playbook, write_inventory

DEMO_PLAYBOOK = REPO_ROOT / "scripts" / "demo" / "appconfig.yml"
DEMO = {
    "application": "keel-demo",
    "environment": "production",
    "profile": "features",
    "strategy": "keel-demo-linear",
    "alarm_arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:keel-demo-5xx",
    "wait_interval": 0.1,
}
HOSTS = 40
MARK = "SeCrEt-colour-5e1f"  # an attribute value that must never appear in the output


def writes(appconfig):
    return {op: n for op, n in appconfig.counts.items() if not op.startswith(("Get", "List", "REST:POST"))}


def demo_run(appconfig, workdir, bin_dir, flags):
    return run_playbook(
        DEMO_PLAYBOOK,
        workdir,
        appconfig.url,
        ["-i", "localhost,", "-c", "local"],
        {"demo_appconfig": DEMO, "demo_flags": flags, "ansible_python_interpreter": str(Path(bin_dir) / "python")},
        forks=1,
        verbosity=0,
        bin_dir=bin_dir,
    )


def test_demo_appconfig_tasks_rerun_unchanged_and_a_changed_flag_makes_one_version_and_one_deployment(
    appconfig, tmp_path, ansible
):
    version, bin_dir = ansible
    first = demo_run(appconfig, tmp_path / "first", bin_dir, {"new_ui": True, "beta_api": False})
    assert first.returncode == 0, first.output[-3000:]
    assert first.recap["localhost"]["changed"] == 5
    assert "deployment 1 of version 1: COMPLETE 100.0%" in first.output
    appconfig.reset_counts()
    again = demo_run(appconfig, tmp_path / "again", bin_dir, {"new_ui": True, "beta_api": False})
    assert again.returncode == 0 and again.recap["localhost"]["changed"] == 0, again.output[-3000:]
    assert writes(appconfig) == {}
    if version == "2.14":
        return  # what a changed flag costs does not depend on the core (saves ~12 s)
    appconfig.reset_counts()
    flipped = demo_run(appconfig, tmp_path / "flipped", bin_dir, {"new_ui": True, "beta_api": True})
    assert flipped.returncode == 0 and flipped.recap["localhost"]["changed"] == 2, flipped.output[-3000:]
    assert writes(appconfig) == {"CreateHostedConfigurationVersion": 1, "StartDeployment": 1}
    assert "deployment 2 of version 2: COMPLETE 100.0%" in flipped.output


def seed_flags(appconfig):
    client = boto3.client("appconfig", endpoint_url=appconfig.url)
    app = client.create_application(Name="fleet")["Id"]
    env = client.create_environment(ApplicationId=app, Name="prod")["Id"]
    profile = client.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )["Id"]
    document = {
        "version": "1",
        "flags": {"new_ui": {"name": "New UI", "attributes": {"colour": {}}}, "beta": {"name": "Beta"}},
        "values": {"new_ui": {"enabled": True, "colour": MARK}, "beta": {"enabled": False}},
    }
    client.create_hosted_configuration_version(
        ApplicationId=app, ConfigurationProfileId=profile, Content=json.dumps(document).encode(),
        ContentType="application/json",
    )  # fmt: skip
    client.start_deployment(
        ApplicationId=app, EnvironmentId=env, DeploymentStrategyId="AppConfig.AllAtOnce",
        ConfigurationProfileId=profile, ConfigurationVersion="1",
    )  # fmt: skip


def test_forty_hosts_read_one_profile_with_one_session_and_one_read(appconfig, tmp_path, ansible):
    version, bin_dir = ansible
    seed_flags(appconfig)
    appconfig.reset_counts()
    out = tmp_path / "out"
    out.mkdir()
    inventory = write_inventory(tmp_path / "inventory.ini", HOSTS, python=str(Path(bin_dir) / "python"))
    result = run_playbook(
        PLAYBOOKS / "appconfig_fleet.yml",
        tmp_path,
        appconfig.url,
        ["-i", str(inventory)],
        {"fleet_application": "fleet", "fleet_environment": "prod", "fleet_profile": "flags", "fleet_out": str(out)},
        forks=10,
        verbosity=4,
        bin_dir=bin_dir,
    )
    assert result.returncode == 0 and result.failed_hosts == [], result.output[-3000:]
    assert len(result.recap) == HOSTS
    assert dict(appconfig.counts) == {"StartConfigurationSession": 1, "GetLatestConfiguration": 1}, version
    for index in (0, HOSTS - 1):
        text = (out / f"host{index:03d}-features.conf").read_text()
        assert text == "[features]\nbeta = false\nnew_ui = true (colour)\n"
    assert result.occurrences(MARK) == 0
    assert result.output.count("keel.ssm.appconfig: 1 profile(s): ") >= HOSTS
