# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup's side of the cache: find (or start) this run's broker and get values
through it, single-flighted across every host and fork of the run.

The run is the ansible-playbook (or ansible, ansible-console) process: inside one of
its forked workers that is the worker's parent, anywhere else the current process. Its
broker listens on <private dir>/run-<pid>-<start>.sock, where the private directory is
$XDG_RUNTIME_DIR/keel-ssm or <tmp>/keel-ssm-<uid>, created 0700 and refused unless it
is a real directory owned by this user with no group/other access. The first lookup of
a run starts the broker under an exclusive lock so concurrent forks start exactly one.

When anything about the broker fails (no private directory, socket path too long, the
broker cannot start or stops answering), the lookup degrades to a cache in its own
process: still correct and still batched, only not shared with other forks.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import multiprocessing
import os
import select
import socket
import stat
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Iterable

from ansible_collections.keel.ssm.plugins.plugin_utils import cache_broker
from ansible_collections.keel.ssm.plugins.plugin_utils.cache_keys import is_stale
from ansible_collections.keel.ssm.plugins.plugin_utils.cache_store import Claim, Store

BROKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(cache_broker.__file__)), "cache_broker.py")
CONNECT_TIMEOUT = 2.0
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 10.0
LOCK_TIMEOUT = 15.0
# How long a lookup waits for another fork's fetch before fetching the keys itself.
WAIT_TIMEOUT = 300.0
MAX_SOCKET_PATH = 100  # sun_path is 104-108 bytes depending on the platform
TTL_SOCKET = "ttl.sock"


class BrokerUnavailable(Exception):
    """The shared broker cannot be used; the caller falls back to its own process."""


# -- where the run is and where its broker lives ------------------------------------------
def run_process() -> tuple[int, str]:
    """(pid, start) of the process that owns this run."""
    pid = os.getpid()
    current = multiprocessing.current_process()
    try:
        from ansible.executor.process.worker import WorkerProcess
    except ImportError:  # pragma: no cover - always importable under Ansible
        WorkerProcess = ()
    if isinstance(current, WorkerProcess):
        parent = multiprocessing.parent_process()
        pid = parent.pid if parent is not None else os.getppid()
    return pid, cache_broker.process_start(pid)


def private_dir() -> str:
    """This user's 0700 directory for broker sockets; raises BrokerUnavailable when it
    is not safe (wrong owner, group/other access, a symlink)."""
    uid = os.getuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    candidates = []
    if runtime and os.path.isabs(runtime):
        candidates.append(os.path.join(runtime, "keel-ssm"))
    candidates.append(os.path.join(tempfile.gettempdir(), f"keel-ssm-{uid}"))
    problems = []
    for path in candidates:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror}")
            continue
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
            problems.append(f"{path}: not a private directory of uid {uid}")
            continue
        return path
    raise BrokerUnavailable("; ".join(problems))


def socket_path(scope_dir: str, run: tuple[int, str] | None = None, ttl: bool = False) -> str:
    name = TTL_SOCKET if ttl else "run-{}-{}.sock".format(*run)
    path = os.path.join(scope_dir, name)
    if len(path.encode()) > MAX_SOCKET_PATH:
        raise BrokerUnavailable(f"socket path {path} is too long for a Unix socket")
    return path


def sweep_stale(scope_dir: str) -> None:
    """Remove sockets and locks left by runs that are gone (a broker killed -9)."""
    for path in glob.glob(os.path.join(scope_dir, "run-*-*.*")):
        base = os.path.basename(path).rsplit(".", 1)[0]
        try:
            _run, pid, start = base.split("-", 2)
            if not cache_broker.process_alive(int(pid), start):
                os.unlink(path)
        except (ValueError, OSError):
            continue


