#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.appconfig_environment: an AppConfig environment and its alarm monitors."""

DOCUMENTATION = r"""
module: appconfig_environment
short_description: Create, update and delete AWS AppConfig environments with their alarm monitors
version_added: 0.2.0
description:
  - An environment is a deployment target of an application (for example C(production)).
  - O(monitors) lists CloudWatch alarms that AppConfig watches during a deployment and its bake
    time. When one of them goes into alarm, AppConfig rolls the deployment back.
  - Found by O(name) within O(application). Only what differs is updated.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  name:
    description:
      - Name of the environment, 1 to 64 characters.
    type: str
    required: true
  monitors:
    description:
      - CloudWatch alarms AppConfig watches during deployments, at most 5. The list replaces the
        environment's monitors; V([]) removes them all, unset leaves them alone.
      - Order does not matter.
    type: list
    elements: dict
    suboptions:
      alarm_arn:
        description:
          - ARN of the CloudWatch alarm, C(arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME).
        type: str
        required: true
      alarm_role_arn:
        description:
          - IAM role AppConfig assumes to read the alarm (C(cloudwatch:DescribeAlarms)).
        type: str
  state:
    description:
      - V(present) creates or updates the environment. V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - keel.ssm.aws
  - keel.ssm.aws.tags
  - keel.ssm.appconfig.application
  - keel.ssm.appconfig
seealso:
  - module: keel.ssm.appconfig_deployment
"""

EXAMPLES = r"""
- name: Production, rolled back when the 5xx alarm fires during a deployment
  keel.ssm.appconfig_environment:
    application: payments
    name: production
    description: Production fleet
    monitors:
      - alarm_arn: arn:aws:cloudwatch:eu-west-1:123456789012:alarm:payments-5xx
        alarm_role_arn: arn:aws:iam::123456789012:role/appconfig-monitor
    tags:
      Environment: production
"""

RETURN = r"""
id:
  description: ID of the environment (null in check mode when it would be created, or when absent).
  returned: always
  type: str
  sample: env1234
name:
  description: Name of the environment.
  returned: always
  type: str
  sample: production
application_id:
  description: ID of the application.
  returned: when state is present
  type: str
  sample: abc1234
description:
  description: Description of the environment.
  returned: when state is present
  type: str
  sample: Production fleet
state:
  description:
    - AppConfig's state of the environment (C(READY_FOR_DEPLOYMENT), C(DEPLOYING), C(ROLLING_BACK),
      C(ROLLED_BACK), C(REVERTED)). Null in check mode when it would be created.
  returned: when state is present
  type: str
  sample: READY_FOR_DEPLOYMENT
monitors:
  description: The alarm monitors, each with C(alarm_arn) and C(alarm_role_arn).
  returned: when state is present
  type: list
  elements: dict
  sample: [{alarm_arn: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:payments-5xx"}]
tags:
  description: Tags after the task. Only when O(tags) is set.
  returned: when tags is set
  type: dict
  sample: {Environment: production}
"""

from ansible_collections.keel.ssm.plugins.module_utils.appconfig import api
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.resources import (
    APPLICATION_SPEC,
    ENVIRONMENT,
    RESOURCE_SPEC,
    ensure,
    module_main,
    resolve,
    resource_options,
)
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.rules import (
    check_description,
    check_monitors,
    check_name,
    check_reference,
)

ARGUMENT_SPEC = {
    **APPLICATION_SPEC,
    "name": {"type": "str", "required": True},
    "monitors": {
        "type": "list",
        "elements": "dict",
        "options": {"alarm_arn": {"type": "str", "required": True}, "alarm_role_arn": {"type": "str"}},
    },
    **RESOURCE_SPEC,
}


def run(module):
    params = module.params
    reference = check_reference(params["application"], "application")
    name = check_name(params["name"])
    desired = {
        "Description": check_description(params["description"]),
        "Monitors": check_monitors(params["monitors"]),
    }
    options = resource_options(params)
    client = module.client("appconfig")
    application = resolve(module, api.find_application(client, reference), reference, "application", "application")
    parents = {"ApplicationId": application}
    return ensure(module, ENVIRONMENT, parents, name, desired, **options)


def main():
    module_main(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()
