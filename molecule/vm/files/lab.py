#!/usr/bin/env python3
"""The VM lab of the molecule scenario `vm` (test tool): QEMU guests, the moto server the
guests read their settings from, and the watch on the management port.

  lab.py up --state DIR --name NAME --image DISK --key PUBKEY --forward NAME=GUESTPORT ...
      boot NAME from DISK through its own GRUB (QEMU, software emulation), its writes
      going to a temporary overlay (snapshot=on: the cached disk is never written), with
      a seed disk carrying PUBKEY for root, user-mode networking and each forwarded guest
      port bound to 127.0.0.1 on a free host port; wait until ssh speaks. Prints the
      guest's record (JSON) and keeps it in DIR/NAME.json.
  lab.py down --state DIR --name NAME
      stop the guest (its overlay goes with it).
  lab.py moto-up --state DIR / moto-down --state DIR
      a moto server (the stand-in for AWS) on 127.0.0.1; guests reach it at 10.0.2.2.
  lab.py watch-start --state DIR --name NAME / watch-stop --state DIR --name NAME
      probe the guest's forwarded ssh port every WATCH_INTERVAL seconds (ssh's banner:
      see probe.py --banner) into DIR/NAME.watch.jsonl, until watch-stop.

KVM is not used: on this machine kind its guests crash or hang (LAB_NOTES, "Virtual
machines"); `-cpu max` under TCG is the fastest model that boots Debian's cloud kernel.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROBE = HERE.parent.parent / "shared" / "probe.py"
GUEST_GATEWAY = "10.0.2.2"
# ufw limits new ssh connections per source (6 in 30 s) and every host connection arrives
# from QEMU's gateway address: the watch leaves room for Ansible's and testinfra's own.
# sshd re-executes itself for each connection, which takes seconds on a busy emulated
# CPU: a banner may take that long, a closed port never sends one.
WATCH_INTERVAL = 10
WATCH_TIMEOUT = 30


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ssh_banner(port, timeout=5.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def record_path(state, name):
    return Path(state) / f"{name}.json"


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def seed_disk(path, public_key):
    """A small ext4 disk labelled KEELSEED holding root's authorized_keys (read by the
    image's keel-vm-seed unit at boot)."""
    with tempfile.TemporaryDirectory() as tree:
        Path(tree, "authorized_keys").write_text(Path(public_key).read_text(encoding="utf-8"), encoding="utf-8")
        subprocess.run(["truncate", "-s", "8M", str(path)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "KEELSEED", "-d", tree, str(path)], check=True)


def up(args):
    state = Path(args.state)
    state.mkdir(parents=True, exist_ok=True)
    forwards = {"ssh": 22}
    for item in args.forward:
        label, _, guest = item.partition("=")
        forwards[label] = int(guest)
    ports = {label: free_port() for label in forwards}
    seed = state / f"{args.name}.seed.img"
    seed_disk(seed, args.key)
    console = state / f"{args.name}.console.log"
    pidfile = state / f"{args.name}.pid"
    hostfwd = ",".join(f"hostfwd=tcp:127.0.0.1:{ports[label]}-:{guest}" for label, guest in forwards.items())
    # fmt: off
    command = [
        "qemu-system-x86_64",
        "-name", args.name,
        "-accel", "tcg",
        "-cpu", "max",
        "-smp", str(args.cpus),
        "-m", str(args.memory),
        "-drive", f"file={args.image},if=virtio,format=raw,snapshot=on",
        "-drive", f"file={seed},if=virtio,format=raw,readonly=on",
        "-netdev", f"user,id=n0,{hostfwd}",
        "-device", "virtio-net-pci,netdev=n0",
        "-display", "none",
        "-serial", f"file:{console}",
        "-monitor", "none",
        "-daemonize",
        "-pidfile", str(pidfile),
    ]
    # fmt: on
    subprocess.run(command, check=True)
    pid = int(pidfile.read_text().strip())
    record = {"name": args.name, "pid": pid, "ports": ports, "console": str(console), "gateway": GUEST_GATEWAY}
    record_path(state, args.name).write_text(json.dumps(record), encoding="utf-8")
    deadline = time.monotonic() + args.timeout
    started = time.monotonic()
    while time.monotonic() < deadline:
        if not alive(pid):
            sys.exit(f"{args.name}: QEMU exited while booting; console: {console}")
        if ssh_banner(ports["ssh"]):
            record["boot_seconds"] = round(time.monotonic() - started)
            record_path(state, args.name).write_text(json.dumps(record), encoding="utf-8")
            print(json.dumps(record))
            return 0
        time.sleep(3)
    tail = console.read_text(errors="replace")[-3000:] if console.exists() else ""
    sys.exit(f"{args.name}: no ssh banner within {args.timeout} s; console ends with:\n{tail}")


