#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: parameter
short_description: Manage one AWS Systems Manager Parameter Store parameter
version_added: 0.1.0
description:
  - Creates, updates or deletes one parameter, comparing everything it manages (value,
    type, description, KMS key, tier, policies, allowed pattern, data type, tags and
    labels) and writing only what differs.
  - A C(SecureString) value is compared in memory, after decrypting the current value
    with C(GetParameter), with a constant-time comparison. It is never returned, never
    shown in a diff (a mask shows whether it changed), and redacted from every error.
  - Options left unset are not managed, so an existing parameter keeps its current
    description, key, tier, policies, pattern, data type, tags and labels.
  - Every rule Parameter Store applies to names, values, tiers, policies, data types,
    patterns, keys, tags and labels is checked before any AWS call, with a message that
    names the option and the rule. Rules that depend on the parameter as it is now
    (its type, its tier) are checked after reading it, before anything is written.
  - For a whole tree of parameters in one task, use M(keel.ssm.parameter_tree).
extends_documentation_fragment:
  - keel.ssm.aws
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) exactly (reads, never writes).
  diff_mode:
    support: full
    description: Before/after of every managed option; C(SecureString) values masked.
options:
  name:
    description:
      - Full name of the parameter, for example C(/prod/finance/payment-service/db_host).
      - Letters, digits and C(_ . - /); a hierarchical name starts with C(/), has no empty
        level and no trailing C(/), at most 15 levels and 1011 characters; it must not
        begin with C(aws) or C(ssm) (any case).
    type: str
    required: true
  value:
    description:
      - The value. A list is a C(StringList) (elements must not contain commas).
        Numbers and booleans are written as text (C(true)/C(false)).
      - At most 4096 bytes (UTF-8) on the Standard tier, 8192 on Advanced and
        Intelligent-Tiering. Must not be empty.
      - Required to create a parameter; when omitted for an existing one, its value is
        kept (and, if another option needs a new version, written again as it is).
      - Never logged.
    type: raw
  type:
    description:
      - Parameter type. When omitted, an existing parameter keeps its type and a new one
        is C(String) (C(StringList) for a list value).
      - Parameter Store cannot change the type of an existing parameter; a different
        type fails before writing (delete the parameter first).
    type: str
    choices: [String, StringList, SecureString]
    aliases: [string_type]
  description:
    description: Description of the parameter (at most 1024 characters; an empty string clears it).
    type: str
  key_id:
    description:
      - KMS key (key ID, key ARN, alias name such as C(alias/my-key), or alias ARN)
        that encrypts a C(SecureString). Only for C(SecureString).
      - Compared as given (ARNs are reduced to their key ID or alias); an alias and the
        key ID it points to are not resolved, which costs one extra write when switching
        between the two forms.
    type: str
  tier:
    description:
      - V(Standard) (4 KB, no policies), V(Advanced) (8 KB, policies) or
        V(Intelligent-Tiering) (Parameter Store picks Standard or Advanced; either
        counts as unchanged).
      - An Advanced parameter cannot go back to Standard; asking for it fails before writing.
      - When omitted, an existing parameter keeps its tier; a new one gets the account's
        default tier.
    type: str
    choices: [Standard, Advanced, Intelligent-Tiering]
  policies:
    description:
      - Parameter policies, as a list of mappings or their JSON text. Each has C(Type)
        (V(Expiration) with attribute C(Timestamp); V(ExpirationNotification) with
        C(Before) and C(Unit); V(NoChangeNotification) with C(After) and C(Unit)),
        C(Version) (C(1.0), the default) and C(Attributes). C(Unit) is C(Days) or C(Hours).
      - At most 10 policies and one Expiration. Needs tier V(Advanced) or V(Intelligent-Tiering).
      - An empty list removes all policies; when omitted, existing policies are kept.
    type: raw
  allowed_pattern:
    description:
      - Regular expression the value must match (Python C(re.search) semantics here;
        anchor it with C(^...$) as AWS's examples do). Checked against the value before
        any call. An empty string removes the pattern.
    type: str
  data_type:
    description:
      - V(aws:ec2:image) needs type C(String) and an AMI ID value (C(ami-) and 8 or 17
        hex digits); Parameter Store checks the AMI exists asynchronously.
      - V(aws:ssm:integration) needs type C(SecureString) and a name under
        C(/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/).
    type: str
    choices: [text, "aws:ec2:image", "aws:ssm:integration"]
  tags:
    description:
      - Tags of the parameter (at most 50; keys 1-128 and values 0-256 characters of
        letters, digits, spaces and C(_.:/=+-@); keys must not start with C(aws:)).
      - When omitted, tags are not managed.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not listed in O(tags) (only when O(tags) is given).
    type: bool
    default: true
  labels:
    description:
      - Labels to attach to the version this task leaves current (at most 10; 1-100
        characters of letters, digits, C(. - _), not starting with a digit, C(aws) or C(ssm)).
      - A label on another version is moved (C(LabelParameterVersion)). When the task
        writes a new version, the labels move to it.
    type: list
    elements: str
  purge_labels:
    description:
      - Remove labels not listed in O(labels) from the current version
        (C(UnlabelParameterVersion)). Labels on older versions are left alone.
    type: bool
    default: false
  state:
    description: V(absent) deletes the parameter (all its versions).
    type: str
    choices: [present, absent]
    default: present
  overwrite_value:
    description:
      - What to do with a parameter that already exists, as in community.aws.ssm_parameter.
      - V(changed) writes only what differs.
      - V(never) leaves an existing parameter exactly as it is (value, metadata, tags and
        labels) and only creates a missing one, for values generated once.
      - V(always) writes a new version even when nothing differs.
    type: str
    choices: [never, changed, always]
    default: changed
    version_added: 0.1.0
  decryption:
    description:
      - Accepted so that playbooks written for community.aws.ssm_parameter run unchanged; it
        has no effect there either. C(SecureString) values are always compared decrypted, in
        memory.
    type: bool
    default: true
    version_added: 0.1.0
notes:
  - After a change (not in check mode), the run cache of the P(keel.ssm.parameter#lookup) lookup
    forgets what the task touched, for every host and fork of the run, so later lookups in the
    same run read the new state.
  - "Calls: C(GetParameterHistory) (1 page, 2 for more than 50 versions), C(GetParameter)
    with decryption only for a C(SecureString) whose value is compared or must be kept,
    C(ListTagsForResource) only when O(tags) is given; then only the writes needed."
  - Needs C(ssm:GetParameterHistory), C(ssm:GetParameter), C(ssm:PutParameter) and, as
    used, C(ssm:ListTagsForResource), C(ssm:AddTagsToResource),
    C(ssm:RemoveTagsFromResource), C(ssm:LabelParameterVersion),
    C(ssm:UnlabelParameterVersion), C(ssm:DeleteParameter); C(kms:Decrypt) and
    C(kms:Encrypt) on the key of a C(SecureString).
seealso:
  - module: keel.ssm.parameter_tree
  - ref: ansible_collections.keel.ssm.parameter_lookup
    description: The keel.ssm.parameter lookup, to read parameters (batched and cached for the run).
author:
  - keel.ssm contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: A database host
  keel.ssm.parameter:
    name: /prod/finance/payment-service/db_host
    value: db.internal.example.com
    description: Primary database of the payment service

- name: A password, encrypted with a customer managed key, labelled for the release
  keel.ssm.parameter:
    name: /prod/finance/payment-service/db_password
    value: "{{ vault_db_password }}"
    type: SecureString
    key_id: alias/payment-service
    labels: [release-42]

- name: A list, with an expiry (policies need the Advanced tier)
  keel.ssm.parameter:
    name: /prod/finance/payment-service/allowed_origins
    value: [https://shop.example.com, https://admin.example.com]
    tier: Advanced
    policies:
      - Type: Expiration
        Attributes:
          Timestamp: "2030-01-31T00:00:00Z"

- name: Move the "live" label to the current version without knowing the value
  keel.ssm.parameter:
    name: /prod/finance/payment-service/db_password
    labels: [live]

- name: Remove a parameter
  keel.ssm.parameter:
    name: /prod/finance/payment-service/legacy_flag
    state: absent
"""

RETURN = r"""
parameter:
  description:
    - The parameter's metadata after the task (in check mode, as it is now). Never its value.
    - C(tier), C(description), C(key_id), C(allowed_pattern), C(policies) and
      C(last_modified_user) are present when the parameter exists; C(tags) when O(tags)
      is given.
  returned: always
  type: dict
  contains:
    name:
      description: Full name.
      type: str
      sample: /prod/finance/payment-service/db_host
    state:
      description: V(present) or V(absent).
      type: str
      sample: present
    type:
      description: Parameter type.
      type: str
      sample: SecureString
    version:
      description: Current version.
      type: int
      sample: 3
    tier:
      description: Tier as Parameter Store reports it.
      type: str
      sample: Standard
    labels:
      description: Labels of the current version.
      type: list
      elements: str
      sample: [live]
    last_modified_date:
      description: When the current version was written (ISO 8601).
      type: str
      sample: "2030-01-31T12:00:00+00:00"
    data_type:
      description: Data type.
      type: str
      sample: text
    policies:
      description: Policies as mappings with Type, Version and Attributes.
      type: list
      elements: dict
    tags:
      description: Tags (only when O(tags) is given).
      type: dict
parameter_metadata:
  description:
    - The same as RV(parameter), under the name community.aws.ssm_parameter returns it.
  returned: when the parameter exists after the task
  type: dict
  sample: {"name": "/prod/app/db_host", "type": "String", "version": 3, "tier": "Standard"}
changes:
  description:
    - Options that differed and were (in check mode, would be) written; V(state) when
      the parameter was created or deleted.
  returned: always
  type: list
  elements: str
  sample: [value, labels]
"""


from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule
from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import list_tags
from ansible_collections.keel.ssm.plugins.module_utils.diff import absent, named_diff_entry
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError
from ansible_collections.keel.ssm.plugins.module_utils.no_log import no_log_strings, protect, release
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.desired import SPEC_OPTIONS, build_desired
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.names import (
    check_parameter_name,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.plan import deletion_views, plan_parameter
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import read_parameter, read_value
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.rules import (
    DATA_TYPES,
    TIERS,
    TYPES,
    check_kept_value,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.write import apply_change, delete_parameter
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "value": {"type": "raw", "no_log": True},
    "type": {"type": "str", "choices": list(TYPES), "aliases": ["string_type"]},
    "description": {"type": "str"},
    "key_id": {"type": "str"},
    "tier": {"type": "str", "choices": list(TIERS)},
    "policies": {"type": "raw"},
    "allowed_pattern": {"type": "str"},
    "data_type": {"type": "str", "choices": list(DATA_TYPES)},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
    "labels": {"type": "list", "elements": "str"},
    "purge_labels": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "overwrite_value": {"type": "str", "choices": ["never", "changed", "always"], "default": "changed"},
    "decryption": {"type": "bool", "default": True},
}


def read_current(module, desired):
    client = module.client()
    current = read_parameter(client, desired.name)
    if current is not None and desired.tags is not None:
        current.tags = list_tags(client, "Parameter", desired.name)
    return current


def ensure_absent(module, name):
    current = read_parameter(module.client(), name)
    result = {"changed": current is not None, "changes": ["state"] if current else [], "parameter": absent(name)}
    if current is not None:
        if module._diff:
            result["diff"] = named_diff_entry(name, *deletion_views(current))
        if not module.check_mode:
            result["changed"] = delete_parameter(module.client(), name)
    return result


def ensure_present(module, desired):
    client = module.client()
    params = module.params
    if desired.type == "SecureString":
        protect(module, no_log_strings(params["value"]))
    current = read_current(module, desired)
    if current is not None and params["overwrite_value"] == "never":
        return present_result({"changed": False, "changes": []}, current)
    secret = desired.effective_type(current) == "SecureString"
    if secret:
        protect(module, no_log_strings(params["value"]))
    else:
        release(module, no_log_strings(params["value"]), "value")
    if current is not None and desired.value is not None and not current.value_known:
        # A SecureString: history only has ciphertext, so decrypt to compare in memory.
        current.value, _version = read_value(client, desired.name)
        current.value_known = True
        protect(module, [current.value])
    change = plan_parameter(desired, current)
    if current is not None and params["overwrite_value"] == "always" and not change.put:
        change.put, change.action = True, "update"
        change.differs.insert(0, "value")
    value = desired.value
    if change.put and value is None:
        # Another option needs a new version: write the current value again.
        if not current.value_known:
            current.value, _version = read_value(client, desired.name)
            current.value_known = True
            protect(module, [current.value])
        value = current.value
        check_kept_value(desired, value)
    result = {"changed": change.changed, "changes": list(change.differs)}
    if module._diff and change.changed:
        result["diff"] = named_diff_entry(desired.name, change.before, change.after)
    if change.changed and not module.check_mode:
        try:
            apply_change(client, desired, current, change, value, secrets=module.secrets)
        except KeelAWSError as error:
            error.result["changes"] = result["changes"]  # with steps_done: what was written before it
            raise
        current = read_current(module, desired)
    return present_result(result, current, desired.name)


def present_result(result, current, name=None):
    metadata = current.metadata() if current is not None else absent(name)
    metadata.setdefault("state", "present")
    result["parameter"] = metadata
    if current is not None:
        result["parameter_metadata"] = metadata
    return result


def run(module):
    params = module.params
    if params["state"] == "absent":
        return ensure_absent(module, check_parameter_name(params["name"], for_write=True))
    return ensure_present(module, build_desired(params["name"], {option: params[option] for option in SPEC_OPTIONS}))


def main():
    run_module(KeelAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
