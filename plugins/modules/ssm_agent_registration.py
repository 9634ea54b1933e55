#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssm_agent_registration
short_description: Register the SSM Agent with a hybrid activation, once
version_added: 0.1.0
description:
  - Registers this machine as a Systems Manager managed node (C(mi-...)) by running
    C(amazon-ssm-agent -register -code ... -id ... -region ...), the command AWS documents for hybrid
    activations, with the agent's service stopped around it as AWS's procedure does.
  - B(Registered) is read from the agent's own state, the way the agent itself decides it. The vault entry
    C(<data_dir>/Vault/Store/RegistrationKey) holds the managed instance id, region and private key; only
    the instance id and region are read from it, and the private key never leaves the host. The plain file
    C(<data_dir>/registration) is not used because C(amazon-ssm-agent -register -clear) leaves it behind.
  - Which activation a registration came from is not stored by the agent, so after registering, the module
    records the activation id with the managed instance id in O(record). A later run with the same activation
    id does nothing. A different activation id (or region), or a registration this module did not make, is
    B(kept) with a warning, because registering again creates a new managed node and abandons the old one;
    O(force=true) re-registers (with C(-y)).
  - The activation code is a secret. It is masked in all output and is never written to disk by this module.
    It is passed on the agent's command line, as AWS's interface requires, for the seconds the command runs.
attributes:
  check_mode:
    support: full
    description: Predicts whether it would register, without running the agent's registration.
  diff_mode:
    support: none
    description: Returns no diff.
options:
  activation_code:
    description: Activation code from CreateActivation (20-250 characters).
    type: str
    required: true
  activation_id:
    description: Activation id from CreateActivation (a lower-case UUID).
    type: str
    required: true
  region:
    description: AWS Region of the activation.
    type: str
    required: true
  force:
    description:
      - Re-register when the node is registered with a different (or unknown) activation or region. The old
        managed node stays in Systems Manager until it is deregistered there.
    type: bool
    default: false
  agent:
    description: The agent executable (C(/snap/amazon-ssm-agent/current/amazon-ssm-agent) for the snap).
    type: path
    default: /usr/bin/amazon-ssm-agent
  data_dir:
    description: The agent's data directory, which holds its vault.
    type: path
    default: /var/lib/amazon/ssm
  record:
    description: Where the module records which activation the current registration came from.
    type: path
    default: /var/lib/keel/ssm_agent/registration.json
  service:
    description:
      - systemd unit of the agent; stopped before registering and started again afterwards if it was active.
        Empty means no service handling (no systemd).
    type: str
    default: ""
author:
  - keel.ssm contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Register a hybrid activation (only the first time)
  keel.ssm.ssm_agent_registration:
    activation_code: "{{ activation_code }}"
    activation_id: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b
    region: eu-west-1
    service: amazon-ssm-agent.service
"""

RETURN = r"""
action:
  description:
    - C(registered) (first registration), C(reregistered) (O(force)), C(unchanged) (already registered with
      this activation and region) or C(kept) (registered otherwise and not forced; see RV(reason)).
  type: str
  returned: always
instance_id:
  description: Managed instance id after the run (empty in check mode before a first registration).
  type: str
  returned: always
registered_region:
  description: Region of the registration after the run.
  type: str
  returned: always
previous_instance_id:
  description: Managed instance id before the run, empty if there was none.
  type: str
  returned: always
reason:
  description: Why a registration was kept or made.
  type: str
  returned: always
