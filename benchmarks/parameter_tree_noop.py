#!/usr/bin/env python3
"""No-op apply of a Parameter Store tree: keel.ssm.parameter_tree versus a loop of
community.aws.ssm_parameter over the same items, in one run.

Both run as real `ansible-playbook` processes against one moto server behind the
AwsProxy test double, which counts every API call by operation. The tree is seeded
first (not counted); then each tool applies exactly what is already there, so both
must report 0 changed and make 0 writes. Wall time is the whole ansible-playbook run
(controller start-up included) for each.

Goals (issue 3): the tree at least 50x faster, at most N/10 + N/50 + 4 read calls
(124 for 1,000), 0 writes. Exits non-zero when a goal is missed or a run changed
something. Results go to benchmarks/results/ (JSON and Markdown).

  .venv/bin/python benchmarks/parameter_tree_noop.py [--items 1000]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import boto3
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.helpers.aws_proxy import AwsProxy  # noqa: E402
from tests.helpers.moto_endpoint import FAKE_CREDENTIALS, MotoServer  # noqa: E402

ROOT = "/bench"
RESULTS = REPO_ROOT / "benchmarks" / "results"


def items_of(count):
    """count parameters: /bench/envE/svcS/keyK; every 10th a SecureString, every 7th a
    StringList, the rest Strings."""
    items = []
    for index in range(count):
        name = f"{ROOT}/env{index % 5}/svc{(index // 5) % 20}/key{index // 100}"
        if index % 10 == 0:
            items.append({"name": name, "type": "SecureString", "value": f"secret-{index:04d}-x9"})
        elif index % 7 == 0:
            items.append({"name": name, "type": "StringList", "value": f"a{index},b{index}"})
        else:
            items.append({"name": name, "type": "String", "value": f"value-{index:04d}"})
    return items


def tree_of(items):
    tree = {}
    for item in items:
        *levels, leaf = item["name"][len(ROOT) + 1 :].split("/")
        node = tree
        for level in levels:
            node = node.setdefault(level, {})
        if item["type"] == "SecureString":
            node[leaf] = {"value": item["value"], "type": "SecureString"}
        elif item["type"] == "StringList":
            node[leaf] = item["value"].split(",")
        else:
            node[leaf] = item["value"]
    return tree


def seed(url, items):
    client = boto3.client("ssm", endpoint_url=url, region_name=FAKE_CREDENTIALS["AWS_REGION"])
    for item in items:
        client.put_parameter(Name=item["name"], Value=item["value"], Type=item["type"])


def playbooks(workdir, endpoint):
    tree = [
        {
            "name": "No-op apply with keel.ssm.parameter_tree",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "The whole tree in one task",
                    "keel.ssm.parameter_tree": {"path": ROOT, "parameters": "{{ tree }}", "endpoint_url": endpoint},
                }
            ],
        }
    ]
    loop = [
        {
            "name": "No-op apply with a loop of community.aws.ssm_parameter",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "One parameter per loop item",
                    "community.aws.ssm_parameter": {
                        "name": "{{ item.name }}",
                        "value": "{{ item.value }}",
                        "string_type": "{{ item.type }}",
                        "endpoint_url": endpoint,
                    },
                    "loop": "{{ items }}",
                    "loop_control": {"label": "{{ item.name }}"},
                }
            ],
        }
    ]
    paths = {}
    for name, document in (("tree", tree), ("loop", loop)):
        paths[name] = workdir / f"{name}.yml"
        paths[name].write_text(yaml.safe_dump(document, sort_keys=False))
    return paths


def run_playbook(playbook, variables, proxy):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"))
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        f"@{variables}",
        str(playbook),
    ]
    proxy.reset_counts()
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO_ROOT, check=False)
    seconds = time.monotonic() - started
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", completed.stdout)
    if completed.returncode != 0 or not recap:
        sys.exit(
            f"{playbook.name} failed (rc {completed.returncode}):\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}"
        )
    return {
        "seconds": round(seconds, 2),
        "changed": int(recap.group(2)),
        "reads": proxy.reads(),
        "writes": proxy.writes(),
        "calls": dict(sorted(proxy.counts.items())),
    }


def report(count, tree, loop):
    budget = count / 10 + count / 50 + 4
    ratio = loop["seconds"] / tree["seconds"]
    goals = {
        "at least 50x faster": ratio >= 50,
        f"at most {budget:g} read calls": tree["reads"] <= budget,
        "0 writes": tree["writes"] == 0 and loop["writes"] == 0,
        "0 changed": tree["changed"] == 0 and loop["changed"] == 0,
    }
    lines = [
        f"No-op apply of {count} parameters (moto {moto_version()} behind AwsProxy, one run)",
        "",
        "| | wall time (s) | read calls | write calls | changed |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| keel.ssm.parameter_tree (1 task) | {tree['seconds']:.1f} | {tree['reads']} | {tree['writes']} | "
        f"{tree['changed']} |",
        f"| community.aws.ssm_parameter (loop of {count}) | {loop['seconds']:.1f} | {loop['reads']} | "
        f"{loop['writes']} | {loop['changed']} |",
        "",
        f"Speed-up: {ratio:.0f}x; read calls: {loop['reads'] / max(tree['reads'], 1):.0f}x fewer.",
        f"Tree calls: {json.dumps(tree['calls'])}",
        f"Loop calls: {json.dumps(loop['calls'])}",
        "Goals: " + ", ".join(f"{goal}: {'met' if met else 'MISSED'}" for goal, met in goals.items()),
    ]
    return "\n".join(lines), goals, ratio


def moto_version():
    return version("moto")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    args = parser.parse_args(argv)
    os.environ.update(FAKE_CREDENTIALS)  # moto accepts any; never real credentials
    os.environ.pop("AWS_ENDPOINT_URL", None)
    items = items_of(args.items)
    with MotoServer() as moto, AwsProxy(moto.url) as proxy, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        seed(moto.url, items)
        variables = workdir / "vars.yml"
        variables.write_text(yaml.safe_dump({"tree": tree_of(items), "items": items}))
        paths = playbooks(workdir, proxy.url)
        tree = run_playbook(paths["tree"], variables, proxy)
        loop = run_playbook(paths["loop"], variables, proxy)
    text, goals, ratio = report(args.items, tree, loop)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result = {"items": args.items, "tree": tree, "loop": loop, "speedup": round(ratio, 1), "goals": goals}
    (RESULTS / f"parameter_tree_noop-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"parameter_tree_noop-{stamp}.md").write_text(text + "\n")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
