"""What the rehearsed commands left on the instances: the settings from Parameter Store
(moto) enforced by the baseline under Debian 12's own ansible-core 2.14, through the
keel-ssm-* documents (new and old agents) and through AWS-ApplyAnsiblePlaybooks."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

testinfra_hosts = ["keel-rehearsal-document", "keel-rehearsal-applyansible"]
REHEARSAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "rehearsal"
OUTPUT = REHEARSAL / "output"
COMMANDS = {
    "keel-rehearsal-document": ["keel-ssm-baseline", "keel-ssm-pam-old-agent"],
    "keel-rehearsal-applyansible": ["aws-applyansibleplaybooks"],
}


RECAP = re.compile(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def recaps(text):
    return [tuple(map(int, m)) for m in RECAP.findall(text)]


def test_instance_runs_the_distributions_ansible_core_2_14(host):
    version = host.check_output("ansible-playbook --version")
    assert re.search(r"core 2\.14\.\d+", version), version
    assert host.package("ansible-core").is_installed


@pytest.mark.testinfra_hosts("keel-rehearsal-document")
def test_keel_run_installed_ansible_core_without_the_community_bundle(host):
    """Debian's ansible-core recommends `ansible` (hundreds of collections): keel-run
    installs without recommends (AWS-ApplyAnsiblePlaybooks' stand-in installs its own way)."""
    assert not host.package("ansible").is_installed


@pytest.mark.parametrize("index", [0, 1])
def test_commands_ran_clean(host, index):
    commands = COMMANDS[host.backend.get_hostname()]
    if index >= len(commands):
        pytest.skip("one command on this instance")
    log = (OUTPUT / f"{commands[index]}.log").read_text()
    found = recaps(log)
    assert found, log[-2000:]
    assert all(failed == 0 and unreachable == 0 for _, _, unreachable, failed in found), log[-2000:]


def test_documents_used_parameter_store_settings(host):
    log = (OUTPUT / f"{COMMANDS[host.backend.get_hostname()][0]}.log").read_text()
    assert "from /baseline/rehearsal" in log


def test_pam_settings_from_parameter_store(host):
    faillock = host.file("/etc/security/faillock.conf").content_string
    assert re.search(r"^\s*deny\s*=\s*4\s*$", faillock, re.M)
    pwquality = host.file("/etc/security/pwquality.conf").content_string
    assert re.search(r"^\s*minlen\s*=\s*16\s*$", pwquality, re.M)
    # Behaviour, not only files: 15 characters are now too short, 16 are enough.
    assert host.run("echo 'Xk7#mQ2vL9pR4tW' | pwscore").rc != 0
    assert host.run("echo 'Xk7#mQ2vL9pR4tWz' | pwscore").rc == 0


def test_auditd_settings_from_parameter_store(host):
    conf = host.file("/etc/audit/auditd.conf").content_string
    assert re.search(r"^\s*num_logs\s*=\s*7\s*$", conf, re.M)


def test_ufw_allows_the_port_from_parameter_store_and_the_management_port(host):
    status = host.check_output("ufw status")
    assert "Status: active" in status
    assert re.search(r"^8443/tcp\s+ALLOW", status, re.M), status
    assert re.search(r"^22/tcp\s+LIMIT", status, re.M), status


def test_a_tampered_bundle_at_the_pinned_url_was_refused_naming_both_hashes(host):
    """converge put a copy of the bundle with one byte changed where aws:downloadContent
    would; the baseline document pinned the real bundle's SHA-256 and had to refuse it
    before unpacking anything (rehearse_command.yml also checked that nothing on the
    instance changed)."""
    if host.backend.get_hostname() != "keel-rehearsal-document":
        pytest.skip("the tampered bundle is offered to the document instance")
    pinned = hashlib.sha256((REHEARSAL / "keel-ssm-bundle.zip").read_bytes()).hexdigest()
    tampered = hashlib.sha256((REHEARSAL / "tampered" / "keel-ssm-bundle.zip").read_bytes()).hexdigest()
    assert pinned != tampered
    log = (OUTPUT / "keel-ssm-baseline-tampered.log").read_text()
    assert "(exit 4)" in log, log[-2000:]
    assert f"its SHA-256 is {tampered} but the association pinned {pinned}" in log, log[-2000:]
    assert not recaps(log), "ansible-playbook ran from a refused bundle"
