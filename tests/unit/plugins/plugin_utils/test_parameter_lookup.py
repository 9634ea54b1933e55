"""The pure parts of the lookup (plugin_utils/parameter_lookup.py): terms and option
combinations are refused with a message naming them, cache keys separate everything
that changes a value, and results are shaped like amazon.aws's lookup without ever
quoting a value in a message."""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.aws.connection import AWS_ARGUMENT_SPEC, connection_params
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.parameter_lookup import (
    Shaper,
    Term,
    cache_identity,
    check_request,
    failure_outcome,
    name_key,
    path_key,
    plan_batches,
)

SECRET = 'pa55-w0rd-"{{ not jinja }}"'


def options(**overrides):
    base = {
        "decrypt": True,
        "bypath": False,
        "recursive": False,
        "shortnames": False,
        "droppath": False,
        "on_missing": "error",
        "on_denied": "error",
        "json": False,
        "cache": True,
        "cache_ttl": 0,
    }
    base.update(overrides)
    return base


def test_names_with_selectors():
    terms = check_request(["/app/db", "/app/db:3", "plain:stable", ["/x/a", "/x/b"]], options())
    assert [(t.name, t.selector, t.requested) for t in terms] == [
        ("/app/db", None, "/app/db"),
        ("/app/db", ":3", "/app/db:3"),
        ("plain", ":stable", "plain:stable"),
        ("/x/a", None, "/x/a"),
        ("/x/b", None, "/x/b"),
    ]


def test_paths_are_normalised():
    terms = check_request(["/app/prod/", "/"], options(bypath=True, recursive=True))
    assert [t.name for t in terms] == ["/app/prod", "/"]


@pytest.mark.parametrize(
    ("terms", "overrides", "default_given", "message"),
    [
        (["/ok", "/has space"], {}, False, "term '/has space' name '/has space': only letters"),
        (["/app/db:"], {}, False, "term '/app/db:': empty selector"),
        (["/app/db:0"], {}, False, "term '/app/db:0': version selector must be a positive integer"),
        (["/app/db:9lives"], {}, False, "label '9lives': must not start with a digit"),
        (["/app/db:aws-x"], {}, False, "must not begin with 'aws' or 'ssm'"),
        (["/ssm/x"], {}, False, "term '/ssm/x' name '/ssm/x': names must not begin"),
        (["relative/x"], {}, False, "a hierarchical name must start with '/'"),
        ([42], {}, False, "term 42: must be a string"),
        (["/app"], {"shortnames": True, "droppath": True, "bypath": True}, False, "shortnames and droppath"),
        (["/app"], {"recursive": True}, False, "recursive: only applies with bypath=true"),
        (["/app"], {"shortnames": True}, False, "shortnames: only applies with bypath=true"),
        (["/app"], {"droppath": True}, False, "droppath: only applies with bypath=true"),
        (["/app"], {"bypath": True}, True, "default: only applies to names"),
        (["/app:1"], {"bypath": True}, False, "term '/app:1': a path takes no"),
        (["app"], {"bypath": True}, False, "term 'app': a path must start with '/'"),
        (["/app"], {"on_missing": "ignore"}, False, "on_missing: must be one of error, skip, warn"),
        (["/app"], {"on_denied": "fail"}, False, "on_denied: must be one of"),
        (["/app"], {"cache_ttl": -1}, False, "cache_ttl: must be an integer"),
        (["/app"], {"cache_ttl": 60, "cache": False}, False, "cache_ttl: cannot be combined with cache=false"),
    ],
)
def test_bad_terms_and_combinations_name_what_is_wrong(terms, overrides, default_given, message):
    with pytest.raises(KeelRuleError) as raised:
        check_request(terms, options(**overrides), default_given=default_given)
    assert message in str(raised.value)


def conn(**overrides):
    values = dict.fromkeys(AWS_ARGUMENT_SPEC)
    values.update(overrides)
    return connection_params(values)


def test_cache_keys_separate_selector_decrypt_identity_ttl_and_kind():
    env = {"AWS_REGION": "us-east-1"}
    identity = cache_identity(conn(region="us-east-1"), environ=env)
    plain, pinned = Term("/a", "/a"), Term("/a:2", "/a", ":2")
    keys = {
        name_key(identity, True, plain),
        name_key(identity, True, pinned),
        name_key(identity, False, plain),
        name_key(identity, True, plain, ttl=60),
        name_key(cache_identity(conn(region="eu-west-1"), environ=env), True, plain),
        name_key(cache_identity(conn(region="us-east-1"), environ={"AWS_PROFILE": "other"}), True, plain),
        path_key(identity, True, False, plain),
        path_key(identity, True, True, plain),
    }
    assert len(keys) == 8
    assert name_key(identity, True, plain) == name_key(identity, True, Term("/a", "/a"))


