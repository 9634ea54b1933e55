# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AnsibleModule with the AWS connection options and one way to fail on AWS errors."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.keel.ssm.plugins.module_utils.aws.connection import (
    AWS_ARGUMENT_SPEC,
    AWS_MUTUALLY_EXCLUSIVE,
    BOTO3_IMPORT_ERROR,
    HAS_BOTO3,
    ConnectionOptionError,
    aws_client,
    connection_params,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, redact


class KeelAWSModule(AnsibleModule):
    """A module whose argument spec includes the shared AWS options.

    `secrets` collects values (SecureString plaintext) that must never appear in a
    failure message; fail_aws() redacts them.
    """

    def __init__(self, argument_spec, mutually_exclusive=None, **kwargs):
        spec = dict(AWS_ARGUMENT_SPEC)
        spec.update(argument_spec)
        super().__init__(
            argument_spec=spec,
            mutually_exclusive=list(AWS_MUTUALLY_EXCLUSIVE) + list(mutually_exclusive or []),
            **kwargs,
        )
        self.secrets = []
        if not HAS_BOTO3:
            self.fail_json(msg=missing_required_lib("boto3 and botocore"), exception=str(BOTO3_IMPORT_ERROR))
        try:
            self.connection = connection_params(self.params)
        except ConnectionOptionError as exc:
            self.fail_json(msg=str(exc))
        self._clients = {}

    def client(self, service="ssm"):
        if service not in self._clients:
            self._clients[service] = aws_client(self.connection, service)
        return self._clients[service]

    def fail_aws(self, error, **result):
        """Fail with a KeelAWSError (or any exception), secrets redacted."""
        message = error.message if isinstance(error, KeelAWSError) else str(error)
        self.fail_json(msg=redact(message, self.secrets), **result)

    def run_and_exit(self, work, rule_errors=()):
        """Exit with work(self)'s result. Bad input (rule_errors) fails with its message,
        AWS errors through fail_aws, anything unexpected with a message and traceback:
        all redacted, so a secret cannot leave through a failure."""
        try:
            result = work(self)
        except rule_errors as exc:
            self.fail_json(msg=redact(str(exc), self.secrets))
        except KeelAWSError as exc:
            self.fail_aws(exc)
        except Exception as exc:
            self.fail_json(
                msg=redact(f"{type(exc).__name__}: {exc}", self.secrets),
                exception=redact(traceback.format_exc(), self.secrets),
            )
        self.exit_json(**result)
