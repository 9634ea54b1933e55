# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.keel.ssm.plugins.module_utils.host.ssm_agent import settings_problems

DOCUMENTATION = r"""
name: ssm_agent_problems
short_description: Check the keel.ssm.ssm_agent role's settings against the rules its argument spec cannot express
version_added: 0.1.0
description:
  - Returns one message per broken rule, each naming the variable and the rule, for example an activation
    code given without its activation id, a checksum that is not C(sha256:<hex>), a checksum with
    C(version=latest), a signature key without a pinned fingerprint, a plain C(http://) package mirror
    without any verification, or a proxy URL that would break the systemd drop-in.
  - Messages never contain the activation code.
  - The role asserts that the list is empty before it changes anything.
options:
  _input:
    description: The role's settings by full variable name (C(keel_ssm_agent_*)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse bad settings before changing anything
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ dict(names | zip(query('ansible.builtin.vars', *names))) | keel.ssm.ssm_agent_problems }}"
    names: "{{ query('ansible.builtin.varnames', '^keel_ssm_agent_') }}"
"""

RETURN = r"""
_value:
  description: One message per broken rule; empty when the settings are usable.
  type: list
  elements: str
"""


def ssm_agent_problems(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("keel.ssm.ssm_agent_problems: input must be a dict of keel_ssm_agent_* settings")
    return settings_problems(settings)


class FilterModule:
    def filters(self):
        return {"ssm_agent_problems": ssm_agent_problems}
