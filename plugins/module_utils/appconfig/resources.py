# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reconcile loop behind the AppConfig resource modules (application,
environment, configuration profile, deployment strategy): find by name, compare the
settable fields, create / update only what differs / delete, reconcile tags by ARN,
with check mode predicting the result and diff mode showing it.

A Kind says how one resource type is called: its operations, the request key of its
ID, its parents, which fields are compared and which AppConfig cannot change.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Callable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.appconfig import api
from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule
from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import (
    check_tags,
    compare_tags,
    merged_tags,
)
from ansible_collections.keel.ssm.plugins.module_utils.diff import attach_diff, diff_entry
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

# Options every resource module takes (documented in the keel.ssm.appconfig fragment),
# and the parent application of environments, profiles and deployments
# (keel.ssm.appconfig.application).
RESOURCE_SPEC = {
    "description": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "tags": {"type": "dict"},
    "purge_tags": {"type": "bool", "default": True},
}
APPLICATION_SPEC = {"application": {"type": "str", "required": True}}


def module_main(argument_spec: dict[str, Any], run: Callable[[Any], dict[str, Any]]) -> None:
    """An AppConfig module's main(): the module with the AWS options, ended by the runner."""
    run_module(KeelAWSModule(argument_spec=argument_spec, supports_check_mode=True), run)


def resource_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """tags, purge_tags and state of a resource module, checked (before any call)."""
    return {"tags": check_tags(params["tags"]), "purge_tags": params["purge_tags"], "state": params["state"]}


class Kind:
    def __init__(
        self,
        what: str,
        noun: str,
        id_key: str,
        arn: Callable[..., str],
        compared: tuple[str, ...],
        immutable: tuple[str, ...] = (),
        parents: tuple[str, ...] = (),
        read: str | None = None,
        list_call: str | None = None,
        required: tuple[str, ...] = (),
    ) -> None:
        self.what = what  # "environment"
        self.noun = noun  # "Environment", as in CreateEnvironment
        self.id_key = id_key  # "EnvironmentId"
        self.arn = arn  # (parents, id) -> the ARN's resource part
        self.compared = compared  # request/response members compared and updated
        self.immutable = immutable  # members only CreateX takes
        self.parents = parents  # request members naming the parents ("ApplicationId",)
        self.read = read  # "GetConfigurationProfile" when list items are summaries
        self.list_call = list_call or f"List{noun}s"
        self.required = required  # members CreateX needs that updates may leave out

    def op(self, verb: str) -> str:
        return f"{verb}{self.noun}"


APPLICATION = Kind("application", "Application", "ApplicationId", lambda p, i: f"application/{i}", ("Description",))
ENVIRONMENT = Kind(
    "environment",
    "Environment",
    "EnvironmentId",
    lambda p, i: f"application/{p['ApplicationId']}/environment/{i}",
    ("Description", "Monitors"),
    parents=("ApplicationId",),
)
PROFILE = Kind(
    "configuration profile",
    "ConfigurationProfile",
    "ConfigurationProfileId",
    lambda p, i: f"application/{p['ApplicationId']}/configurationprofile/{i}",
    ("Description", "RetrievalRoleArn", "Validators", "KmsKeyIdentifier"),
    immutable=("LocationUri", "Type"),
    parents=("ApplicationId",),
    read="GetConfigurationProfile",
)
STRATEGY = Kind(
    "deployment strategy",
    "DeploymentStrategy",
    "DeploymentStrategyId",
    lambda p, i: f"deploymentstrategy/{i}",
    ("Description", "DeploymentDurationInMinutes", "FinalBakeTimeInMinutes", "GrowthFactor", "GrowthType"),
    immutable=("ReplicateTo",),
    list_call="ListDeploymentStrategies",
    required=("DeploymentDurationInMinutes", "GrowthFactor"),
)
# What AppConfig reports for a member that was never set.
UNSET = {
    "Description": "",
    "Monitors": [],
    "Validators": [],
    "FinalBakeTimeInMinutes": 0,
    "Type": "AWS.Freeform",
    "ReplicateTo": "NONE",
    "GrowthType": "LINEAR",
}


def snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))


def shown(value: Any) -> Any:
    """An API structure with snake_case keys, as modules return it."""
    if isinstance(value, dict):
        return {snake(key): shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shown(item) for item in value]
    return value


def _comparable(member, value):
    if value is None:
        value = UNSET.get(member)
    if member == "Monitors":
        return sorted((m.get("AlarmArn"), m.get("AlarmRoleArn") or None) for m in value or [])
    if member == "Validators":
        items = []
        for validator in value or []:
            content = validator.get("Content")
            if validator.get("Type") == "JSON_SCHEMA":
                with contextlib.suppress(TypeError, ValueError):
                    content = json.dumps(json.loads(content), sort_keys=True)
            items.append((validator.get("Type"), content))
        return sorted(items)
    if member == "GrowthFactor" and value is not None:
        return float(value)
    return value


def differs(member: str, current: Any, desired: Any) -> bool:
    return _comparable(member, current) != _comparable(member, desired)


def resolve(module: Any, found: dict[str, Any] | None, reference: str, what: str, field: str) -> str | None:
    """The ID of a parent found by name or ID. In check mode a missing parent may be one
    an earlier task of the run would have created: warn and return None (the resource
    is then predicted as created)."""
    if found is not None:
        return found["Id"]
    if module.check_mode:
        module.warn(f"{field} {reference!r}: no such {what} yet; check mode assumes an earlier task creates it")
        return None
    raise KeelRuleError(f"{field} {reference!r}: no such {what} (name or ID)")