# -- talking to a broker ---------------------------------------------------------------------
class BrokerConnection:
    def __init__(self, path: str) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(CONNECT_TIMEOUT)
        try:
            self.sock.connect(path)
        except OSError as exc:
            self.sock.close()
            raise BrokerUnavailable(f"{path}: {exc.strerror or exc}") from None

    def request(self, message: dict[str, Any], timeout: float = REQUEST_TIMEOUT) -> dict[str, Any]:
        try:
            self.sock.settimeout(timeout)
            cache_broker.send_message(self.sock, message)
            reply = cache_broker.recv_message(self.sock)
        except (OSError, ValueError, cache_broker.ProtocolError) as exc:
            raise BrokerUnavailable(f"{self.path}: {exc}") from None
        if reply is None or "error" in reply:
            raise BrokerUnavailable(f"{self.path}: {(reply or {}).get('error', 'connection closed')}")
        return reply

    def close(self) -> None:
        self.sock.close()


def start_broker(path: str, watch: tuple[int, str] | None, extra_args: Iterable[str] = ()) -> None:
    """Start the broker script detached (its own session, no inherited descriptors but
    the readiness pipe) and wait until it listens on path."""
    read_fd, write_fd = os.pipe()
    command = [sys.executable, "-E", "-s", BROKER_SCRIPT, "--socket", path, "--ready-fd", str(write_fd)]
    if watch:
        command += ["--watch-pid", str(watch[0]), "--watch-start", str(watch[1])]
    command += list(extra_args)
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            pass_fds=(write_fd,),
            start_new_session=True,
            cwd="/",
        )
    except OSError as exc:
        os.close(read_fd)
        raise BrokerUnavailable(f"cannot start the cache broker: {exc.strerror}") from None
    finally:
        os.close(write_fd)
    try:
        process.wait(timeout=START_TIMEOUT)  # the intermediate process exits at once
        ready, _writable, _errors = select.select([read_fd], [], [], START_TIMEOUT)
        answer = os.read(read_fd, 200).decode(errors="replace").strip() if ready else "no answer"
    except subprocess.TimeoutExpired:
        answer = "no answer"
    finally:
        os.close(read_fd)
    if answer != "ready":
        raise BrokerUnavailable(f"the cache broker did not start: {answer or 'it exited'}")


def connect(ttl: bool = False) -> BrokerConnection:
    """A connection to this run's broker (or the user's TTL broker), started if needed."""
    scope_dir = private_dir()
    run = None if ttl else run_process()
    path = socket_path(scope_dir, run=run, ttl=ttl)
    try:
        return BrokerConnection(path)
    except BrokerUnavailable:
        pass
    lock_path = path.rsplit(".", 1)[0] + ".lock"
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise BrokerUnavailable(f"{lock_path}: cannot take the start lock") from None
                time.sleep(0.02)
        try:
            return BrokerConnection(path)  # another fork started it while we waited
        except BrokerUnavailable:
            pass
        sweep_stale(scope_dir)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        start_broker(path, watch=run)
        return BrokerConnection(path)
    finally:
        os.close(lock_fd)


# -- the cache as the lookup sees it ----------------------------------------------------------
class LocalBackend:
    """The same protocol against a Store in this process (the fallback)."""

    OWNER = "local"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.where = f"process {os.getpid()}"

    def claim(self, keys: list[str]) -> Claim:
        return self.store.claim(keys, self.OWNER)

    def wait(self, keys: list[str], timeout: float) -> Claim:
        return self.store.wait(keys, self.OWNER, timeout)

    def put(self, outcomes: dict[str, Any], ttl: float | None) -> None:
        self.store.put(self.OWNER, outcomes, ttl)

    def fail(self, keys: list[str], outcome: Any) -> None:
        self.store.fail(self.OWNER, keys, outcome)

    def close(self) -> None:
        pass


class BrokerBackend:
    def __init__(self, connection: BrokerConnection) -> None:
        self.connection = connection
        self.where = connection.path

    def claim(self, keys: list[str]) -> Claim:
        reply = self.connection.request({"op": "claim", "keys": keys})
        return reply["hits"], reply["lead"], reply["pending"]

    def wait(self, keys: list[str], timeout: float) -> Claim:
        reply = self.connection.request({"op": "wait", "keys": keys, "timeout": timeout}, timeout=timeout + 10)
        return reply["hits"], reply["lead"], reply["pending"]

    def put(self, outcomes: dict[str, Any], ttl: float | None) -> None:
        self.connection.request({"op": "put", "outcomes": outcomes, "ttl": ttl})

    def fail(self, keys: list[str], outcome: Any) -> None:
        self.connection.request({"op": "fail", "keys": keys, "outcome": outcome})

    def close(self) -> None:
        self.connection.close()


