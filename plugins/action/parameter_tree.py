# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs keel.ssm.parameter_tree, then makes the lookup's run cache forget what it
created, updated or pruned; after a failure or an async start, the whole subtree (see
plugin_utils/cache_invalidation.py)."""

from __future__ import annotations

from ansible_collections.keel.ssm.plugins.plugin_utils.cache_invalidation import CacheInvalidatingAction


class ActionModule(CacheInvalidatingAction):
    def touched(self, args, result):
        if result is None or result.get("failed"):
            return [], [args["path"]] if args.get("path") else []
        names = [*result.get("created", []), *result.get("updated", []), *result.get("deleted", [])]
        return names, []
