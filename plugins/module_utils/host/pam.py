# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian's pam-auth-update, asked rather than re-implemented.

pam-auth-update decides everything about the PAM stacks: which profiles end up enabled
(priorities, conflicts, defaults it has not seen), the lines of each stack, how a hand
edit is merged or refused. keel.ssm.pam_auth_update therefore plans by running the tool
itself on a scratch copy: plan() copies the three directories it works on
(/etc/pam.d, /usr/share/pam-configs, /var/lib/pam, under the root being managed) and
debconf's database to a scratch directory, runs
`pam-auth-update --package --root SCRATCH --enable ... --disable ...` there with debconf
pointed at the copy (DEBCONF_SYSTEMRC), and reads back what it wrote. Comparing that
with the real files says whether anything changes and shows the diff; applying runs the
same command on the real root, and the module checks that it wrote what it planned.

What is read here is the tool's own output: the `Module: NAME` lines of its saved state
(/var/lib/pam/<stack>, where `Module: null` marks a stack it filled with pam_permit for
want of a primary module), debconf-show's list of enabled profiles, the `Conflicts:`
field a profile declares, and its "Local modifications" refusal.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Callable, NamedTuple

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError
from ansible_collections.keel.ssm.plugins.module_utils.host.files import read_text

STACKS = ("auth", "account", "password", "session", "session-noninteractive")
# Stacks that must keep a primary module: without one pam-auth-update writes pam_permit.
GUARDED_STACKS = ("auth", "account", "password")
PAMD, CONFIGS, SAVED = "etc/pam.d", "usr/share/pam-configs", "var/lib/pam"
# debconf's File databases on Debian (debconf.conf's config and templates databases).
DEBCONF_DIR = "/var/cache/debconf"
DEBCONF_DATABASES = ("config.dat", "templates.dat")
# A debconf.conf whose two File databases are copies in a scratch directory (DIR).
DEBCONF_CONF = """\
Config: config
Templates: templates

Name: config
Driver: File
Mode: 600
Filename: DIR/config.dat

Name: templates
Driver: File
Mode: 600
Filename: DIR/templates.dat
"""
PROFILES_QUESTION = "libpam-runtime/profiles:"
# What pam-auth-update prints (on stderr, exit status 0) when it leaves hand-edited
# /etc/pam.d/common-* files alone.
LOCAL_EDITS = "Local modifications to /etc/pam.d/common-"
PRIMARY_MARK = '# here are the per-package modules (the "Primary" block)'
ENVIRONMENT = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}

RunCommand = Callable[..., "tuple[int, str, str]"]


class PamFiles(NamedTuple):
    """The files pam-auth-update writes for each stack, under one root (None: missing)."""

    common: dict[str, str | None]  # /etc/pam.d/common-<stack>
    saved: dict[str, str | None]  # /var/lib/pam/<stack>

    @classmethod
    def read(cls, root: str) -> PamFiles:
        return cls(
            {stack: read_text(os.path.join(root, PAMD, "common-" + stack)) for stack in STACKS},
            {stack: read_text(os.path.join(root, SAVED, stack)) for stack in STACKS},
        )

    def stacks_differing_from(self, other: PamFiles) -> list[str]:
        return [
            stack
            for stack in STACKS
            if self.common[stack] != other.common[stack] or self.saved[stack] != other.saved[stack]
        ]

    def modules(self) -> list[str]:
        """The profiles in the saved state, in the order they first appear."""
        names = []
        for stack in STACKS:
            for line in (self.saved[stack] or "").splitlines():
                name = line.removeprefix("Module: ").strip() if line.startswith("Module: ") else None
                if name and name != "null" and name not in names:
                    names.append(name)
        return names

    def stacks_without_primary(self) -> list[str]:
        """Guarded stacks whose saved state starts with `Module: null` (pam_permit)."""
        return [stack for stack in GUARDED_STACKS if (self.saved[stack] or "").startswith("Module: null\n")]


class Plan(NamedTuple):
    """What pam-auth-update wrote on the scratch copy."""

    files: PamFiles
    enabled: list[str]  # the profiles it left enabled, in its order
    refused: bool  # it kept hand-edited files and wrote nothing
    stderr: str


