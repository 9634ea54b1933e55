"""The modules on the instances, with the distribution's own Ansible and boto3.

Checks that the distribution ships what the collection claims to support (ansible-core
2.14 on Debian 12), that converge left the document in moto, and that the full module
behaviour playbook (tests/playbooks/ssm_modules.yml: create, no-op, check, diff, update,
absent, association validation and secret masking) passes on each instance.
"""

from __future__ import annotations

import json
import re

testinfra_hosts = ["ansible://instances"]

ENV = (
    "ANSIBLE_COLLECTIONS_PATH=/opt/keel/collections ANSIBLE_NOCOLOR=1 "
    "AWS_ACCESS_KEY_ID=keel-molecule AWS_SECRET_ACCESS_KEY=keel-molecule-key"
)
DESCRIBE = """
import boto3, json
c = boto3.client("ssm", endpoint_url="http://moto:5000", region_name="us-east-1",
                 aws_access_key_id="keel-molecule", aws_secret_access_key="keel-molecule-key")
d = c.describe_document(Name="{name}")["Document"]
tags = c.list_tags_for_resource(ResourceType="Document", ResourceId="{name}")["TagList"]
print(json.dumps({{"latest": d["LatestVersion"], "default": d["DefaultVersion"],
                  "target": d.get("TargetType"), "tags": {{t["Key"]: t["Value"] for t in tags}}}}))
"""


def document_name(host):
    return "keel-" + host.backend.get_hostname().replace("_", "-")


def test_distribution_ansible_and_python(host):
    version = host.check_output("ansible-playbook --version")
    core = re.search(r"core (\d+)\.(\d+)", version)
    assert core, version
    codename = host.system_info.codename
    if codename == "bookworm":
        assert (int(core.group(1)), int(core.group(2))) == (2, 14), version
    python = host.check_output("python3 -c 'import sys; print(sys.version_info[:2] >= (3, 9))'")
    assert python == "True"


def test_converge_left_the_document(host):
    name = document_name(host)
    state = json.loads(host.check_output("python3 -c %s", DESCRIBE.format(name=name)))
    assert state == {
        "latest": "1",
        "default": "1",
        "target": "/AWS::EC2::Instance",
        "tags": {"Project": "keel", "Source": "molecule"},
    }


def test_module_behaviour_playbook(host):
    secret = "keel-molecule-secret-5b1e0c"  # noqa: S105 - a marker to search the output for, not a credential
    name = document_name(host) + "-smoke"
    result = host.run(
        f"{ENV} KEEL_TEST_SECRET={secret} ansible-playbook -i localhost, -c local --diff -vvv"
        f" -e keel_endpoint=http://moto:5000 -e keel_smoke_document={name}"
        " /opt/keel/collections/ansible_collections/keel/ssm/tests/playbooks/ssm_modules.yml"
    )
    output = result.stdout + result.stderr
    assert result.rc == 0, output[-3000:]
    assert re.search(r"localhost\s+:\s+ok=12\s+changed=4\s+unreachable=0\s+failed=0", output), output[-1500:]
    assert secret not in output
