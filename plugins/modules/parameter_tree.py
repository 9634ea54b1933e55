#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: parameter_tree
short_description: Declare a whole Parameter Store subtree in one task
version_added: 0.1.0
description:
  - Makes the parameters under O(path) match a YAML tree, the way teams keep their
    configuration (per environment and service, as in
    C(/prod/finance/payment-service/db_host)), in one module run instead of one run per
    parameter.
  - Reads the current subtree in bulk (C(GetParametersByPath), 10 per page, decrypted)
    and compares every entry in memory; it asks C(DescribeParameters) (50 names per call)
    only for parameters whose comparison or rewrite needs their metadata, and reads tags
    and labels only for entries that manage them. A no-op apply of N plain entries costs
    about N/10 read calls and no write.
  - Writes only the parameters that differ, one at a time, then (with O(prune)) deletes
    the parameters the tree does not name, 10 per C(DeleteParameters) call. If any write
    fails, nothing is deleted and the failure lists exactly which parameters were
    written and which were not.
  - Every entry is checked with the rules of M(keel.ssm.parameter) before any AWS call;
    all problems are reported together, each naming C(parameters.<relative name>.<option>).
  - C(SecureString) values are compared in memory and never returned or shown; diffs
    mask them.
extends_documentation_fragment:
  - keel.ssm.aws
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) and every list exactly (reads, never writes).
  diff_mode:
    support: full
    description: One before/after entry per created, updated or deleted parameter; secrets masked.
options:
  path:
    description:
      - Root of the subtree, for example C(/prod/finance/payment-service). Entries of
        O(parameters) are named relative to it.
    type: str
    required: true
  parameters:
    description:
      - The tree, a mapping of relative names to entries. A key may span several levels
        (C(db/host)).
      - An entry that is a string, number or boolean is a value (numbers and booleans are
        written as text); a list is a C(StringList).
      - A mapping with a C(value) key is a parameter spec and takes the options of
        M(keel.ssm.parameter) (C(value), C(type), C(description), C(key_id), C(tier),
        C(policies), C(allowed_pattern), C(data_type), C(tags), C(purge_tags),
        C(labels), C(purge_labels)) with the same meaning; any other mapping is a subtree.
      - Never logged; after validation, only C(SecureString) values stay masked in output.
    type: dict
    required: true
  type:
    description:
      - Type of entries that do not set one (a list value is always a C(StringList)).
      - When neither is set, an existing parameter keeps its type and a new one is C(String).
    type: str
    choices: [String, StringList, SecureString]
  key_id:
    description: KMS key for C(SecureString) entries that do not set one.
    type: str
  tier:
    description: Tier of entries that do not set one. See M(keel.ssm.parameter).
    type: str
    choices: [Standard, Advanced, Intelligent-Tiering]
  prune:
    description:
      - Delete the parameters under O(path) (at any depth) that O(parameters) does not
        name. Refused at C(/). Nothing is deleted when any write fails.
    type: bool
    default: false
