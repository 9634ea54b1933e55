#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.association: State Manager associations keyed by name."""

DOCUMENTATION = r"""
module: association
short_description: Create, update and delete AWS Systems Manager State Manager associations
version_added: 0.1.0
description:
  - Manages one State Manager association, found by its O(association_name). The
    module runs C(ListAssociations) with an C(AssociationName) filter, paginated, then C(DescribeAssociation).
  - The module owns the whole definition. C(UpdateAssociation) clears every optional
    field that a request leaves out, so the module always sends the complete desired
    definition. Fields that you leave unset go back to the service defaults.
    Fields this module does not manage, such as calendars, alarms, schedule offsets and
    target maps, count as drift. The module removes them and warns which ones.
  - Idempotent. The current and desired definitions are compared after filling in the
    service defaults. O(targets) are compared without regard to order, including the values inside each target.
  - Every field is checked before any AWS call. The checks cover the names and the
    document version pattern, and the target keys and their counts. The O(schedule) is
    checked against the State Manager rules, and so are the concurrency and error
    thresholds, the S3 output location and O(apply_only_at_cron_interval). Every
    failure names the field and the rule, and nothing is written.
  - Supports check mode and diff mode. Parameter values are shown only for the names
    given in O(parameters). Other values appear as C(********).
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  association_name:
    description:
      - Name of the association, 3 to 128 letters, digits, V(_), V(-) and V(.).
        The module finds the association by this name.
      - The name must be unique. If several associations carry it, the task fails and lists their ids.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the association. V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  document_name:
    description:
      - SSM document the association runs. This can be your own document, an
        AWS-owned one such as C(AWS-ApplyAnsiblePlaybooks), or the ARN of a shared document.
      - Required when O(state=present).
    type: str
  document_version:
    description:
      - Version of the document. V($DEFAULT) follows the document's default version,
        V($LATEST) follows its latest version, or give a version number.
      - When unset, AWS uses V($DEFAULT), and the module compares against that value.
    type: raw
  targets:
    description:
      - Which nodes the association applies to, at most 5 targets. A node must match every target.
      - Compared without regard to order. Values within a target are compared as a set.
      - Required when O(state=present).
    type: list
    elements: dict
    suboptions:
      key:
        description:
          - C(tag:<tag key>), for example V(tag:Role) or V(tag:Environment).
            The other keys are C(tag-key), C(InstanceIds) (instance ids, or V(*) for all managed nodes),
            C(resource-groups:Name), C(resource-groups:ResourceTypeFilters) and C(ResourceGroup).
        type: str
        required: true
      values:
        description: Values for the key, at most 50.
        type: list
        elements: str
        required: true
  schedule:
    description:
      - When the association runs, as C(rate(...)), C(cron(...)) or C(at(...)).
      - V(rate(N unit)) takes the unit minute(s), hour(s) or day(s), singular only when N is 1.
        The interval must be at least 30 minutes and less than 31 days.
      - V(cron(...)) has six fields (minutes hours day-of-month month day-of-week year)
        and may have a leading seconds field that must be 0. One of day-of-month and
        day-of-week must be C(?). The month must be C(*). The schedule may not run more often than every 30 minutes.
      - Without a schedule, the association runs once when it is created.
    type: str
  parameters:
    description:
      - Parameters passed to the document, as a mapping of parameter names to a value or a list of values.
      - Numbers and booleans are sent as text. A boolean becomes V(True) or V(False), as
        AWS-owned documents expect. Quote a value to send other text.
      - These values appear in results and diffs. Put sensitive values in O(secret_parameters).
    type: dict
  secret_parameters:
    description:
      - Like O(parameters), for values that must not be shown, for example an
        C(ExtraVariables) string that carries a token. This option is no_log.
        Its values are masked in the module's output, in diffs and in failure messages.
        Ansible masks every occurrence of those values, so keep them longer than a few characters.
      - A name must not appear in both O(parameters) and O(secret_parameters).
      - Better still, keep secrets in Parameter Store. Let the document or the playbook
        read them on the node, and pass only the parameter name here.
    type: dict
  compliance_severity:
    description:
      - Severity reported for the association's compliance. AWS stores V(UNSPECIFIED) when this is unset.
    type: str
    choices: [CRITICAL, HIGH, MEDIUM, LOW, UNSPECIFIED]
  max_concurrency:
    description:
      - How many targets may run at once, as a number (V(10)) or a percentage (V(10%)).
    type: raw
  max_errors:
    description:
      - Errors after which State Manager stops sending the association to more targets.
        Give a number (V(1)) or a percentage (V(10%)).
    type: raw
  output_location:
    description:
      - S3 location where the command output is stored.
    type: dict
    suboptions:
      bucket:
        description: S3 bucket name.
        type: str
        required: true
      prefix:
        description: Key prefix in the bucket, at most 500 characters.
        type: str
      region:
        description: Region of the bucket, for example V(eu-west-1).
        type: str
  apply_only_at_cron_interval:
    description:
      - Do not run the association right after it is created or updated. Wait for the next cron time instead.
      - Only valid with a C(cron(...)) O(schedule).
    type: bool
    default: false
  sync_compliance:
    description:
      - V(AUTO) lets State Manager report compliance. With V(MANUAL), you report it yourself.
        AWS stores V(AUTO) when this is unset.
    type: str
    choices: [AUTO, MANUAL]
extends_documentation_fragment:
  - keel.ssm.aws
notes:
  - >-
    Calls: a lookup costs one C(ListAssociations) call per page of 50, plus C(DescribeAssociation).
    A change adds one C(CreateAssociation), C(UpdateAssociation) or C(DeleteAssociation).
  - >-
    How this module was tested: moto, the emulator used for the other keel.ssm
    modules, has no association API. The tests run this module's code against botocore's
    C(Stubber), which checks every request against the real SSM service model (operation
    and parameter names, types, required fields). The tests also assert the exact requests
    that are sent. The responses come from the tests, not from AWS. The service's own
    behaviour (for example that C(UpdateAssociation) clears omitted fields) is taken from
    the AWS documentation. It has not been observed here.
seealso:
  - module: keel.ssm.document
"""

