#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.compliance_info: per-node, per-control compliance read back from Systems Manager."""

DOCUMENTATION = r"""
module: compliance_info
short_description: Read per-node, per-control compliance from AWS Systems Manager
version_added: 0.2.0
description:
  - Answers "which nodes fail which control" from the compliance reports of one O(compliance_type), as
    M(keel.ssm.compliance_report) (and the keel.ssm.baseline role) send them.
  - Without O(resource_ids) it finds every resource with a report of that type
    (C(ListResourceComplianceSummaries)), then reads each one's items (C(ListComplianceItems), one resource a
    call, as the API allows).
  - Reads only; never changes anything.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  resource_ids:
    description: The resources to read (managed node ids). Every resource with a report when unset.
    type: list
    elements: str
  resource_type:
    description: The type of the resources.
    type: str
    default: ManagedInstance
  compliance_type:
    description: The compliance type to read (for example V(Custom:KeelBaseline)).
    type: str
    default: Custom:KeelBaseline
extends_documentation_fragment:
  - keel.ssm.aws
notes:
  - Calls C(ListResourceComplianceSummaries) (pages of 50) when O(resource_ids) is unset, and one
    C(ListComplianceItems) per resource and page of 50.
  - >-
    How this module was tested: moto has no compliance API. The tests read what M(keel.ssm.compliance_report)
    sent over HTTP to a labelled test double in front of moto, which checks every request against the SSM
    service model.
seealso:
  - module: keel.ssm.compliance_report
"""

EXAMPLES = r"""
- name: Which instances fail which control
  keel.ssm.compliance_info:
    region: eu-west-1
  register: compliance

- name: Show the failing controls
  ansible.builtin.debug:
    msg: "{{ compliance.non_compliant }}"
"""

RETURN = r"""
resources:
  description: One entry per resource, with its items.
  returned: always
  type: list
  elements: dict
  contains:
    resource_id:
      description: The resource.
      type: str
    status:
      description: V(NON_COMPLIANT) when any item is, else V(COMPLIANT).
      type: str
    items:
      description: The resource's items (id, title, status, severity, details, execution_id, execution_time).
      type: list
      elements: dict
  sample:
    - resource_id: i-0123456789abcdef0
      status: NON_COMPLIANT
      items:
        - id: SSM.1
          title: The Amazon SSM Agent is installed
          status: NON_COMPLIANT
          severity: MEDIUM
          details: {Settings: keel_ssm_agent_install}
          execution_id: 6a3c0b5e-run
          execution_time: "2026-12-07T00:40:00+00:00"
non_compliant:
  description: For each control that fails somewhere, the resources it fails on.
  returned: always
  type: dict
  sample: {SSM.1: [i-0123456789abcdef0]}
"""

from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule
from ansible_collections.keel.ssm.plugins.module_utils.documents.compliance import (
    check_compliance_type,
    check_resource_id,
    list_items,
    list_resources,
    readable_item,
)
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

ARGUMENT_SPEC = {
    "resource_ids": {"type": "list", "elements": "str"},
    "resource_type": {"type": "str", "default": "ManagedInstance"},
    "compliance_type": {"type": "str", "default": "Custom:KeelBaseline"},
}


def run(module):
    params = module.params
    compliance_type = check_compliance_type(params["compliance_type"])
    resource_type = params["resource_type"]
    ids = params["resource_ids"]
    if ids is not None:
        ids = [check_resource_id(value, f"resource_ids[{index}]") for index, value in enumerate(ids)]
    client = module.client()
    if ids is None:
        summaries = list_resources(client, compliance_type)
        ids = sorted({s["ResourceId"] for s in summaries if s.get("ResourceType", resource_type) == resource_type})
    resources = []
    non_compliant: dict = {}
    for resource_id in ids:
        items = [readable_item(item) for item in list_items(client, resource_id, resource_type, compliance_type)]
        items.sort(key=lambda item: item["id"] or "")
        failing = [item["id"] for item in items if item["status"] == "NON_COMPLIANT"]
        for control in failing:
            non_compliant.setdefault(control, []).append(resource_id)
        resources.append(
            {"resource_id": resource_id, "status": "NON_COMPLIANT" if failing else "COMPLIANT", "items": items}
        )
    return {"changed": False, "resources": resources, "non_compliant": non_compliant}


def main():
    module = KeelAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, run)


if __name__ == "__main__":
    main()
