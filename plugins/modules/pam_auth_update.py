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
  - Something differs when a profile must be enabled or disabled, or when the lines of an enabled profile are
    not what C(pam-auth-update) last wrote (its saved state in C(/var/lib/pam)), for example because a template
    changed a profile or an earlier run was interrupted. A second run with the same profiles changes nothing.
  - The module never edits C(/etc/pam.d) itself. Profiles it disables are remembered by C(pam-auth-update), so
    package upgrades (whose maintainer scripts run C(pam-auth-update --package)) do not enable them again.
  - For safety it refuses, before running anything, a profile set that leaves the auth, account or password
    stack without a primary module (C(pam-auth-update) would then write C(pam_permit) there and let anyone in),
    and a set that enables two profiles that declare a conflict.
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
      - Shows the changes to C(/etc/pam.d/common-*). In check mode, the predicted change of the per-module
        lines C(pam-auth-update) records in C(/var/lib/pam).
  platform:
    platforms: debian
notes:
  - Debian family (C(libpam-runtime) provides C(pam-auth-update)); tested on Debian bookworm and trixie.
  - The planning mirrors C(pam-auth-update) of libpam-runtime 1.5.2 and 1.7.0, that is profiles sorted by
    priority then name, C(*-Initial) lines for the first module of a block, and previously unseen profiles
    marked C(Default) C(yes) added. After a run the module reads the saved state again and fails if it is not
    the planned one.
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
  description: Stacks (auth, account, password, session, session-noninteractive) whose recorded lines differed
    from the planned ones before the task.
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
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError, KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.host.files import read_text
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

STACKS = ("auth", "account", "password", "session", "session-noninteractive")
# Stacks that must keep a primary module: with none, pam-auth-update writes pam_permit.
GUARDED_STACKS = ("auth", "account", "password")
# pam-auth-update ignores profiles that mention these modules.
INVALID_MODULES = ("pam_tally",)
FIELD = re.compile(r"^(\S+):\s+(.*)$", re.DOTALL)
JUMP_COUNT = re.compile(r"(\[[^0-9]*)[0-9]+(.*\])")
JUMP_END = re.compile(r"(\[.*)end(.*\])")
PRIMARY_MARK = '# here are the per-package modules (the "Primary" block)'
FALLBACK_MARK = "# here's the fallback if no module succeeds"
ADDITIONAL_MARK = '# and here are more per-package modules (the "Additional" block)'
END_MARK = "# end of pam-auth-update config"


def _field_name(stack):
    """pam-auth-update's ucfirst(): 'session-noninteractive' -> 'Session-noninteractive'."""
    return stack[:1].upper() + stack[1:]


def parse_profile(text):
    """Fields of a profile, as pam-auth-update's parse_pam_profile() reads them.

    Returns None for a profile pam-auth-update ignores (it mentions an invalid module)."""
    profile = {}
    field = None
    invalid = False
    for raw in text.splitlines(True):
        match = FIELD.match(raw)
        if match:
            field = match.group(1)
            if field.endswith("-Final"):
                field = field[: -len("-Final")]
            value = match.group(2).rstrip("\n")
            if field == "Conflicts":
                profile["Conflicts"] = set(value.split(", "))
            else:
                profile[field] = value
            continue
        line = raw.strip()
        if field is None or field == "Conflicts":
            continue
        if line:
            profile[field] = profile.get(field, "") + "\n" + line
        if any(module in profile.get(field, "") for module in INVALID_MODULES):
            invalid = True
        profile[field] = profile.get(field, "").lstrip("\n \t")
    if invalid:
        return None
    if profile.get("Session-Interactive-Only", "").strip() != "yes":
        for suffix in ("-Type", "", "-Initial"):
            if "Session" + suffix in profile:
                profile["Session-noninteractive" + suffix] = profile["Session" + suffix]
    return profile


def _priority(profile):
    match = re.match(r"\s*(-?\d+)", profile.get("Priority", ""))
    return int(match.group(1)) if match else 0


def sort_profiles(names, profiles):
    """pam-auth-update's order: priority descending, then name descending."""
    by_name = sorted(names, reverse=True)
    return sorted(by_name, key=lambda name: -_priority(profiles[name]))


def _lines(profile, stack, position):
    field = _field_name(stack)
    value = profile.get(field + "-Initial") if position == 0 else None
    if not value:
        value = profile.get(field, "")
    return [line for line in value.split("\n") if line.strip()]


