"""module_defaults through the action group (meta/runtime.yml): `group/keel.ssm.aws` gives
the AWS modules their region and endpoint, as `group/amazon.aws.aws` does for amazon.aws.
The environment carries credentials only, so a module that did not get the group's
defaults has no region and no endpoint and fails (the second run proves it does)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    {group}:
      region: us-east-1
      endpoint_url: {endpoint}
  tasks:
    - keel.ssm.parameter:
        name: /group/check
        value: from-the-group
    - keel.ssm.parameter_tree:
        path: /group/tree
        parameters: {{a: "1"}}
"""


@pytest.mark.parametrize(("group", "works"), [("group/keel.ssm.aws", True), ("ansible.builtin.ping", False)])
def test_module_defaults_reach_the_aws_modules_through_the_group(moto, ssm, tmp_path, ansible, group, works):
    _version, bin_dir = ansible
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY.format(group=group, endpoint=moto.url), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_NOCOLOR="1",
    )
    interpreter = f"ansible_python_interpreter={bin_dir / 'python'}"
    done = subprocess.run(
        [str(bin_dir / "ansible-playbook"), "-i", "localhost,", "-e", interpreter, str(playbook)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    if works:
        assert done.returncode == 0, output[-3000:]
        assert ssm.get_parameter(Name="/group/check")["Parameter"]["Value"] == "from-the-group"
        assert ssm.get_parameter(Name="/group/tree/a")["Parameter"]["Value"] == "1"
    else:
        # The same defaults given to another module leave keel.ssm's without a region.
        assert done.returncode != 0 and "region" in output.lower(), output[-3000:]
        assert not ssm.get_parameters_by_path(Path="/group", Recursive=True)["Parameters"]
