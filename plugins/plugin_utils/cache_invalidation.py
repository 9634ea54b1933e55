# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-after-write for the keel.ssm.parameter lookup: the action plugins of the
modules that write Parameter Store run the module as usual, then, on the controller
(where the run's cache broker lives), drop the cached answers the write made stale, so a
later lookup in the same run, on any host or fork, reads the new state without
cache=false. Writes made by anything else (another collection, the console, another
run) are not seen: for those the lookup needs cache=false.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.keel.ssm.plugins.plugin_utils import run_cache


class CacheInvalidatingAction(ActionBase):
    """Runs the module of the same name; subclasses say what a result touched."""

    _supports_check_mode = True
    _supports_async = True

    def touched(self, args: dict[str, Any], result: dict[str, Any]) -> tuple[list[str], list[str]]:
        """(names, subtrees) the module may have written; result is None for an async
        task, whose outcome is not known yet."""
        raise NotImplementedError

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        self._supports_check_mode = True  # ansible-core 2.14 reads these from the instance
        self._supports_async = True
        result = super().run(tmp, task_vars)
        del tmp
        if result.get("skipped"):
            return result
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if self._play_context.check_mode:
            return result
        if self._task.async_val:
            names, subtrees = self.touched(self._task.args, None)
        elif result.get("changed") or result.get("failed"):
            names, subtrees = self.touched(self._task.args, result)
        else:
            return result
        try:
            run_cache.invalidate(names, subtrees)
        except run_cache.BrokerUnavailable as exc:
            result.setdefault("warnings", []).append(
                "keel.ssm: the lookup's run cache could not be told about this write "
                f"({exc}); later keel.ssm.parameter lookups in this run may return the old state "
                "unless they pass cache=false"
            )
        return result