class PamAuthUpdate:
    """pam-auth-update for the system under `root`, run through `run_command`
    (AnsibleModule.run_command's signature)."""

    def __init__(self, binary: str, run_command: RunCommand, root: str = "/", scratch_dir: str | None = None) -> None:
        self.binary = binary
        self.run_command = run_command
        self.root = root
        self.scratch_dir = scratch_dir
        self.configs = os.path.join(root, CONFIGS)

    # --- reading ---------------------------------------------------------------------
    def read(self) -> PamFiles:
        return PamFiles.read(self.root)

    def profile_names(self) -> list[str]:
        """The profiles pam-auth-update would read (it skips editor backups)."""
        names = []
        for name in sorted(os.listdir(self.configs)):
            if name.endswith("~") or (name.startswith("#") and name.endswith("#")):
                continue
            if os.path.isfile(os.path.join(self.configs, name)):
                names.append(name)
        return names

    def conflicts(self, name: str) -> set[str]:
        """The profiles `name` declares a conflict with (its `Conflicts:` field)."""
        for line in (read_text(os.path.join(self.configs, name)) or "").splitlines():
            if line.startswith("Conflicts:"):
                return {item.strip() for item in line.split(":", 1)[1].split(",") if item.strip()}
        return set()

    # --- asking the tool -------------------------------------------------------------
    def command(self, enable: list[str], disable: list[str], force: bool, root: str | None = None) -> list[str]:
        command = [self.binary, "--package"]
        if force:
            command.append("--force")
        root = self.root if root is None else root
        if root != "/":
            command += ["--root", root]
        if enable:
            command += ["--enable", *enable]
        if disable:
            command += ["--disable", *disable]
        return command

    def run(self, command: list[str], environ: dict[str, str] | None = None) -> tuple[int, str, str]:
        rc, out, err = self.run_command(command, environ_update={**ENVIRONMENT, **(environ or {})})
        if rc != 0:
            raise KeelHostError(f"pam-auth-update failed (rc {rc})", rc=rc, stdout=out, stderr=err)
        return rc, out, err

    def plan(self, enable: list[str], disable: list[str], force: bool) -> Plan:
        """Run pam-auth-update on a scratch copy of the root and read what it wrote."""
        scratch = tempfile.mkdtemp(prefix="keel-pam-auth-update-", dir=self.scratch_dir)
        try:
            root, environ = self._copy(scratch)
            _rc, _out, err = self.run(self.command(enable, disable, force, root=root), environ)
            files = PamFiles.read(root)
            return Plan(files, self._enabled(environ) or files.modules(), LOCAL_EDITS in err, err)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def unplaceable_lines(self) -> dict[str, list[str]]:
        """The lines of the common-* files pam-auth-update did not write, by file: what
        `--force` drops when it regenerates the current selection on a scratch copy."""
        current = self.read()
        enabled = current.modules()
        others = [name for name in self.profile_names() if name not in enabled]
        forced = self.plan(enabled, others, force=True).files
        found = {}
        for stack in STACKS:
            text = current.common[stack]
            if text is None:
                continue
            if PRIMARY_MARK not in text:
                found["common-" + stack] = ["(the pam-auth-update markers are missing)"]
                continue
            kept = set((forced.common[stack] or "").splitlines())
            lines = [line for line in text.splitlines() if line.strip() and line not in kept]
            if lines:
                found["common-" + stack] = lines
        return found

    def _copy(self, scratch: str) -> tuple[str, dict[str, str]]:
        """The root's pam-auth-update directories and debconf's databases, copied."""
        root = os.path.join(scratch, "root")
        for relative in (PAMD, CONFIGS, SAVED):
            source = os.path.join(self.root, relative)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(root, relative), symlinks=True)
            else:
                os.makedirs(os.path.join(root, relative))
        debconf = os.path.join(scratch, "debconf")
        os.makedirs(debconf)
        for name in DEBCONF_DATABASES:
            if os.path.isfile(os.path.join(DEBCONF_DIR, name)):
                shutil.copy2(os.path.join(DEBCONF_DIR, name), os.path.join(debconf, name))
        conf = os.path.join(debconf, "debconf.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write(DEBCONF_CONF.replace("DIR", debconf))
        return root, {"DEBCONF_SYSTEMRC": conf}

    def _enabled(self, environ: dict[str, str]) -> list[str]:
        """The enabled profiles as debconf recorded them for pam-auth-update (empty when
        debconf-show cannot say: the saved state's modules stand in)."""
        show = shutil.which("debconf-show") or "/usr/bin/debconf-show"
        _rc, out, _err = self.run_command([show, "libpam-runtime"], environ_update={**ENVIRONMENT, **environ})
        for line in out.splitlines():
            _mark, found, value = line.partition(PROFILES_QUESTION)
            if found:
                return [name.strip() for name in value.split(",") if name.strip()]
        return []


def local_edits_message(lines: dict[str, list[str]]) -> str:
    detail = "; ".join(f"{name}: " + " | ".join(found) for name, found in sorted(lines.items())) or "see its output"
    return (
        f"pam-auth-update leaves /etc/pam.d/common-* alone while they hold lines it did not write ({detail}). Move "
        "those settings into a profile under /usr/share/pam-configs, or use force to let pam-auth-update overwrite "
        "the files (it keeps copies as common-*.pam-old)"
    )


def diff_entries(root: str, before: PamFiles, after: PamFiles, stacks: list[str]) -> list[dict[str, Any]]:
    """Diff-mode entries for the common-* files of `stacks`."""
    entries = []
    for stack in stacks:
        path = os.path.join(root, PAMD, "common-" + stack)
        if before.common[stack] != after.common[stack]:
            entries.append(
                {
                    "before_header": path,
                    "after_header": path,
                    "before": before.common[stack] or "",
                    "after": after.common[stack] or "",
                }
            )
    return entries