def stop_pid(pid, grace=30):
    if not alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)


def down(args):
    path = record_path(args.state, args.name)
    if path.exists():
        stop_pid(json.loads(path.read_text())["pid"])
        path.unlink()
    return 0


def moto_up(args):
    state = Path(args.state)
    state.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(state / "moto.log", "ab")  # noqa: SIM115 - the server outlives this process
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None:
                sys.exit(f"moto server exited; see {state / 'moto.log'}")
            time.sleep(0.5)
    else:
        sys.exit("moto server did not listen within 60 s")
    record = {
        "pid": process.pid,
        "port": port,
        "url": f"http://127.0.0.1:{port}",
        "guest_url": f"http://{GUEST_GATEWAY}:{port}",
    }
    (state / "moto.json").write_text(json.dumps(record), encoding="utf-8")
    print(json.dumps(record))
    return 0


def moto_down(args):
    path = Path(args.state) / "moto.json"
    if path.exists():
        stop_pid(json.loads(path.read_text())["pid"], grace=10)
        path.unlink()
    return 0


def watch_start(args):
    record = json.loads(record_path(args.state, args.name).read_text())
    out = Path(args.state) / f"{args.name}.watch.jsonl"
    stop = Path(args.state) / f"{args.name}.watch.stop"
    stop.unlink(missing_ok=True)
    with open(Path(args.state) / f"{args.name}.watch.log", "ab") as log:
        # fmt: off
        command = [
            sys.executable, str(PROBE), "watch", "--banner",
            "--out", str(out), "--stop", str(stop),
            "--target", f"ssh=127.0.0.1:{record['ports']['ssh']}",
            "--interval", str(WATCH_INTERVAL), "--timeout", str(WATCH_TIMEOUT),
        ]
        # fmt: on
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    (Path(args.state) / f"{args.name}.watch.pid").write_text(str(process.pid))
    return 0


def watch_stop(args):
    stop = Path(args.state) / f"{args.name}.watch.stop"
    stop.touch()
    pidfile = Path(args.state) / f"{args.name}.watch.pid"
    if pidfile.exists():
        pid = int(pidfile.read_text())
        deadline = time.monotonic() + WATCH_INTERVAL + WATCH_TIMEOUT + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        stop_pid(pid, grace=5)
        pidfile.unlink()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    boot = sub.add_parser("up")
    boot.add_argument("--state", required=True)
    boot.add_argument("--name", required=True)
    boot.add_argument("--image", required=True)
    boot.add_argument("--key", required=True, help="public key for root")
    boot.add_argument("--forward", action="append", default=[], help="LABEL=GUESTPORT")
    boot.add_argument("--cpus", type=int, default=2)
    boot.add_argument("--memory", type=int, default=2048)
    boot.add_argument("--timeout", type=int, default=900)
    for name in ("down", "watch-start", "watch-stop"):
        one = sub.add_parser(name)
        one.add_argument("--state", required=True)
        one.add_argument("--name", required=True)
    for name in ("moto-up", "moto-down"):
        sub.add_parser(name).add_argument("--state", required=True)
    args = parser.parse_args(argv)
    handlers = {
        "up": up,
        "down": down,
        "moto-up": moto_up,
        "moto-down": moto_down,
        "watch-start": watch_start,
        "watch-stop": watch_stop,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
