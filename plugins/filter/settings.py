# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import (
    PARAMETER_STORE_ROLES,
    settings_from_parameters,
)

DOCUMENTATION = r"""
name: settings
short_description: Turn a Parameter Store tree into typed role variables
version_added: 0.1.0
description:
  - Maps each parameter C(<path>/<role>/<setting>) to the role variable C(keel_<role>_<setting>),
    converted to the type declared in that role's C(meta/argument_specs.yml)
    (int, bool, float, list from a StringList or a JSON list, dict from JSON).
  - Fails, naming the parameter, when a parameter is not a known setting, does not convert,
    or is not one of the declared choices.
options:
  _input:
    description:
      - Parameters by full name, as returned by the keel.ssm.parameter lookup
        with O(keel.ssm.parameter#lookup:bypath=true).
    type: dict
    required: true
  path:
    description: The Parameter Store path the parameters were read from.
    type: str
    required: true
  roles:
    description: Roles whose settings may appear under O(path).
    type: list
    elements: str
    default: [auditd, pam, ufw, ssm_agent]
"""

EXAMPLES = r"""
- name: Settings for the baseline roles from /baseline/prod
  ansible.builtin.set_fact:
    baseline_settings: >-
      {{ lookup('keel.ssm.parameter', '/baseline/prod', bypath=true, recursive=true)
         | keel.ssm.settings('/baseline/prod') }}
"""

RETURN = r"""
_value:
  description: Role variables by name, typed per the roles' argument specs.
  type: dict
"""


def settings(parameters, path, roles=PARAMETER_STORE_ROLES):
    if not isinstance(parameters, dict):
        raise AnsibleFilterError("keel.ssm.settings: input must be a dict of parameter name to value")
    try:
        return settings_from_parameters(parameters, path, list(roles))
    except KeelRuleError as exc:
        raise AnsibleFilterError(f"keel.ssm.settings: {exc}") from None


class FilterModule:
    def filters(self):
        return {"settings": settings}
