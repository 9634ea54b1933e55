#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.appconfig_deployment: deploy a configuration version, follow it, stop it."""

DOCUMENTATION = r"""
module: appconfig_deployment
short_description: Deploy an AWS AppConfig configuration version to an environment, follow it, or stop it
version_added: 0.2.0
description:
  - Starts a deployment of O(configuration_version) of O(configuration_profile) to O(environment) with
    O(strategy), unless that version already is (or is being) deployed there. A rerun starts
    nothing. So does a rerun while the deployment is still going.
  - With O(wait=true) (the default) the task follows the deployment to its end and reports its
    state, percentage and event log. A deployment that AppConfig rolled back, for example because
    an alarm of the environment fired, fails the task with AppConfig's reason.
  - AppConfig runs one deployment per environment at a time. When another profile's deployment
    is going, the task waits for it first (O(wait=true)) or fails, naming it (O(wait=false)).
  - O(state=stopped) stops this profile's deployment in progress. AppConfig then rolls it back.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  configuration_profile:
    description:
      - The configuration profile, by name or ID. (O(profile) is the AWS credentials profile, as in
        every keel.ssm AWS module.)
    type: str
    required: true
  configuration_version:
    description:
      - The version to deploy. A hosted version's number (as M(keel.ssm.appconfig_profile)
        returns it), a Parameter Store parameter's version, or an S3 object's version ID.
      - Required with O(state=deployed).
    type: str
  strategy:
    description:
      - The deployment strategy, by name or ID, or one of AWS's predefined ones such as
        V(AppConfig.AllAtOnce). Required with O(state=deployed).
    type: str
  description:
    description:
      - Description of the deployment this task starts, at most 1024 characters.
    type: str
  kms_key_identifier:
    description:
      - KMS key that encrypts the deployed configuration. Needs a botocore that knows the member
        (newer than Debian 12's 1.29).
    type: str
  tags:
    description:
      - Tags of the deployment this task starts.
    type: dict
  state:
    description:
      - V(deployed) makes sure the version is deployed. V(stopped) stops this profile's deployment
        in progress in the environment, if there is one.
    type: str
    choices: [deployed, stopped]
    default: deployed
  wait:
    description:
      - Follow the deployment until it completes, is rolled back or O(wait_timeout) passes.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to follow a deployment (strategy duration plus bake time, and some margin).
    type: int
    default: 1800
  wait_interval:
    description:
      - Seconds between two C(GetDeployment) calls while following.
    type: float
    default: 10
  allow_revert:
    description:
      - With O(state=stopped), also revert a deployment that reached 100% and is baking.
        Needs a botocore that knows C(AllowRevert).
    type: bool
    default: false
extends_documentation_fragment:
  - keel.ssm.aws
  - keel.ssm.appconfig.application
  - keel.ssm.appconfig.environment
notes:
  - "Calls: C(ListApplications), C(ListEnvironments), C(ListConfigurationProfiles),
    C(ListDeploymentStrategies) and C(ListDeployments) to find things, then C(StartDeployment) when
    needed and one C(GetDeployment) per O(wait_interval) while following."
  - Supports check mode (predicts whether a deployment would start) but not diff mode.
seealso:
  - module: keel.ssm.appconfig_profile
  - module: keel.ssm.appconfig_deployment_strategy
"""

EXAMPLES = r"""
- name: Deploy the feature flags the profile task left latest, following the canary to its end
  keel.ssm.appconfig_deployment:
    application: payments
    environment: production
    configuration_profile: feature-flags
    configuration_version: "{{ flags.version_number }}"
    strategy: payments-canary
    description: "{{ change_ticket }}"
  register: rollout

- name: Start it and move on (another task or a person follows it)
  keel.ssm.appconfig_deployment:
    application: payments
    environment: production
    configuration_profile: feature-flags
    configuration_version: "7"
    strategy: AppConfig.Linear50PercentEvery30Seconds
    wait: false

- name: Stop the deployment in progress (AppConfig rolls it back)
  keel.ssm.appconfig_deployment:
    application: payments
    environment: production
    configuration_profile: feature-flags
    state: stopped
"""

