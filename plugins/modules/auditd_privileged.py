#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find the setuid/setgid programs on a host's local filesystems (read-only)."""

DOCUMENTATION = r"""
module: auditd_privileged
short_description: Find setuid and setgid programs on local filesystems
version_added: 0.1.0
description:
  - Lists every regular file with the setuid or setgid bit on the host's local filesystems, sorted, so
    that audit rules for privileged commands (CIS Debian 12 6.2.3.6, CIS Ubuntu 22.04 4.1.3.6) can be
    written from what is really installed and a rerun on an unchanged host yields the same list.
  - Filesystems are read from C(/proc/self/mountinfo). Pseudo filesystems (proc, sysfs, cgroup, ...),
    volatile ones (tmpfs, ramfs) and network filesystems (nfs, cifs, sshfs, ...) are skipped, and so are
    mounts with C(nosuid) or C(noexec), where a setuid bit grants nothing (as the CIS audit does).
  - Each filesystem is walked without crossing into other filesystems (like C(find -xdev)).
  - Reads only; never changes anything, so it runs unchanged in check mode.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  skip_fstypes:
    description:
      - Filesystem types not to search. The default lists pseudo, volatile and network filesystems.
    type: list
    elements: str
    default: [autofs, binfmt_misc, bpf, ceph, cgroup, cgroup2, cifs, configfs, debugfs, devpts, devtmpfs,
              efivarfs, fuse.glusterfs, fuse.sshfs, fusectl, glusterfs, hugetlbfs, mqueue, ncpfs, nfs, nfs4,
              nfsd, nsfs, proc, pstore, ramfs, rpc_pipefs, securityfs, selinuxfs, smb3, smbfs, sysfs, tmpfs,
              tracefs, 9p, afs, lustre]
  mountinfo:
    description:
      - The mount table to read. Only tests need another one.
    type: path
    default: /proc/self/mountinfo
attributes:
  check_mode:
    support: full
    description: Reads only; check mode returns the same list.
  diff_mode:
    support: none
    description: Returns no diff.
notes:
  - Bind mounts of the same files are reported under every path they are reachable by, because audit
    path rules match by path.
"""

EXAMPLES = r"""
- name: Find privileged programs
  keel.ssm.auditd_privileged:
  register: privileged

- name: Show them
  ansible.builtin.debug:
    var: privileged.paths
"""

RETURN = r"""
paths:
  description: Absolute paths of the setuid/setgid regular files found, sorted.
  returned: always
  type: list
  elements: str
  sample: [/usr/bin/chfn, /usr/bin/passwd, /usr/bin/sudo]
mounts:
  description: Mount points that were searched, sorted.
  returned: always
  type: list
  elements: str
  sample: [/, /boot]
skipped:
  description: Mount points that were not searched, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{mount: /proc, reason: "fstype proc"}, {mount: /tmp, reason: "mounted nosuid"}]
"""

import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

DEFAULT_SKIP_FSTYPES = [
    "autofs",
    "binfmt_misc",
    "bpf",
    "ceph",
    "cgroup",
    "cgroup2",
    "cifs",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fuse.glusterfs",
    "fuse.sshfs",
    "fusectl",
    "glusterfs",
    "hugetlbfs",
    "mqueue",
    "ncpfs",
    "nfs",
    "nfs4",
    "nfsd",
    "nsfs",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "smb3",
    "smbfs",
    "sysfs",
    "tmpfs",
    "tracefs",
    "9p",
    "afs",
    "lustre",
]
# mountinfo escapes space, tab, newline and backslash as \ooo octal.
OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")
PRIVILEGE_BITS = stat.S_ISUID | stat.S_ISGID


def _unescape(field):
    return OCTAL_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


def parse_mountinfo(text):
    """[(mount point, fstype, set of per-mount options)] from /proc/self/mountinfo text (proc(5))."""
    mounts = []
    for line in text.splitlines():
        fields = line.split(" ")
        if "-" not in fields[6:]:
            continue
        separator = fields.index("-", 6)
        mounts.append((_unescape(fields[4]), _unescape(fields[separator + 1]), set(fields[5].split(","))))
    return mounts


def select_mounts(mounts, skip_fstypes):
    """Split mounts into (to search, skipped with reason); both sorted by mount point.

    A later mount over the same point hides the earlier one, so the last entry wins."""
    visible = {mount_point: (fstype, options) for mount_point, fstype, options in mounts}
    searched, skipped = [], []
    for mount_point in sorted(visible):
        fstype, options = visible[mount_point]
        blocking = sorted(options & {"nosuid", "noexec"})
        if fstype in skip_fstypes:
            skipped.append({"mount": mount_point, "reason": f"fstype {fstype}"})
        elif blocking:
            skipped.append({"mount": mount_point, "reason": "mounted " + ",".join(blocking)})
        else:
            searched.append(mount_point)
    return searched, skipped


def _privileged(path):
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and bool(info.st_mode & PRIVILEGE_BITS)


def scan(mount_point):
    """Privileged regular files under mount_point without leaving its filesystem (find -xdev)."""
    try:
        top = os.lstat(mount_point)
    except OSError:
        return set()
    if not stat.S_ISDIR(top.st_mode):
        return {mount_point} if _privileged(mount_point) else set()
    found = set()
    for directory, dirnames, filenames in os.walk(mount_point):
        kept = []
        for name in dirnames:
            try:
                info = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode) and info.st_dev == top.st_dev:
                kept.append(name)
        dirnames[:] = kept
        found.update(path for path in (os.path.join(directory, name) for name in filenames) if _privileged(path))
    return found


def find_privileged(mountinfo_text, skip_fstypes):
    mounts, skipped = select_mounts(parse_mountinfo(mountinfo_text), set(skip_fstypes))
    paths = set()
    for mount_point in mounts:
        paths |= scan(mount_point)
    return sorted(paths), mounts, skipped


ARGUMENT_SPEC = {
    "skip_fstypes": {"type": "list", "elements": "str", "default": DEFAULT_SKIP_FSTYPES},
    "mountinfo": {"type": "path", "default": "/proc/self/mountinfo"},
}


def run(module):
    try:
        with open(module.params["mountinfo"], encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise KeelHostError(f"mountinfo: cannot read {module.params['mountinfo']}: {exc.strerror}") from None
    paths, mounts, skipped = find_privileged(text, module.params["skip_fstypes"])
    return {"changed": False, "paths": paths, "mounts": mounts, "skipped": skipped}


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
