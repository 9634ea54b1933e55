"""A failed role never blocks the others (issue 11): playbooks/baseline.yml in real
`ansible-playbook -i localhost, -c local` runs under the venv's ansible-core 2.19 and
Debian 12's 2.14, with keel.ssm.ssm_agent made to fail at its package download.

Nothing on this machine changes, by three choices:
- `--check` for the whole run;
- `--tags ssm_agent`: the agent role runs in full, the later roles (pam, auditd, ufw) run
  only their read-only `always` tasks (validation, probes, reports), which is enough to
  see them run after the failure; it also proves the rescue kept tag selection working;
- the download directory is a private directory under tmp_path (the role's internal
  `_keel_ssm_agent_cache_dir`, overridden as an extra var): check mode downloads (a HEAD
  request) only when that directory already exists as the role wants it, root's and 0700,
  and the URL is a closed local port, so the request fails at once.
molecule/baseline applies the roles for real, in containers."""

from __future__ import annotations

import os
import re

import pytest

from tests.helpers.fleet import REPO_ROOT, run_playbook

BASELINE = REPO_ROOT / "playbooks" / "baseline.yml"
# A pinned checksum: the role refuses a plain-http mirror without one (its validation
# would fail first, not the download).
CHECKSUM = "sha256:" + "ab" * 32
DOWNLOAD_TASK = "Download the agent package (checksum verified when pinned)"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="check mode downloads only into a root-owned directory (the role's owner: root)"
)


def test_a_failed_role_is_recorded_the_others_still_apply_and_the_run_fails_naming_it(tmp_path, ansible):
    _version, bin_dir = ansible
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    cache.chmod(0o700)
    variables = {
        "ansible_become": False,
        "ansible_python_interpreter": str(bin_dir / "python"),
        # Port 9 (discard) on the loopback: nothing listens, the request is refused.
        "keel_ssm_agent_package_base_url": "http://127.0.0.1:9/ssm",
        "keel_ssm_agent_package_checksum": CHECKSUM,
        "keel_ssm_agent_version": "3.3.1142.0",  # a checksum pins one version
        "_keel_ssm_agent_cache_dir": str(cache),
    }
    result = run_playbook(
        BASELINE,
        tmp_path,
        "http://127.0.0.1:9",  # no Parameter Store path: nothing calls AWS
        ["-i", "localhost,", "-c", "local", "--check", "--tags", "ssm_agent"],
        variables,
        forks=1,
        verbosity=1,
        bin_dir=bin_dir,
    )
    output = result.output
    assert result.returncode != 0, output[-4000:]
    assert result.recap["localhost"]["failed"] == 1, result.recap
    assert re.search(r"localhost\s+:.*rescued=1\b", output), output[-2000:]

    # The agent role failed at its download, and the failure was recorded.
    failed_at = output.index(f"TASK [keel.ssm.ssm_agent : {DOWNLOAD_TASK}]")
    assert "fatal: [localhost]" in output[failed_at : output.index("TASK [", failed_at + 1)]
    recorded = output.index("TASK [keel.ssm.baseline : Record the failed role, its failed task and its controls]")
    assert recorded > failed_at

    # The later roles still ran, in order, after the failure.
    later = [
        output.index("TASK [keel.ssm.pam : Check the settings the argument spec cannot express]"),
        # auditd's always-tagged report reads only what its always-tagged probe learnt
        # (GRUB's presence among it), so --tags without auditd still reports.
        output.index("TASK [keel.ssm.auditd : Report what keel.ssm.auditd applied and skipped]"),
        output.index("TASK [keel.ssm.ufw : Decide whether this host is a container]"),
    ]
    assert recorded < later[0] < later[1] < later[2]
    # --tags still selects: the later roles' enforcing tasks did not run.
    for task in ("keel.ssm.pam : Ask dpkg whether the PAM packages are installed", "keel.ssm.ufw : Ask apt"):
        assert f"TASK [{task}" not in output

    # The run fails at the end, naming the role, its failed task and its controls (SSM.1),
    # with the download's error; no setting value is in it.
    final = output[output.index("TASK [keel.ssm.baseline : Fail naming the roles that failed") :]
    assert later[2] < output.index(final[:60])
    (message,) = re.findall(r'fatal: \[localhost\]: FAILED! => \{.*"msg": "([^"]*)"', final)
    assert message.startswith(
        "keel.ssm.baseline: 1 role(s) failed (every other role was still applied): "
        f"ssm_agent (task '{DOWNLOAD_TASK}', controls SSM.1): "
    ), message
    assert "pam" not in message and "auditd" not in message and "ufw" not in message
    assert CHECKSUM[7:] not in message
    assert "[WARNING]" not in output  # flush_handlers with `when` is accepted by both cores


