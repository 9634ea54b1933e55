"""The baseline converged from Parameter Store, checked by behaviour on each host.

Expected values come from where the hosts got them: moto, read here at test time (so the
second verify, after side_effect.yml raised faillock_deny, expects the new value), and each
is first checked to differ from the role's default, so a role default cannot pass for a
Parameter Store value. The SSM agent is the TEST DOUBLE package of
molecule/shared/ssm_agent_fixture (not the Amazon SSM Agent).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sys
import time
from pathlib import Path

import boto3
import pytest
import testinfra
import yaml
from testinfra.utils.ansible_runner import AnsibleRunner

SCENARIO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from pam_checks import authenticate, fail_logins, faillock_reset, pwscore, strong_password  # noqa: E402

ROLES = SCENARIO.parents[1] / "roles"
VARS = yaml.safe_load((SCENARIO / "vars" / "scenario.yml").read_text())
PLATFORMS = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["platforms"]
ADDRESSES = {platform["name"]: platform["networks"][0]["ipv4_address"] for platform in PLATFORMS}
RUNNER = AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
testinfra_hosts = [f"docker://{name}" for name in RUNNER.get_hosts("targets")]
LOG = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "ansible.log"


def role_default(role, setting):
    return yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())[f"keel_{role}_{setting}"]


@pytest.fixture(scope="module")
def parameters():
    """What Parameter Store holds now, decrypted, by name relative to the settings path."""
    ssm = boto3.client(
        "ssm",
        endpoint_url=VARS["moto_url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials
    )
    root = VARS["settings_path"] + "/"
    pages = ssm.get_paginator("get_parameters_by_path").paginate(
        Path=VARS["settings_path"], Recursive=True, WithDecryption=True
    )
    return {item["Name"][len(root) :]: item["Value"] for page in pages for item in page["Parameters"]}


@pytest.fixture
def name(host):
    return host.backend.get_hostname()


def test_faillock_locks_after_the_parameter_store_count(host, parameters):
    deny = int(parameters["pam/faillock_deny"])
    assert deny != role_default("pam", "faillock_deny")
    password = VARS["user_password"]
    faillock_reset(host, "keel-user")
    try:
        fail_logins(host, "keel-user", deny - 1)
        assert authenticate(host, "keel-user", password).rc == 0, "locked before the Parameter Store count"
        fail_logins(host, "keel-user", deny)
        result = authenticate(host, "keel-user", password)
        assert result.rc != 0
        assert "The account is locked" in result.stdout + result.stderr
    finally:
        faillock_reset(host, "keel-user")


def test_password_quality_draws_the_line_at_the_parameter_store_minlen(host, parameters):
    minlen = int(parameters["pam/pwquality_minlen"])
    assert minlen != role_default("pam", "pwquality_minlen")
    short = pwscore(host, strong_password(minlen - 1))
    assert short.rc != 0
    assert f"shorter than {minlen} characters" in short.stderr
    assert pwscore(host, strong_password(minlen)).rc == 0


def reaches(prober, address, port):
    """Whether a TCP connection from the prober to address:port is accepted within 3 s."""
    code = f"import socket; socket.create_connection(({address!r}, {port}), timeout=3).close()"
    return prober.run(f"python3 -c {shlex.quote(code)}").rc == 0


def test_ufw_admits_the_parameter_store_port_and_drops_the_others(host, name, parameters):
    allowed = parameters["ufw/allowed_ports"].split(",")
    assert allowed != role_default("ufw", "allowed_ports")
    status = host.check_output("ufw status")
    assert "Status: active" in status
    prober = testinfra.get_host("docker://keel-baseline-moto")
    allowed_port, other_port = VARS["listen_ports"]
    assert f"{allowed_port}/tcp" in allowed and f"{other_port}/tcp" not in allowed
    assert reaches(prober, ADDRESSES[name], allowed_port)
    assert not reaches(prober, ADDRESSES[name], other_port)


def test_auditd_conf_holds_the_parameter_store_num_logs(host, parameters):
    num_logs = int(parameters["auditd/num_logs"])
    assert num_logs != role_default("auditd", "num_logs")
    lines = {line.strip() for line in host.file("/etc/audit/auditd.conf").content_string.splitlines()}
    assert f"num_logs = {num_logs}" in lines


def test_audit_log_retention_keeps_the_parameter_store_days(host, parameters):
    days = int(parameters["auditd/retention_days"])
    assert days != role_default("auditd", "retention_days")
    now = int(time.time())
    old, recent = "/var/log/audit/audit.log.8", "/var/log/audit/audit.log.9"
    for path, age_days in ((old, days + 1), (recent, days - 1)):
        host.run_test(f"install -m 0600 /dev/null {path} && touch -d @{now - age_days * 86400} {path}")
    try:
        host.run_test("systemctl start keel-auditd-retention.service")
        assert not host.file(old).exists
        assert host.file(recent).exists
    finally:
        host.run(f"rm -f {old} {recent}")


def test_ssm_agent_follows_parameter_store(host, parameters):
    assert host.package("amazon-ssm-agent").version == f"{parameters['ssm_agent/version']}-1"
    config = json.loads(host.file("/etc/amazon/ssm/amazon-ssm-agent.json").content_string)
    assert config["Agent"]["Region"] == parameters["ssm_agent/region"]
    assert config["Mds"] == json.loads(parameters["ssm_agent/config"])["Mds"]
    assert host.service("amazon-ssm-agent").is_running


def test_the_secure_string_activation_registered_the_agent_once(host, parameters):
    log = host.file("/var/log/amazon/ssm/test-double-registrations.log").content_string
    registrations = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert len(registrations) == 1
    assert registrations[0]["activation_id"] == parameters["ssm_agent/activation_id"]
    # Compared as digests, so a failure cannot print the code.
    code_sha256 = hashlib.sha256(parameters["ssm_agent/activation_code"].encode()).hexdigest()
    assert registrations[0]["code_sha256"] == code_sha256


def test_no_ansible_output_of_the_scenario_shows_the_activation_code(parameters):
    text = LOG.read_text(errors="replace")
    assert f"setting(s) from {VARS['settings_path']}" in text
    assert parameters["ssm_agent/activation_code"] not in text
