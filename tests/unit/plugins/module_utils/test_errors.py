"""The error contract (module_utils/errors.py): aws_call() maps every botocore exception to a
KeelAWSError that names the operation and the subject with secrets redacted, lets a "not
there" code end its block quietly, and leaves other exceptions alone; one hierarchy.
"""

from __future__ import annotations

import botocore.exceptions as bexc
import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import (
    REDACTED,
    KeelAWSError,
    KeelError,
    KeelHostError,
    KeelRuleError,
    aws_call,
)

SECRET = "s3cr3t-value-7f2c"


def client_error(code, message="", operation="GetParameter", retries=None):
    response = {"Error": {"Code": code, "Message": message}}
    if retries is not None:
        response["ResponseMetadata"] = {"RetryAttempts": retries}
    return bexc.ClientError(response, operation)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("AccessDeniedException", "denied"),
        ("ParameterNotFound", "missing"),
        ("ThrottlingException", "throttled"),
        ("ValidationException", "invalid"),
        ("InternalServerError", "error"),
    ],
)
def test_client_errors_become_keel_aws_errors_of_their_kind(code, kind):
    with pytest.raises(KeelAWSError) as raised, aws_call("GetParameter", "/app/db"):
        raise client_error(code, "it said no")
    error = raised.value
    assert (error.kind, error.code, error.operation) == (kind, code, "GetParameter")
    assert error.message == f"GetParameter /app/db: {code}: it said no"
    # The botocore exception is not chained: its text can never leak through a traceback.
    assert error.__suppress_context__ and error.__cause__ is None


def test_secrets_are_redacted_even_when_aws_echoes_them():
    with pytest.raises(KeelAWSError) as raised, aws_call("PutParameter", "/app/db", secrets=[SECRET]):
        raise client_error("ValidationException", f"value {SECRET} does not match the pattern")
    assert SECRET not in raised.value.message
    assert f"value {REDACTED} does not match" in raised.value.message


def test_throttling_says_how_often_it_was_retried():
    with pytest.raises(KeelAWSError, match=r"Rate exceeded \(still throttled after 9 retries\)"), aws_call("Get"):
        raise client_error("ThrottlingException", "Rate exceeded", retries=9)


@pytest.mark.parametrize(
    ("exception", "kind", "text"),
    [
        (bexc.EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "unreachable", "endpoint unreachable"),
        (bexc.ReadTimeoutError(endpoint_url="http://127.0.0.1:1"), "unreachable", "stopped answering"),
        (bexc.NoRegionError(), "config", "You must specify a region"),
        (bexc.ParamValidationError(report=f"Invalid length for Value {SECRET}"), "invalid", "Invalid length"),
    ],
)
def test_botocore_errors_without_a_response(exception, kind, text):
    with pytest.raises(KeelAWSError) as raised, aws_call("PutParameter", "/x", secrets=[SECRET]):
        raise exception
    assert raised.value.kind == kind
    assert raised.value.message.startswith("PutParameter /x: ")
    assert text in raised.value.message
    assert SECRET not in raised.value.message


def test_an_absent_code_ends_the_block_quietly():
    def describe(code):
        with aws_call("DescribeDocument", "doc", absent=("InvalidDocument",)):
            raise client_error(code)
        return "absent"

    assert describe("InvalidDocument") == "absent"
    with pytest.raises(KeelAWSError, match="DescribeDocument doc: AccessDenied"):
        describe("AccessDenied")


def test_other_exceptions_pass_through_untouched():
    with pytest.raises(KeyError), aws_call("GetParameter"):
        raise KeyError("Parameter")
    with pytest.raises(KeelRuleError), aws_call("GetParameter"):
        raise KeelRuleError("name: bad")


def test_one_hierarchy():
    for error_type in (KeelRuleError, KeelAWSError, KeelHostError):
        assert issubclass(error_type, KeelError)
    assert issubclass(KeelRuleError, ValueError)  # rule checks are value checks
    assert KeelHostError("ufw failed", actions=["ufw reload"]).result == {"actions": ["ufw reload"]}