notes:
  - After a change (not in check mode), the run cache of the P(keel.ssm.parameter#lookup) lookup
    forgets what the task touched, for every host and fork of the run, so later lookups in the
    same run read the new state.
  - "Read budget of a no-op apply of N entries that manage no tags or labels: ceil(N/10)+1
    C(GetParametersByPath) pages, plus ceil(M/50) C(DescribeParameters) calls for the M
    entries that manage description, key, tier, policies or pattern (on AWS; moto 5.2.5
    answers DescribeParameters 10 per page whatever is asked). Entries that manage tags
    or labels add one C(ListTagsForResource) / C(GetParameterHistory) call each."
  - With C(-v), the result has C(progress) lines (counts of reads, planned changes and
    writes, never values).
seealso:
  - module: keel.ssm.parameter
author:
  - keel.ssm contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: The payment service's configuration
  keel.ssm.parameter_tree:
    path: /prod/finance/payment-service
    prune: true
    parameters:
      db:
        host: db.internal.example.com
        port: 5432
        password:
          value: "{{ vault_db_password }}"
          type: SecureString
          key_id: alias/payment-service
      allowed_origins: [https://shop.example.com, https://admin.example.com]
      feature/new_checkout: true
      api_key:
        value: "{{ vault_api_key }}"
        type: SecureString
        tier: Advanced
        policies:
          - Type: NoChangeNotification
            Attributes: {After: "90", Unit: Days}

- name: Every value under /prod/secrets is a SecureString with our key
  keel.ssm.parameter_tree:
    path: /prod/secrets
    type: SecureString
    key_id: alias/prod-secrets
    parameters: "{{ prod_secrets }}"
"""

RETURN = r"""
created:
  description: Full names of parameters created (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/prod/finance/payment-service/db/host]
updated:
  description: Full names of existing parameters changed (value, metadata, tags or labels).
  returned: always
  type: list
  elements: str
deleted:
  description: Full names deleted by O(prune).
  returned: always
  type: list
  elements: str
unchanged:
  description: Full names of entries that already matched.
  returned: always
  type: list
  elements: str
written:
  description: On a failed write, the parameters whose changes were all applied.
  returned: failure
  type: list
  elements: str
partially_written:
  description:
    - On a failed write, the parameter whose first calls succeeded before a later one
      (tags, labels) failed, with the calls that succeeded.
  returned: failure
  type: dict
not_written:
  description: On a failed write, the parameters with changes that were not applied.
  returned: failure
  type: list
  elements: str
not_deleted:
  description: When deleting fails, the parameters that were to be deleted and were not.
  returned: failure
  type: list
  elements: str
progress:
  description: With C(-v), counts of reads, planned changes and writes (never values).
  returned: when verbosity is 1 or more
  type: list
  elements: str
  sample: ["read: 1000 parameters under /bench in 101 GetParametersByPath pages"]
api_calls:
  description: AWS calls this run made, by operation.
  returned: always
  type: dict
  sample: {GetParametersByPath: 101}
"""

import traceback
from collections import Counter

from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule
from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import list_tags
from ansible_collections.keel.ssm.plugins.module_utils.diff import named_diff_entry
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, KeelError, KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.no_log import no_log_strings, protect, release
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.names import (
    check_parameter_path,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.plan import (
    deletion_views,
    plan_parameter,
    put_differences,
    same_value,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import read_labels, read_metadata, read_tree
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.rules import TIERS, TYPES
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.tree import (
    combine_problems,
    flatten_tree,
    tree_entries,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.write import apply_change, delete_parameters
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

ARGUMENT_SPEC = {
    "path": {"type": "str", "required": True},
    "parameters": {"type": "dict", "required": True, "no_log": True},
    "type": {"type": "str", "choices": list(TYPES)},
    "key_id": {"type": "str"},
    "tier": {"type": "str", "choices": list(TIERS)},
    "prune": {"type": "bool", "default": False},
}


class TreeRun:
    """One apply: counts calls, keeps progress lines, builds the result."""

    def __init__(self, module):
        self.module = module
        self.calls = Counter()
        self.lines = []
        self.created, self.updated, self.deleted, self.unchanged = [], [], [], []

    def on_call(self, operation, _count):
        self.calls[operation] += 1

    def progress(self, line):
        self.lines.append(line)

    def result(self, **extra):
        result = {
            "created": sorted(self.created),
            "updated": sorted(self.updated),
            "deleted": sorted(self.deleted),
            "unchanged": sorted(self.unchanged),
            "api_calls": dict(sorted(self.calls.items())),
        }
        if self.module._verbosity >= 1:
            result["progress"] = list(self.lines)
        result.update(extra)
        return result


def mask_tree(module, desired, tree):
    """Keep SecureString values (new and old) masked; unmask everything else the no_log
    `parameters` option holds (String values, types, descriptions, tags...)."""
    secrets = []
    for entry in desired:
        current = tree.get(entry.name)
        if entry.effective_type(current) == "SecureString":
            secrets.append(entry.value)
            if current is not None and current.value_known:
                secrets.append(current.value)
    protect(module, secrets)
    release(module, no_log_strings(module.params["parameters"]), "parameters")


def read_state(module, run, path, desired):
    client = module.client()
    tree = read_tree(client, path, keep_values_for=[entry.name for entry in desired], on_call=run.on_call)
    pages = run.calls["GetParametersByPath"]
    run.progress(f"read: {len(tree)} parameters under {path} in {pages} GetParametersByPath pages")
    mask_tree(module, desired, tree)
    existing = [(entry, tree[entry.name]) for entry in desired if entry.name in tree]
    need_metadata = [
        current
        for entry, current in existing
        if entry.needs_metadata(current)
        or not same_value(entry.value, current.value)
        or (entry.data_type is not None and entry.data_type != current.data_type)
    ]
    if need_metadata:
        read_metadata(client, need_metadata, on_call=run.on_call)
        run.progress(
            f"metadata: {len(need_metadata)} parameters in {run.calls['DescribeParameters']} DescribeParameters calls"
        )
    for entry, current in existing:
        if entry.tags is not None:
            current.tags = list_tags(client, "Parameter", entry.name, on_call=run.on_call)
        if entry.labels is not None and not put_differences(entry, current):
            read_labels(client, current, on_call=run.on_call)
    if run.calls["ListTagsForResource"] or run.calls["GetParameterHistory"]:
        run.progress(
            f"tags and labels: {run.calls['ListTagsForResource']} ListTagsForResource, "
            f"{run.calls['GetParameterHistory']} GetParameterHistory calls"
        )
    return tree


def plan_tree(desired, tree, prune):
    changes, problems = [], []
    for entry in desired:
        try:
            changes.append((entry, plan_parameter(entry, tree.get(entry.name))))
        except KeelRuleError as exc:
            problems.append(str(exc))
    if problems:
        raise KeelRuleError(combine_problems(problems))
    named = {entry.name for entry in desired}
    deletions = sorted(name for name in tree if name not in named) if prune else []
    return changes, deletions


def write_changes(module, run, changes, tree):
    """Apply changes in order; stop at the first failure and fail with what was and
    was not written (nothing is pruned then)."""
    client = module.client()
    pending = [(entry, change) for entry, change in changes if change.changed]
    step = max(1, len(pending) // 10)
    written = []
    for index, (entry, change) in enumerate(pending):
        current = tree.get(entry.name)
        try:
            apply_change(client, entry, current, change, entry.value, secrets=module.secrets, on_call=run.on_call)
        except KeelAWSError as error:
            steps = error.result.pop("steps_done", [])
            partial = {entry.name: steps} if steps else {}
            not_written = [name for name in (e.name for e, _c in pending[index:]) if name not in partial]
            run.progress(f"write: failed at {index + 1}/{len(pending)}; nothing pruned")
            raise KeelAWSError(
                error.kind,
                f"{error.message} -- {len(written)} of {len(pending)} changed parameters written, "
                f"{len(not_written)} not written{', 1 partially' if partial else ''}; nothing pruned",
                code=error.code,
                operation=error.operation,
                written=written,
                partially_written=partial,
                not_written=not_written,
            ) from None
        written.append(entry.name)
        (run.created if change.action == "create" else run.updated).append(entry.name)
        if (index + 1) % step == 0 or index + 1 == len(pending):
            run.progress(f"write: {index + 1}/{len(pending)} parameters written")


def prune(module, run, deletions):
    try:
        deleted, _invalid = delete_parameters(module.client(), deletions, on_call=run.on_call)
    except KeelAWSError as error:
        done = list(error.result.pop("deleted", []))
        run.deleted.extend(done)
        raise KeelAWSError(
            error.kind,
            f"{error.message} -- {len(done)} of {len(deletions)} deleted",
            code=error.code,
            operation=error.operation,
            not_deleted=[name for name in deletions if name not in done],
        ) from None
    run.deleted.extend(deleted)
    run.progress(f"prune: {len(deleted)} deleted in {run.calls['DeleteParameters']} DeleteParameters calls")


def apply_tree(module, run):
    params = module.params
    path = check_parameter_path(params["path"], for_write=True)
    if params["prune"] and path == "/":
        raise KeelRuleError("prune: refused at path '/' (it would delete every parameter of the account)")
    # Values stay masked until their type is known (an entry without a type may be an
    # existing SecureString); everything else is released so messages stay readable.
    masked = set()
    for _relative, options in tree_entries(params["parameters"]):
        value = options.get("value")
        if isinstance(value, list) or (options.get("type") or params["type"]) in ("String", "StringList"):
            continue
        masked |= no_log_strings(value)
    release(module, no_log_strings(params["parameters"]) - masked, "parameters")
    defaults = {key: params[key] for key in ("type", "key_id", "tier")}
    desired = flatten_tree(path, params["parameters"], defaults)
    protect(module, [entry.value for entry in desired if entry.type == "SecureString"])
    try:
        tree = read_state(module, run, path, desired)
    except KeelAWSError as error:
        error.args = (f"{error.message} -- nothing was written",)
        raise
    changes, deletions = plan_tree(desired, tree, params["prune"])
    for entry, change in changes:
        if not change.changed:
            run.unchanged.append(entry.name)
    creates = sum(change.action == "create" for _e, change in changes)
    updates = sum(change.action == "update" for _e, change in changes)
    run.progress(
        f"plan: {creates} to create, {updates} to update, {len(deletions)} to delete, {len(run.unchanged)} unchanged"
    )
    diff = [named_diff_entry(change.name, change.before, change.after) for _e, change in changes if change.changed]
    diff.extend(named_diff_entry(name, *deletion_views(tree[name])) for name in deletions)
    if module.check_mode:
        run.created = [change.name for _e, change in changes if change.action == "create"]
        run.updated = [change.name for _e, change in changes if change.action == "update"]
        run.deleted = list(deletions)
    else:
        write_changes(module, run, changes, tree)
        if deletions:
            prune(module, run, deletions)
    changed = bool(run.created or run.updated or run.deleted)
    extra = {"changed": changed}
    if module._diff and diff:
        extra["diff"] = diff
    return run.result(**extra)


def run(module):
    """apply_tree(), and on any failure its progress too: the calls made, what was written."""
    tree_run = TreeRun(module)
    try:
        return apply_tree(module, tree_run)
    except KeelError as error:
        error.result = tree_run.result(**error.result)
        raise
    except Exception as exc:  # a bug: still report the progress (run_module redacts the text)
        raise KeelError(f"{type(exc).__name__}: {exc}", exception=traceback.format_exc(), **tree_run.result()) from exc


def main():
    run_module(KeelAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
