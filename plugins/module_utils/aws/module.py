# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AnsibleModule with the shared AWS connection options and its clients."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.keel.ssm.plugins.module_utils.aws.connection import (
    AWS_ARGUMENT_SPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    BOTO3_IMPORT_ERROR,
    HAS_BOTO3,
    aws_client,
    connection_params,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError, aws_call


class KeelAWSModule(AnsibleModule):
    """A module whose argument spec includes the shared AWS options.

    Like AnsibleModule, it checks its arguments when it is built (boto3 present, the
    connection options consistent) and fails there. `secrets` collects values
    (SecureString plaintext) that must never appear in a failure message:
    runner.run_module() redacts them.
    """

    def __init__(self, argument_spec: dict[str, Any], mutually_exclusive: list | None = None, **kwargs: Any) -> None:
        spec = dict(AWS_ARGUMENT_SPEC)
        spec.update(argument_spec)
        super().__init__(
            argument_spec=spec,
            mutually_exclusive=list(AWS_MUTUALLY_EXCLUSIVE) + list(mutually_exclusive or []),
            **kwargs,
        )
        self.secrets: list[str] = []
        if not HAS_BOTO3:
            self.fail_json(msg=missing_required_lib("boto3 and botocore"), exception=str(BOTO3_IMPORT_ERROR))
        try:
            self.connection = connection_params(self.params)
        except KeelRuleError as exc:
            self.fail_json(msg=str(exc))
        self._clients: dict[str, Any] = {}

    def client(self, service: str = "ssm") -> Any:
        """The boto3 client for `service` (one per module run)."""
        if service not in self._clients:
            with aws_call(f"creating the {service} client"):
                self._clients[service] = aws_client(self.connection, service)
        return self._clients[service]
