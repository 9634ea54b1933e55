#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enable and disable Debian pam-auth-update profiles, running pam-auth-update only when needed."""

DOCUMENTATION = r"""
module: pam_auth_update
short_description: Enable or disable Debian C(pam-auth-update) profiles, idempotently
version_added: 0.1.0
author:
  - keel.ssm contributors (!UNKNOWN)
description:
  - Makes the set of enabled profiles of C(/usr/share/pam-configs) include O(enable) and exclude O(disable),
    and regenerates C(/etc/pam.d/common-*) with Debian's C(pam-auth-update) only when something differs.
  - It plans by asking C(pam-auth-update) itself. It copies the three directories the tool works on
    (C(/etc/pam.d), C(/usr/share/pam-configs), C(/var/lib/pam)) and debconf's database to a scratch directory, runs
    C(pam-auth-update --package --root SCRATCH) there with the same O(enable), O(disable) and O(force), and
    compares what the tool wrote with the real files. Something differs when a profile must be enabled or
    disabled, or when the lines of an enabled profile are not what C(pam-auth-update) last wrote (for example
    because a template changed a profile or an earlier run was interrupted). A second run with the same profiles
    changes nothing.
  - The module never edits C(/etc/pam.d) itself. Profiles it disables are remembered by C(pam-auth-update), so
    package upgrades (whose maintainer scripts run C(pam-auth-update --package)) do not enable them again.
  - For safety it refuses, before running anything on the real system, a profile set for which the planned
    stacks leave auth, account or password without a primary module (C(pam-auth-update) then writes
    C(pam_permit) there and lets anyone in), and a set in which C(pam-auth-update) drops a profile to enable
    because it conflicts with another enabled one.
  - When C(/etc/pam.d/common-*) contain lines C(pam-auth-update) did not write, it keeps the files as they are;
    the module then fails and names the lines, unless O(force) is set.
options:
  enable:
    description:
      - Names of profiles (files in C(/usr/share/pam-configs)) that must be enabled.
      - A name that has no profile file fails the task (in check mode it only warns, because the package that
        ships it may be installed by an earlier task).
    type: list
    elements: str
    default: []
  disable:
    description:
      - Names of profiles that must not be enabled. A name without a profile file is accepted (nothing to do).
    type: list
    elements: str
    default: []
  force:
    description:
      - Pass C(--force) to C(pam-auth-update) so that it overwrites local edits of C(/etc/pam.d/common-*)
        (it keeps the previous files as C(common-*.pam-old)). Without it such edits make the task fail.
    type: bool
    default: false
  root:
    description:
      - Root directory of the system to manage (C(pam-auth-update --root)), for image builds and tests.
    type: path
    default: /
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports whether C(pam-auth-update) would run; runs nothing.
  diff_mode:
    support: full
    details:
      - Shows the changes to C(/etc/pam.d/common-*); in check mode, the ones C(pam-auth-update) made on the
        scratch copy.
  platform:
    platforms: debian
notes:
  - Debian family (C(libpam-runtime) provides C(pam-auth-update)); tested on Debian bookworm and trixie.
  - The planning is C(pam-auth-update)'s own (libpam-runtime 1.5.2 on bookworm, 1.7.0 on trixie), run on a copy
    with debconf pointed at a copy of its database, so nothing on the system changes while planning. After the
    real run the module reads the files again and fails if they are not the planned ones.
seealso:
  - name: pam-auth-update(8)
    description: Debian's manual page of the tool this module drives.
    link: https://manpages.debian.org/bookworm/libpam-runtime/pam-auth-update.8.en.html
"""

EXAMPLES = r"""
- name: Use the keel-unix profile instead of Debian's unix profile, and turn on faillock
  keel.ssm.pam_auth_update:
    enable: [keel-unix, keel-faillock, keel-faillock-authfail, pwquality]
    disable: [unix]

- name: Turn pam_pwhistory off again
  keel.ssm.pam_auth_update:
    disable: [keel-pwhistory]
"""

