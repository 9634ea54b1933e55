# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""boto3 clients for controller plugins, one per service and connection per process:
building one costs ~0.25 s, and a fork that leads several fetches reuses it."""

from __future__ import annotations

from typing import Any, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.aws.connection import BOTO3_IMPORT_ERROR, HAS_BOTO3, aws_client
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError, aws_call

_CLIENTS = {}
SERVICE_NAMES = {"ssm": "SSM", "appconfigdata": "AppConfigData"}


def cached_client(params: Mapping[str, Any], identity: str, service: str = "ssm") -> Any:
    """The client for `service` and these checked connection params (`identity` is their
    cache identity); raises KeelAWSError when it cannot be built (no region, ...)."""
    key = (service, identity, params["retry_mode"], params["max_attempts"])
    if key not in _CLIENTS:
        if not HAS_BOTO3:
            raise KeelRuleError(f"boto3 and botocore are required on the controller: {BOTO3_IMPORT_ERROR}")
        with aws_call(f"creating the {SERVICE_NAMES.get(service, service)} client"):  # no region, unknown profile, ...
            _CLIENTS[key] = aws_client(params, service)
    return _CLIENTS[key]
