#!/usr/bin/env python3
"""TEST DOUBLE of the SSM agent's document handling, for rehearsals in Docker.

No SSM agent or AWS endpoint exists here, so this reproduces what the service and the
agent do with a schema 2.2 Command document before anything runs on an instance:

* the service checks each parameter against its declared type, allowedValues and
  allowedPattern, applies defaults, and refuses the command otherwise;
* the agent (3.3.2746.0 and later) exports each `interpolationType: ENV_VAR` parameter as
  `SSM_<Name>`, and every agent replaces `{{ Name }}` in the step inputs with the value;
* `aws:downloadContent` places the content at `destinationPath`; here the caller supplies
  the file (the bundle) instead of S3;
* `aws:runShellScript` runs `runCommand` joined by newlines with /bin/sh as root, with
  the agent's own variables in its environment: AWS_SSM_INSTANCE_ID (the managed node's
  id, --instance-id) and AWS_SSM_REGION_NAME (--region), which every agent sets.

Usage: ssm_agent_emulator.py DOCUMENT OUT_DIR [--param Name=value ...] [--agent old|new]
           [--content STEP=LOCAL_FILE ...] [--instance-id ID] [--region REGION]
OUT_DIR receives plan.json: the ordered steps, each either
{"action": "download", "source": LOCAL_FILE, "destination": PATH} or
{"action": "shell", "script": "step-N.sh", "env": {...}, "workingDirectory": ...}.
Exit status 2 (with the reason on stderr) where the service would refuse the command.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

import yaml

NEW_AGENT = "new"  # exports SSM_<Name> for ENV_VAR parameters
OLD_AGENT = "old"  # older than 3.3.2746.0: only {{ }} substitution
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
# A managed node's id as the agent knows it: an EC2 instance (i-, 8 or 17 hex digits) or a
# hybrid-activated node (mi-, 17 hex digits).
INSTANCE_ID = re.compile(r"^(i-[0-9a-f]{8}([0-9a-f]{9})?|mi-[0-9a-f]{17})$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class RefusedCommand(ValueError):
    """Where SSM would refuse SendCommand / CreateAssociation for these parameters."""


def load_document(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    return json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)


def _as_text(kind, value, name):
    if kind == "String":
        if not isinstance(value, str):
            raise RefusedCommand(f"parameter {name}: expected a String")
        return value
    if kind == "StringList":
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in items):
            raise RefusedCommand(f"parameter {name}: expected a StringList of strings")
        return items
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise RefusedCommand(f"parameter {name}: expected a Boolean")
    if kind == "Integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if re.fullmatch(r"-?\d+", str(value)):
            return int(value)
        raise RefusedCommand(f"parameter {name}: expected an Integer")
    if kind in ("StringMap", "MapList"):
        return value
    raise RefusedCommand(f"parameter {name}: unsupported type {kind}")


def resolve_parameters(document, given):
    """Service-side checks: unknown names, types, defaults, allowedValues, allowedPattern."""
    declared = document.get("parameters", {}) or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise RefusedCommand(f"unknown parameter(s): {', '.join(unknown)}")
    resolved = {}
    for name, spec in declared.items():
        if name in given:
            raw = given[name]
        elif "default" in spec:
            raw = spec["default"]
        else:
            raise RefusedCommand(f"parameter {name}: required, no default")
        value = _as_text(spec.get("type", "String"), raw, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if "allowedValues" in spec and item not in spec["allowedValues"]:
                raise RefusedCommand(f"parameter {name}: value not in allowedValues")
            pattern = spec.get("allowedPattern")
            if pattern and not re.search(pattern, str(item)):
                raise RefusedCommand(f"parameter {name}: value does not match allowedPattern {pattern}")
        resolved[name] = value
    return resolved


def _render_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def substitute(text, values):
    def replace(match):
        name = match.group(1)
        if name not in values:
            return match.group(0)  # {{ ssm:... }} and unknown names stay as the agent leaves them
        return _render_value(values[name])

    return PLACEHOLDER.sub(replace, text)


def agent_environment(instance_id=None, region=None):
    """What every agent puts in a step's environment, whatever its version."""
    env = {}
    if instance_id is not None:
        if not INSTANCE_ID.match(instance_id):
            raise ValueError(f"--instance-id: i- and 8 or 17 hex digits, or mi- and 17, got {instance_id!r}")
        env["AWS_SSM_INSTANCE_ID"] = instance_id
    if region is not None:
        if not REGION.match(region):
            raise ValueError(f"--region: a region name such as eu-west-1, got {region!r}")
        env["AWS_SSM_REGION_NAME"] = region
    return env


