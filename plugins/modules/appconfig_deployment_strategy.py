#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.appconfig_deployment_strategy: how fast AppConfig rolls a configuration out."""

DOCUMENTATION = r"""
module: appconfig_deployment_strategy
short_description: Create, update and delete AWS AppConfig deployment strategies
version_added: 0.2.0
description:
  - A deployment strategy says how a configuration reaches its targets. It grows by
    O(growth_factor) percent per step (V(LINEAR)), or doubles from it (V(EXPONENTIAL)), over
    O(deployment_duration_in_minutes). Then AppConfig watches the environment's alarms for
    O(final_bake_time_in_minutes) before it calls the deployment complete.
  - AWS's predefined strategies (C(AppConfig.AllAtOnce), C(AppConfig.Linear50PercentEvery30Seconds),
    ...) need no task. Give their name to M(keel.ssm.appconfig_deployment).
  - Found by O(name). Only what differs is updated. O(replicate_to) cannot change.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  name:
    description:
      - Name of the strategy, 1 to 64 characters, not starting with C(AppConfig.).
    type: str
    required: true
  deployment_duration_in_minutes:
    description:
      - Minutes over which the configuration grows to 100% of the targets, 0 to 1440.
      - Required to create a strategy.
    type: int
  final_bake_time_in_minutes:
    description:
      - Minutes AppConfig keeps watching the alarms after 100%, 0 to 1440. A deployment is only
        complete after it.
    type: int
  growth_factor:
    description:
      - Percentage of targets added per step, 1 to 100. Required to create a strategy.
    type: float
  growth_type:
    description:
      - V(LINEAR) adds O(growth_factor) percent per step. V(EXPONENTIAL) reaches
        O(growth_factor) times 2 to the power of the step.
    type: str
    choices: [LINEAR, EXPONENTIAL]
  replicate_to:
    description:
      - V(SSM_DOCUMENT) also saves the strategy as an SSM document. AppConfig cannot change it later.
    type: str
    choices: [NONE, SSM_DOCUMENT]
  state:
    description:
      - V(present) creates or updates the strategy. V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - keel.ssm.aws
  - keel.ssm.aws.tags
  - keel.ssm.appconfig
seealso:
  - module: keel.ssm.appconfig_deployment
"""

EXAMPLES = r"""
- name: A 20-minute linear rollout in steps of 10%, watched 10 more minutes
  keel.ssm.appconfig_deployment_strategy:
    name: payments-canary
    description: 10% steps over 20 minutes, 10 minutes bake
    deployment_duration_in_minutes: 20
    growth_factor: 10
    growth_type: LINEAR
    final_bake_time_in_minutes: 10
"""

RETURN = r"""
id:
  description: ID of the strategy (null in check mode when it would be created, or when absent).
  returned: always
  type: str
  sample: str1234
name:
  description: Name of the strategy.
  returned: always
  type: str
  sample: payments-canary
deployment_duration_in_minutes:
  description: Minutes over which the configuration grows to 100%.
  returned: when state is present
  type: int
  sample: 20
growth_factor:
  description: Percentage added per step.
  returned: when state is present
  type: float
  sample: 10.0
growth_type:
  description: LINEAR or EXPONENTIAL.
  returned: when state is present
  type: str
  sample: LINEAR
final_bake_time_in_minutes:
  description: Bake time in minutes.
  returned: when state is present
  type: int
  sample: 10
replicate_to:
  description: NONE or SSM_DOCUMENT.
  returned: when state is present
  type: str
  sample: NONE
description:
  description: Description of the strategy.
  returned: when state is present
  type: str
tags:
  description: Tags after the task. Only when O(tags) is set.
  returned: when tags is set
  type: dict
"""

from ansible_collections.keel.ssm.plugins.module_utils.appconfig.resources import (
    RESOURCE_SPEC,
    STRATEGY,
    ensure,
    module_main,
    resource_options,
)
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.rules import (
    GROWTH_TYPES,
    REPLICATE_TO,
    check_description,
    check_growth_factor,
    check_minutes,
    check_strategy_name,
)

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "deployment_duration_in_minutes": {"type": "int"},
    "final_bake_time_in_minutes": {"type": "int"},
    "growth_factor": {"type": "float"},
    "growth_type": {"type": "str", "choices": list(GROWTH_TYPES)},
    "replicate_to": {"type": "str", "choices": list(REPLICATE_TO)},
    **RESOURCE_SPEC,
}


def run(module):
    params = module.params
    name = check_strategy_name(params["name"])
    desired = {
        "Description": check_description(params["description"]),
        "DeploymentDurationInMinutes": check_minutes(
            params["deployment_duration_in_minutes"], "deployment_duration_in_minutes"
        ),
        "FinalBakeTimeInMinutes": check_minutes(params["final_bake_time_in_minutes"], "final_bake_time_in_minutes"),
        "GrowthFactor": check_growth_factor(params["growth_factor"]),
        "GrowthType": params["growth_type"],
        "ReplicateTo": params["replicate_to"],
    }
    options = resource_options(params)
    return ensure(module, STRATEGY, {}, name, desired, **options)


def main():
    module_main(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()
