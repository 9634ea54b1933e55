# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where a keel.ssm module ends: run_module() exits with the result of the
module's run(), or fails with the KeelError it raised (see errors.py)."""

from __future__ import annotations

import traceback
from typing import Any, Callable, NoReturn

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelError, redact


def run_module(module: AnsibleModule, run: Callable[[AnsibleModule], dict[str, Any]]) -> NoReturn:
    """Exit with run(module)'s result. A KeelError fails with its message and its `result`
    keys; anything else is a bug and fails with its type, message and traceback. Every
    text is redacted of `module.secrets` (the secrets an AWS module has seen), so a secret
    cannot leave through a failure; Ansible's no_log masking applies on top."""
    try:
        result = run(module)
    except KeelError as error:
        secrets = getattr(module, "secrets", ())
        extra = {
            key: redact(value, secrets) if isinstance(value, str) else value for key, value in error.result.items()
        }
        module.fail_json(msg=redact(error.message, secrets), **extra)
    except Exception as exc:
        secrets = getattr(module, "secrets", ())
        module.fail_json(
            msg=redact(f"{type(exc).__name__}: {exc}", secrets),
            exception=redact(traceback.format_exc(), secrets),
        )
    module.exit_json(**result)
