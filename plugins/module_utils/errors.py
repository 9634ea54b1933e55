# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one error contract.

Every failure a keel.ssm plugin reports on purpose is a KeelError:
- KeelRuleError: input that breaks a rule, found before anything is changed; the
  message names the field and the rule.
- KeelAWSError: an AWS call failed. Only aws_call() builds one from a botocore
  exception: the message names the operation and the subject (a parameter name, a
  path, a document) and never carries a value, and any secret the caller holds is
  redacted even if AWS echoed it back.
- KeelHostError: a host tool (pam-auth-update, ufw, gpgv, amazon-ssm-agent) failed,
  refused, or left something other than what was planned.

An error's `result` holds extra keys the failed task returns (what was done before the
failure). Modules raise; runner.run_module() alone turns an error into fail_json, and
controller plugins turn it into their Ansible error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

try:
    import botocore.exceptions as bexc
except ImportError:  # pragma: no cover - aws.connection.HAS_BOTO3 reports this
    bexc = None

REDACTED = "********"

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "KMSAccessDeniedException",
    }
)
NOT_FOUND_CODES = frozenset({"ParameterNotFound", "ParameterVersionNotFound", "InvalidDocument"})
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})
INVALID_CODES = frozenset({"ValidationException", "InvalidParameterValue", "ParameterPatternMismatchException"})
# The exceptions worth catching around a boto3 call (none without botocore).
BOTOCORE_ERRORS = (bexc.BotoCoreError, bexc.ClientError) if bexc is not None else ()


class KeelError(Exception):
    """A failure keel.ssm reports on purpose; `result` holds extra keys of the failed result."""

    def __init__(self, message: str, **result) -> None:
        super().__init__(message)
        self.result = result

    @property
    def message(self) -> str:
        return str(self)


class KeelRuleError(KeelError, ValueError):
    """Input that breaks a rule, found before anything is changed. The message names the
    field and the rule, never a value that may be a secret."""


class KeelAWSError(KeelError):
    """A failed AWS call. `kind` is one of: denied, missing, throttled, unreachable,
    config, invalid, error; `code` is AWS's error code when it gave one."""

    def __init__(
        self, kind: str, message: str, code: str | None = None, operation: str | None = None, **result
    ) -> None:
        super().__init__(message, **result)
        self.kind = kind
        self.code = code
        self.operation = operation


class KeelHostError(KeelError):
    """A host tool failed, refused, or left something other than what was planned."""


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every occurrence of each (non-empty) secret in text."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def error_kind(code: str) -> str:
    if code in ACCESS_DENIED_CODES:
        return "denied"
    if code in NOT_FOUND_CODES:
        return "missing"
    if code in THROTTLING_CODES:
        return "throttled"
    if code in INVALID_CODES:
        return "invalid"
    return "error"


def _keel_aws_error(exc: Exception, operation: str, subject: str | None, secrets: Iterable[str]) -> KeelAWSError:
    """The KeelAWSError for a botocore exception raised by `operation`."""
    where = f"{operation} {subject}" if subject else operation
    if isinstance(exc, bexc.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        text = redact(str(error.get("Message", "")), secrets)
        kind = error_kind(code)
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts")
        if kind == "throttled" and attempts is not None:
            text = f"{text} (still throttled after {attempts} retries)"
        return KeelAWSError(kind, f"{where}: {code}: {text}".rstrip(": "), code=code, operation=operation)
    if isinstance(exc, (bexc.EndpointConnectionError, bexc.ConnectTimeoutError)):
        return KeelAWSError("unreachable", f"{where}: endpoint unreachable: {exc}", operation=operation)
    if isinstance(exc, (bexc.ReadTimeoutError, bexc.ConnectionClosedError)):
        return KeelAWSError("unreachable", f"{where}: endpoint stopped answering: {exc}", operation=operation)
    if isinstance(
        exc, (bexc.NoCredentialsError, bexc.PartialCredentialsError, bexc.ProfileNotFound, bexc.NoRegionError)
    ):
        return KeelAWSError("config", f"{where}: {exc}", operation=operation)
    if isinstance(exc, bexc.ParamValidationError):
        return KeelAWSError("invalid", f"{where}: {redact(str(exc), secrets)}", operation=operation)
    return KeelAWSError("error", f"{where}: {type(exc).__name__}: {redact(str(exc), secrets)}", operation=operation)


@contextlib.contextmanager
def aws_call(
    operation: str, subject: str | None = None, secrets: Iterable[str] = (), absent: Iterable[str] = ()
) -> Iterator[None]:
    """The one way keel.ssm calls AWS: every botocore exception raised in the block (one
    call, or the pages of a paginated one) leaves it as a KeelAWSError naming `operation`
    and `subject`, with `secrets` redacted. An error whose code is in `absent` ends the
    block quietly instead (a resource that does not exist is a state, not a failure): the
    code after the block then handles "not there".

        with aws_call("DescribeDocument", name, absent=("InvalidDocument",)):
            return client.describe_document(Name=name)["Document"]
        return None
    """
    try:
        yield
    except BOTOCORE_ERRORS as exc:
        error = _keel_aws_error(exc, operation, subject, secrets)
        if error.code in set(absent):
            return
        raise error from None