INSTANCE = "i-0fedcba9876543210"


def test_a_failed_agent_role_is_reported_with_every_other_roles_controls(compliance_double, tmp_path, ansible):
    """The same failing agent download, with the node's id known (the SSM agent's
    AWS_SSM_INSTANCE_ID) and the compliance TEST DOUBLE as the endpoint: one report holds
    every control of the four roles; SSM.1 is NON_COMPLIANT with the task its role failed
    at; PAM's, auditd's and ufw's controls are there with their checks' own statuses (an
    empty root of the test's own, so they do not hold: --check reports, the failed role
    alone fails the run)."""
    _version, bin_dir = ansible
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    cache.chmod(0o700)
    root = tmp_path / "root"
    root.mkdir()
    variables = {
        "ansible_become": False,
        "ansible_python_interpreter": str(bin_dir / "python"),
        "keel_ssm_agent_package_base_url": "http://127.0.0.1:9/ssm",
        "keel_ssm_agent_package_checksum": CHECKSUM,
        "keel_ssm_agent_version": "3.3.1142.0",
        "_keel_ssm_agent_cache_dir": str(cache),
        "_keel_baseline_compliance_root": str(root),
        "keel_baseline_aws_endpoint_url": compliance_double.proxy.url,
        "keel_baseline_aws_region": "us-east-1",
    }
    result = run_playbook(
        BASELINE,
        tmp_path,
        compliance_double.proxy.url,
        ["-i", "localhost,", "-c", "local", "--check", "--tags", "ssm_agent"],
        variables,
        forks=1,
        verbosity=1,
        bin_dir=bin_dir,
        extra_env={"AWS_SSM_INSTANCE_ID": INSTANCE},
    )
    output = result.output
    assert result.returncode != 0, output[-4000:]
    ((key, report),) = compliance_double.reports.items()
    assert key == ("ManagedInstance", INSTANCE, "Custom:KeelBaseline")
    items = report["items"]
    roles = {item["Details"]["Role"] for item in items.values()}
    assert roles == {"keel.ssm.ssm_agent", "keel.ssm.pam", "keel.ssm.auditd", "keel.ssm.ufw"}, roles
    assert items["SSM.1"]["Status"] == "NON_COMPLIANT"
    assert items["SSM.1"]["Details"]["RoleFailed"] == f"role keel.ssm.ssm_agent failed at task: {DOWNLOAD_TASK}"
    others = [item for cid, item in items.items() if cid != "SSM.1"]
    assert others and all("RoleFailed" not in item["Details"] for item in others)
    assert compliance_double.violations == []
    # The report came before the verdict, which names the agent role alone.
    sent = output.index(f"compliance report sent for {INSTANCE} (Custom:KeelBaseline)")
    final = output.index("TASK [keel.ssm.baseline : Fail naming the roles that failed")
    assert sent < final
    (message,) = re.findall(r'fatal: \[localhost\]: FAILED! => \{.*"msg": "([^"]*)"', output[final:])
    assert message.startswith("keel.ssm.baseline: 1 role(s) failed (every other role was still applied): ssm_agent")
    assert "not compliant" not in message  # --check: controls that do not hold are reported, not failed on
    assert CHECKSUM[7:] not in repr(items)
