"""The SSM agent emulator (a test double used by the rehearsal) must refuse what the
service refuses and expose parameters the way old and new agents do."""

from __future__ import annotations

import json
import sys

import pytest

from tests.helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import ssm_agent_emulator as emu

DOCUMENT = {
    "schemaVersion": "2.2",
    "description": "t",
    "parameters": {
        "Path": {
            "type": "String",
            "default": "/baseline/prod",
            "interpolationType": "ENV_VAR",
            "allowedPattern": "^[a-zA-Z0-9_./-]{0,200}$",
        },
        "Mode": {"type": "String", "default": "apply", "allowedValues": ["apply", "check"]},
        "Tags": {"type": "StringList", "default": ["a"]},
    },
    "mainSteps": [
        {
            "action": "aws:downloadContent",
            "name": "bundle",
            "inputs": {"sourceType": "S3", "sourceInfo": "{}", "destinationPath": "/opt/keel"},
        },
        {
            "action": "aws:runShellScript",
            "name": "run",
            "inputs": {"runCommand": ['P="${SSM_Path:-{{ Path }}}"', "echo {{Mode}} {{ Tags }} {{ ssm:/x }}"]},
        },
    ],
}


def test_new_agent_exports_env_and_substitutes():
    steps = emu.plan(DOCUMENT, {"Path": "/p/q"}, emu.NEW_AGENT, {"bundle": "/tmp/b.zip"})
    assert steps[0] == {"action": "download", "name": "bundle", "source": "/tmp/b.zip", "destination": "/opt/keel"}
    assert steps[1]["env"] == {"SSM_Path": "/p/q"}
    assert steps[1]["script_text"] == 'P="${SSM_Path:-/p/q}"\necho apply a {{ ssm:/x }}\n'


def test_old_agent_has_no_env():
    steps = emu.plan(DOCUMENT, {}, emu.OLD_AGENT, {"bundle": "/tmp/b.zip"})
    assert steps[1]["env"] == {}


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({"Path": "/p; rm -rf /"}, "allowedPattern"),
        ({"Mode": "destroy"}, "allowedValues"),
        ({"Nope": "1"}, "unknown parameter"),
    ],
)
def test_service_side_refusals(given, reason):
    with pytest.raises(emu.RefusedCommand, match=reason):
        emu.plan(DOCUMENT, given, emu.NEW_AGENT, {"bundle": "/tmp/b.zip"})


def test_cli_writes_plan(tmp_path):
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps(DOCUMENT))
    rc = emu.main([str(doc), str(tmp_path / "out"), "--param", "Mode=check", "--content", "bundle=/tmp/b.zip"])
    assert rc == 0
    manifest = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert [step["action"] for step in manifest] == ["download", "shell"]
    assert "echo check" in (tmp_path / "out" / manifest[1]["script"]).read_text()
    assert emu.main([str(doc), str(tmp_path / "o2"), "--param", "Mode=x", "--content", "bundle=/b"]) == 2


def test_every_agent_exports_the_instance_id_and_region():
    for agent in (emu.NEW_AGENT, emu.OLD_AGENT):
        steps = emu.plan(DOCUMENT, {}, agent, {"bundle": "/tmp/b.zip"}, "mi-0123456789abcdef0", "eu-west-1")
        assert steps[1]["env"]["AWS_SSM_INSTANCE_ID"] == "mi-0123456789abcdef0"
        assert steps[1]["env"]["AWS_SSM_REGION_NAME"] == "eu-west-1"


@pytest.mark.parametrize("bad", [["--instance-id", "web-1"], ["--instance-id", "i-0123"], ["--region", "eu west"]])
def test_cli_refuses_an_id_or_region_an_agent_cannot_have(tmp_path, bad, capsys):
    document = tmp_path / "doc.json"
    document.write_text(json.dumps(DOCUMENT))
    with pytest.raises(SystemExit) as exited:
        emu.main([str(document), str(tmp_path / "out"), "--content", "bundle=/tmp/b.zip", *bad])
    assert exited.value.code == 2
    assert bad[0] in capsys.readouterr().err


def test_cli_writes_the_instance_id_into_the_plan(tmp_path):
    document = tmp_path / "doc.json"
    document.write_text(json.dumps(DOCUMENT))
    args = [
        str(document),
        str(tmp_path / "out"),
        "--content",
        "bundle=/tmp/b.zip",
        "--instance-id",
        "i-0123456789abcdef0",
    ]
    assert emu.main(args) == 0
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert plan[1]["env"]["AWS_SSM_INSTANCE_ID"] == "i-0123456789abcdef0"
