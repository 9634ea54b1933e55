"""The committed SSM documents: they match their generator, every String parameter is
ENV_VAR and injection-proof, and the shell step resolves every parameter the same way
for new agents (SSM_<Name> exported) and old ones ({{ Name }} substituted).

The agent is played by scripts/ssm_agent_emulator.py (a TEST DOUBLE: no SSM agent can
run here); the generated shell is run by the real /bin/sh."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
import ssm_agent_emulator as emulator  # noqa: E402

import ssm_documents  # noqa: E402
from ansible_collections.keel.ssm.plugins.plugin_utils.document_parameters import (  # noqa: E402
    DELIVERY_PARAMETERS,
    document_settings,
)

DOCUMENTS = sorted((REPO_ROOT / "ssm_documents").glob("*.yml"))


def load(path):
    return yaml.safe_load(path.read_text())


def test_committed_documents_match_the_generator(capsys):
    assert ssm_documents.main(["--check"]) == 0, capsys.readouterr().out


def test_one_document_per_role_and_the_baseline():
    assert [path.stem for path in DOCUMENTS] == [
        "keel-ssm-auditd",
        "keel-ssm-baseline",
        "keel-ssm-pam",
        "keel-ssm-ssm-agent",
        "keel-ssm-ufw",
    ]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_parameters_are_env_var_strings_with_anchored_rules(path):
    document = load(path)
    assert document["schemaVersion"] == "2.2"
    for name, definition in document["parameters"].items():
        assert definition["type"] == "String", name
        assert definition["interpolationType"] == "ENV_VAR", name
        if "allowedValues" not in definition:
            assert definition["allowedPattern"].startswith("^") and definition["allowedPattern"].endswith("$"), name


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_every_parameter_is_used_and_comes_from_a_spec(path):
    document = load(path)
    role = path.stem.removeprefix("keel-ssm-").replace("-", "_")
    from_specs = {name for name, _, _ in document_settings(role)[0]}
    assert set(document["parameters"]) == set(DELIVERY_PARAMETERS) | from_specs
    script = "\n".join(document["mainSteps"][1]["inputs"]["runCommand"])
    for name in document["parameters"]:
        assert f"SSM_{name}" in script, name
    assert document["mainSteps"][0]["inputs"]["sourceInfo"] == '{"path": "{{ BundleUrl }}"}'


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_shell_step_is_valid_posix_sh(path):
    script = "\n".join(load(path)["mainSteps"][1]["inputs"]["runCommand"])
    result = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr


def fake_bundle(tmp_path):
    """A bundle whose bin/keel-run (a TEST DOUBLE of the real one) records its arguments
    and the SSM_ environment it was handed."""
    bundle = tmp_path / "keel-ssm-bundle.zip"
    recorder = (
        "import json, os, sys\n"
        "out = os.environ['KEEL_TEST_RECORD']\n"
        "env = {k: v for k, v in os.environ.items() if k.startswith('SSM_')}\n"
        "json.dump({'argv': sys.argv[1:], 'env': env}, open(out, 'w'))\n"
    )
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("bin/keel-run", recorder)
    return bundle


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_new_and_old_agents_hand_the_same_values_to_keel_run(path, tmp_path):
    document = emulator.load_document(path)
    given = {"BundleUrl": "https://s3.eu-west-1.amazonaws.com/b/keel-ssm-bundle.zip", "Mode": "check"}
    if "ParameterPath" in document["parameters"]:
        given["ParameterPath"] = "/baseline/prod"
    seen = {}
    for agent in (emulator.NEW_AGENT, emulator.OLD_AGENT):
        workdir = tmp_path / agent / "downloads"
        workdir.mkdir(parents=True)
        steps = emulator.plan(document, given, agent, {"DownloadBundle": str(fake_bundle(tmp_path))})
        shell = steps[1]
        assert shell["action"] == "shell"
        # Where aws:downloadContent puts content without a destinationPath: <command>/downloads/,
        # which is also the shell step's default working directory.
        (workdir / "keel-ssm-bundle.zip").write_bytes(Path(steps[0]["source"]).read_bytes())
        record = tmp_path / f"{agent}.json"
        env = {"PATH": os.environ["PATH"], "KEEL_TEST_RECORD": str(record), **shell["env"]}
        result = subprocess.run(
            ["sh", "-c", shell["script_text"]], cwd=workdir, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        seen[agent] = json.loads(record.read_text())
        seen[agent]["argv"][1] = "<unpacked bundle>"  # a fresh mktemp directory per run
    assert seen[emulator.NEW_AGENT] == seen[emulator.OLD_AGENT]
    env = seen[emulator.NEW_AGENT]["env"]
    assert env["SSM_Mode"] == "check"
    assert env["SSM_AnsibleSource"] == "distro"
    assert set(env) == {f"SSM_{name}" for name in document["parameters"]}
    assert "--role" in seen[emulator.NEW_AGENT]["argv"]


def test_missing_bundle_fails_the_step(tmp_path):
    document = emulator.load_document(REPO_ROOT / "ssm_documents" / "keel-ssm-baseline.yml")
    given = {"BundleUrl": "https://s3.eu-west-1.amazonaws.com/b/keel-ssm-bundle.zip"}
    steps = emulator.plan(document, given, emulator.NEW_AGENT, {"DownloadBundle": "unused"})
    result = subprocess.run(
        ["sh", "-c", steps[1]["script_text"]],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], **steps[1]["env"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert "no bundle" in result.stderr


@pytest.mark.parametrize("bad", ["/x; reboot", "/x$(id)", "/x`id`", "/x'y"])
def test_service_refuses_injection_attempts(bad):
    document = emulator.load_document(REPO_ROOT / "ssm_documents" / "keel-ssm-baseline.yml")
    given = {"BundleUrl": "https://s3.eu-west-1.amazonaws.com/b/keel-ssm-bundle.zip", "ParameterPath": bad}
    with pytest.raises(emulator.RefusedCommand, match="ParameterPath"):
        emulator.plan(document, given)


def test_no_script_line_interpolates_a_parameter_outside_single_quotes():
    for path in DOCUMENTS:
        for line in load(path)["mainSteps"][1]["inputs"]["runCommand"]:
            for match in re.finditer(r"\{\{\s*(\w+)\s*\}\}", line):
                before = line[: match.start()]
                assert before.endswith("='") and line[match.end() :] == "'", (path.name, line)
