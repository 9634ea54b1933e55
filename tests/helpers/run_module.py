"""Run a keel.ssm module's real main() in the test process and return its JSON result.

Arguments reach the module the way Ansible hands them over (ansible-core's own
patch_module_args), including the internal _ansible_check_mode/_ansible_diff flags,
so argument parsing, no_log masking and exit_json/fail_json all run as on a host.
"""

from __future__ import annotations

import contextlib
import io
import json
from unittest import mock

from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args


def run_module(main, args, check_mode=False, diff=False):
    """Returns the result dict; a failed module has result['failed'] set."""
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    output = io.StringIO()
    # Once a test has imported controller code, ansible-core 2.19 routes module warnings
    # to the controller's display; a module on a host returns them in its result.
    with (
        patch_module_args(args),
        mock.patch.object(_internal, "is_controller", False),
        contextlib.redirect_stdout(output),
        contextlib.suppress(SystemExit),  # exit_json/fail_json end with sys.exit
    ):
        main()
    text = output.getvalue()
    if not text.strip():
        raise AssertionError("the module printed no result")
    return json.loads(text)
