"""Helpers for the Parameter Store module tests: running a module against the counting
proxy (see proxy_fixture.py), a full snapshot of what moto holds (to prove
check mode and failed validation changed nothing), and a request recorder."""

from __future__ import annotations

from tests.helpers.module_runner import run_module


def run(module, proxy, check=False, diff=True, verbosity=0, **args):
    """Run keel.ssm.<module> against the proxy (every call is counted there)."""
    return run_module(module, {"endpoint_url": proxy.url, **args}, check=check, diff=diff, verbosity=verbosity)


def output_of(result):
    """Everything the module printed (result JSON, stderr)."""
    return result["_stdout"] + result["_stderr"]


def snapshot(ssm, path="/"):
    """Everything moto holds under path: values (decrypted), metadata, labels per
    version, tags. Read directly from moto, not through the proxy."""
    state = {}
    paginator = ssm.get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=path, Recursive=True, WithDecryption=True):
        for parameter in page["Parameters"]:
            name = parameter["Name"]
            history = []
            for hpage in ssm.get_paginator("get_parameter_history").paginate(Name=name, WithDecryption=True):
                history.extend(hpage["Parameters"])
            newest = history[-1]
            state[name] = {
                "value": parameter["Value"],
                "type": parameter["Type"],
                "version": parameter["Version"],
                "data_type": parameter.get("DataType"),
                "description": newest.get("Description"),
                "key_id": newest.get("KeyId"),
                "tier": newest.get("Tier"),
                "allowed_pattern": newest.get("AllowedPattern"),
                "policies": [entry.get("PolicyText") for entry in newest.get("Policies", [])],
                "labels": {entry["Version"]: sorted(entry.get("Labels") or []) for entry in history},
                "tags": {
                    tag["Key"]: tag["Value"]
                    for tag in ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
                },
            }
    return state


class Recorder:
    """An AwsProxy `inject` hook that records request bodies by operation and can fail
    chosen requests: fail(operation, predicate, code, message); message may be a
    function of the request body (to echo what was sent, as AWS validation errors do)."""

    def __init__(self):
        self.requests = []
        self.failures = []

    def fail(self, operation, when=lambda body: True, code="AccessDeniedException", message="denied", status=400):
        self.failures.append((operation, when, (status, code, message)))

    def bodies(self, operation):
        return [body for op, body in self.requests if op == operation]

    def __call__(self, operation, body):
        self.requests.append((operation, body))
        for failing_operation, when, (status, code, message) in self.failures:
            if operation == failing_operation and when(body or {}):
                return status, code, message(body or {}) if callable(message) else message
        return None
