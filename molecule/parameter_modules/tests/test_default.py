"""On each instance, with the distribution's Ansible and boto3 (Debian 12: ansible-core
2.14, python3-boto3 1.26): the modules wrote what the playbook declares into the moto
container, check mode predicts no change after converge, and neither the -vvvv --diff
output nor Ansible's log file on the instance holds a SecureString value.

moto stands in for AWS here (see LAB_NOTES: it does not enforce tiers or policies);
what is checked is that the modules run on these targets and behave the same there."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import testinfra.utils.ansible_runner
import yaml

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts(
    "targets"
)

TEST_DIR = "/opt/keel-parameter-test"
ENV = (
    "AWS_URL=http://moto:5000 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
    "AWS_REGION=us-east-1 ANSIBLE_NOCOLOR=1"
)
SECRETS = yaml.safe_load((Path(__file__).resolve().parent.parent / "files" / "secrets.yml").read_text())
READ_BACK = """
import boto3, hashlib, json, sys
ssm = boto3.client("ssm", endpoint_url="http://moto:5000", region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
out = {}
for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=sys.argv[1], Recursive=True, WithDecryption=True):
    for p in page["Parameters"]:
        out[p["Name"][len(sys.argv[1]):]] = {"type": p["Type"], "version": p["Version"],
                                              "sha256": hashlib.sha256(p["Value"].encode()).hexdigest()}
history = ssm.get_parameter_history(Name=sys.argv[1] + "/db_password")["Parameters"]
out["labels"] = history[-1].get("Labels", [])
out["tags"] = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=sys.argv[1] + "/db_password")["TagList"]
print(json.dumps(out))
"""


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def prefix(host):
    return f"/molecule/{host.backend.get_hostname()}"


def test_the_distribution_ansible_and_boto3_are_used(host):
    version = host.run("ansible --version").stdout.splitlines()[0]
    if host.system_info.codename == "bookworm":
        assert "core 2.14." in version
    assert host.package("python3-boto3").is_installed


def test_parameters_were_written(host):
    result = host.run(f"python3 -c '{READ_BACK}' {prefix(host)}")
    assert result.rc == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["/db_password"]["type"] == "SecureString"
    assert state["/db_password"]["sha256"] == digest(SECRETS["secret_one"])
    assert state["/app/password"]["sha256"] == digest(SECRETS["secret_two"])
    assert state["/app/origins"]["type"] == "StringList"
    assert state["/app/port"]["sha256"] == digest("5432")
    assert state["labels"] == ["live"]
    assert state["tags"] == [{"Key": "team", "Value": "payments"}]
    assert all(entry["version"] == 1 for key, entry in state.items() if key.startswith("/"))  # idempotent


def test_check_mode_predicts_no_change_and_shows_no_secret(host):
    run = host.run(
        f"cd {TEST_DIR} && {ENV} ansible-playbook -i localhost, -c local -vvvv --diff --check "
        f"-e @secrets.yml -e prefix={prefix(host)} play.yml"
    )
    assert run.rc == 0, run.stdout[-2000:]
    recap = re.search(r"ok=\d+\s+changed=(\d+)", run.stdout)
    assert recap and recap.group(1) == "0"
    for value in SECRETS.values():
        assert value not in run.stdout + run.stderr


def test_ansible_log_on_the_instance_holds_no_secret(host):
    log = host.file(f"{TEST_DIR}/last-run.log")
    assert log.exists
    for value in SECRETS.values():
        assert not log.contains(re.escape(value))
