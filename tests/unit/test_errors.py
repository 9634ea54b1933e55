"""The error contract (module_utils/errors.py and runner.py): aws_call() maps every
botocore exception to a KeelAWSError that names the operation and the subject with
secrets redacted, lets a "not there" code end its block quietly, and leaves other
exceptions alone; run_module() turns a KeelError into fail_json (with its result keys)
and anything else into a failure with a traceback, redacted either way."""

from __future__ import annotations

import json

import botocore.exceptions as bexc
import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import (
    REDACTED,
    KeelAWSError,
    KeelError,
    KeelHostError,
    KeelRuleError,
    aws_call,
)
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module
from tests.helpers.run_module import run_module as run_main

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


def module_main(work):
    def main():
        module = AnsibleModule(argument_spec={"name": {"type": "str"}}, supports_check_mode=True)
        module.secrets = [SECRET]  # as KeelAWSModule collects them
        run_module(module, work)

    return main


def test_the_runner_exits_with_the_result():
    result = run_main(module_main(lambda module: {"changed": True, "name": module.params["name"]}), {"name": "a"})
    assert result["changed"] is True and result["name"] == "a"
    assert not result.get("failed")


def test_the_runner_fails_with_the_error_and_its_result_keys():
    def work(module):
        raise KeelAWSError("denied", f"PutParameter /a: AccessDenied ({SECRET})", steps_done=["tags"], note=SECRET)

    result = run_main(module_main(work), {"name": "a"})
    assert result["failed"] is True
    assert result["msg"] == f"PutParameter /a: AccessDenied ({REDACTED})"
    assert result["steps_done"] == ["tags"]
    assert result["note"] == REDACTED
    assert "exception" not in result  # an error reported on purpose is not a bug


def test_the_runner_reports_anything_else_as_a_bug_redacted():
    def work(module):
        raise RuntimeError(f"unexpected {SECRET}")

    result = run_main(module_main(work), {"name": "a"})
    assert result["failed"] is True
    assert result["msg"] == f"RuntimeError: unexpected {REDACTED}"
    # ansible-core 2.19 keeps the traceback only when traceback capture is on; 2.14 always.
    assert SECRET not in json.dumps(result)