_LOCAL_STORE = Store()


class CacheStats:
    def __init__(self, where: str) -> None:
        self.where = where
        self.hits = 0
        self.fetched = 0
        self.waited = 0
        self.fallback = None

    def __str__(self):
        text = f"{self.hits} from the cache, {self.fetched} fetched, {self.waited} waited for ({self.where})"
        return text + (f"; shared cache unavailable: {self.fallback}" if self.fallback else "")


def _resolve(backend, keys, fetch, failure, ttl, stats, results):
    """claim -> fetch our leads -> wait for the rest, until every key has an outcome."""
    hits, lead, pending = backend.claim(keys)
    stats.hits += len(hits)
    results.update(hits)
    while lead or pending:
        if lead:
            try:
                outcomes = fetch(lead)
            except Exception as exc:
                # If the broker is gone, the waiters' connections fail too and they fall back.
                with contextlib.suppress(BrokerUnavailable):
                    backend.fail(lead, failure(exc))
                raise
            stats.fetched += len(lead)
            results.update(outcomes)
            backend.put(outcomes, ttl)
        if pending:
            stats.waited += len(pending)
            hits, lead, pending = backend.wait(pending, WAIT_TIMEOUT)
            results.update(hits)
            if pending:  # the other fork is stuck: fetch those ourselves, uncached
                outcomes = fetch(pending)
                stats.fetched += len(pending)
                results.update(outcomes)
                pending = []
        else:
            lead = []


def get_many(
    keys: list[str],
    fetch: Callable[[list[str]], dict[str, Any]],
    failure: Callable[[BaseException], Any],
    ttl: float | None = None,
) -> tuple[dict[str, Any], CacheStats]:
    """Outcomes for keys: {key: outcome}, and CacheStats.

    fetch(keys) -> {key: outcome} for every key it was given (raises on failure);
    failure(exc) -> the outcome that forks waiting on a failed fetch receive instead.
    ttl: None for the run-scoped cache, seconds for the user's TTL cache.
    """
    keys = list(dict.fromkeys(keys))
    results = {}
    try:
        backend, reason = BrokerBackend(connect(ttl=bool(ttl))), None
    except BrokerUnavailable as exc:
        backend, reason = LocalBackend(_LOCAL_STORE), str(exc)
    stats = CacheStats(backend.where)
    stats.fallback = reason
    try:
        _resolve(backend, keys, fetch, failure, ttl, stats, results)
    except BrokerUnavailable as exc:
        # The broker went away mid-way: finish in this process.
        stats.fallback = str(exc)
        stats.where = f"process {os.getpid()}"
        remaining = [key for key in keys if key not in results]
        _resolve(LocalBackend(_LOCAL_STORE), remaining, fetch, failure, ttl, stats, results)
    finally:
        backend.close()
    return results, stats


# -- writes make cached answers stale ---------------------------------------------------------
def invalidate(names: Iterable[str] = (), subtrees: Iterable[str] = ()) -> int:
    """Forget what this run's cache (and the user's TTL cache) holds for parameters that
    were just written or deleted: `names` exactly, or everything under `subtrees`. Every
    host and fork of the run reads through the same broker, so all of them see the write.
    A broker that is not running holds nothing: none is started for this. Returns the
    number of keys dropped; raises BrokerUnavailable when a running broker cannot be told.
    """
    names, subtrees = sorted(set(names)), sorted(set(subtrees))
    dropped = _LOCAL_STORE.invalidate(lambda key: is_stale(key, names, subtrees))
    if not names and not subtrees:
        return dropped
    scope_dir = private_dir()
    for path in (socket_path(scope_dir, run=run_process()), socket_path(scope_dir, ttl=True)):
        if not os.path.exists(path):
            continue
        connection = BrokerConnection(path)
        try:
            reply = connection.request({"op": "invalidate", "names": names, "subtrees": subtrees})
        finally:
            connection.close()
        dropped += reply.get("dropped", 0)
    return dropped