"""

import datetime
import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError, KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.host.ssm_agent_rules import activation_problems
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

VAULT_KEY = os.path.join("Vault", "Store", "RegistrationKey")


def read_registration(data_dir):
    """(instance_id, region) of the agent's current registration, or None.

    Mirrors the agent's own test (instance id, region and private key all present); the private key is
    checked for presence only and not returned."""
    path = os.path.join(data_dir, VAULT_KEY)
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    instance_id, region = info.get("instanceID") or "", info.get("region") or ""
    if not (instance_id and region and info.get("privateKey")):
        return None
    return instance_id, region


def read_record(path):
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def plan(current, record, activation_id, region, force):
    """Decide what to do. Returns (action, reason); action is one of
    register, reregister, unchanged, kept."""
    if current is None:
        return "register", "the agent has no registration"
    instance_id, current_region = current
    recorded = record.get("activation_id") if record.get("instance_id") == instance_id else None
    if recorded == activation_id and current_region == region:
        return "unchanged", f"registered as {instance_id} with activation {activation_id} in {region}"
    if recorded is None:
        why = f"{instance_id} ({current_region}) was registered outside this role, from an unknown activation"
    elif recorded != activation_id:
        why = f"{instance_id} was registered with activation {recorded}, not {activation_id}"
    else:
        why = f"{instance_id} is registered in {current_region}, not {region}"
    if force:
        return "reregister", f"{why}; force is set"
    return "kept", f"{why}; kept it (set force to re-register; the old managed node would remain in SSM)"


def write_record(path, activation_id, instance_id, region):
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    temporary = f"{path}.tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        json.dump(
            {
                "activation_id": activation_id,
                "instance_id": instance_id,
                "region": region,
                "registered_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            },
            handle,
            indent=2,
            sort_keys=True,
        )
        handle.write("\n")
    os.replace(temporary, path)


def run_registration(module, params, override):
    service = params["service"]
    was_active = False
    if service:
        was_active = module.run_command(["systemctl", "is-active", "--quiet", service])[0] == 0
        if was_active:
            rc, _out, err = module.run_command(["systemctl", "stop", service])
            if rc != 0:
                raise KeelHostError(f"could not stop {service} before registering: {err.strip()}")
    command = [
        params["agent"],
        "-register",
        "-code",
        params["activation_code"],
        "-id",
        params["activation_id"],
        "-region",
        params["region"],
    ]
    if override:
        command.append("-y")
    rc, out, err = module.run_command(command)
    if service and was_active:
        module.run_command(["systemctl", "start", service])
    if rc != 0:
        # fail_json masks the code in everything it returns (no_log option).
        raise KeelHostError(f"amazon-ssm-agent -register failed (rc {rc})", rc=rc, stdout=out, stderr=err)
    current = read_registration(params["data_dir"])
    if current is None:
        raise KeelHostError(
            f"amazon-ssm-agent -register exited 0 but left no registration in "
            f"{os.path.join(params['data_dir'], VAULT_KEY)}",
            stdout=out,
        )
    return current


ARGUMENT_SPEC = {
    "activation_code": {"type": "str", "required": True, "no_log": True},
    "activation_id": {"type": "str", "required": True},
    "region": {"type": "str", "required": True},
    "force": {"type": "bool", "default": False},
    "agent": {"type": "path", "default": "/usr/bin/amazon-ssm-agent"},
    "data_dir": {"type": "path", "default": "/var/lib/amazon/ssm"},
    "record": {"type": "path", "default": "/var/lib/keel/ssm_agent/registration.json"},
    "service": {"type": "str", "default": ""},
}


def run(module):
    params = module.params
    problems = activation_problems(params["activation_code"], params["activation_id"], params["region"], prefix="")
    if problems:
        raise KeelRuleError("; ".join(problems))

    current = read_registration(params["data_dir"])
    action, reason = plan(
        current, read_record(params["record"]), params["activation_id"], params["region"], params["force"]
    )
    previous = current[0] if current else ""
    result = {
        "changed": action in ("register", "reregister"),
        "action": {"register": "registered", "reregister": "reregistered"}.get(action, action),
        "previous_instance_id": previous,
        "instance_id": previous,
        "registered_region": current[1] if current else "",
        "reason": reason,
    }
    if action == "kept":
        module.warn(f"SSM agent registration: {reason}")
    if not result["changed"] or module.check_mode:
        return result

    if not os.access(params["agent"], os.X_OK):
        raise KeelHostError(f"agent: {params['agent']} is not an executable", **result)
    instance_id, region = run_registration(module, params, override=action == "reregister")
    write_record(params["record"], params["activation_id"], instance_id, region)
    result.update(
        instance_id=instance_id,
        registered_region=region,
        reason=f"registered as {instance_id} in {region} with activation {params['activation_id']} ({reason})",
    )
    return result


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
