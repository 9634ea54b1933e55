"""The fleet scenario of issue 2 as real ansible-playbook runs: N local-connection hosts
each render a configuration file from M Parameter Store names (one of them a
SecureString) through tests/integration/playbooks/fleet.yml. Shared by the
playbook-level tests and benchmarks/lookup_fleet.py, so both measure the same thing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import REPO_ROOT
from tests.helpers.moto_endpoint import FAKE_CREDENTIALS

PLAYBOOKS = REPO_ROOT / "tests" / "integration" / "playbooks"
PLAYBOOK = PLAYBOOKS / "fleet.yml"
VENV_BIN = Path(sys.executable).parent
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
BROKER_SOCKET = re.compile(r"\((/[^()\s]*/run-\d+-\d*\.sock)\)")


def secure_value(tag):
    """A SecureString value that is easy to grep for and unlikely to appear by chance."""
    return f"SeCrEt-{tag}-7f3a9c1e"


def seed_fleet(ssm, prefix, count=25, secret=None):
    """count names under prefix, the last one a SecureString; returns (names, secret)."""
    secret = secret or secure_value(prefix.strip("/").replace("/", "-"))
    names = [f"{prefix}/setting{index:02d}" for index in range(count - 1)] + [f"{prefix}/password"]
    for index, name in enumerate(names[:-1]):
        ssm.put_parameter(Name=name, Value=f"value-{index}", Type="String", Overwrite=True)
    ssm.put_parameter(Name=names[-1], Value=secret, Type="SecureString", Overwrite=True)
    return names, secret


def write_inventory(path, hosts, python=sys.executable):
    lines = ["[fleet]"]
    lines += [f"host{index:03d} ansible_connection=local ansible_python_interpreter={python}" for index in range(hosts)]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class PlaybookResult:
    returncode: int
    output: str
    seconds: float
    recap: dict = field(default_factory=dict)

    @property
    def failed_hosts(self):
        return sorted(host for host, counts in self.recap.items() if counts["failed"] or counts["unreachable"])

    def occurrences(self, text):
        return self.output.count(text)

    def broker_sockets(self):
        return sorted(set(BROKER_SOCKET.findall(self.output)))


def run_playbook(
    playbook,
    workdir,
    endpoint_url,
    inventory_args,
    extra_vars,
    forks=10,
    verbosity=4,
    bin_dir=VENV_BIN,
    extra_env=None,
):
    """One ansible-playbook run from the repository root (`playbook` may be a list, run in
    order in one run); returns PlaybookResult (stdout and stderr together, as an
    operator would see them)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    extra = workdir / "vars.json"
    extra.write_text(json.dumps(extra_vars), encoding="utf-8")
    env = dict(os.environ)
    env.update(FAKE_CREDENTIALS)
    env.update(
        {
            "AWS_URL": endpoint_url,  # keel.ssm's endpoint_url option (amazon.aws's too)
            "AWS_ENDPOINT_URL": endpoint_url,  # boto3's own, for anything else
            "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(workdir / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    env.pop("ANSIBLE_FORCE_COLOR", None)
    env.update(extra_env or {})
    command = [str(Path(bin_dir) / "ansible-playbook"), *inventory_args, "-f", str(forks), "-e", f"@{extra}"]
    command += [str(path) for path in (playbook if isinstance(playbook, (list, tuple)) else [playbook])]
    if verbosity:
        command.append("-" + "v" * verbosity)
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    seconds = time.monotonic() - started
    output = completed.stdout + completed.stderr
    recap = {
        host: {"ok": int(ok), "changed": int(changed), "unreachable": int(unreachable), "failed": int(failed)}
        for host, ok, changed, unreachable, failed in RECAP_LINE.findall(output)
    }
    return PlaybookResult(completed.returncode, output, seconds, recap)


def run_fleet(workdir, endpoint_url, names, modes, hosts=40, forks=10, verbosity=4, bin_dir=VENV_BIN, extra_env=None):
    """The fleet playbook over `hosts` local-connection hosts."""
    workdir = Path(workdir)
    out = workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    inventory = write_inventory(workdir / "inventory.ini", hosts, python=str(Path(bin_dir) / "python"))
    return run_playbook(
        PLAYBOOK,
        workdir,
        endpoint_url,
        ["-i", str(inventory)],
        {"fleet_names": names, "fleet_modes": list(modes), "fleet_out": str(out)},
        forks=forks,
        verbosity=verbosity,
        bin_dir=bin_dir,
        extra_env=extra_env,
    )


def rendered(workdir, host, mode):
    """{name: value} from one host's rendered file."""
    text = (Path(workdir) / "out" / f"{host}-{mode}.conf").read_text(encoding="utf-8")
    return dict(line.split("=", 1) for line in text.splitlines() if line)
