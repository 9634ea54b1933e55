# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployments: which one holds a profile in an environment, following one to its end,
and why AppConfig rolled one back."""

from __future__ import annotations

import time
from typing import Any, Callable

from ansible_collections.keel.ssm.plugins.module_utils.appconfig import api
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.resources import shown
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError

FINAL = ("COMPLETE", "ROLLED_BACK", "REVERTED")
# A deployment in these states holds the environment: AppConfig refuses another one.
IN_PROGRESS = ("VALIDATING", "DEPLOYING", "BAKING", "ROLLING_BACK")
# Deploying the same version again would change nothing while one of these holds it.
HOLDS_VERSION = ("COMPLETE", "VALIDATING", "DEPLOYING", "BAKING")
FAILED = ("ROLLED_BACK", "REVERTED", "ROLLING_BACK")


class DeploymentFailed(KeelAWSError):
    """AppConfig rolled a deployment back (or it did not end in time); carries the
    deployment as the module reports it."""

    def __init__(self, message: str, deployment: dict[str, Any]) -> None:
        super().__init__("error", message)
        self.deployment = deployment


def list_deployments(client: Any, application_id: str, environment_id: str) -> list[dict[str, Any]]:
    items = api.list_all(
        client,
        "ListDeployments",
        f"environment {environment_id}",
        ApplicationId=application_id,
        EnvironmentId=environment_id,
    )
    return sorted(items, key=lambda item: item["DeploymentNumber"], reverse=True)


def of_profile(deployments: list[dict[str, Any]], profile: dict[str, Any]) -> dict[str, Any] | None:
    """The most recent deployment of `profile` (a ConfigurationProfileSummary). Debian 12's
    botocore drops ConfigurationProfileId from summaries: match the profile's name then."""
    for item in deployments:
        if "ConfigurationProfileId" in item:
            if item["ConfigurationProfileId"] == profile["Id"]:
                return item
        elif item.get("ConfigurationName") == profile["Name"]:
            return item
    return None


def in_progress(deployments: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((item for item in deployments if item.get("State") in IN_PROGRESS), None)


def get_deployment(client: Any, application_id: str, environment_id: str, number: int) -> dict[str, Any]:
    return api.call(
        client,
        "GetDeployment",
        f"deployment {number}",
        ApplicationId=application_id,
        EnvironmentId=environment_id,
        DeploymentNumber=number,
    )


def follow(
    client: Any,
    application_id: str,
    environment_id: str,
    number: int,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """GetDeployment until it ends; returns the final Deployment. Raises DeploymentFailed
    when it is still running after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        deployment = get_deployment(client, application_id, environment_id, number)
        if deployment.get("State") in FINAL:
            return deployment
        if time.monotonic() >= deadline:
            raise DeploymentFailed(
                f"deployment {number} is still {deployment.get('State')} at"
                f" {deployment.get('PercentageComplete', 0):g}% after {timeout} s (it goes on in AppConfig;"
                " raise wait_timeout or set wait: false)",
                deployment,
            )
        sleep(interval)


def rollback_reason(deployment: dict[str, Any]) -> str:
    """What the event log says about why the deployment was rolled back or reverted."""
    events = deployment.get("EventLog") or []
    for event in events:
        if event.get("EventType") in ("ROLLBACK_STARTED", "REVERT_COMPLETED"):
            cause = event.get("TriggeredBy", "unknown")
            return f"{event.get('Description') or event['EventType']} (triggered by {cause})"
    return "AppConfig gave no reason in the event log"


def report(deployment: dict[str, Any]) -> Any:
    """The module's view of a Deployment: snake_case keys, timestamps as ISO 8601 text."""

    def plain(value):
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return shown(plain(deployment))