def recorded_state(profiles, enabled, stack):
    """What pam-auth-update records in /var/lib/pam/<stack> for an enabled set: [(module, [lines])]."""
    field = _field_name(stack) + "-Type"

    def block(other):
        # Every typed profile except those of the other block; each block numbers its own positions.
        entries, position = [], 0
        for name in enabled:
            kind = profiles[name].get(field)
            if not kind or kind == other:
                continue
            lines = _lines(profiles[name], stack, position)
            position += 1
            if lines:
                entries.append((name, lines))
        return entries, position

    primary, primaries = block("Additional")
    if primaries == 0:
        primary.append(("null", ["[default=1]\t\t\tpam_permit.so"]))
    return primary + block("Primary")[0]


def parse_recorded(text):
    """/var/lib/pam/<stack> -> [(module, [lines])]."""
    state = []
    for line in text.splitlines():
        if line.startswith("Module: "):
            state.append((line.removeprefix("Module: ").strip(), []))
        elif line.strip() and state:
            state[-1][1].append(line)
    return state


def _normal(state):
    return [(name, [" ".join(line.split()) for line in lines]) for name, lines in state]


def render_recorded(state):
    return "".join(f"Module: {name}\n" + "\n".join(lines) + "\n" for name, lines in state)


def plan(profiles, previously_enabled, seen, enable, disable):
    """The enabled set pam-auth-update will produce for `--enable ENABLE --disable DISABLE`."""
    missing = [name for name in enable if name not in profiles]
    if missing:
        raise KeelRuleError("no such profile in /usr/share/pam-configs: " + ", ".join(missing))
    both = sorted(set(enable) & set(disable))
    if both:
        raise KeelRuleError("profiles both to enable and to disable: " + ", ".join(both))
    ordered = sort_profiles(list(profiles), profiles)
    enabled = [name for name in previously_enabled if name in profiles]
    enabled += [name for name in ordered if name in enable]
    enabled = [name for name in enabled if name not in disable]
    seen = set(seen) | set(disable)
    if not enabled:
        seen = set()
    enabled += [name for name in ordered if profiles[name].get("Default") == "yes" and name not in seen]
    enabled = sort_profiles(sorted(set(enabled)), profiles)
    for name in enabled:
        clash = sorted(profiles[name].get("Conflicts", set()) & set(enabled))
        if clash:
            raise KeelRuleError(f"profile {name} conflicts with enabled profile(s) " + ", ".join(clash))
    for stack in GUARDED_STACKS:
        if recorded_state(profiles, enabled, stack)[0][0] == "null":
            raise KeelRuleError(
                f"refusing: no enabled profile provides a primary {stack} module, so pam-auth-update would write "
                "pam_permit there (anyone could log in); enabled would be: " + ", ".join(enabled)
            )
    return enabled


def unmergeable_lines(common_text, recorded, stack):
    """The first line in the managed blocks of /etc/pam.d/common-<stack> that pam-auth-update cannot match
    with its saved state, following its diff_profiles(): with such a line it refuses to update the files."""
    kind = re.escape(stack.replace("-noninteractive", ""))
    saved = []
    for _profile, lines in recorded:
        for line in lines:
            line = JUMP_END.sub(r"\1\2", JUMP_COUNT.sub(r"\1\2", line))
            match = re.match(r"^((\[[^]]+\]|\w+)\s+\S+)", line)
            if match:
                saved.append(match.group(1))
    bad = []
    state = 0
    for raw in common_text.splitlines():
        if state == 0:
            state = 1 if raw.startswith(PRIMARY_MARK) else 0
            continue
        if state == 1:
            if raw.startswith(FALLBACK_MARK):
                state = 2
                continue
        elif state == 2:
            state = 3 if raw.startswith(ADDITIONAL_MARK) else 2
            continue
        elif raw.startswith(END_MARK):
            break
        line = JUMP_COUNT.sub(r"\1\2", re.sub(rf"^{kind}\s+", "", raw))
        found = False
        while not found and saved:
            found = line.startswith(saved.pop(0))
        if not found:
            # pam-auth-update gives up at the first line it cannot place.
            return [raw]
    if state < 3:
        bad.append("(the pam-auth-update markers are missing)")
    return bad


class PamConfig:
    """Reads the profiles, pam-auth-update's saved state and the generated files under a root."""

    def __init__(self, root):
        self.configs = os.path.join(root, "usr/share/pam-configs")
        self.saved = os.path.join(root, "var/lib/pam")
        self.pamd = os.path.join(root, "etc/pam.d")

    def profiles(self):
        profiles = {}
        for name in sorted(os.listdir(self.configs)):
            if name.endswith("~") or (name.startswith("#") and name.endswith("#")):
                continue
            path = os.path.join(self.configs, name)
            if not os.path.isfile(path):
                continue
            profile = parse_profile(read_text(path) or "")
            if profile is not None:
                profiles[name] = profile
        return profiles

    def recorded(self):
        """{stack: [(module, [lines])] or None when missing}."""
        result = {}
        for stack in STACKS:
            text = read_text(os.path.join(self.saved, stack))
            result[stack] = None if text is None else parse_recorded(text)
        return result

    def seen(self):
        text = read_text(os.path.join(self.saved, "seen")) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def common(self, stack):
        return read_text(os.path.join(self.pamd, "common-" + stack))