def plan(document, given, agent=NEW_AGENT, contents=None, instance_id=None, region=None):
    if str(document.get("schemaVersion")) != "2.2":
        raise RefusedCommand("only schemaVersion 2.2 Command documents are emulated")
    values = resolve_parameters(document, given)
    declared = document.get("parameters", {}) or {}
    env = agent_environment(instance_id, region)
    if agent == NEW_AGENT:
        for name, spec in declared.items():
            if spec.get("interpolationType") == "ENV_VAR":
                env[f"SSM_{name}"] = _render_value(values[name])
    contents = contents or {}
    steps = []
    for index, step in enumerate(document.get("mainSteps", [])):
        inputs = step.get("inputs", {})
        action = step.get("action")
        if action == "aws:downloadContent":
            if step["name"] not in contents:
                raise RefusedCommand(f"step {step['name']}: no local content supplied (--content NAME=FILE)")
            steps.append(
                {
                    "action": "download",
                    "name": step["name"],
                    "source": contents[step["name"]],
                    "destination": substitute(inputs.get("destinationPath", ""), values),
                }
            )
        elif action == "aws:runShellScript":
            commands = inputs.get("runCommand", [])
            script = "\n".join(substitute(line, values) for line in commands) + "\n"
            steps.append(
                {
                    "action": "shell",
                    "name": step["name"],
                    "script_text": script,
                    "env": env,
                    "workingDirectory": substitute(inputs.get("workingDirectory", ""), values) or None,
                    "timeoutSeconds": inputs.get("timeoutSeconds"),
                }
            )
        else:
            raise RefusedCommand(f"step {index} ({step.get('name')}): action {action} is not emulated")
    return steps


def write_plan(steps, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    manifest = []
    for index, step in enumerate(steps):
        entry = {key: value for key, value in step.items() if key != "script_text"}
        if step["action"] == "shell":
            script = f"step-{index}.sh"
            with open(os.path.join(out_dir, script), "w", encoding="utf-8") as handle:
                handle.write(step["script_text"])
            entry["script"] = script
        manifest.append(entry)
    with open(os.path.join(out_dir, "plan.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2)
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("document")
    parser.add_argument("out_dir")
    parser.add_argument("--param", action="append", default=[], help="Name=value (repeatable)")
    parser.add_argument("--params-json", help="a JSON object of parameter values")
    parser.add_argument("--agent", choices=[NEW_AGENT, OLD_AGENT], default=NEW_AGENT)
    parser.add_argument("--content", action="append", default=[], help="STEP=LOCAL_FILE")
    parser.add_argument("--instance-id", help="the managed node's id, exported as AWS_SSM_INSTANCE_ID")
    parser.add_argument("--region", help="the node's region, exported as AWS_SSM_REGION_NAME")
    args = parser.parse_args(argv)
    given = json.loads(args.params_json) if args.params_json else {}
    for item in args.param:
        name, _, value = item.partition("=")
        given[name] = value
    contents = dict(item.split("=", 1) for item in args.content)
    try:  # a usage error (exit 2 with usage), not a command the service refuses
        agent_environment(args.instance_id, args.region)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        steps = plan(load_document(args.document), given, args.agent, contents, args.instance_id, args.region)
    except RefusedCommand as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    write_plan(steps, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
