# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the host's configuration files in the modules that manage them."""

from __future__ import annotations


def read_text(path: str) -> str | None:
    """The file's text, or None when it does not exist (a missing file is a state, not an error)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
