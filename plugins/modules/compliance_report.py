#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.compliance_report: one resource's compliance report (PutComplianceItems)."""

DOCUMENTATION = r"""
module: compliance_report
short_description: Report per-control compliance of one managed node to AWS Systems Manager
version_added: 0.2.0
description:
  - Sends one compliance report for one resource (a managed node by default) with C(PutComplianceItems),
    one item per control, with C(UploadType=COMPLETE), so the report replaces every earlier item of
    O(compliance_type) for that resource (a control no longer reported disappears).
  - Fleet Manager and C(ListComplianceItems) then show, per node and per control, its status and severity,
    and the fleet can be filtered by control id; M(keel.ssm.compliance_info) reads it back.
  - Every field is checked against the service model's limits before the call; a failure names the field and
    the rule, and nothing is sent.
  - Item details are shown as given. Put names in them (which settings a control depends on), never values.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  resource_id:
    description:
      - The resource reported on, for a managed node its id (V(i-0123456789abcdef0), or V(mi-...) for a
        hybrid activation), 1 to 100 characters.
    type: str
    required: true
  resource_type:
    description: The type of the resource.
    type: str
    default: ManagedInstance
  compliance_type:
    description:
      - The compliance type, for your own V(Custom:) and letters, digits and V(_) (a V(-) only first; the
        service's pattern refuses a dotted name), at most 100 characters.
    type: str
    default: Custom:KeelBaseline
  execution_id:
    description: Id of the run that produced the report (at most 100 characters), for example a command id.
    type: str
  execution_type:
    description: What kind of run produced it (at most 50 characters).
    type: str
    default: Command
  execution_time:
    description: When the checks ran, ISO 8601 (V(2026-12-07T00:40:00Z)); now (UTC) when unset.
    type: str
  items:
    description: One entry per control, at most 10000.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: The control's id (1 to 100 characters), for example V(5.3.3.1.1).
        type: str
        required: true
      title:
        description: The control's title, at most 500 characters.
        type: str
      severity:
        description: The control's severity.
        type: str
        choices: [CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNSPECIFIED]
        default: UNSPECIFIED
      status:
        description: Whether the control holds.
        type: str
        choices: [COMPLIANT, NON_COMPLIANT]
        required: true
      details:
        description: Up to a few text entries (keys 1 to 64 characters, values at most 4096). Names, never values.
        type: dict
extends_documentation_fragment:
  - keel.ssm.aws
notes:
  - Calls one C(PutComplianceItems). Check mode sends nothing and reports what would be sent.
  - >-
    How this module was tested: moto has no compliance API. The tests send its requests over HTTP to a labelled
    test double in front of moto, which checks every request against the SSM service model (types, lengths,
    enums, the compliance type's pattern) and keeps the items for C(ListComplianceItems). That AWS replaces all
    items of the type with C(UploadType=COMPLETE) is taken from the AWS documentation.
seealso:
  - module: keel.ssm.compliance_info
"""

EXAMPLES = r"""
- name: Report the baseline's controls for this instance
  keel.ssm.compliance_report:
    resource_id: i-0123456789abcdef0
    execution_id: "{{ lookup('ansible.builtin.env', 'AWS_SSM_COMMAND_ID') }}"
    items:
      - id: 5.3.3.1.1
        title: pam_faillock locks an account after failed attempts
        severity: HIGH
        status: COMPLIANT
        details:
          Settings: keel_pam_faillock_deny, keel_pam_faillock_unlock_time
"""

RETURN = r"""
compliance_type:
  description: The compliance type reported.
  returned: always
  type: str
  sample: Custom:KeelBaseline
resource_id:
  description: The resource reported on.
  returned: always
  type: str
  sample: i-0123456789abcdef0
compliant:
  description: Ids of the items reported COMPLIANT.
  returned: always
  type: list
  elements: str
  sample: [5.3.3.1.1]
non_compliant:
  description: Ids of the items reported NON_COMPLIANT.
  returned: always
  type: list
  elements: str
  sample: [SSM.1]
"""

from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule
from ansible_collections.keel.ssm.plugins.module_utils.documents.compliance import (
    build_items,
    check_compliance_type,
    check_resource_id,
    execution_summary,
    put_items,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

ARGUMENT_SPEC = {
    "resource_id": {"type": "str", "required": True},
    "resource_type": {"type": "str", "default": "ManagedInstance"},
    "compliance_type": {"type": "str", "default": "Custom:KeelBaseline"},
    "execution_id": {"type": "str"},
    "execution_type": {"type": "str", "default": "Command"},
    "execution_time": {"type": "str"},
    "items": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "id": {"type": "str", "required": True},
            "title": {"type": "str"},
            "severity": {
                "type": "str",
                "choices": ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"],
                "default": "UNSPECIFIED",
            },
            "status": {"type": "str", "choices": ["COMPLIANT", "NON_COMPLIANT"], "required": True},
            "details": {"type": "dict"},
        },
    },
}


def run(module):
    params = module.params
    resource_type = params["resource_type"]
    if not 1 <= len(resource_type) <= 50:
        raise KeelRuleError("resource_type: 1 to 50 characters")
    request = {
        "ResourceId": check_resource_id(params["resource_id"]),
        "ResourceType": resource_type,
        "ComplianceType": check_compliance_type(params["compliance_type"]),
        "ExecutionSummary": execution_summary(
            params["execution_time"], params["execution_id"], params["execution_type"]
        ),
        "Items": build_items(params["items"]),
        "UploadType": "COMPLETE",
    }
    if not module.check_mode:
        put_items(module.client(), request)
    return {
        "changed": True,
        "compliance_type": request["ComplianceType"],
        "resource_id": request["ResourceId"],
        "compliant": [item["Id"] for item in request["Items"] if item["Status"] == "COMPLIANT"],
        "non_compliant": [item["Id"] for item in request["Items"] if item["Status"] == "NON_COMPLIANT"],
    }


def main():
    module = KeelAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
