# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""keel.ssm.bundle: builds the bundle on the controller from this collection's own files
(a checkout or an installed collection), with plugin_utils/bundle_builder.py."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelError
from ansible_collections.keel.ssm.plugins.modules.bundle import ARGUMENT_SPEC
from ansible_collections.keel.ssm.plugins.plugin_utils import bundle_builder


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("dest",))
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        try:
            built = bundle_builder.build(args["dest"], write=not self._task.check_mode)
        except KeelError as error:
            raise AnsibleActionFail(str(error)) from error
        except OSError as error:
            raise AnsibleActionFail(f"dest: cannot write {args['dest']}: {error}") from error
        result.update(built)
        return result
