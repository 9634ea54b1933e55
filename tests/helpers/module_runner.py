"""Run a keel.ssm module the way Ansible does on a host, and return its JSON result.

The one way the tests run modules:
- run_module("parameter", args): a separate Python process that reads its arguments from
  a JSON file and prints its result, with the collection importable as
  ansible_collections.keel.ssm (no controller involved, so a test can run dozens quickly;
  the playbook tests cover the controller side: ansible-playbook, -vvvv, --diff). The
  result carries the process's output as `_stdout`, `_stderr` and `_rc`.
- run_module(document.main, args): the module's real main() in the test process, for the
  tests that hand it a test double (a Stubber-wrapped client) or watch its calls.
Either way the arguments arrive as Ansible hands them over, internal flags included
(_ansible_check_mode, _ansible_diff, _ansible_verbosity), so argument parsing, no_log
masking and exit_json/fail_json run as on a host.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from unittest import mock

from tests.helpers import REPO_ROOT

COLLECTIONS_ROOT = REPO_ROOT / ".collections"


def run_module(module, args, check=False, diff=False, verbosity=0, env=None, python=None, timeout=300):
    """The result dict of `module` (a name under plugins/modules, or a main() to call in
    this process) run with `args`; a failed module has result['failed'] set."""
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_verbosity=verbosity)
    if callable(module):
        return _in_process(module, payload)
    return _in_subprocess(module, payload, env, python, timeout)


def _in_subprocess(name, payload, env, python, timeout):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": payload}, handle)
        args_path = handle.name
    environment = {**os.environ, **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(COLLECTIONS_ROOT), environment.get("PYTHONPATH")]))
    try:
        completed = subprocess.run(
            [python or sys.executable, "-m", f"ansible_collections.keel.ssm.plugins.modules.{name}", args_path],
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout,
            check=False,
        )
    finally:
        os.unlink(args_path)
    result = None
    for line in reversed(completed.stdout.strip().splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            break
    if result is None:
        raise AssertionError(f"{name} printed no result (rc {completed.returncode}): {completed.stderr[-2000:]}")
    result.update(_stdout=completed.stdout, _stderr=completed.stderr, _rc=completed.returncode)
    return result


def _module_args(payload):
    """ansible-core 2.19's own helper, or the 2.14 way (no serialization profile there)."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # pragma: no cover - ansible-core before 2.19
        from ansible.module_utils import basic

        return mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": payload}).encode())
    return patch_module_args(payload)


def _in_process(main, payload):
    output = io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_module_args(payload))
        with contextlib.suppress(ImportError):
            # Once a test has imported controller code, ansible-core 2.19 routes module
            # warnings to the controller's display; a module on a host returns them.
            from ansible.module_utils import _internal

            stack.enter_context(mock.patch.object(_internal, "is_controller", False))
        stack.enter_context(contextlib.redirect_stdout(output))
        stack.enter_context(contextlib.suppress(SystemExit))  # exit_json/fail_json end with sys.exit
        main()
    text = output.getvalue()
    if not text.strip():
        raise AssertionError("the module printed no result")
    return json.loads(text)
