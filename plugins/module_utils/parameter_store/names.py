# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parameter Store naming rules, checked before any call.

Every failure raises KeelRuleError whose message names the field and the rule,
so a bad name never reaches AWS and nothing is half-written.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

NAME_MAX_LENGTH = 1011
NAME_MAX_LEVELS = 15
NAME_CHARS = re.compile(r"^[a-zA-Z0-9_.\-/]+$")
RESERVED_PREFIX = re.compile(r"^/?(aws|ssm)", re.IGNORECASE)
# Public parameters AWS publishes under /aws/service/ can be read, never written.
PUBLIC_READ_PREFIX = "/aws/service/"
LABEL_CHARS = re.compile(r"^[a-zA-Z0-9_.\-]+$")
LABEL_MAX_LENGTH = 100
LABELS_PER_VERSION = 10
MAX_VERSION = 100_000_000


def check_parameter_name(name: Any, field: str = "name", for_write: bool = False) -> str:
    """Validate a parameter name; returns it unchanged."""
    if not isinstance(name, str) or name == "":
        raise KeelRuleError(f"{field}: must be a non-empty string")
    if len(name) > NAME_MAX_LENGTH:
        raise KeelRuleError(f"{field} {name[:40]}...: longer than {NAME_MAX_LENGTH} characters")
    if not NAME_CHARS.match(name):
        bad = sorted({c for c in name if not NAME_CHARS.match(c)})
        raise KeelRuleError(f"{field} {name!r}: only letters, digits and _ . - / are allowed (found {''.join(bad)!r})")
    if "/" in name:
        if not name.startswith("/"):
            raise KeelRuleError(f"{field} {name!r}: a hierarchical name must start with '/'")
        if name.endswith("/"):
            raise KeelRuleError(f"{field} {name!r}: must not end with '/'")
        segments = name[1:].split("/")
        if any(segment == "" for segment in segments):
            raise KeelRuleError(f"{field} {name!r}: empty hierarchy level ('//')")
        if len(segments) > NAME_MAX_LEVELS:
            raise KeelRuleError(
                f"{field} {name!r}: {len(segments)} hierarchy levels, at most {NAME_MAX_LEVELS} allowed"
            )
    if RESERVED_PREFIX.match(name) and (for_write or not name.startswith(PUBLIC_READ_PREFIX)):
        raise KeelRuleError(f"{field} {name!r}: names must not begin with 'aws' or 'ssm' (any case)")
    return name


def check_parameter_path(path: Any, field: str = "path", for_write: bool = False) -> str:
    """Validate a hierarchy root for by-path reads and tree writes; returns it without a
    trailing slash ('/' stays '/')."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise KeelRuleError(f"{field} {path!r}: a path must start with '/'")
    if path == "/":
        return path
    trimmed = path.rstrip("/")
    check_parameter_name(trimmed, field=field, for_write=for_write)
    return trimmed


def check_label(label: Any, field: str = "labels") -> str:
    if not isinstance(label, str) or not label:
        raise KeelRuleError(f"{field}: a label must be a non-empty string")
    if len(label) > LABEL_MAX_LENGTH:
        raise KeelRuleError(f"{field} {label[:20]!r}...: longer than {LABEL_MAX_LENGTH} characters")
    if not LABEL_CHARS.match(label):
        raise KeelRuleError(f"{field} {label!r}: only letters, digits and . - _ are allowed")
    if label[0].isdigit():
        raise KeelRuleError(f"{field} {label!r}: must not start with a digit")
    if RESERVED_PREFIX.match(label):
        raise KeelRuleError(f"{field} {label!r}: must not begin with 'aws' or 'ssm' (any case)")
    return label


def check_labels(labels: Iterable[Any] | None, field: str = "labels") -> list[str]:
    labels = list(labels or [])
    for label in labels:
        check_label(label, field=field)
    if len(set(labels)) > LABELS_PER_VERSION:
        raise KeelRuleError(f"{field}: {len(set(labels))} labels given, at most {LABELS_PER_VERSION} per version")
    return labels


def split_selector(term: Any, field: str = "term") -> tuple[str, str | None]:
    """'name', 'name:12' or 'name:label' -> (name, selector or None).

    The selector is returned as AWS expects it after the name (':12' / ':label').
    """
    if not isinstance(term, str):
        raise KeelRuleError(f"{field} {term!r}: must be a string")
    name, sep, selector = term.partition(":")
    check_parameter_name(name, field=f"{field} {term!r} name")
    if not sep:
        return name, None
    if selector == "":
        raise KeelRuleError(f"{field} {term!r}: empty selector after ':' (use name:VERSION or name:LABEL)")
    if selector.isdigit():
        version = int(selector)
        if not 1 <= version <= MAX_VERSION:
            raise KeelRuleError(f"{field} {term!r}: version selector must be a positive integer")
        return name, f":{version}"
    check_label(selector, field=f"{field} {term!r} label")
    return name, f":{selector}"
