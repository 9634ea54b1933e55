"""The cache broker process and the lookup's way of reaching it (cache_broker.py,
run_cache.py), without AWS: the real broker script in a real subprocess, talking over
a real Unix socket."""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError
from ansible_collections.keel.ssm.plugins.plugin_utils import cache_broker, run_cache
from ansible_collections.keel.ssm.plugins.plugin_utils.cache_broker import (
    Broker,
    ProtocolError,
    process_alive,
    process_start,
    recv_message,
    send_message,
)
from ansible_collections.keel.ssm.plugins.plugin_utils.cache_keys import name_key
from ansible_collections.keel.ssm.plugins.plugin_utils.parameter_lookup import failure_outcome


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A fresh temp dir for private_dir(), with XDG_RUNTIME_DIR out of the way."""
    base = tmp_path / "tmp"
    base.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    return base


@pytest.fixture
def fake_run():
    """A process standing in for an ansible-playbook run: the broker watches it."""
    process = subprocess.Popen(["sleep", "300"])
    yield process
    process.kill()
    process.wait()


def test_messages_round_trip_and_oversize_is_refused():
    left, right = socket.socketpair()
    with left, right:
        send_message(left, {"op": "claim", "keys": ["ä", "/x"]})
        assert recv_message(right) == {"op": "claim", "keys": ["ä", "/x"]}
        left.sendall(cache_broker.HEADER.pack(cache_broker.MAX_MESSAGE + 1))
        with pytest.raises(ProtocolError):
            recv_message(right)
        left.close()
        assert recv_message(right) is None


def test_process_identity():
    start = process_start(os.getpid())
    assert start.isdigit()
    assert process_alive(os.getpid(), start)
    assert not process_alive(os.getpid(), str(int(start) + 1))  # same pid, another process
    finished = subprocess.Popen(["true"])
    finished.wait()
    assert not process_alive(finished.pid)


def test_outside_a_worker_the_run_is_this_process():
    assert run_cache.run_process() == (os.getpid(), process_start(os.getpid()))


def test_private_dir_is_created_0700_and_unsafe_ones_are_refused(private_tmp):
    path = run_cache.private_dir()
    assert path == str(private_tmp / f"keel-ssm-{os.getuid()}")
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700
    os.chmod(path, 0o755)  # noqa: S103 - the unsafe case under test
    with pytest.raises(run_cache.BrokerUnavailable, match="not a private directory"):
        run_cache.private_dir()
    os.rmdir(path)
    (private_tmp / "elsewhere").mkdir(mode=0o700)
    os.symlink(private_tmp / "elsewhere", path)
    with pytest.raises(run_cache.BrokerUnavailable, match="not a private directory"):
        run_cache.private_dir()


def hello(path):
    connection = run_cache.BrokerConnection(path)
    try:
        return connection.request({"op": "hello"})
    finally:
        connection.close()


def test_broker_serves_values_and_exits_with_its_run(private_tmp, fake_run):
    run = (fake_run.pid, process_start(fake_run.pid))
    path = run_cache.socket_path(run_cache.private_dir(), run=run)
    run_cache.start_broker(path, watch=run)
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600
    broker_pid = hello(path)["pid"]
    limits = Path(f"/proc/{broker_pid}/limits").read_text()
    assert re.search(r"^Max core file size\s+0\s+0\s", limits, re.MULTILINE), "the broker must not dump core"

    one, two = run_cache.BrokerConnection(path), run_cache.BrokerConnection(path)
    assert one.request({"op": "claim", "keys": ["k"]}) == {"hits": {}, "lead": ["k"], "pending": []}
    assert two.request({"op": "claim", "keys": ["k"]})["pending"] == ["k"]
    one.request({"op": "put", "outcomes": {"k": {"s": "found", "v": "v"}}})
    assert two.request({"op": "wait", "keys": ["k"], "timeout": 5})["hits"] == {"k": {"s": "found", "v": "v"}}
    one.close()
    two.close()
    assert hello(path)["values"] == 1

    fake_run.kill()
    fake_run.wait()
    assert wait_until(lambda: not os.path.exists(path)), "the broker outlived its run"
    assert wait_until(lambda: not process_alive(broker_pid))


def test_broker_hands_a_vanished_leaders_keys_to_a_waiter(private_tmp, fake_run):
    run = (fake_run.pid, process_start(fake_run.pid))
    path = run_cache.socket_path(run_cache.private_dir(), run=run)
    run_cache.start_broker(path, watch=run)
    leader, waiter = run_cache.BrokerConnection(path), run_cache.BrokerConnection(path)
    leader.request({"op": "claim", "keys": ["k"]})
    waiter.request({"op": "claim", "keys": ["k"]})
    leader.close()  # a fork that died mid-fetch
    assert waiter.request({"op": "wait", "keys": ["k"], "timeout": 5}) == {"hits": {}, "lead": ["k"], "pending": []}
    waiter.close()


def test_ttl_broker_exits_once_idle_and_empty(private_tmp):
    path = run_cache.socket_path(run_cache.private_dir(), ttl=True)
    run_cache.start_broker(path, watch=None, extra_args=["--idle-exit", "0.5"])
    connection = run_cache.BrokerConnection(path)
    connection.request({"op": "claim", "keys": ["k"]})
    connection.request({"op": "put", "outcomes": {"k": {"s": "found"}}, "ttl": 2})
    connection.close()
    time.sleep(1.2)
    assert os.path.exists(path), "exited while a value was still fresh"
    assert wait_until(lambda: not os.path.exists(path), timeout=5)


def test_concurrent_starts_give_one_broker(private_tmp, monkeypatch, fake_run):
    run = (fake_run.pid, process_start(fake_run.pid))
    monkeypatch.setattr(run_cache, "run_process", lambda: run)
    pids, errors = [], []

    def first_lookup():
        try:
            connection = run_cache.connect()
            pids.append(connection.request({"op": "hello"})["pid"])
            connection.close()
        except Exception as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=first_lookup) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(pids)) == 1


def probe(path, uid):
    """Claim 'k' from a forked child running as uid; returns the raw reply bytes."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            os.close(read_fd)
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(5)
                sock.connect(path)
                send_message(sock, {"op": "claim", "keys": ["k"]})
                os.write(write_fd, b"reply:" + sock.recv(1000))
        except OSError as exc:
            os.write(write_fd, f"error:{exc}".encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    os.waitpid(pid, 0)
    with os.fdopen(read_fd, "rb") as reply:
        return reply.read()


@pytest.fixture
def open_dir():
    """A directory every user can reach (pytest's tmp_path is not)."""
    path = tempfile.mkdtemp(prefix="keel-test-", dir="/tmp")
    os.chmod(path, 0o755)  # noqa: S103 - reachable by the other uid on purpose
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_other_users_get_no_answer(open_dir):
    """The SO_PEERCRED check, behind the 0700 directory: even with the socket opened up,
    a process of another uid is disconnected without a reply."""
    if os.getuid() != 0 or not hasattr(socket, "SO_PEERCRED"):
        pytest.skip("needs root (to act as another uid) and Linux SO_PEERCRED")
    path = os.path.join(open_dir, "b.sock")
    broker = Broker(path).bind()
    broker.store.claim(["k"], "owner")
    broker.store.put("owner", {"k": {"s": "found", "v": "secret"}})
    thread = threading.Thread(target=broker.serve_forever, daemon=True)
    thread.start()
    try:
        os.chmod(path, 0o666)  # noqa: S103 - only the peer-uid check stands in the way
        refused = probe(path, uid=65534)  # closed at once: empty reply or a broken pipe
        assert refused == b"reply:" or b"Broken pipe" in refused or b"reset" in refused, refused
        assert b"secret" in probe(path, uid=None)
        os.chmod(path, 0o600)
        assert probe(path, uid=65534).startswith(b"error:[Errno 13]")
    finally:
        broker.stop()
        thread.join(timeout=5)


def test_broker_exits_when_its_socket_is_removed(private_tmp, fake_run):
    run = (fake_run.pid, process_start(fake_run.pid))
    path = run_cache.socket_path(run_cache.private_dir(), run=run)
    run_cache.start_broker(path, watch=run)
    broker_pid = hello(path)["pid"]
    os.unlink(path)
    assert wait_until(lambda: not process_alive(broker_pid))


def test_stale_sockets_of_finished_runs_are_swept(private_tmp):
    scope_dir = run_cache.private_dir()
    finished = subprocess.Popen(["true"])
    finished.wait()
    stale = os.path.join(scope_dir, f"run-{finished.pid}-1.sock")
    live = os.path.join(scope_dir, f"run-{os.getpid()}-{process_start(os.getpid())}.lock")
    for path in (stale, live):
        open(path, "w").close()
    run_cache.sweep_stale(scope_dir)
    assert not os.path.exists(stale)
    assert os.path.exists(live)


def test_private_dir_prefers_xdg_runtime_dir(private_tmp, monkeypatch):
    runtime = private_tmp / "run-user"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert run_cache.private_dir() == str(runtime / "keel-ssm")


def test_get_many_single_flights_and_hands_a_failure_to_the_waiters(private_tmp, monkeypatch, fake_run):
    run = (fake_run.pid, process_start(fake_run.pid))
    monkeypatch.setattr(run_cache, "run_process", lambda: run)
    leading = threading.Event()
    leader = {}

    def failing_fetch(keys):
        leading.set()
        time.sleep(0.5)
        raise KeelAWSError("throttled", "GetParameters /a: ThrottlingException: Rate exceeded")

    def must_not_fetch(keys):
        raise AssertionError("a waiter fetched")

    def lead():
        try:
            run_cache.get_many(["k"], failing_fetch, failure_outcome)
        except KeelAWSError as exc:
            leader["error"] = exc

    thread = threading.Thread(target=lead)
    thread.start()
    assert leading.wait(5)
    outcomes, stats = run_cache.get_many(["k"], must_not_fetch, failure_outcome)
    thread.join()
    message = "GetParameters /a: ThrottlingException: Rate exceeded"
    assert outcomes == {"k": {"s": "error", "k": "throttled", "m": message}}
    assert (stats.waited, stats.fetched) == (1, 0)
    assert "error" in leader
    # The failure is not cached: the next claim fetches again, and then it is.
    outcomes, stats = run_cache.get_many(["k"], lambda keys: {"k": {"s": "found", "v": "1"}}, failure_outcome)
    assert outcomes["k"]["v"] == "1" and stats.fetched == 1
    outcomes, stats = run_cache.get_many(["k"], must_not_fetch, failure_outcome)
    assert outcomes["k"]["v"] == "1" and stats.hits == 1


def test_invalidate_reaches_the_runs_broker_and_the_ttl_broker(private_tmp, monkeypatch, fake_run):
    """A write drops stale keys in both brokers (the script's own invalidate operation,
    cache_keys.is_stale loaded as a sibling), keeps the others, and starts no broker."""
    run = (fake_run.pid, process_start(fake_run.pid))
    monkeypatch.setattr(run_cache, "run_process", lambda: run)
    scope = run_cache.private_dir()
    stale, kept = name_key("id", True, "/app/db"), name_key("id", True, "/app/other")
    for path, ttl in ((run_cache.socket_path(scope, run=run), None), (run_cache.socket_path(scope, ttl=True), 5)):
        watch = run if ttl is None else None
        run_cache.start_broker(path, watch=watch)
        connection = run_cache.BrokerConnection(path)
        connection.request({"op": "claim", "keys": [stale, kept]})
        connection.request({"op": "put", "outcomes": {stale: {"s": "found"}, kept: {"s": "found"}}, "ttl": ttl})
        connection.close()

    assert run_cache.invalidate(names=["/app/db"]) == 2
    for path in (run_cache.socket_path(scope, run=run), run_cache.socket_path(scope, ttl=True)):
        connection = run_cache.BrokerConnection(path)
        hits = connection.request({"op": "claim", "keys": [stale, kept]})["hits"]
        connection.close()
        assert set(hits) == {kept}


def test_invalidate_without_a_broker_starts_none(private_tmp, monkeypatch, fake_run):
    run = (fake_run.pid, process_start(fake_run.pid))
    monkeypatch.setattr(run_cache, "run_process", lambda: run)
    assert run_cache.invalidate(names=["/app/db"], subtrees=["/app"]) == 0
    assert not os.path.exists(run_cache.socket_path(run_cache.private_dir(), run=run))
