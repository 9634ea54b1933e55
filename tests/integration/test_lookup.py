"""keel.ssm.parameter loaded through Ansible's lookup_loader, against the moto server
over HTTP (through the AwsProxy test double where requests are counted or faults are
injected). Each test gets its own private directory and a stand-in run process, so
each has its own broker and cache."""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile

import pytest
from ansible.errors import AnsibleError
from ansible.plugins.loader import lookup_loader

from ansible_collections.keel.ssm.plugins.plugin_utils import run_cache
from ansible_collections.keel.ssm.plugins.plugin_utils.cache_broker import process_alive, process_start
from ansible_collections.keel.ssm.plugins.plugin_utils.cache_store import Store
from tests.helpers.aws_proxy import AwsProxy

SECRET = "s3cr3t-{{ lookup('pipe', 'id') }}-value"
LOOKUP_MODULE = "ansible_collections.keel.ssm.plugins.lookup.parameter"


STARTED_RUNS = []


class Run:
    """A stand-in for one ansible-playbook process: the broker watches it."""

    def __init__(self, monkeypatch):
        self.process = subprocess.Popen(["sleep", "300"])
        self.id = (self.process.pid, process_start(self.process.pid))
        monkeypatch.setattr(run_cache, "run_process", lambda: self.id)
        STARTED_RUNS.append(self)

    def end(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture
def run(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(run_cache, "_LOCAL_STORE", Store())
    current = Run(monkeypatch)
    yield current
    while STARTED_RUNS:  # every stand-in run a test started, ended or not
        STARTED_RUNS.pop().end()
    ttl_socket = os.path.join(tmp_path, f"keel-ssm-{os.getuid()}", run_cache.TTL_SOCKET)
    if os.path.exists(ttl_socket):
        os.unlink(ttl_socket)  # the TTL broker exits when its socket is gone


@pytest.fixture
def lookup():
    return lookup_loader.get("keel.ssm.parameter")


@pytest.fixture
def messages(monkeypatch):
    """What the lookup prints (warnings, -vvv), captured from its Display."""
    display = __import__(LOOKUP_MODULE, fromlist=["display"]).display
    seen = {"warning": [], "vvv": []}
    monkeypatch.setattr(display, "warning", lambda msg, *a, **k: seen["warning"].append(msg))
    monkeypatch.setattr(display, "vvv", lambda msg, *a, **k: seen["vvv"].append(msg))
    return seen


@pytest.fixture
def proxy(moto):
    with AwsProxy(moto.url) as counting:
        yield counting


def seed(ssm, count=25, prefix="/fleet"):
    names = [f"{prefix}/n{i:02d}" for i in range(count)]
    for index, name in enumerate(names):
        ssm.put_parameter(Name=name, Value=f"value-{index}", Type="String")
    return names


def test_values_selectors_and_decrypt(ssm, run, lookup, proxy):
    ssm.put_parameter(Name="/app/db", Value="v1", Type="String")
    ssm.put_parameter(Name="/app/db", Value="v2", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name="/app/db", ParameterVersion=1, Labels=["stable"])
    ssm.put_parameter(Name="/app/secret", Value=SECRET, Type="SecureString")
    ssm.put_parameter(Name="plain", Value="flat", Type="String")
    terms = ["/app/db", "/app/db:1", "/app/db:stable", "/app/secret", "plain"]
    assert lookup.run(terms, {}, endpoint_url=proxy.url) == ["v2", "v1", "v1", SECRET, "flat"]
    assert proxy.counts == {"GetParameters": 3}  # one name per batch: /app/db three times
    encrypted = lookup.run(["/app/secret"], {}, endpoint_url=proxy.url, decrypt=False)
    # moto's stand-in for ciphertext is "kms:<key>:<plaintext>"; AWS returns real ciphertext.
    assert encrypted[0] != SECRET and encrypted[0].startswith("kms:")
    assert proxy.counts == {"GetParameters": 4}


def test_names_are_batched_by_ten_and_cached_for_the_run(ssm, run, lookup, proxy):
    names = seed(ssm)
    values = [f"value-{i}" for i in range(25)]
    assert lookup.run(names, {}, endpoint_url=proxy.url) == values
    assert proxy.counts["GetParameters"] == 3
    assert lookup.run(names[::-1], {}, endpoint_url=proxy.url) == values[::-1]
    assert proxy.counts["GetParameters"] == 3, "the second call must come from the run cache"
    lookup.run(names, {}, endpoint_url=proxy.url, decrypt=False)
    assert proxy.counts["GetParameters"] == 6, "decrypt is part of the cache key"
    lookup.run(names, {}, endpoint_url=proxy.url, cache=False)
    assert proxy.counts["GetParameters"] == 9, "cache=false always asks AWS"


def test_a_new_run_does_not_see_the_old_runs_values(ssm, run, lookup, proxy, monkeypatch):
    names = seed(ssm, count=3)
    lookup.run(names, {}, endpoint_url=proxy.url)
    run.end()
    ssm.put_parameter(Name=names[0], Value="changed", Type="String", Overwrite=True)
    Run(monkeypatch)
    assert lookup.run(names, {}, endpoint_url=proxy.url)[0] == "changed"
    assert proxy.counts["GetParameters"] == 2


def test_cache_ttl_outlives_the_run_only_when_asked(ssm, run, lookup, proxy, monkeypatch):
    names = seed(ssm, count=3)
    lookup.run(names, {}, endpoint_url=proxy.url, cache_ttl=60)
    run.end()
    Run(monkeypatch)
    assert lookup.run(names, {}, endpoint_url=proxy.url, cache_ttl=60) == ["value-0", "value-1", "value-2"]
    assert proxy.counts["GetParameters"] == 1, "cache_ttl keeps values for later runs"
    lookup.run(names, {}, endpoint_url=proxy.url)
    assert proxy.counts["GetParameters"] == 2, "the run-scoped cache starts empty"


def test_by_path_pages_and_name_shapes(ssm, run, lookup, proxy):
    for index in range(23):
        ssm.put_parameter(Name=f"/tree/a/k{index:02d}", Value=str(index), Type="String")
    ssm.put_parameter(Name="/tree/top", Value="t", Type="String")
    ssm.put_parameter(Name="/tree/a/deep/k00", Value="deep", Type="String")
    full = lookup.run(["/tree"], {}, endpoint_url=proxy.url, bypath=True, recursive=True)[0]
    assert len(full) == 25 and full["/tree/a/k07"] == "7" and full["/tree/a/deep/k00"] == "deep"
    assert proxy.counts["GetParametersByPath"] == math.ceil(25 / 10)
    relative = lookup.run(["/tree/"], {}, endpoint_url=proxy.url, bypath=True, recursive=True, droppath=True)[0]
    assert relative["a/k07"] == "7" and relative["top"] == "t"
    assert proxy.counts["GetParametersByPath"] == 3, "'/tree/' and '/tree' are the same cached path"
    assert lookup.run(["/tree"], {}, endpoint_url=proxy.url, bypath=True) == [{"/tree/top": "t"}]
    short = lookup.run(["/tree/a/deep"], {}, endpoint_url=proxy.url, bypath=True, shortnames=True)
    assert short == [{"k00": "deep"}]
    with pytest.raises(AnsibleError, match="shortnames gives 'k00' for both"):
        lookup.run(["/tree/a"], {}, endpoint_url=proxy.url, bypath=True, recursive=True, shortnames=True)


def test_json_values(ssm, run, lookup):
    ssm.put_parameter(Name="/flags/new_ui", Value=json.dumps({"enabled": True, "pct": 20}), Type="String")
    ssm.put_parameter(Name="/flags/token", Value=SECRET, Type="SecureString")
    assert lookup.run(["/flags/new_ui"], {}, json=True) == [{"enabled": True, "pct": 20}]
    with pytest.raises(AnsibleError) as raised:
        lookup.run(["/flags/new_ui", "/flags/token"], {}, json=True)
    assert "parameter /flags/token: value is not valid JSON" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)


def test_missing_names(ssm, run, lookup, messages):
    ssm.put_parameter(Name="/app/here", Value="yes", Type="String")
    with pytest.raises(AnsibleError, match="parameter /app/gone not found"):
        lookup.run(["/app/here", "/app/gone"], {})
    assert lookup.run(["/app/here", "/app/gone"], {}, on_missing="skip") == ["yes", None]
    assert lookup.run(["/app/gone", "/app/here:7"], {}, default="fallback") == ["fallback", "fallback"]
    assert lookup.run(["/app/gone"], {}, on_missing="warn", default=3) == [3]
    assert messages["warning"] == ["keel.ssm.parameter: skipped: parameter /app/gone not found"]
    with pytest.raises(AnsibleError, match="no parameters under path /nothing"):
        lookup.run(["/nothing"], {}, bypath=True)


def deny(prefix):
    """An injector for the proxy: AccessDenied for any read that touches prefix."""

    def inject(operation, body):
        if operation == "GetParameters" and any(name.startswith(prefix) for name in body["Names"]):
            return 400, "AccessDeniedException", "User is not authorized to perform: ssm:GetParameters"
        if operation == "GetParametersByPath" and body["Path"].startswith(prefix):
            return 400, "AccessDeniedException", "User is not authorized to perform: ssm:GetParametersByPath"
        return None

    return inject


def test_a_denied_name_is_isolated_from_its_batch(ssm, run, lookup, messages, moto):
    names = seed(ssm, count=12)
    ssm.put_parameter(Name="/denied/x", Value="no", Type="String")
    terms = [*names[:5], "/denied/x", *names[5:]]
    with AwsProxy(moto.url, inject=deny("/denied")) as proxy:
        with pytest.raises(AnsibleError, match="access denied: GetParameters /denied/x: AccessDeniedException"):
            lookup.run(terms, {}, endpoint_url=proxy.url)
        values = lookup.run(terms, {}, endpoint_url=proxy.url, on_denied="warn", cache=False)
        assert values[5] is None
        assert [v for i, v in enumerate(values) if i != 5] == [f"value-{i}" for i in range(12)]
        assert messages["warning"] == [
            "keel.ssm.parameter: skipped: access denied: GetParameters /denied/x: AccessDeniedException: "
            "User is not authorized to perform: ssm:GetParameters"
        ]
        assert lookup.run(["/denied"], {}, endpoint_url=proxy.url, bypath=True, on_denied="skip") == [{}]


def test_bad_terms_fail_before_any_call(run, lookup, proxy):
    for terms, options, message in [
        (["/ok", "/bad name"], {}, "term '/bad name'"),
        (["/ok:"], {}, "term '/ok:': empty selector"),
        (["/ok"], {"bypath": True, "shortnames": True, "droppath": True}, "shortnames and droppath"),
        (["/ok"], {"max_attempts": 50}, "max_attempts: must be between"),
    ]:
        with pytest.raises(AnsibleError, match=message):
            lookup.run(terms, {}, endpoint_url=proxy.url, **options)
    assert proxy.total() == 0


def test_throttling_is_retried_by_botocore(ssm, run, lookup, moto):
    names = seed(ssm)
    with AwsProxy(moto.url, throttle_ratio=0.5, seed=7) as proxy:
        assert lookup.run(names, {}, endpoint_url=proxy.url)[24] == "value-24"
        assert sum(proxy.throttled.values()) > 0
        assert proxy.counts["GetParameters"] == 3 + sum(proxy.throttled.values())


def test_an_unreachable_endpoint_fails_with_the_operation_and_names(moto, run, lookup):
    with pytest.raises(AnsibleError, match=r"GetParameters /a, /b: endpoint unreachable"):
        lookup.run(["/a", "/b"], {}, endpoint_url="http://127.0.0.1:9", max_attempts=2)


def test_a_client_that_cannot_be_built_fails_cleanly(moto, run, lookup, monkeypatch):
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(AnsibleError, match=r"creating the SSM client: You must specify a region"):
        lookup.run(["/a"], {})


def test_the_broker_is_shared_and_gone_after_the_run(ssm, run, lookup, messages, proxy):
    names = seed(ssm, count=2)
    lookup.run(names, {}, endpoint_url=proxy.url)
    lookup.run(names, {}, endpoint_url=proxy.url)
    assert messages["vvv"][0].endswith(f"0 from the cache, 2 fetched, 0 waited for ({run_cache.connect().path})")
    assert messages["vvv"][1].startswith("keel.ssm.parameter: 2 term(s): 2 from the cache, 0 fetched")
    connection = run_cache.connect()
    broker_pid = connection.request({"op": "hello"})["pid"]
    connection.close()
    run.end()
    deadline = __import__("time").monotonic() + 5
    while process_alive(broker_pid) and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    assert not process_alive(broker_pid)


def test_without_a_private_directory_it_degrades_to_a_per_process_cache(ssm, run, lookup, messages, proxy):
    names = seed(ssm, count=2)
    private = run_cache.private_dir()
    os.chmod(private, 0o777)  # noqa: S103 - the unsafe directory under test
    assert lookup.run(names, {}, endpoint_url=proxy.url) == ["value-0", "value-1"]
    assert lookup.run(names, {}, endpoint_url=proxy.url) == ["value-0", "value-1"]
    assert proxy.counts["GetParameters"] == 1
    assert "shared cache unavailable" in messages["vvv"][0] and "not a private directory" in messages["vvv"][0]
    assert not os.listdir(private), "nothing may be created in an unsafe directory"