def find(client: Any, kind: Kind, parents: dict[str, str], name: str, field: str = "name") -> dict[str, Any] | None:
    """The full item named `name` (or with that ID) under `parents`, or None (also when
    a parent does not exist yet, in check mode)."""
    if any(value is None for value in parents.values()):
        return None
    subject = f"application {parents['ApplicationId']}" if parents else None
    items = api.list_all(client, kind.list_call, subject, **parents)
    item = api.pick(items, name, kind.what, field)
    if item is not None and kind.read:
        item = api.call(client, kind.read, name, **parents, **{kind.id_key: item["Id"]})
    return item


class ArnBuilder:
    """arn:<partition>:appconfig:<region>:<account>:<resource>; the account comes from
    STS GetCallerIdentity, asked once and only when tags must be read."""

    def __init__(self, module: Any, client: Any) -> None:
        self.module = module
        self.client = client
        self._prefix = None

    def __call__(self, resource):
        if self._prefix is None:
            account = api.call(self.module.client("sts"), "GetCallerIdentity")["Account"]
            meta = self.client.meta
            self._prefix = f"arn:{meta.partition}:appconfig:{meta.region_name}:{account}:"
        return self._prefix + resource


NOT_READ = object()


def ensure(
    module: Any,
    kind: Kind,
    parents: dict[str, str],
    name: str,
    desired: dict[str, Any],
    tags: dict[str, str] | None = None,
    purge_tags: bool = True,
    state: str = "present",
    current: Any = NOT_READ,
) -> dict[str, Any]:
    """Bring one resource to `desired` ({member: value}, None = leave alone). Returns the
    module result: changed, id, name, the resource's fields (snake_case), tags.
    `current`: the resource as find() returned it, when the caller has read it already."""
    client = module.client("appconfig")
    if current is NOT_READ:
        current = find(client, kind, parents, name)
    if state == "absent":
        return remove(module, client, kind, parents, name, current)
    if current is None:
        return create(module, client, kind, parents, name, desired, tags)
    for member in kind.immutable:
        if desired.get(member) is not None and differs(member, current.get(member), desired[member]):
            raise KeelRuleError(
                f"{snake(member)}: {kind.what} {name!r} has {current.get(member) or UNSET.get(member)!r} and AppConfig"
                f" cannot change it to {desired[member]!r}; delete the {kind.what} first (state: absent)"
            )
    changes = {
        member: desired[member]
        for member in kind.compared
        if desired.get(member) is not None and differs(member, current.get(member), desired[member])
    }
    after = dict(current, **changes)
    if changes and not module.check_mode:
        updated = api.call(client, kind.op("Update"), name, **parents, **{kind.id_key: current["Id"]}, **changes)
        after = dict(current, **updated)
    current_tags = new_tags = None
    tags_changed = False
    if tags is not None:
        arn = ArnBuilder(module, client)(kind.arn(parents, current["Id"]))
        current_tags = api.list_tags(client, arn)
        to_set, to_remove = compare_tags(current_tags, tags, purge_tags)
        tags_changed = bool(to_set or to_remove)
        if tags_changed and not module.check_mode:
            api.apply_tags(client, arn, to_set, to_remove)
        new_tags = merged_tags(current_tags, tags, purge_tags)
    result = outcome(kind, after, bool(changes) or tags_changed, new_tags)
    if module._diff:
        attach_diff(result, diff_entry(view(kind, current, current_tags), view(kind, after, new_tags)))
    return result


def create(
    module: Any,
    client: Any,
    kind: Kind,
    parents: dict[str, str],
    name: str,
    desired: dict[str, Any],
    tags: dict[str, str] | None,
) -> dict[str, Any]:
    missing = [snake(member) for member in kind.required if desired.get(member) is None]
    if missing:
        raise KeelRuleError(f"{', '.join(missing)}: required to create {kind.what} {name!r}")
    request = {member: value for member, value in desired.items() if value is not None}
    if tags:
        request["Tags"] = tags
    if module.check_mode:
        item = dict(request, Name=name, Id=None, **parents)
    else:
        item = api.call(client, kind.op("Create"), name, Name=name, **parents, **request)
    result = outcome(kind, item, True, dict(tags or {}) if tags is not None else None)
    if module._diff:
        attach_diff(result, diff_entry({"name": name, "state": "absent"}, view(kind, item, tags)))
    return result


def remove(
    module: Any, client: Any, kind: Kind, parents: dict[str, str], name: str, current: dict[str, Any] | None
) -> dict[str, Any]:
    if current is None:
        return {"changed": False, "name": name, "id": None}
    if not module.check_mode:
        api.call(client, kind.op("Delete"), name, **parents, **{kind.id_key: current["Id"]})
    result = {"changed": True, "name": current["Name"], "id": current["Id"]}
    if module._diff:
        attach_diff(result, diff_entry(view(kind, current, None), {"name": name, "state": "absent"}))
    return result


def view(kind: Kind, item: dict[str, Any], tags: dict[str, str] | None) -> dict[str, Any]:
    shown_item = {"name": item.get("Name")}
    shown_item.update({snake(m): shown(_shown_value(m, item.get(m))) for m in kind.compared + kind.immutable})
    if tags is not None:
        shown_item["tags"] = tags
    return shown_item


def _shown_value(member, value):
    return UNSET.get(member) if value is None else value


def outcome(kind: Kind, item: dict[str, Any], changed: bool, tags: dict[str, str] | None) -> dict[str, Any]:
    result = {"changed": changed, "id": item.get("Id")}
    result.update(shown({k: v for k, v in item.items() if k != "Id"}))
    for member in kind.compared + kind.immutable:
        result.setdefault(snake(member), shown(_shown_value(member, item.get(member))))
    if tags is not None:
        result["tags"] = tags
    return result
