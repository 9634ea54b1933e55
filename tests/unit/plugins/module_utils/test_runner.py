"""The one place a module ends (module_utils/runner.py): run_module() exits with run()'s result,
turns a KeelError into fail_json with its result keys, and anything else into a failure
reported as a bug, redacted either way.
"""

from __future__ import annotations

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import (
    REDACTED,
    KeelAWSError,
)
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module
from tests.helpers.module_runner import run_module as run_main

SECRET = "s3cr3t-value-7f2c"


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
