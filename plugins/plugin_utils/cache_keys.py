# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup's cache keys, and which of them a write makes stale.

A key is a JSON list: ["name", identity, decrypt, "name[:selector]", ttl] for a parameter
read by name, ["path", identity, decrypt, recursive, "/path", ttl] for a path. Writes by
keel.ssm.parameter and keel.ssm.parameter_tree name what they changed (parameter names,
or a whole subtree when the exact names are unknown); every key whose answer could
include one of them is stale, whatever its connection identity (dropping a key that was
not affected only costs one more read).

Standard library only: the cache broker runs as a script and imports this as a sibling.
"""

from __future__ import annotations

import json
from typing import Iterable


def name_key(identity: str, decrypt: bool, requested: str, ttl: int = 0) -> str:
    return json.dumps(["name", identity, bool(decrypt), requested, ttl])


def path_key(identity: str, decrypt: bool, recursive: bool, path: str, ttl: int = 0) -> str:
    return json.dumps(["path", identity, bool(decrypt), bool(recursive), path, ttl])


def _parent(name):
    parent = name.rstrip("/").rpartition("/")[0]
    return parent or "/"


def _under(name, root):
    """name is root or lies below it ('/' holds everything)."""
    root = root.rstrip("/")
    return not root or name == root or name.startswith(root + "/")


def _path_holds(path, recursive, name):
    """GetParametersByPath(path, recursive) would return name."""
    if recursive:
        return name != path.rstrip("/") and _under(name, path)
    return _parent(name) == (path.rstrip("/") or "/")


def is_stale(key: str, names: Iterable[str] = (), subtrees: Iterable[str] = ()) -> bool:
    """True when a write to `names` (parameters) or anywhere under `subtrees` may have
    changed the answer cached under `key`."""
    try:
        kind, *fields = json.loads(key)
    except (TypeError, ValueError):
        return False
    if kind == "name":
        name = fields[2].partition(":")[0]
        return name in names or any(_under(name, root) for root in subtrees)
    if kind == "path":
        recursive, path = fields[2], fields[3]
        if any(_path_holds(path, recursive, name) for name in names):
            return True
        # A subtree overlaps a path read when either contains the other.
        return any(
            _under(path, root) or (recursive and _under(root, path)) or _parent(root) == (path.rstrip("/") or "/")
            for root in subtrees
        )
    return False
