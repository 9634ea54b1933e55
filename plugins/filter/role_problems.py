# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.role_rules import role_problems as problems_of

DOCUMENTATION = r"""
name: role_problems
short_description: Internal - check a keel.ssm role's settings against the rules its argument spec cannot express
version_added: 0.2.0
description:
  - B(Internal to this collection's roles), which call it from their C(tasks/validate.yml) before they change
    anything. It is not a stable interface; its name, input and output may change in any release.
  - Returns one message per broken rule, each naming the variable and the rule, for example a C(PORT/PROTO) that
    is not one, an auditd admin space larger than the warning space, a password minimum age not below the maximum,
    or an activation code given without its activation id. Messages never contain the activation code.
options:
  _input:
    description: The role's settings by full variable name (every C(keel_<role>_*) variable).
    type: dict
    required: true
  role:
    description: The role whose rules apply.
    type: str
    required: true
    choices: [auditd, baseline, pam, ssm_agent, ufw]
"""

EXAMPLES = r"""
- name: Refuse bad settings before changing anything
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "keel.ssm.ufw: {{ problems | join('; ') }}"
    quiet: true
  vars:
    problems: "{{ dict(names | zip(query('ansible.builtin.vars', *names))) | keel.ssm.role_problems('ufw') }}"
    names: "{{ query('ansible.builtin.varnames', '^keel_ufw_') }}"
"""

RETURN = r"""
_value:
  description: One message per broken rule; empty when the settings are usable.
  type: list
  elements: str
"""


def role_problems(settings, role):
    if not isinstance(settings, dict):
        raise AnsibleFilterError(f"keel.ssm.role_problems: input must be a dict of keel_{role}_* settings")
    try:
        return problems_of(role, settings)
    except KeelRuleError as exc:
        raise AnsibleFilterError(f"keel.ssm.role_problems: {exc}") from None


class FilterModule:
    def filters(self):
        return {"role_problems": role_problems}
