#!/usr/bin/env python
# (python: a shebang ansible-test sanity allows, as this file ships in the collection; the
# SSM documents run it as `python3 bin/keel-run`.)
"""keel-run: the instance side of the keel.ssm SSM documents (shipped as bin/keel-run
in the bundle).

An SSM document's shell step unpacks the bundle and calls this with the role to apply.
It
1. makes sure a suitable Ansible is present: the distribution's ansible-core (2.14 or
   later, installed with python3-boto3 when missing) or a pinned ansible-core from PyPI
   in /opt/keel-ssm/ansible-core-VERSION, as the AnsibleSource parameter says;
2. turns the agent's SSM_<Name> variables into typed extra vars (only the non-empty
   ones, so Parameter Store and role defaults still apply), with the same names and
   rules as the generated documents (plugin_utils/document_parameters.py);
3. when a ParameterPath is set, waits a random 0..MaxReadDelaySeconds seconds, so the
   instances State Manager starts together spread their Parameter Store reads;
4. runs `ansible-playbook -i localhost, -c local PLAYBOOK` from the bundle and exits
   with its status, so a failed run makes the association non-compliant.

Step 1 uses the standard library only (nothing may be installed yet); steps 2 to 4
need PyYAML, so it runs under the Python that runs Ansible (`--stage run`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

MIN_CORE = (2, 14)
VENV_ROOT = "/opt/keel-ssm"
CORE_VERSION = re.compile(r"\[core (\d+)\.(\d+)\.(\d+)")
# The values keel-run itself reads; re-checked here because an agent that predates
# allowedPattern enforcement (or a hand-run) must not get anything past.
MODES = ("apply", "check")
SOURCES = ("distro", "venv")
VERSION_PATTERN = re.compile(r"^2\.(1[4-9]|2[0-9])\.[0-9]{1,3}$")


class RunError(RuntimeError):
    """A failure keel-run explains itself (exit status 2)."""


def agent_value(name, default=""):
    """A document parameter as the agent exports it (SSM_<Name>, mixed case by design)."""
    return os.environ.get(f"SSM_{name}", default)


def log(message):
    print(f"keel-run: {message}", flush=True)


def run(command, **kwargs):
    log("$ " + " ".join(command))
    return subprocess.run(command, check=False, **kwargs)


def core_version(ansible_playbook):
    """(major, minor, patch) of the ansible-core behind an ansible-playbook, or None."""
    try:
        output = subprocess.run(
            [ansible_playbook, "--version"], check=False, capture_output=True, text=True, timeout=120
        ).stdout
    except OSError:
        return None
    match = CORE_VERSION.search(output)
    return tuple(int(part) for part in match.groups()) if match else None


def interpreter_of(executable):
    """The Python an installed ansible-playbook runs under (its shebang)."""
    with open(executable, encoding="utf-8", errors="replace") as handle:
        first = handle.readline().strip()
    if not first.startswith("#!"):
        raise RunError(f"{executable}: no interpreter line")
    parts = first[2:].split()
    if os.path.basename(parts[0]) == "env":
        found = shutil.which(parts[1])
        if not found:
            raise RunError(f"{executable}: interpreter {parts[1]} not found")
        return found
    return parts[0]


def package_manager():
    for tool in ("apt-get", "dnf", "yum"):
        if shutil.which(tool):
            return tool
    raise RunError("no apt-get, dnf or yum: install ansible-core 2.14+ and python3-boto3, or use AnsibleSource=venv")


def install_packages(packages):
    tool = package_manager()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if tool == "apt-get" and run(["apt-get", "update", "-q"], env=env).returncode != 0:
        raise RunError("apt-get update failed")
    # Debian's ansible-core recommends the whole `ansible` community bundle (hundreds of
    # collections, minutes to unpack): the baseline needs none of it.
    options = ["--no-install-recommends"] if tool == "apt-get" else []
    if run([tool, "install", "-y", "-q", *options, *packages], env=env).returncode != 0:
        raise RunError(f"{tool} install {' '.join(packages)} failed")


def has_module(python, module):
    return subprocess.run([python, "-c", f"import {module}"], check=False, capture_output=True).returncode == 0


def distro_ansible():
    """The distribution's ansible-playbook (>= 2.14) and its Python, boto3 importable."""
    found = shutil.which("ansible-playbook")
    if not found or (core_version(found) or (0, 0)) < MIN_CORE:
        install_packages(["ansible-core", "python3-boto3"])
        found = shutil.which("ansible-playbook")
    version = core_version(found) if found else None
    if version is None or version < MIN_CORE:
        shown = ".".join(map(str, version)) if version else "none"
        raise RunError(f"the distribution's ansible-core is {shown}; 2.14 or later is needed (use AnsibleSource=venv)")
    python = interpreter_of(found)
    if not has_module(python, "boto3"):
        install_packages(["python3-boto3"])
    log(f"using the distribution's ansible-core {'.'.join(map(str, version))} ({found})")
    return found, python