EXAMPLES = r"""
- name: Apply the baseline to production web servers every 30 minutes
  keel.ssm.association:
    association_name: keel-baseline-web-production
    document_name: keel-baseline
    document_version: $DEFAULT
    targets:
      - key: tag:Role
        values: [web-server]
      - key: tag:Environment
        values: [production]
    schedule: rate(30 minutes)
    parameters:
      ParameterPath: /keel/production
    compliance_severity: HIGH
    max_concurrency: 10%
    max_errors: 1
    output_location:
      bucket: my-ssm-output
      prefix: keel/baseline
      region: eu-west-1
  delegate_to: localhost

- name: Run the playbook bundle through AWS-ApplyAnsiblePlaybooks nightly at 02:00 UTC
  keel.ssm.association:
    association_name: keel-playbooks-web-production
    document_name: AWS-ApplyAnsiblePlaybooks
    targets:
      - key: tag:Role
        values: [web-server]
    schedule: cron(0 2 ? * * *)
    apply_only_at_cron_interval: true
    parameters:
      SourceType: S3
      SourceInfo: '{"path": "https://my-bucket.s3.amazonaws.com/keel/bundle.zip"}'
      InstallDependencies: true
      PlaybookFile: playbooks/baseline.yml
      Check: false
    secret_parameters:
      ExtraVariables: "keel_parameter_path=/keel/production keel_api_token={{ vault_token }}"

- name: Remove the association
  keel.ssm.association:
    association_name: keel-playbooks-web-production
    state: absent
"""

RETURN = r"""
association_id:
  description: Id of the association. Null in check mode when it would be created.
  returned: when the association exists or was created
  type: str
  sample: 8dfe3659-4309-493a-8755-0123456789ab
association_version:
  description: Version AWS gave the definition. Null in check mode when it would change.
  returned: when state is present
  type: str
  sample: "2"
association:
  description:
    - The definition after the task, or the one that would be sent in check mode, in
      canonical form. Service defaults are filled in, and targets are sorted.
    - Values of parameters not given in O(parameters) are masked as C(********).
  returned: when state is present
  type: dict
  contains:
    association_name:
      description: Name of the association.
      type: str
    document_name:
      description: Document the association runs.
      type: str
    document_version:
      description: Document version (V($DEFAULT), V($LATEST) or a number).
      type: str
    targets:
      description: Targets as a list of key and values, sorted.
      type: list
      elements: dict
    schedule:
      description: Schedule expression, or null.
      type: str
    parameters:
      description: Document parameters as lists of text.
      type: dict
    compliance_severity:
      description: Compliance severity.
      type: str
    max_concurrency:
      description: Concurrency threshold, or null.
      type: str
    max_errors:
      description: Error threshold, or null.
      type: str
    output_location:
      description: S3 output location (bucket, prefix, region), or null.
      type: dict
    apply_only_at_cron_interval:
      description: Whether the association waits for its cron time.
      type: bool
    sync_compliance:
      description: Compliance synchronisation mode.
      type: str
  sample:
    association_name: keel-baseline-web-production
    document_name: keel-baseline
    document_version: $DEFAULT
    targets:
      - {key: "tag:Environment", values: [production]}
      - {key: "tag:Role", values: [web-server]}
    schedule: rate(30 minutes)
    parameters: {ParameterPath: [/keel/production]}
    compliance_severity: HIGH
    max_concurrency: 10%
    max_errors: "1"
    output_location: {bucket: my-ssm-output, prefix: keel/baseline, region: eu-west-1}
    apply_only_at_cron_interval: false
    sync_compliance: AUTO
"""

