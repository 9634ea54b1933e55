# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values the lookups return are marked unsafe, so Jinja in a value read from AWS is never
evaluated, even where a config allows unsafe lookups (ansible-core < 2.19)."""

from __future__ import annotations

try:
    from ansible.utils.unsafe_proxy import wrap_var
except ImportError:  # pragma: no cover - removed in a future ansible-core

    def wrap_var(value):
        return value


__all__ = ["wrap_var"]
