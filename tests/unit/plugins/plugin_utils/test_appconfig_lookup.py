"""keel.ssm.appconfig without AWS: options and terms checked before any call, results
parsed by content type, a configuration that does not parse named by its profile and
never quoted, missing configurations handled as asked; ansible-doc renders the lookup."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils import appconfig_lookup as al
from tests.helpers import REPO_ROOT

OPTIONS = {"application": "shop", "environment": "prod", "parse": "auto", "on_missing": "error", "cache": True}


def options(**changes):
    return dict(OPTIONS, **changes)


@pytest.mark.parametrize(
    ("terms", "changes", "message"),
    [
        (["flags"], {"application": ""}, "application '': must be a name or ID of 1 to 128 characters"),
        (["flags"], {"environment": None}, "environment None: must be a name or ID"),
        (["x" * 129], {}, "term 'xxxx"),
        ([42], {}, "term 42: must be a name or ID"),
        (["flags"], {"on_missing": "ignore"}, "on_missing: must be one of error, skip, warn"),
        (["flags"], {"parse": "xml"}, "parse: must be one of auto, text"),
    ],
)
def test_bad_options_and_terms_fail_before_any_call(terms, changes, message):
    with pytest.raises(KeelRuleError) as caught:
        al.check_request(terms, options(**changes))
    assert message in str(caught.value)


def test_a_list_term_is_flattened():
    assert al.check_request([["flags", "limits"], "routes"], options()) == ["flags", "limits", "routes"]


def found(text, content_type):
    return {"s": "found", "c": text, "ct": content_type, "vl": None}


def test_values_are_parsed_by_content_type():
    shaper = al.Shaper(options())
    assert shaper.value("flags", found('{"new_ui": {"enabled": true}}', "application/json")) == {
        "new_ui": {"enabled": True}
    }
    assert shaper.value("routes", found("a: [1, 2]\n", "application/x-yaml; charset=utf-8")) == {"a": [1, 2]}
    assert shaper.value("banner", found("hello\n", "text/plain")) == "hello\n"
    assert al.Shaper(options(parse="text")).value("flags", found('{"a": 1}', "application/json")) == '{"a": 1}'
    assert shaper.value("blob", {"s": "found", "b": "AAEC", "ct": "application/octet-stream"}) == b"\x00\x01\x02"


def test_a_configuration_that_does_not_parse_is_named_never_quoted():
    with pytest.raises(KeelRuleError) as caught:
        al.Shaper(options()).value("flags", found('{"token": "hunter2-secret", ', "application/json"))
    message = str(caught.value)
    assert message.startswith("profile flags of shop/prod: not valid JSON (Expecting")
    assert "hunter2" not in message


def test_missing_configurations_follow_on_missing_and_default():
    missing = {"s": "missing", "m": "profile flags of shop/prod: nothing deployed"}
    with pytest.raises(KeelAWSError, match="nothing deployed") as raised:
        al.Shaper(options()).value("flags", missing)
    assert raised.value.kind == "missing"
    assert al.Shaper(options(default={}, default_given=True)).value("flags", missing) == {}
    warned = al.Shaper(options(on_missing="warn"))
    assert warned.value("flags", missing) is None
    assert warned.warnings == ["skipped: profile flags of shop/prod: nothing deployed"]


def test_ansible_doc_renders_the_lookup():
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "lookup", "keel.ssm.appconfig", "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(completed.stdout)["keel.ssm.appconfig"]["doc"]
    assert doc["version_added"] == "0.2.0"
    assert {"application", "environment", "parse", "on_missing", "default", "cache", "endpoint_url"} <= set(
        doc["options"]
    )
    assert doc["options"]["application"]["required"] is True