def previously_enabled(recorded):
    names = []
    for state in recorded.values():
        for name, _lines in state or []:
            if name != "null" and name not in names:
                names.append(name)
    return names


def stale_stacks(profiles, enabled, recorded):
    return [
        stack
        for stack in STACKS
        if recorded[stack] is None or _normal(recorded[stack]) != _normal(recorded_state(profiles, enabled, stack))
    ]


def run(module):
    enable, disable = module.params["enable"], module.params["disable"]
    config = PamConfig(module.params["root"])
    if not os.path.isdir(config.configs):
        raise KeelHostError(f"{config.configs} does not exist: is libpam-runtime installed?")
    profiles = config.profiles()
    recorded = config.recorded()
    before = previously_enabled(recorded)
    result = {"changed": False, "previously_enabled": before}

    missing = [name for name in enable if name not in profiles]
    if missing and module.check_mode:
        module.warn("profile(s) " + ", ".join(missing) + " not present yet; assuming an earlier task installs them")
        result.update(changed=True, enabled=before, stale=[])
        return result
    try:
        wanted = plan(profiles, before, config.seen(), enable, disable)
    except KeelRuleError as error:
        error.result.update(result)
        raise

    stale = stale_stacks(profiles, wanted, recorded)
    result.update(enabled=wanted, stale=stale)
    if not stale:
        return result

    command = [module.get_bin_path("pam-auth-update", required=True), "--package"]
    if module.params["force"]:
        command.append("--force")
    if module.params["root"] != "/":
        command += ["--root", module.params["root"]]
    if enable:
        command += ["--enable", *enable]
    if disable:
        command += ["--disable", *disable]
    result.update(changed=True, command=command)
    unmergeable = {} if module.params["force"] else _unmergeable(config, recorded)

    if module.check_mode:
        if unmergeable:
            module.warn(_local_edits_message(unmergeable))
        if module._diff:
            result["diff"] = [
                {
                    "before_header": os.path.join(config.saved, stack),
                    "after_header": os.path.join(config.saved, stack),
                    "before": render_recorded(recorded[stack] or []),
                    "after": render_recorded(recorded_state(profiles, wanted, stack)),
                }
                for stack in stale
            ]
        return result

    files_before = {stack: config.common(stack) for stack in STACKS}
    environ = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
    rc, out, err = module.run_command(command, environ_update=environ)
    result.update(stdout=out, stderr=err)
    if rc != 0:
        raise KeelHostError(f"pam-auth-update failed (rc {rc})", rc=rc, **result)

    after = config.recorded()
    result["enabled"] = previously_enabled(after)
    # pam-auth-update may have declined to write anything (local edits): report what happened.
    result["changed"] = any(files_before[stack] != config.common(stack) for stack in STACKS) or after != recorded
    if module._diff:
        result["diff"] = [
            {
                "before_header": os.path.join(config.pamd, "common-" + stack),
                "after_header": os.path.join(config.pamd, "common-" + stack),
                "before": files_before[stack] or "",
                "after": config.common(stack) or "",
            }
            for stack in STACKS
            if files_before[stack] != config.common(stack)
        ]
    left = stale_stacks(profiles, wanted, after)
    if left:
        if "Local modifications" in err or unmergeable:
            module.fail_json(msg=_local_edits_message(unmergeable or _unmergeable(config, after)), **result)
        module.fail_json(
            msg="pam-auth-update ran but the "
            + ", ".join(left)
            + " stack(s) do not hold the planned profiles "
            + ", ".join(wanted),
            **result,
        )
    return result


def _unmergeable(config, recorded):
    found = {}
    for stack in STACKS:
        text = config.common(stack)
        if text is None or recorded[stack] is None:
            continue
        lines = unmergeable_lines(text, recorded[stack], stack)
        if lines:
            found["common-" + stack] = lines
    return found


def _local_edits_message(unmergeable):
    detail = "; ".join(f"{name}: " + " | ".join(lines) for name, lines in sorted(unmergeable.items()))
    return (
        "pam-auth-update leaves /etc/pam.d/common-* alone while they hold lines it did not write ("
        + (detail or "see its output")
        + "). Move those settings into a profile under /usr/share/pam-configs, or use force to let "
        "pam-auth-update overwrite the files (it keeps copies as common-*.pam-old)"
    )


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
