# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.role_controls import check_environment, role_controls
from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import role_options

DOCUMENTATION = r"""
name: role_controls
short_description: Internal - the controls of keel.ssm roles, each with the environment its check runs with
version_added: 0.2.0
description:
  - B(Internal to this collection's baseline role), which calls it after the roles to check and report every
    control. It is not a stable interface; its name, input and output may change in any release.
  - Returns each role's controls as declared in C(roles/<role>/meta/controls.yml) (id, benchmark, title,
    severity, covers, settings, check), with the role's name and C(environment), the variables the check reads
    (C(KEEL_ROOT) and one per setting it depends on; a setting not given takes the role's default).
options:
  _input:
    description: The settings in effect, by full variable name (the visible C(keel_<role>_*) variables).
    type: dict
    required: true
  roles:
    description: The roles whose controls to return, in order.
    type: list
    elements: str
    required: true
  root:
    description: Prefix of every path a check reads (empty on a host).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Know the controls of the applied roles
  ansible.builtin.set_fact:
    controls: "{{ dict(names | zip(query('ansible.builtin.vars', *names))) | keel.ssm.role_controls(['pam', 'ufw']) }}"
  vars:
    names: "{{ query('ansible.builtin.varnames', '^keel_(pam|ufw)_') }}"
"""

RETURN = r"""
_value:
  description: One entry per control, with C(role) and C(environment) added.
  type: list
  elements: dict
"""


def controls_with_environment(settings, roles, root=""):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("keel.ssm.role_controls: input must be a dict of keel_<role>_* settings")
    found = []
    try:
        for role in roles:
            values = {name: (spec or {}).get("default") for name, spec in role_options(role).items()}
            values.update({name: value for name, value in settings.items() if name in values})
            for control in role_controls(role):
                found.append(dict(control, role=role, environment=check_environment(control, values, root)))
    except KeelRuleError as exc:
        raise AnsibleFilterError(f"keel.ssm.role_controls: {exc}") from None
    return found


class FilterModule:
    def filters(self):
        return {"role_controls": controls_with_environment}