from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule
from ansible_collections.keel.ssm.plugins.module_utils.diff import attach_diff, diff_entry, mask_pair
from ansible_collections.keel.ssm.plugins.module_utils.documents.association import (
    COMPLIANCE_SEVERITIES,
    SYNC_COMPLIANCE,
    build_definition,
    check_association_name,
    comparable,
    create_association,
    delete_association,
    find_association,
    readable,
    unmanaged_fields,
    update_association,
)
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

ARGUMENT_SPEC = {
    "association_name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "document_name": {"type": "str"},
    "document_version": {"type": "raw"},
    "targets": {
        "type": "list",
        "elements": "dict",
        "options": {
            "key": {"type": "str", "required": True, "no_log": False},
            "values": {"type": "list", "elements": "str", "required": True},
        },
    },
    "schedule": {"type": "str"},
    "parameters": {"type": "dict"},
    "secret_parameters": {"type": "dict", "no_log": True},
    "compliance_severity": {"type": "str", "choices": list(COMPLIANCE_SEVERITIES)},
    "max_concurrency": {"type": "raw"},
    "max_errors": {"type": "raw"},
    "output_location": {
        "type": "dict",
        "options": {
            "bucket": {"type": "str", "required": True},
            "prefix": {"type": "str"},
            "region": {"type": "str"},
        },
    },
    "apply_only_at_cron_interval": {"type": "bool", "default": False},
    "sync_compliance": {"type": "str", "choices": list(SYNC_COMPLIANCE)},
}


def masked_names(module, *definitions):
    """Parameter names whose values may not be shown: everything not given in
    `parameters` (secret ones, and current ones this task did not name)."""
    visible = set(module.params.get("parameters") or {})
    names = set()
    for definition in definitions:
        names.update((definition or {}).get("Parameters") or {})
    return sorted(names - visible)


def shown(definition, hidden):
    return readable(definition, hidden) if definition else {}


def definition_diff(before, after, hidden):
    """Diff entry of two definitions; a changed hidden value shows as '******** (changed)'."""
    shown_before, shown_after = shown(before, hidden), shown(after, hidden)
    if before and after:
        shown_before["parameters"], shown_after["parameters"] = mask_pair(
            comparable(before)["Parameters"], comparable(after)["Parameters"], hidden
        )
    return diff_entry(shown_before, shown_after)


def ensure_absent(module, name):
    client = module.client()
    current = find_association(client, name, module.secrets)
    result = {"changed": current is not None, "association_id": current and current["AssociationId"]}
    if current is None:
        return result
    if module._diff:
        attach_diff(result, definition_diff(current, None, masked_names(module, current)))
    if not module.check_mode:
        delete_association(client, current["AssociationId"], name, module.secrets)
    return result


def ensure_present(module, desired):
    client = module.client()
    current = find_association(client, desired["AssociationName"], module.secrets)
    hidden = masked_names(module, current, desired)
    changed = current is None or comparable(current) != comparable(desired)
    final = current
    if current is None:
        if not module.check_mode:
            final = create_association(client, desired, module.secrets)
    elif changed:
        dropped = unmanaged_fields(current)
        if dropped:
            module.warn(
                f"association {desired['AssociationName']}: {', '.join(dropped)} set outside this module"
                f" {'would be' if module.check_mode else 'were'} removed, because UpdateAssociation replaces the"
                " whole definition"
            )
        if not module.check_mode:
            final = update_association(client, current["AssociationId"], desired, module.secrets)
    result = {
        "changed": changed,
        "association_id": (final or current or {}).get("AssociationId"),
        "association_version": None if changed and module.check_mode else (final or {}).get("AssociationVersion"),
        "association": readable(desired if module.check_mode or final is None else final, hidden),
    }
    if module._diff:
        attach_diff(result, definition_diff(current, desired, hidden))
    return result


def run(module):
    if module.params["state"] == "absent":
        return ensure_absent(module, check_association_name(module.params["association_name"]))
    return ensure_present(module, build_definition(module.params))


def main():
    module = KeelAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[["state", "present", ["document_name", "targets"]]],
        supports_check_mode=True,
    )
    for value in (module.params.get("secret_parameters") or {}).values():
        values = value if isinstance(value, list) else [value]
        module.secrets.extend(str(item) for item in values if item not in (None, ""))
    run_module(module, run)


if __name__ == "__main__":
    main()
