#!/usr/bin/env python3
"""Benchmark: Parameter Store reads for a fleet, keel.ssm.parameter vs amazon.aws.ssm_parameter.

One command (`make bench`): starts a moto server behind the AwsProxy test double, which
emulates SSM's 40 TPS quota (token bucket answering ThrottlingException) and injects a
further 20% ThrottlingException; seeds 25 names (one SecureString); then runs the same
inventory (40 local-connection hosts, 10 forks, -vvvv) through the same playbook
(tests/integration/playbooks/fleet.yml) three times, one ansible-playbook run each, every
host rendering a config file from all 25 names:

  keel-batched   keel.ssm.parameter, all names in one lookup call
  keel-each      keel.ssm.parameter, one lookup call per name
  amazon         amazon.aws.ssm_parameter (from the venv's `ansible` bundle), one per name

For each it prints requests that reached the endpoint (all, throttled, answered),
failed hosts, hosts whose file is wrong, wall time, and how often the SecureString
value appears in the -vvvv output; then the ratios amazon / keel. Results also go to
benchmarks/results/lookup_fleet-<UTC time>.json and .txt.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import boto3  # noqa: E402

from tests.helpers.aws_proxy import AwsProxy  # noqa: E402
from tests.helpers.fleet import rendered, run_fleet, seed_fleet  # noqa: E402
from tests.helpers.moto_endpoint import FAKE_CREDENTIALS, MotoServer  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results"
MODES = {
    "keel-batched": "batched",
    "keel-each": "each",
    "amazon": "amazon",
}


def measure(label, mode, moto_url, names, secret, args, workdir):
    # A fresh proxy per run, same seed: every run meets the same quota and the same dice.
    with AwsProxy(moto_url, rate_limit_tps=args.tps, throttle_ratio=args.throttle, seed=args.seed) as proxy:
        result = run_fleet(workdir, proxy.url, names, [mode], hosts=args.hosts, forks=args.forks, verbosity=4)
        requests = sum(proxy.counts.values())
        throttled = sum(proxy.throttled.values())
        by_operation = dict(proxy.counts)
    wrong = []
    for index in range(args.hosts):
        host = f"host{index:03d}"
        if host in result.failed_hosts:
            continue
        try:
            values = rendered(workdir, host, mode)
        except OSError:
            wrong.append(host)
            continue
        if values.get(names[-1]) != secret or values.get(names[0]) != "value-0":
            wrong.append(host)
    return {
        "label": label,
        "requests": requests,
        "throttled": throttled,
        "answered": requests - throttled,
        "by_operation": by_operation,
        "failed_hosts": len(result.failed_hosts),
        "failed_host_names": result.failed_hosts,
        "wrong_files": len(wrong),
        "wall_seconds": round(result.seconds, 1),
        "secret_in_output": result.occurrences(secret),
        "output_lines": result.output.count("\n"),
        "returncode": result.returncode,
        "first_failure": first_failure(result.output),
    }


def first_failure(output):
    """The message of the first failed task (at -vvvv a result spans many lines)."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if "FAILED!" in line:
            host = line.split("]", 1)[0] + "]"
            for detail in lines[index : index + 60]:
                if '"msg":' in detail:
                    return f"{host} {detail.strip()}"[:400]
            return line.strip()[:400]
    return ""


def ratio(numerator, denominator):
    return round(numerator / denominator, 1) if denominator else None


def report(rows, args, started):
    header = (
        f"lookup_fleet: {args.hosts} hosts x {args.names} names (1 SecureString), {args.forks} forks, -vvvv; "
        f"moto behind AwsProxy at {args.tps:g} TPS + {args.throttle:.0%} injected ThrottlingException"
        f" (seed {args.seed})"
    )
    lines = [header, ""]
    columns = ("run", "requests", "throttled", "answered", "failed hosts", "wrong files", "wall s", "secret in -vvvv")
    lines.append("{:<14}{:>10}{:>11}{:>10}{:>14}{:>13}{:>9}{:>17}".format(*columns))
    for row in rows:
        lines.append(
            "{:<14}{:>10}{:>11}{:>10}{:>14}{:>13}{:>9}{:>17}".format(
                row["label"],
                row["requests"],
                row["throttled"],
                row["answered"],
                row["failed_hosts"],
                row["wrong_files"],
                row["wall_seconds"],
                row["secret_in_output"],
            )
        )
    by_label = {row["label"]: row for row in rows}
    ratios = {}
    if "amazon" in by_label:
        amazon = by_label["amazon"]
        lines.append("")
        for label in ("keel-batched", "keel-each"):
            if label in by_label:
                keel = by_label[label]
                ratios[label] = {
                    "requests": ratio(amazon["requests"], keel["requests"]),
                    "answered": ratio(amazon["answered"], keel["answered"]),
                    "wall": ratio(amazon["wall_seconds"], keel["wall_seconds"]),
                }
                lines.append(
                    f"amazon / {label}: {ratios[label]['requests']}x requests, "
                    f"{ratios[label]['answered']}x answered reads, {ratios[label]['wall']}x wall time"
                )
        if amazon["first_failure"]:
            lines.append(f"first amazon failure: {amazon['first_failure']}")
    lines.append(f"\nbenchmark wall time: {time.monotonic() - started:.0f} s")
    return "\n".join(lines), ratios


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--names", type=int, default=25)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--tps", type=float, default=40.0)
    parser.add_argument("--throttle", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--only", choices=list(MODES), action="append", help="run only these (repeatable)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    rows = []
    with MotoServer() as moto, tempfile.TemporaryDirectory(prefix="keel-bench-") as workdir:
        ssm = boto3.client(
            "ssm",
            endpoint_url=moto.url,
            region_name=FAKE_CREDENTIALS["AWS_REGION"],
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        names, secret = seed_fleet(ssm, "/bench/app", count=args.names)
        for label, mode in MODES.items():
            if args.only and label not in args.only:
                continue
            print(f"running {label} ...", flush=True)
            rows.append(measure(label, mode, moto.url, names, secret, args, Path(workdir) / label))
            time.sleep(1.5)  # let the quota bucket refill between runs

    text, ratios = report(rows, args, started)
    print("\n" + text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    settings = {key: getattr(args, key) for key in ("hosts", "names", "forks", "tps", "throttle", "seed")}
    (RESULTS / f"lookup_fleet-{stamp}.json").write_text(
        json.dumps({"settings": settings, "runs": rows, "ratios": ratios}, indent=2) + "\n", encoding="utf-8"
    )
    (RESULTS / f"lookup_fleet-{stamp}.txt").write_text(text + "\n", encoding="utf-8")
    print(f"\nresults: {RESULTS / f'lookup_fleet-{stamp}'}.{{json,txt}}")
    keel_ok = all(r["failed_hosts"] == 0 and r["secret_in_output"] == 0 for r in rows if r["label"] != "amazon")
    return 0 if keel_ok else 1


if __name__ == "__main__":
    sys.exit(main())
