#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.appconfig_application: an AWS AppConfig application."""

DOCUMENTATION = r"""
module: appconfig_application
short_description: Create, update and delete AWS AppConfig applications
version_added: 0.2.0
description:
  - An AppConfig application is the container of environments and configuration profiles.
  - Found by O(name). Only what differs is updated.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  name:
    description:
      - Name of the application, 1 to 64 characters.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the application. V(absent) deletes it. AppConfig refuses to
        delete an application that still holds environments or profiles.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - keel.ssm.aws
  - keel.ssm.aws.tags
  - keel.ssm.appconfig
seealso:
  - module: keel.ssm.appconfig_environment
  - module: keel.ssm.appconfig_profile
"""

EXAMPLES = r"""
- name: The application that holds the payments service's configuration
  keel.ssm.appconfig_application:
    name: payments
    description: Feature flags and runtime settings of the payments service
    tags:
      Owner: platform
  register: app

- name: Remove it (once its environments and profiles are gone)
  keel.ssm.appconfig_application:
    name: payments
    state: absent
"""

RETURN = r"""
id:
  description: ID of the application (null in check mode when it would be created, or when absent).
  returned: always
  type: str
  sample: abc1234
name:
  description: Name of the application.
  returned: always
  type: str
  sample: payments
description:
  description: Description of the application.
  returned: when state is present
  type: str
  sample: Feature flags of the payments service
tags:
  description: Tags after the task. Only when O(tags) is set.
  returned: when tags is set
  type: dict
  sample: {Owner: platform}
"""

from ansible_collections.keel.ssm.plugins.module_utils.appconfig.resources import (
    APPLICATION,
    RESOURCE_SPEC,
    ensure,
    module_main,
    resource_options,
)
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.rules import (
    check_description,
    check_name,
)

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    **RESOURCE_SPEC,
}


def run(module):
    params = module.params
    name = check_name(params["name"])
    desired = {"Description": check_description(params["description"])}
    options = resource_options(params)
    return ensure(module, APPLICATION, {}, name, desired, **options)


def main():
    module_main(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()
