"""The committed SSM documents: they match their generator, every String parameter is
ENV_VAR and injection-proof, and the shell step resolves every parameter the same way
for new agents (SSM_<Name> exported) and old ones ({{ Name }} substituted).

The agent is played by scripts/ssm_agent_emulator.py (a TEST DOUBLE: no SSM agent can
run here); the generated shell is run by the real /bin/sh."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import ssm_agent_emulator as emulator

import ssm_documents
from ansible_collections.keel.ssm.plugins.plugin_utils.document_parameters import (
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


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


BUNDLE_URL = "https://s3.eu-west-1.amazonaws.com/b/keel-ssm-bundle.zip"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_new_and_old_agents_hand_the_same_values_to_keel_run(path, tmp_path):
    document = emulator.load_document(path)
    bundle = fake_bundle(tmp_path)
    given = {"BundleUrl": BUNDLE_URL, "BundleSha256": sha256_of(bundle), "Mode": "check"}
    if "ParameterPath" in document["parameters"]:
        given["ParameterPath"] = "/baseline/prod"
    seen = {}
    for agent in (emulator.NEW_AGENT, emulator.OLD_AGENT):
        workdir = tmp_path / agent / "downloads"
        workdir.mkdir(parents=True)
        steps = emulator.plan(document, given, agent, {"DownloadBundle": str(bundle)})
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
    # The default wait before the settings read reaches keel-run from old agents too.
    assert env["SSM_MaxReadDelaySeconds"] == "300"
    assert set(env) == {f"SSM_{name}" for name in document["parameters"]}
    assert "--role" in seen[emulator.NEW_AGENT]["argv"]


def test_missing_bundle_fails_the_step(tmp_path):
    document = emulator.load_document(REPO_ROOT / "ssm_documents" / "keel-ssm-baseline.yml")
    given = {"BundleUrl": BUNDLE_URL, "BundleSha256": "0" * 64}
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
    given = {"BundleUrl": BUNDLE_URL, "BundleSha256": "0" * 64, "ParameterPath": bad}
    with pytest.raises(emulator.RefusedCommand, match="ParameterPath"):
        emulator.plan(document, given)


def test_no_script_line_interpolates_a_parameter_outside_single_quotes():
    for path in DOCUMENTS:
        for line in load(path)["mainSteps"][1]["inputs"]["runCommand"]:
            for match in re.finditer(r"\{\{\s*(\w+)\s*\}\}", line):
                before = line[: match.start()]
                assert before.endswith("='") and line[match.end() :] == "'", (path.name, line)


# The bundle runs as root: every document pins its SHA-256 and the step refuses anything else.


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_bundle_sha256_is_required_with_an_anchored_rule(path):
    definition = load(path)["parameters"]["BundleSha256"]
    assert "default" not in definition
    assert definition["allowedPattern"] == "^[0-9a-f]{64}$"
    assert definition["interpolationType"] == "ENV_VAR"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_service_refuses_a_command_without_the_bundle_hash(path):
    document = emulator.load_document(path)
    with pytest.raises(emulator.RefusedCommand, match="BundleSha256: required"):
        emulator.plan(document, {"BundleUrl": BUNDLE_URL}, emulator.NEW_AGENT, {"DownloadBundle": "unused"})


@pytest.mark.parametrize("bad", ["", "0" * 63, "0" * 65, "A" * 64, "g" * 64, "0" * 63 + " "])
def test_service_refuses_a_malformed_bundle_hash(bad):
    document = emulator.load_document(REPO_ROOT / "ssm_documents" / "keel-ssm-baseline.yml")
    given = {"BundleUrl": BUNDLE_URL, "BundleSha256": bad}
    with pytest.raises(emulator.RefusedCommand, match="BundleSha256"):
        emulator.plan(document, given, emulator.NEW_AGENT, {"DownloadBundle": "unused"})


def keel_ssm_workdirs():
    return set(Path("/var/tmp").glob("keel-ssm.*"))


def run_step(document_path, tmp_path, bundle_bytes, given, agent=emulator.NEW_AGENT, env=None):
    """Plan the document, place `bundle_bytes` where aws:downloadContent would, and run the
    shell step with the real /bin/sh (`env` overrides what the agent exports); (result,
    record file) where the record file exists only if the bundle's keel-run was executed."""
    document = emulator.load_document(document_path)
    steps = emulator.plan(document, given, agent, {"DownloadBundle": "unused"})
    downloads = tmp_path / agent / "downloads"
    downloads.mkdir(parents=True)
    (downloads / "keel-ssm-bundle.zip").write_bytes(bundle_bytes)
    record = tmp_path / f"{agent}-ran.json"
    step_env = {"PATH": os.environ["PATH"], "KEEL_TEST_RECORD": str(record), **steps[1]["env"], **(env or {})}
    result = subprocess.run(
        ["sh", "-c", steps[1]["script_text"]], cwd=downloads, env=step_env, capture_output=True, text=True, check=False
    )
    return result, record


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
@pytest.mark.parametrize("agent", [emulator.NEW_AGENT, emulator.OLD_AGENT])
def test_a_tampered_bundle_is_refused_before_anything_is_unpacked(path, agent, tmp_path):
    pinned_bundle = fake_bundle(tmp_path)
    pinned = sha256_of(pinned_bundle)
    tampered = bytearray(pinned_bundle.read_bytes())
    tampered[len(tampered) // 2] ^= 0x01  # one byte changed
    actual = hashlib.sha256(tampered).hexdigest()
    before = keel_ssm_workdirs()
    result, record = run_step(path, tmp_path, bytes(tampered), {"BundleUrl": BUNDLE_URL, "BundleSha256": pinned}, agent)
    assert result.returncode == ssm_documents.HASH_REFUSED_STATUS, result.stderr
    assert actual in result.stderr and pinned in result.stderr
    assert "nothing was unpacked or run" in result.stderr
    assert not record.exists(), "the tampered bundle's keel-run was executed"
    assert keel_ssm_workdirs() == before, "the refused step left its work directory behind"


@pytest.mark.parametrize("agent", [emulator.NEW_AGENT, emulator.OLD_AGENT])
def test_the_pinned_bundle_runs(agent, tmp_path):
    bundle = fake_bundle(tmp_path)
    given = {"BundleUrl": BUNDLE_URL, "BundleSha256": sha256_of(bundle)}
    result, record = run_step(
        REPO_ROOT / "ssm_documents" / "keel-ssm-pam.yml", tmp_path, bundle.read_bytes(), given, agent
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(record.read_text())["env"]["SSM_BundleSha256"] == given["BundleSha256"]


@pytest.mark.parametrize("value", ["", "0" * 64 + "\n", "0" * 32, "{{ BundleSha256 }}"])
def test_the_step_itself_refuses_a_hash_the_service_should_have_refused(value, tmp_path):
    """An agent that skips allowedPattern (or a hand-run, or the service's `$`, which
    matches before a final newline) must not get an empty or partial hash past the step."""
    bundle = fake_bundle(tmp_path)
    given = {"BundleUrl": BUNDLE_URL, "BundleSha256": "0" * 64}
    document = REPO_ROOT / "ssm_documents" / "keel-ssm-baseline.yml"
    result, record = run_step(document, tmp_path, bundle.read_bytes(), given, env={"SSM_BundleSha256": value})
    assert result.returncode == ssm_documents.HASH_REFUSED_STATUS, result.stderr
    assert "BundleSha256 must be the SHA-256" in result.stderr
    assert not record.exists()
