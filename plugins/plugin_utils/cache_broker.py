# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cache broker: one small process per ansible-playbook run that keeps looked-up
values in memory and hands them to every forked worker of that run.

Why a process: Ansible runs each host's task in a short-lived fork, so nothing a
worker keeps in memory reaches the next host, and the parent never sees it. The broker
is started by the first lookup of the run (see run_cache.py), listens on a Unix socket
in a private 0700 directory, answers only processes of its own user (SO_PEERCRED on
Linux, the directory's mode everywhere), never touches AWS and never holds
credentials: workers fetch, the broker only remembers and single-flights
(cache_store.py). Values live in this process's memory only. The process refuses core
dumps and ptrace by other processes of the user (PR_SET_DUMPABLE), and exits as soon
as the run's ansible-playbook process is gone (or, for the opt-in TTL cache, when its
last value has expired).

Run as a script (standard library only) so it starts clean, without Ansible's state:
    python cache_broker.py --socket PATH --ready-fd N [--watch-pid PID --watch-start T]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import struct
import sys
import threading
import time
from typing import Any

try:
    from ansible_collections.keel.ssm.plugins.plugin_utils.cache_keys import is_stale
    from ansible_collections.keel.ssm.plugins.plugin_utils.cache_store import Store
except ImportError:  # run as a script: the sibling modules are on sys.path[0]
    from cache_keys import is_stale  # type: ignore[no-redef]
    from cache_store import Store  # type: ignore[no-redef]

MAX_MESSAGE = 64 * 1024 * 1024
HEADER = struct.Struct("!I")
WATCH_INTERVAL = 0.5
# The TTL broker (no run to watch) exits after this long with nothing left to serve.
IDLE_EXIT = 10.0
# A connection that sends nothing for this long is dropped (its leads are released).
CONNECTION_IDLE = 900.0
MAX_WAIT = 600.0


class ProtocolError(Exception):
    pass


# -- wire format: 4-byte big-endian length, then UTF-8 JSON ----------------------------
def send_message(sock: socket.socket, obj: Any) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    sock.sendall(HEADER.pack(len(data)) + data)


