# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs keel.ssm.parameter, then makes the lookup's run cache forget the parameter it
wrote, labelled or deleted (see plugin_utils/cache_invalidation.py)."""

from __future__ import annotations

from ansible_collections.keel.ssm.plugins.plugin_utils.cache_invalidation import CacheInvalidatingAction


class ActionModule(CacheInvalidatingAction):
    def touched(self, args, result):
        return [args.get("name")] if args.get("name") else [], []