def test_identity_hides_credentials():
    identity = cache_identity(conn(access_key="AKIAEXAMPLE", secret_key=SECRET), environ={})
    assert SECRET not in identity and "AKIAEXAMPLE" not in identity


def found(value, kind="String"):
    return {"s": "found", "v": value, "t": kind}


def test_by_name_values_default_and_actions():
    shaper = Shaper(options(on_missing="warn", on_denied="skip"), default="fallback", default_given=True)
    assert shaper.by_name(Term("/a", "/a"), found(SECRET, "SecureString")) == SECRET
    assert shaper.by_name(Term("/m", "/m"), {"s": "missing"}) == "fallback"
    assert shaper.by_name(Term("/d", "/d"), {"s": "denied", "m": "GetParameters /d: AccessDeniedException"}) is None
    assert shaper.warnings == ["skipped: parameter /m not found"]
    assert shaper.secrets == [SECRET]


def test_default_makes_a_missing_name_not_an_error():
    assert Shaper(options(), default=0, default_given=True).by_name(Term("/m", "/m"), {"s": "missing"}) == 0
    with pytest.raises(KeelAWSError, match="parameter /m:3 not found") as raised:
        Shaper(options()).by_name(Term("/m:3", "/m", ":3"), {"s": "missing"})
    assert raised.value.kind == "missing"


def test_errors_handed_over_by_another_fork_are_raised():
    outcome = failure_outcome(KeelAWSError("throttled", "GetParameters /a: ThrottlingException: Rate exceeded"))
    with pytest.raises(KeelAWSError, match="ThrottlingException") as raised:
        Shaper(options()).by_name(Term("/a", "/a"), outcome)
    assert raised.value.kind == "throttled"


def test_json_values_decode_and_bad_json_never_quotes_the_value():
    shaper = Shaper(options(json=True))
    assert shaper.by_name(Term("/f", "/f"), found('{"on": true, "n": [1, 2]}')) == {"on": True, "n": [1, 2]}
    with pytest.raises(KeelRuleError) as raised:
        shaper.by_name(Term("/s", "/s"), found(SECRET, "SecureString"))
    assert "parameter /s: value is not valid JSON" in str(raised.value)
    assert SECRET not in str(raised.value) and "pa55" not in str(raised.value)


TREE = {
    "s": "found",
    "p": [
        ["/app/prod/db/host", "db1", "String"],
        ["/app/prod/port", "80", "String"],
        ["/app/prod/x/port", "81", "String"],
    ],
}


def test_by_path_full_names_droppath_and_shortnames():
    term = Term("/app/prod", "/app/prod")
    assert list(Shaper(options(bypath=True)).by_path(term, TREE)) == [
        "/app/prod/db/host",
        "/app/prod/port",
        "/app/prod/x/port",
    ]
    assert Shaper(options(bypath=True, droppath=True)).by_path(term, TREE) == {
        "db/host": "db1",
        "port": "80",
        "x/port": "81",
    }
    root = Shaper(options(bypath=True, droppath=True)).by_path(Term("/", "/"), TREE)
    assert "app/prod/port" in root
    with pytest.raises(KeelRuleError, match=r"shortnames gives 'port' for both /app/prod/port and /app/prod/x/port"):
        Shaper(options(bypath=True, shortnames=True)).by_path(term, TREE)


def test_empty_or_denied_path_follows_on_missing_and_on_denied():
    term = Term("/none", "/none")
    with pytest.raises(KeelAWSError, match="no parameters under path /none"):
        Shaper(options(bypath=True)).by_path(term, {"s": "found", "p": []})
    assert Shaper(options(bypath=True, on_missing="skip")).by_path(term, {"s": "found", "p": []}) == {}
    shaper = Shaper(options(bypath=True, on_denied="warn"))
    assert shaper.by_path(term, {"s": "denied", "m": "GetParametersByPath /none: AccessDeniedException"}) == {}
    assert shaper.warnings == ["skipped: access denied: GetParametersByPath /none: AccessDeniedException"]


def test_batches_hold_ten_and_never_one_name_twice():
    names = [f"/n{i}" for i in range(25)]
    assert [len(batch) for batch in plan_batches(names)] == [10, 10, 5]
    batches = plan_batches(["/db", "/db:1", "/db:stable", "/x", "/db"])
    assert batches == [["/db", "/x"], ["/db:1"], ["/db:stable"]]
