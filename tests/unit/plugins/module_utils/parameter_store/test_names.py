"""Naming rules of module_utils/parameter_store/names.py: each rule must reject with a message
that names the field and the rule, and accept what AWS accepts."""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.names import (
    check_label,
    check_labels,
    check_parameter_name,
    check_parameter_path,
    split_selector,
)


@pytest.mark.parametrize(
    "name",
    ["/prod/app/db_host", "simple", "a.b-c_d", "/" + "/".join(["x"] * 15), "/aws/service/ami-amazon-linux-latest/x"],
)
def test_valid_names_for_read(name):
    assert check_parameter_name(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "non-empty"),
        ("/prod/has space", "only letters"),
        ("/prod/a:b", "only letters"),
        ("prod/app", "must start with '/'"),
        ("/prod/app/", "must not end with '/'"),
        ("/prod//app", "empty hierarchy level"),
        ("/" + "/".join(["x"] * 16), "16 hierarchy levels"),
        ("/" + "x" * 1011, "longer than 1011"),
        ("ssm-thing", "'aws' or 'ssm'"),
        ("/AWS/mine", "'aws' or 'ssm'"),
    ],
)
def test_invalid_names(name, rule):
    with pytest.raises(KeelRuleError, match="name") as err:
        check_parameter_name(name)
    assert rule in str(err.value)


def test_public_aws_parameters_are_read_only():
    with pytest.raises(KeelRuleError, match="'aws' or 'ssm'"):
        check_parameter_name("/aws/service/x", for_write=True)


def test_paths():
    assert check_parameter_path("/") == "/"
    assert check_parameter_path("/prod/app/") == "/prod/app"
    with pytest.raises(KeelRuleError, match="path 'prod': a path must start with '/'"):
        check_parameter_path("prod")


@pytest.mark.parametrize("label", ["prod", "v1.2-rc_3", "a" * 100])
def test_valid_labels(label):
    assert check_label(label) == label


@pytest.mark.parametrize(
    ("label", "rule"),
    [
        ("", "non-empty"),
        ("1st", "must not start with a digit"),
        ("aws-x", "'aws' or 'ssm'"),
        ("SSMlabel", "'aws' or 'ssm'"),
        ("has space", "only letters"),
        ("a" * 101, "longer than 100"),
    ],
)
def test_invalid_labels(label, rule):
    with pytest.raises(KeelRuleError, match="labels") as err:
        check_label(label)
    assert rule in str(err.value)


def test_at_most_ten_labels():
    with pytest.raises(KeelRuleError, match="11 labels given, at most 10"):
        check_labels([f"l{i}" for i in range(11)])


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("/a/b", ("/a/b", None)),
        ("/a/b:3", ("/a/b", ":3")),
        ("/a/b:prod", ("/a/b", ":prod")),
    ],
)
def test_split_selector(term, expected):
    assert split_selector(term) == expected


@pytest.mark.parametrize(
    ("term", "rule"),
    [("/a/b:", "empty selector"), ("/a/b:0", "positive integer"), ("/a/b:9x", "must not start with a digit")],
)
def test_bad_selectors_name_the_term(term, rule):
    with pytest.raises(KeelRuleError) as err:
        split_selector(term)
    assert repr(term) in str(err.value)
    assert rule in str(err.value)