RETURN = r"""
deployment_number:
  description: Number of the deployment this task started, followed or stopped (null if none).
  returned: always
  type: int
  sample: 4
state:
  description:
    - AppConfig's state of the deployment (C(DEPLOYING), C(BAKING), C(COMPLETE), C(ROLLED_BACK), ...).
      In check mode, C(PREDICTED) when a deployment would start.
  returned: always
  type: str
  sample: COMPLETE
percentage_complete:
  description: Percentage of targets that have the configuration.
  returned: when a deployment was found or started
  type: float
  sample: 100.0
configuration_version:
  description: The version deployed.
  returned: when a deployment was found or started
  type: str
  sample: "3"
event_log:
  description:
    - The deployment's events, newest first, each with C(event_type), C(triggered_by),
      C(description) and C(occurred_at).
  returned: when a deployment was found or started
  type: list
  elements: dict
started:
  description: Whether this task started (or in check mode would start) a deployment.
  returned: always
  type: bool
"""

from ansible_collections.keel.ssm.plugins.module_utils.appconfig import api
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.deployments import (
    FAILED,
    FINAL,
    HOLDS_VERSION,
    IN_PROGRESS,
    DeploymentFailed,
    follow,
    get_deployment,
    in_progress,
    list_deployments,
    of_profile,
    report,
    rollback_reason,
)
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.resources import APPLICATION_SPEC, module_main
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.rules import (
    check_configuration_version,
    check_description,
    check_kms_key,
    check_reference,
    check_strategy_reference,
)
from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import check_tags
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

ARGUMENT_SPEC = {
    **APPLICATION_SPEC,
    "environment": {"type": "str", "required": True},
    "configuration_profile": {"type": "str", "required": True},
    "configuration_version": {"type": "str"},
    "strategy": {"type": "str"},
    "description": {"type": "str"},
    "kms_key_identifier": {"type": "str"},
    "tags": {"type": "dict"},
    "state": {"type": "str", "choices": ["deployed", "stopped"], "default": "deployed"},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 1800},
    "wait_interval": {"type": "float", "default": 10},
    "allow_revert": {"type": "bool", "default": False},
}


class Request:
    """The checked options (before any call)."""

    def __init__(self, params):
        self.application = check_reference(params["application"], "application")
        self.environment = check_reference(params["environment"], "environment")
        self.profile = check_reference(params["configuration_profile"], "configuration_profile")
        self.deploy = params["state"] == "deployed"
        if self.deploy:
            self.version = check_configuration_version(params["configuration_version"])
            self.strategy = check_strategy_reference(params["strategy"])
        self.description = check_description(params["description"])
        self.kms_key = check_kms_key(params["kms_key_identifier"])
        self.tags = check_tags(params["tags"])
        self.wait = params["wait"]
        self.timeout = params["wait_timeout"]
        self.interval = params["wait_interval"]
        if self.timeout < 1 or not 0.1 <= self.interval <= 3600:
            raise KeelRuleError("wait_timeout / wait_interval: at least 1 s / between 0.1 and 3600 s")
        self.allow_revert = params["allow_revert"]
        if self.allow_revert and self.deploy:
            raise KeelRuleError("allow_revert: only applies with state=stopped")


def locate(client, request):
    application = api.require_application(client, request.application)
    app_id = application["Id"]
    environment = api.require(
        api.find_environment(client, app_id, request.environment), request.environment, "environment", "environment"
    )
    profile = api.require(
        api.find_profile(client, app_id, request.profile, "configuration_profile"),
        request.profile,
        "configuration profile",
        "configuration_profile",
    )
    return app_id, environment["Id"], profile


def result_of(deployment, started):
    shown = report(deployment)
    result = {
        "changed": started,
        "started": started,
        "deployment_number": shown.get("deployment_number"),
        "state": shown.get("state"),
        "percentage_complete": shown.get("percentage_complete"),
        "configuration_version": shown.get("configuration_version"),
        "event_log": shown.get("event_log", []),
    }
    for key in ("started_at", "completed_at", "deployment_strategy_id", "growth_type", "growth_factor"):
        if key in shown:
            result[key] = shown[key]
    return result