def venv_ansible(version):
    """ansible-core==version and boto3 in /opt/keel-ssm/ansible-core-VERSION (reused)."""
    home = os.path.join(VENV_ROOT, f"ansible-core-{version}")
    playbook, python = os.path.join(home, "bin", "ansible-playbook"), os.path.join(home, "bin", "python")
    if core_version(playbook) == tuple(int(part) for part in version.split(".")) and has_module(python, "boto3"):
        log(f"using ansible-core {version} from {home}")
        return playbook, python
    if run([sys.executable, "-m", "venv", "--clear", home]).returncode != 0:
        # Debian and Ubuntu ship venv's ensurepip separately.
        install_packages(["python3-venv"])
        if run([sys.executable, "-m", "venv", "--clear", home]).returncode != 0:
            raise RunError(f"cannot create a virtual environment in {home}")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if run([*pip, f"ansible-core=={version}", "boto3"]).returncode != 0:
        raise RunError(f"pip could not install ansible-core=={version} and boto3 into {home}")
    log(f"installed ansible-core {version} in {home}")
    return playbook, python


def ensure_ansible(source, version):
    if source not in SOURCES:
        raise RunError(f"AnsibleSource: must be one of {', '.join(SOURCES)}")
    if source == "venv":
        if not VERSION_PATTERN.match(version or ""):
            raise RunError("AnsibleCoreVersion: must look like 2.MINOR.PATCH with MINOR 14 or later")
        return venv_ansible(version)
    return distro_ansible()


def wait_before_read(path, limit):
    """Step 3: sleep a random 0..limit s before the playbook reads the settings under
    `path`. No path, no read, no wait. Returns the seconds waited."""
    if not path:
        return 0.0
    if limit == 0:
        log("no wait before the settings read (MaxReadDelaySeconds=0)")
        return 0.0
    # Only spreads start times: nothing depends on it being unpredictable.
    delay = random.uniform(0, limit)  # noqa: S311
    log(f"waiting {delay:.1f} s (random, at most MaxReadDelaySeconds={limit}) before the settings read")
    time.sleep(delay)
    return delay


def stage_prepare(args):
    """Step 1 (standard library only), then hand over to the Ansible Python."""
    ansible_playbook, python = ensure_ansible(agent_value("AnsibleSource", "distro"), agent_value("AnsibleCoreVersion"))
    command = [python, os.path.abspath(__file__), "--stage", "run", "--ansible-playbook", ansible_playbook]
    command += ["--python", python]
    command += ["--bundle", args.bundle, "--role", args.role, "--playbook", args.playbook]
    return subprocess.run(command, check=False).returncode


def stage_run(args):
    """Steps 2 to 4, under the Python that runs Ansible (PyYAML is there)."""
    sys.path.insert(0, os.path.join(args.bundle, "collections"))
    from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
    from ansible_collections.keel.ssm.plugins.plugin_utils.document_parameters import (
        extra_vars_from_environment,
        max_read_delay,
    )

    mode = agent_value("Mode", "apply")
    if mode not in MODES:
        raise RunError(f"Mode: must be one of {', '.join(MODES)}")
    try:
        extra_vars = extra_vars_from_environment(args.role, os.environ)
        delay_limit = max_read_delay(os.environ)
    except KeelRuleError as exc:
        raise RunError(str(exc)) from None
    playbook = os.path.join(args.bundle, args.playbook)
    if not os.path.isfile(playbook):
        raise RunError(f"{args.playbook}: not in the bundle")
    log(f"{args.role}: {len(extra_vars)} setting(s) from document parameters: {', '.join(sorted(extra_vars)) or '-'}")
    # Every value was checked above: a refused one fails at once, not after the wait.
    wait_before_read(extra_vars.get("keel_baseline_parameter_path"), delay_limit)
    with tempfile.TemporaryDirectory(prefix="keel-run.") as private:
        vars_file = os.path.join(private, "extra-vars.json")
        # -c local: modules must run under the Python that runs Ansible (it has boto3).
        run_vars = dict(extra_vars, ansible_python_interpreter=args.python)
        with open(os.open(vars_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
            json.dump(run_vars, handle)
        command = [args.ansible_playbook, "-i", "localhost,", "-c", "local", playbook, "-e", f"@{vars_file}"]
        if mode == "check":
            command += ["--check", "--diff"]
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(args.bundle, "ansible.cfg"))
        status = run(command, cwd=args.bundle, env=env).returncode
    log(f"ansible-playbook exited with {status}")
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--bundle", required=True, help="the unpacked bundle")
    parser.add_argument("--role", required=True, help="baseline, or the role of a single-role document")
    parser.add_argument("--playbook", required=True, help="playbook path inside the bundle")
    parser.add_argument("--stage", choices=["prepare", "run"], default="prepare")
    parser.add_argument("--ansible-playbook", help=argparse.SUPPRESS)
    parser.add_argument("--python", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.bundle = os.path.abspath(args.bundle)
    try:
        return stage_run(args) if args.stage == "run" else stage_prepare(args)
    except RunError as exc:
        print(f"keel-run: error: {exc}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
