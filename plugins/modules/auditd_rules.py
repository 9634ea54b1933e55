#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a set of audit rules files in rules.d exactly the given one (one module call)."""

DOCUMENTATION = r"""
module: auditd_rules
short_description: Keep a set of audit rules files in rules.d exactly as given
version_added: 0.1.0
description:
  - Writes every file of O(files) into O(path) (atomically, only when its content, owner or mode differ)
    and removes the other files in O(path) whose name starts with O(prefix) and ends with C(.rules), so
    that the files this collection owns are exactly the given set. Files with other names (the
    distribution's C(audit.rules), an operator's own rules) are never touched.
  - One call replaces a template task per file, a find and a removal loop.
  - Composing C(/etc/audit/audit.rules) and loading it (C(augenrules)) are left to the caller.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  path:
    description: The rules directory.
    type: path
    default: /etc/audit/rules.d
  files:
    description:
      - File name (no directory) to content. Every name must start with O(prefix) and end with C(.rules).
    type: dict
    required: true
  prefix:
    description: Name prefix of the files this set owns; other C(<prefix>*.rules) files are removed.
    type: str
    default: keel-
  mode:
    description: Mode of the written files (CIS Debian 12 6.2.4.5 asks for 0640 or stricter).
    type: raw
    default: "0640"
attributes:
  check_mode:
    support: full
    description: Predicts C(changed) and the files it would write or remove, writing nothing.
  diff_mode:
    support: full
    description: Shows each rules file before and after.
notes:
  - Files are owned by root:root.
"""

EXAMPLES = r"""
- name: Write the CIS group files
  keel.ssm.auditd_rules:
    files:
      keel-10-scope.rules: |
        -w /etc/sudoers -p wa -k scope
        -w /etc/sudoers.d -p wa -k scope
"""

RETURN = r"""
written:
  description: Files created or rewritten (content, owner or mode), sorted.
  returned: always
  type: list
  elements: str
  sample: [keel-10-scope.rules]
removed:
  description: Files removed because they are not in O(files), sorted.
  returned: always
  type: list
  elements: str
  sample: [keel-50-retired.rules]
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError, KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.host.files import read_text
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module


def plan(directory, files, prefix):
    """(to write {name: content}, to remove [names], diffs) for the wanted set of files."""
    for name in files:
        if "/" in name or not name.startswith(prefix) or not name.endswith(".rules") or name == prefix + ".rules":
            raise KeelRuleError(f"files: {name!r} must be a file name starting with {prefix!r} and ending with .rules")
    present = sorted(entry for entry in os.listdir(directory) if entry.startswith(prefix) and entry.endswith(".rules"))
    to_write, diffs = {}, []
    for name in sorted(files):
        current = read_text(os.path.join(directory, name))
        if current != files[name]:
            to_write[name] = files[name]
            diffs.append({"before_header": name, "before": current or "", "after_header": name, "after": files[name]})
    to_remove = [name for name in present if name not in files]
    for name in to_remove:
        diffs.append({"before_header": name, "before": read_text(os.path.join(directory, name)) or "", "after": ""})
    return to_write, to_remove, diffs


ARGUMENT_SPEC = {
    "path": {"type": "path", "default": "/etc/audit/rules.d"},
    "files": {"type": "dict", "required": True},
    "prefix": {"type": "str", "default": "keel-"},
    "mode": {"type": "raw", "default": "0640"},
}


def run(module):
    directory, prefix = module.params["path"], module.params["prefix"]
    if not os.path.isdir(directory):
        raise KeelHostError(f"path: {directory} is not a directory (is auditd installed?)")
    files = {name: str(content) for name, content in module.params["files"].items()}
    to_write, to_remove, diffs = plan(directory, files, prefix)

    written = set(to_write)
    for name in sorted(files):
        target = os.path.join(directory, name)
        if name in to_write and not module.check_mode:
            handle, temp = tempfile.mkstemp(dir=directory, prefix=".keel-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(to_write[name])
            module.atomic_move(temp, target)
        if name in to_write and module.check_mode:
            continue  # a file that is only planned has no attributes to compare yet
        changed = module.set_owner_if_different(target, "root", False)
        changed = module.set_group_if_different(target, "root", changed)
        if module.set_mode_if_different(target, module.params["mode"], changed):
            written.add(name)
    for name in to_remove:
        if not module.check_mode:
            os.unlink(os.path.join(directory, name))

    result = {"changed": bool(written or to_remove), "written": sorted(written), "removed": to_remove}
    if module._diff:
        result["diff"] = diffs
    return result


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