def finish(module, client, request, app_id, env_id, deployment, started):
    """Follow the deployment when asked; a rolled-back one fails with AppConfig's reason."""
    try:
        if request.wait and deployment.get("State") not in FINAL:
            deployment = follow(
                client, app_id, env_id, deployment["DeploymentNumber"], request.timeout, request.interval
            )
        if deployment.get("State") in FAILED:
            raise DeploymentFailed(
                f"deployment {deployment['DeploymentNumber']} of {request.profile} version"
                f" {deployment.get('ConfigurationVersion')} to {request.environment} was"
                f" {deployment['State'].lower().replace('_', ' ')}: {rollback_reason(deployment)}",
                deployment,
            )
    except DeploymentFailed as failure:
        failure.started = started
        raise
    return result_of(deployment, started)


def deploy(module, client, request):
    app_id, env_id, profile = locate(client, request)
    strategy = api.require(
        api.find_strategy(client, request.strategy), request.strategy, "deployment strategy", "strategy"
    )
    if request.kms_key is not None:
        api.require_support(client, "StartDeployment", "KmsKeyIdentifier", "kms_key_identifier")
    deployments = list_deployments(client, app_id, env_id)
    mine = of_profile(deployments, profile)
    if mine and mine.get("ConfigurationVersion") == request.version and mine.get("State") in HOLDS_VERSION:
        deployment = get_deployment(client, app_id, env_id, mine["DeploymentNumber"])
        return finish(module, client, request, app_id, env_id, deployment, started=False)
    if module.check_mode:
        return {"changed": True, "started": True, "deployment_number": None, "state": "PREDICTED"}
    busy = in_progress(deployments)
    if busy is not None:
        if not request.wait:
            raise KeelRuleError(
                f"environment {request.environment}: deployment {busy['DeploymentNumber']} of"
                f" {busy.get('ConfigurationName')} is {busy['State']}, and AppConfig runs one deployment per"
                " environment at a time (wait: true waits for it)"
            )
        follow(client, app_id, env_id, busy["DeploymentNumber"], request.timeout, request.interval)
    start = {
        "ApplicationId": app_id,
        "EnvironmentId": env_id,
        "DeploymentStrategyId": strategy["Id"],
        "ConfigurationProfileId": profile["Id"],
        "ConfigurationVersion": request.version,
    }
    if request.description is not None:
        start["Description"] = request.description
    if request.tags:
        start["Tags"] = request.tags
    if request.kms_key is not None:
        start["KmsKeyIdentifier"] = request.kms_key
    deployment = api.call(client, "StartDeployment", f"{request.profile} version {request.version}", **start)
    return finish(module, client, request, app_id, env_id, deployment, started=True)


def stop(module, client, request):
    app_id, env_id, profile = locate(client, request)
    mine = of_profile(list_deployments(client, app_id, env_id), profile)
    if mine is None or mine.get("State") not in IN_PROGRESS:
        found = report(mine) if mine else {}
        return {"changed": False, "started": False, "deployment_number": found.get("deployment_number"),
                "state": found.get("state")}  # fmt: skip
    stopping = {"ApplicationId": app_id, "EnvironmentId": env_id, "DeploymentNumber": mine["DeploymentNumber"]}
    if request.allow_revert:
        api.require_support(client, "StopDeployment", "AllowRevert", "allow_revert")
        stopping["AllowRevert"] = True
    if module.check_mode:
        return dict(result_of(mine, False), changed=True)
    api.call(client, "StopDeployment", f"deployment {mine['DeploymentNumber']}", **stopping)
    deployment = get_deployment(client, app_id, env_id, mine["DeploymentNumber"])
    if request.wait and deployment.get("State") not in FINAL:
        deployment = follow(client, app_id, env_id, mine["DeploymentNumber"], request.timeout, request.interval)
    return dict(result_of(deployment, False), changed=True)


def run(module):
    request = Request(module.params)
    client = module.client("appconfig")
    try:
        return (deploy if request.deploy else stop)(module, client, request)
    except DeploymentFailed as failure:  # fails with the deployment as the module reports it
        failure.result.update(result_of(failure.deployment, getattr(failure, "started", False)))
        raise


def main():
    module_main(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()
