"""Final state of the ssm_agent scenario, checked on each container.

The agent here is the TEST DOUBLE package built by molecule/ssm_agent/fixture/build.sh (not the Amazon
SSM Agent): it has the real agent's name, paths and unit, stores registrations where the real agent
does, and logs each registration call and each service start. The scenario converged once (idempotence
0 changed), then side_effect.yml changed the proxy and configuration, offered a second activation
without and then with force. These tests read the scenario's own settings (vars/scenario.yml) and the
role's defaults to compute what must be there.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

SCENARIO = Path(__file__).resolve().parents[1]
ROLE = SCENARIO.parents[1] / "roles" / "ssm_agent"
SETTINGS = yaml.safe_load((SCENARIO / "vars" / "scenario.yml").read_text())
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
CONVERGE = SETTINGS["converge_settings"]
CHANGED = SETTINGS["changed_settings"]
SECOND = SETTINGS["second_activation"]
EVENTS = "/var/log/amazon/ssm/test-double-events.log"
REGISTRATIONS = "/var/log/amazon/ssm/test-double-registrations.log"
CONFIG = "/etc/amazon/ssm/amazon-ssm-agent.json"
IMDS = ["169.254.169.254", "[fd00:ec2::254]"]


def merged(base, override):
    result = dict(base)
    for key, value in override.items():
        result[key] = (
            merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
        )
    return result


def json_lines(host, path):
    return [json.loads(line) for line in host.file(path).content_string.splitlines() if line.strip()]


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def main_pid(host):
    return int(host.check_output("systemctl show --property MainPID --value amazon-ssm-agent.service"))


def test_pinned_version_is_installed_and_the_download_is_gone(host):
    package = host.package("amazon-ssm-agent")
    assert package.is_installed
    assert package.version == f"{SETTINGS['fixture_pinned_version']}-1"
    assert host.file("/usr/bin/amazon-ssm-agent").mode & 0o111
    assert host.file("/lib/systemd/system/amazon-ssm-agent.service").exists
    # The refused 3.3.0.1 downloads (bad checksum, unpinned signer) were removed, not installed.
    assert host.check_output("ls -A /var/cache/keel/ssm_agent") == ""


def test_the_role_fetched_the_package_and_its_detached_signature(host):
    log = host.check_output("journalctl --no-pager -u keel-ssm-fixture-http.service")
    base = f"/{SETTINGS['fixture_pinned_version']}/debian_{host.check_output('dpkg --print-architecture')}"
    assert f'"GET {base}/amazon-ssm-agent.deb HTTP' in log
    assert f'"GET {base}/amazon-ssm-agent.deb.sig HTTP' in log


def test_service_is_enabled_and_running(host):
    service = host.service("amazon-ssm-agent")
    assert service.is_enabled
    assert service.is_running
    assert main_pid(host) > 0


def test_proxy_drop_in_is_what_systemd_and_the_process_see(host):
    expected_no_proxy = ",".join(CONVERGE["keel_ssm_agent_no_proxy"] + IMDS)
    environment = host.check_output("systemctl show --property Environment amazon-ssm-agent.service")
    assert f"http_proxy={CHANGED['keel_ssm_agent_http_proxy']}" in environment
    assert f"https_proxy={CHANGED['keel_ssm_agent_https_proxy']}" in environment
    assert f"no_proxy={expected_no_proxy}" in environment
    drop_in = host.file("/etc/systemd/system/amazon-ssm-agent.service.d/keel-proxy.conf")
    assert drop_in.user == "root" and drop_in.mode == 0o644
    # The running process got the variables, not only the unit file.
    process = host.file(f"/proc/{main_pid(host)}/environ").content_string.split("\0")
    assert f"http_proxy={CHANGED['keel_ssm_agent_http_proxy']}" in process
    assert f"https_proxy={CHANGED['keel_ssm_agent_https_proxy']}" in process
    assert f"no_proxy={expected_no_proxy}" in process


def test_config_is_defaults_merged_with_settings_and_loaded_by_the_running_agent(host):
    expected = merged(
        merged(DEFAULTS["keel_ssm_agent_config_defaults"], {"Agent": {"Region": CONVERGE["keel_ssm_agent_region"]}}),
        CHANGED["keel_ssm_agent_config"],
    )
    config = host.file(CONFIG)
    assert json.loads(config.content_string) == expected
    assert config.user == "root" and config.mode == 0o644
    starts = [event for event in json_lines(host, EVENTS) if event["event"] == "start"]
    assert starts[-1]["pid"] == main_pid(host)
    assert starts[-1]["config_sha256"] == hashlib.sha256(config.content).hexdigest()


def test_restarts_happened_only_for_changes(host):
    starts = [event for event in json_lines(host, EVENTS) if event["event"] == "start"]
    first, last = starts[0]["config_sha256"], starts[-1]["config_sha256"]
    # converge: started by the service task, restarted once by the handler (configuration and drop-in
    # changed). idempotence, check mode and the refused runs: no start. side_effect's change: one
    # restart; the forced registration: the stop/start around `-register`.
    assert [event["config_sha256"] for event in starts] == [first, first, last, last]
    assert first != last
    assert [event["http_proxy"] for event in starts] == [CONVERGE["keel_ssm_agent_http_proxy"]] * 2 + [
        CHANGED["keel_ssm_agent_http_proxy"]
    ] * 2


def test_registered_once_then_only_when_forced(host):
    calls = json_lines(host, REGISTRATIONS)
    # converge: one registration; idempotence and the unforced second activation: none; force: one.
    assert len(calls) == 2, calls
    first, second = calls
    assert first["activation_id"] == CONVERGE["keel_ssm_agent_activation_id"]
    assert first["code_sha256"] == sha256(CONVERGE["keel_ssm_agent_activation_code"])
    assert first["region"] == CONVERGE["keel_ssm_agent_region"]
    assert (first["override"], first["replaced"]) == (False, "")
    assert second["activation_id"] == SECOND["keel_ssm_agent_activation_id"]
    assert second["code_sha256"] == sha256(SECOND["keel_ssm_agent_activation_code"])
    assert (second["override"], second["replaced"]) == (True, first["instance_id"])


def test_registration_state_and_record_agree(host):
    second = json_lines(host, REGISTRATIONS)[-1]
    vault = host.file("/var/lib/amazon/ssm/Vault/Store/RegistrationKey")
    assert vault.mode == 0o600
    assert json.loads(vault.content_string)["instanceID"] == second["instance_id"]
    record_file = host.file("/var/lib/keel/ssm_agent/registration.json")
    assert record_file.mode == 0o600
    record = json.loads(record_file.content_string)
    assert record["activation_id"] == SECOND["keel_ssm_agent_activation_id"]
    assert record["instance_id"] == second["instance_id"]
    assert record["region"] == CONVERGE["keel_ssm_agent_region"]
    assert "code" not in json.dumps(record).lower().replace("activation_id", "")


def test_activation_codes_never_reach_ansible_output():
    """Every Ansible run of the scenario (check, converge, idempotence, side_effect) logs at -vvv to
    ANSIBLE_LOG_PATH (molecule.yml). The codes must not appear; the masked registration arguments must,
    which shows the log covers the registration at a verbosity that prints module arguments."""
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    assert ephemeral, "MOLECULE_EPHEMERAL_DIRECTORY is not set: run through molecule"
    log = (Path(ephemeral) / "ansible.log").read_text(errors="replace")
    assert "Register the hybrid activation (once)" in log
    assert '"activation_code": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"' in log
    for code in (CONVERGE["keel_ssm_agent_activation_code"], SECOND["keel_ssm_agent_activation_code"]):
        assert code not in log
