"""Tag rules and reconciliation arithmetic (module_utils/aws/tagging.py), shared by every
module that tags an SSM resource."""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import (
    check_tags,
    compare_tags,
    merged_tags,
    tag_dict,
    tag_list,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError


def test_values_become_text_and_unicode_letters_pass():
    assert check_tags({"Owner": "équipe plateforme", "Tier": 3, "On": True, "Empty": None}) == {
        "Owner": "équipe plateforme",
        "Tier": "3",
        "On": "true",
        "Empty": "",
    }


@pytest.mark.parametrize(
    ("tags", "rule"),
    [
        ({"aws:cloudformation": "x"}, "reserved for AWS"),
        ({"bad#key": "x"}, "only letters"),
        ({"k": "bad;value"}, "value may only hold"),
        ({"k" * 129: "x"}, "longer than 128"),
        ({"k": "v" * 257}, "longer than 256"),
        ({"k": ["a"]}, "must be a string"),
        (["k"], "must be a mapping"),
    ],
)
def test_bad_tags_name_the_rule(tags, rule):
    with pytest.raises(KeelRuleError, match=r"^tags") as caught:
        check_tags(tags)
    assert rule in str(caught.value)


def test_compare_with_and_without_purge():
    current = {"a": "1", "b": "2", "c": "3"}
    desired = {"a": "1", "b": "changed", "d": "4"}
    assert compare_tags(current, desired, purge=True) == ({"b": "changed", "d": "4"}, ["c"])
    assert compare_tags(current, desired, purge=False) == ({"b": "changed", "d": "4"}, [])
    assert compare_tags(current, None) == ({}, [])
    assert merged_tags(current, desired, purge=False) == {"a": "1", "b": "changed", "c": "3", "d": "4"}
    assert merged_tags(current, desired, purge=True) == desired


def test_list_round_trip_is_sorted():
    assert tag_list({"b": "2", "a": "1"}) == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert tag_dict(tag_list({"b": "2", "a": "1"})) == {"a": "1", "b": "2"}


def test_tag_reconciliation():
    assert compare_tags({"a": "1", "b": "2"}, {"a": "1", "c": "3"}, purge=True) == ({"c": "3"}, ["b"])
    assert compare_tags({"a": "1", "b": "2"}, {"a": "9"}, purge=False) == ({"a": "9"}, [])
    assert compare_tags({"a": "1"}, None, purge=True) == ({}, [])
    assert merged_tags({"a": "1", "b": "2"}, {"a": "9"}, purge=False) == {"a": "9", "b": "2"}
    assert check_tags({"n": 5, "flag": True, "empty": None}) == {"n": "5", "flag": "true", "empty": ""}