RETURN = r"""
enabled:
  description: Profiles enabled after the task (in check mode, the planned set), in pam-auth-update's order.
  returned: always
  type: list
  elements: str
  sample: [pwquality, keel-faillock, keel-pwhistory, keel-unix, keel-faillock-authfail]
previously_enabled:
  description: Profiles that were enabled before the task.
  returned: always
  type: list
  elements: str
stale:
  description: Stacks (auth, account, password, session, session-noninteractive) whose files differed from what
    C(pam-auth-update) wrote on the scratch copy before the task.
  returned: always
  type: list
  elements: str
command:
  description: The pam-auth-update command line that ran (or would run in check mode).
  returned: when changed
  type: list
  elements: str
stdout:
  description: Output of pam-auth-update.
  returned: when pam-auth-update ran
  type: str
stderr:
  description: Error output of pam-auth-update.
  returned: when pam-auth-update ran
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError, KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.host.pam import (
    PamAuthUpdate,
    diff_entries,
    local_edits_message,
)
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module


def check_request(pam, enable, disable, check_mode, warn):
    """Input pam-auth-update would silently ignore. Returns the profiles to enable that are
    not installed yet (allowed in check mode only: an earlier task may install them)."""
    if not os.path.isdir(pam.configs):
        raise KeelHostError(f"{pam.configs} does not exist: is libpam-runtime installed?")
    both = sorted(set(enable) & set(disable))
    if both:
        raise KeelRuleError("profiles both to enable and to disable: " + ", ".join(both))
    known = pam.profile_names()
    missing = [name for name in enable if name not in known]
    if missing and not check_mode:
        raise KeelRuleError("no such profile in /usr/share/pam-configs: " + ", ".join(missing))
    if missing:
        warn("profile(s) " + ", ".join(missing) + " not present yet; assuming an earlier task installs them")
    return missing


def check_plan(pam, plan, enable):
    """The safety rules, on what pam-auth-update wrote on the scratch copy."""
    dropped = [name for name in enable if name not in plan.enabled]
    if dropped:
        clashes = []
        for name in plan.enabled:
            lost = sorted(pam.conflicts(name) & set(dropped))
            if lost:
                clashes.append(f"profile {name} conflicts with enabled profile(s) " + ", ".join(lost))
        raise KeelRuleError(
            "refusing: pam-auth-update would leave "
            + ", ".join(dropped)
            + " disabled: "
            + ("; ".join(clashes) or "it dropped them")
        )
    for stack in plan.files.stacks_without_primary():
        raise KeelRuleError(
            f"refusing: no enabled profile provides a primary {stack} module, so pam-auth-update would write "
            "pam_permit there (anyone could log in); enabled would be: " + ", ".join(plan.enabled)
        )


def run(module):
    params = module.params
    enable, disable, force, root = params["enable"], params["disable"], params["force"], params["root"]
    binary = module.get_bin_path("pam-auth-update")
    if binary is None:
        raise KeelHostError("pam-auth-update not found: is libpam-runtime installed?")
    pam = PamAuthUpdate(binary, module.run_command, root, scratch_dir=module.tmpdir)
    before = pam.read()
    result = {"changed": False, "previously_enabled": before.modules()}
    if check_request(pam, enable, disable, module.check_mode, module.warn):
        result.update(changed=True, enabled=result["previously_enabled"], stale=[])
        return result

    plan = pam.plan(enable, disable, force)
    unplaceable = {}
    if plan.refused:
        # pam-auth-update keeps hand-edited files: name the lines, and predict with --force.
        unplaceable = pam.unplaceable_lines()
        if not module.check_mode:
            raise KeelHostError(local_edits_message(unplaceable), **result)
        module.warn(local_edits_message(unplaceable))
        plan = pam.plan(enable, disable, force=True)
    try:
        check_plan(pam, plan, enable)
    except KeelRuleError as error:
        error.result.update(result)
        raise
    stale = plan.files.stacks_differing_from(before)
    result.update(enabled=plan.enabled, stale=stale)
    if not stale:
        return result
    result.update(changed=True, command=pam.command(enable, disable, force))
    if module.check_mode:
        if module._diff:
            result["diff"] = diff_entries(root, before, plan.files, stale)
        return result

    _rc, out, err = pam.run(result["command"])
    after = pam.read()
    result.update(stdout=out, stderr=err, changed=bool(after.stacks_differing_from(before)))
    if module._diff:
        result["diff"] = diff_entries(root, before, after, after.stacks_differing_from(before))
    left = plan.files.stacks_differing_from(after)
    if left:
        raise KeelHostError(
            "pam-auth-update ran but the " + ", ".join(left) + " stack(s) differ from what it wrote on the scratch"
            " copy (profiles " + ", ".join(plan.enabled) + ")",
            **result,
        )
    return result


ARGUMENT_SPEC = {
    "enable": {"type": "list", "elements": "str", "default": []},
    "disable": {"type": "list", "elements": "str", "default": []},
    "force": {"type": "bool", "default": False},
    "root": {"type": "path", "default": "/"},
}


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