def _recv_exact(sock, size):
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_message(sock: socket.socket) -> Any:
    """The next message, or None at end of stream."""
    header = _recv_exact(sock, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise ProtocolError(f"message of {size} bytes is over the {MAX_MESSAGE} byte limit")
    data = _recv_exact(sock, size)
    if data is None:
        raise ProtocolError("connection closed mid-message")
    return json.loads(data.decode("utf-8"))


# -- processes -------------------------------------------------------------------------
def process_start(pid: int) -> str:
    """Start time of pid (clock ticks since boot) from /proc, '' where /proc is absent.
    pid plus start time names a process even after its pid is reused."""
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return ""
    # Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def process_alive(pid: int, start: str = "") -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    return not start or process_start(pid) in ("", start)


def peer_uid(conn: socket.socket) -> int | None:
    """uid of the process at the other end of a Unix socket, None where unknown."""
    if not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def _harden():
    """No core dumps, no ptrace or /proc/<pid>/mem reads by the user's other processes."""
    os.umask(0o077)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_dumpable = 4
            libc.prctl(pr_set_dumpable, 0, 0, 0, 0)
        except (OSError, AttributeError):
            pass


class Broker:
    """The server. `watch` is (pid, start) of the run it belongs to, or None for the
    TTL broker that lives until its last value expires."""

    def __init__(
        self,
        path: str,
        watch: tuple[int, str] | None = None,
        store: Store | None = None,
        idle_exit: float = IDLE_EXIT,
    ) -> None:
        self.path = path
        self.watch = watch
        self.idle_exit = idle_exit
        self.store = store or Store()
        self.uid = os.getuid()
        self.active = 0
        self.last_activity = time.monotonic()
        self._lock = threading.Lock()
        self._owners = itertools.count(1)
        self._stop = threading.Event()
        self.sock = None
        self._inode = None

    def bind(self) -> Broker:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            sock.bind(self.path)
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        sock.listen(128)
        sock.settimeout(WATCH_INTERVAL)
        self.sock = sock
        self._inode = os.lstat(self.path).st_ino
        return self

    # -- lifetime ----------------------------------------------------------------------
    def should_exit(self) -> bool:
        if self._stop.is_set():
            return True
        try:
            if os.lstat(self.path).st_ino != self._inode:
                return True  # our socket was removed or replaced: nobody can reach us
        except OSError:
            return True
        if self.watch is not None:
            return not process_alive(*self.watch)
        with self._lock:
            idle = self.active == 0 and time.monotonic() - self.last_activity > self.idle_exit
        return idle and self.store.expire() == 0

    def stop(self) -> None:
        self._stop.set()

    def serve_forever(self) -> None:
        try:
            while not self.should_exit():
                try:
                    conn, _addr = self.sock.accept()
                except socket.timeout:
                    self.store.expire()
                    continue
                except OSError:
                    if self._stop.is_set():
                        break
                    raise
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
        finally:
            self.close()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        try:
            if os.lstat(self.path).st_ino == self._inode:
                os.unlink(self.path)
                if self.watch is not None:  # the run is over: nobody will take its start lock again
                    os.unlink(self.path.rsplit(".", 1)[0] + ".lock")
        except OSError:
            pass

    # -- one connection ----------------------------------------------------------------
    def _serve(self, conn):
        owner = next(self._owners)
        with self._lock:
            self.active += 1
        try:
            uid = peer_uid(conn)
            if uid is not None and uid != self.uid:
                return
            conn.settimeout(CONNECTION_IDLE)
            while True:
                message = recv_message(conn)
                if message is None:
                    break
                send_message(conn, self.handle(message, owner))
        except (OSError, ValueError, ProtocolError):
            pass
        finally:
            self.store.release(owner)
            with self._lock:
                self.active -= 1
                self.last_activity = time.monotonic()
            conn.close()

    def handle(self, message: dict[str, Any], owner: int) -> dict[str, Any]:
        op = message.get("op") if isinstance(message, dict) else None
        if op == "claim":
            hits, lead, pending = self.store.claim(message["keys"], owner)
            return {"hits": hits, "lead": lead, "pending": pending}
        if op == "wait":
            timeout = min(float(message.get("timeout", 60)), MAX_WAIT)
            hits, lead, pending = self.store.wait(message["keys"], owner, timeout)
            return {"hits": hits, "lead": lead, "pending": pending}
        if op == "put":
            self.store.put(owner, message["outcomes"], message.get("ttl"))
            return {"ok": True}
        if op == "fail":
            self.store.fail(owner, message["keys"], message["outcome"])
            return {"ok": True}
        if op == "invalidate":
            names, subtrees = set(message.get("names", ())), list(message.get("subtrees", ()))
            dropped = self.store.invalidate(lambda key: is_stale(key, names, subtrees))
            return {"ok": True, "dropped": dropped}
        if op == "hello":
            return {"ok": True, "pid": os.getpid(), "values": len(self.store)}
        return {"error": f"unknown operation {op!r}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--ready-fd", type=int, required=True)
    parser.add_argument("--watch-pid", type=int)
    parser.add_argument("--watch-start", default="")
    parser.add_argument("--idle-exit", type=float, default=IDLE_EXIT)
    args = parser.parse_args(argv)

    # Detach from whoever started us (a short-lived Ansible worker): the intermediate
    # process exits at once, so the broker is nobody's child to wait for.
    if os.fork():
        os._exit(0)
    _harden()
    os.chdir("/")
    watch = (args.watch_pid, args.watch_start) if args.watch_pid else None
    try:
        broker = Broker(args.socket, watch=watch, idle_exit=args.idle_exit).bind()
    except OSError as exc:
        os.write(args.ready_fd, f"error {exc.strerror}\n".encode())
        os._exit(1)
    os.write(args.ready_fd, b"ready\n")
    os.close(args.ready_fd)
    broker.serve_forever()
    # Never run interpreter shutdown hooks inherited from anywhere: just leave.
    os._exit(0)


if __name__ == "__main__":
    main()
