#!/usr/bin/env python3
"""TCP probes (test tool of the molecule scenarios `ufw`, from its prober container, and
`vm`, from the host through QEMU's forwarded ports).

  probe.py connect HOST PORT [--source IP] [--timeout S] [--banner]
      one connection; prints JSON {"result": open|refused|timeout|silent|error:..., "seconds": ..., "banner": ...}
  probe.py many < JSON
      connections in parallel, each {"host", "port", "source", "timeout", "banner"}
      (optional but host and port); prints the results as a JSON list, in order
  probe.py burst HOST PORT --source IP --count N
      N connections one after the other from one source (the rate-limit test)
  probe.py watch --out FILE --stop FILE --target NAME=HOST:PORT ... --source IP ... [--timeout S]
                [--interval S] [--banner]
      one thread per target (HOST of an IPv6 target in brackets), a new connection every
      interval (1 s) from the sources of the target's family in rotation (the management
      port is rate limited per source), one JSON line per probe, until the stop file exists

--banner: the port counts as open only when the service speaks first (ssh's banner, the
scenario's listeners). Through QEMU's user-mode port forwarding the host side of a
connection is always accepted; when the guest refuses or drops it, QEMU closes it without
a byte, which shows here as "silent".

A firewall that drops answers nothing (timeout); a reject or a closed port answers
(refused). Every result carries the seconds the attempt took. Linux sends a SYN at 0, 1
and 3 s: a 3 s timeout outlasts one retransmission, the watch's 5 s two, so a packet
dropped in the instant ufw restarts (it does for `ufw default`, `ufw reload`) shows as a
slow connection, not as a closed port; a port that stays closed still times out.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time


def connect(host, port, source=None, timeout=3.0, banner=False):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    started = time.monotonic()
    try:
        if source:
            sock.bind((source, 0))
        sock.connect((host, port))
        answer = {"result": "open", "seconds": round(time.monotonic() - started, 3)}
        if banner:
            try:
                answer["banner"] = sock.recv(256).decode("ascii", "replace").strip()
            except (socket.timeout, ConnectionResetError):
                answer["banner"] = ""
            if not answer["banner"]:
                answer["result"] = "silent"
            answer["seconds"] = round(time.monotonic() - started, 3)
        return answer
    except ConnectionRefusedError:
        result = "refused"
    except socket.timeout:
        result = "timeout"
    except OSError as exc:
        result = f"error:{exc.errno}"
    finally:
        sock.close()
    return {"result": result, "seconds": round(time.monotonic() - started, 3)}


def many(requests):
    results = [None] * len(requests)

    def run(index, request):
        results[index] = connect(
            request["host"],
            request["port"],
            request.get("source"),
            request.get("timeout", 3.0),
            request.get("banner", False),
        )

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def watch(args):
    lock = threading.Lock()
    stop = threading.Event()

    def probe_loop(offset, name, host, port):
        sources = [source for source in args.source if (":" in source) == (":" in host)] or [None]
        count = offset
        with open(args.out, "a", encoding="utf-8") as out:
            while not stop.is_set():
                started = time.time()
                source = sources[count % len(sources)]
                record = {"t": round(started, 3), "target": name, "source": source}
                record.update(connect(host, port, source=source, timeout=args.timeout, banner=args.banner))
                with lock:
                    out.write(json.dumps(record) + "\n")
                    out.flush()
                count += 1
                stop.wait(max(0.0, args.interval - (time.time() - started)))

    threads = []
    for index, target in enumerate(args.target):
        name, _, address = target.partition("=")
        host, _, port = address.rpartition(":")
        thread = threading.Thread(target=probe_loop, args=(index * 7, name, host.strip("[]"), int(port)), daemon=True)
        thread.start()
        threads.append(thread)
    while not os.path.exists(args.stop):
        time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("connect")
    one.add_argument("host")
    one.add_argument("port", type=int)
    one.add_argument("--source")
    one.add_argument("--timeout", type=float, default=3.0)
    one.add_argument("--banner", action="store_true")
    sub.add_parser("many")
    burst = sub.add_parser("burst")
    burst.add_argument("host")
    burst.add_argument("port", type=int)
    burst.add_argument("--source", required=True)
    burst.add_argument("--count", type=int, required=True)
    loop = sub.add_parser("watch")
    loop.add_argument("--out", required=True)
    loop.add_argument("--stop", required=True)
    loop.add_argument("--target", action="append", required=True, help="NAME=HOST:PORT")
    loop.add_argument("--source", action="append", default=[])
    loop.add_argument("--interval", type=float, default=1.0)
    loop.add_argument("--timeout", type=float, default=5.0)
    loop.add_argument("--banner", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "connect":
        print(json.dumps(connect(args.host, args.port, args.source, args.timeout, args.banner)))
    elif args.command == "many":
        print(json.dumps(many(json.load(sys.stdin))))
    elif args.command == "burst":
        print(json.dumps([connect(args.host, args.port, args.source)["result"] for _ in range(args.count)]))
    else:
        watch(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
