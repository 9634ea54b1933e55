# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn botocore failures into short, safe messages.

Messages name the operation and the subject (a parameter name or path) and never carry
a parameter value: callers pass any secrets they hold so they are redacted even if AWS
ever echoed one back.
"""

from __future__ import annotations

try:
    import botocore.exceptions as bexc
except ImportError:  # pragma: no cover - connection.HAS_BOTO3 reports this
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


class KeelAWSError(Exception):
    """A failed AWS call. `kind` is one of: denied, missing, throttled, unreachable,
    config, invalid, error."""

    def __init__(self, kind, message, code=None, operation=None):
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.operation = operation

    @property
    def message(self):
        return str(self)


def redact(text, secrets=()):
    """Replace every occurrence of each (non-empty) secret in text."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def error_kind(code):
    if code in ACCESS_DENIED_CODES:
        return "denied"
    if code in NOT_FOUND_CODES:
        return "missing"
    if code in THROTTLING_CODES:
        return "throttled"
    if code in ("ValidationException", "InvalidParameterValue", "ParameterPatternMismatchException"):
        return "invalid"
    return "error"


def map_aws_error(exc, operation, subject=None, secrets=()):
    """Build a KeelAWSError from any botocore exception raised by `operation`."""
    where = f"{operation} {subject}" if subject else operation
    if bexc is not None and isinstance(exc, bexc.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        text = redact(str(error.get("Message", "")), secrets)
        kind = error_kind(code)
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts")
        if kind == "throttled":
            text = f"{text} (still throttled after {attempts} retries)" if attempts is not None else text
        return KeelAWSError(kind, f"{where}: {code}: {text}".rstrip(": "), code=code, operation=operation)
    if bexc is not None and isinstance(exc, (bexc.EndpointConnectionError, bexc.ConnectTimeoutError)):
        return KeelAWSError("unreachable", f"{where}: endpoint unreachable: {exc}", operation=operation)
    if bexc is not None and isinstance(exc, (bexc.ReadTimeoutError, bexc.ConnectionClosedError)):
        return KeelAWSError("unreachable", f"{where}: endpoint stopped answering: {exc}", operation=operation)
    if bexc is not None and isinstance(
        exc, (bexc.NoCredentialsError, bexc.PartialCredentialsError, bexc.ProfileNotFound, bexc.NoRegionError)
    ):
        return KeelAWSError("config", f"{where}: {exc}", operation=operation)
    if bexc is not None and isinstance(exc, bexc.ParamValidationError):
        return KeelAWSError("invalid", f"{where}: {redact(str(exc), secrets)}", operation=operation)
    return KeelAWSError("error", f"{where}: {type(exc).__name__}: {redact(str(exc), secrets)}", operation=operation)


def aws_errors():
    """The exception types worth catching around a boto3 call."""
    if bexc is None:  # pragma: no cover
        return (Exception,)
    return (bexc.BotoCoreError, bexc.ClientError)
