"""A parameter tree as YAML (module_utils/parameter_store/tree.py): one desired parameter per
leaf, checked with the same rules as keel.ssm.parameter, every problem reported with its place.
"""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.tree import flatten_tree
from tests.helpers.parameter_cases import EXPIRATION, SECRET


# -- trees --------------------------------------------------------------------------------
def test_tree_flattening():
    tree = {
        "db": {"host": "h", "port": 5432, "password": {"value": SECRET, "type": "SecureString"}},
        "origins": ["a", "b"],
        "cache/ttl": 300,
        "empty": {},
    }
    desired = flatten_tree("/prod/app", tree, defaults={"tier": "Advanced"})
    by_name = {entry.name: entry for entry in desired}
    assert sorted(by_name) == [
        "/prod/app/cache/ttl",
        "/prod/app/db/host",
        "/prod/app/db/password",
        "/prod/app/db/port",
        "/prod/app/origins",
    ]
    assert by_name["/prod/app/db/password"].type == "SecureString"
    assert by_name["/prod/app/origins"].type == "StringList"
    assert all(entry.tier == "Advanced" for entry in desired)
    assert flatten_tree("/", {"top": "v"})[0].name == "/top"


def test_tree_reports_every_problem_with_its_place():
    tree = {
        "ok": "fine",
        "bad name": "x",
        "db": {"password": {"value": SECRET, "type": "SecureString", "tier": "Standard", "policies": [EXPIRATION]}},
        "nothing": None,
        "dup": {"x": "1"},
        "dup/x": "2",
        "/abs": "3",
    }
    with pytest.raises(KeelRuleError) as err:
        flatten_tree("/prod", {k: v for k, v in tree.items() if k != "/abs"})
    message = str(err.value)
    assert message.startswith("4 problems: ")
    assert "parameters.bad name '/prod/bad name': only letters" in message
    assert "parameters.db/password.policies: Standard parameters take no policies" in message
    assert "parameters.nothing.value: required" in message
    assert "parameters.dup/x: names /prod/dup/x, which parameters.dup/x already names" in message
    assert SECRET not in message
    with pytest.raises(KeelRuleError, match="key '/abs' must be a relative name"):
        flatten_tree("/prod", {"/abs": "3"})


def test_tree_default_key_applies_only_to_secure_strings():
    desired = flatten_tree(
        "/p", {"a": "plain", "b": {"value": "s", "type": "SecureString"}}, defaults={"key_id": "alias/k"}
    )
    assert desired[0].effective_key_id(None) is None
    assert desired[1].effective_key_id(None) == "alias/k"
