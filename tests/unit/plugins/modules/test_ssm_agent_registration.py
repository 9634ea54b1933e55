"""keel.ssm.ssm_agent_registration run as a module process against a TEST DOUBLE agent: a small script
(written per test) that accepts the real agent's `-register -code -id -region [-y]` arguments, stores the
registration in <data_dir>/Vault/Store/RegistrationKey like the real agent, and logs its argv (with the
code replaced by its length) so the tests can count calls. Service handling (systemctl) is exercised by
the molecule scenario, not here."""

from __future__ import annotations

import json
import stat

import pytest

from ansible_collections.keel.ssm.plugins.modules.ssm_agent_registration import plan
from tests.helpers.module_runner import run_module

CODE = "SecretActivationCode-0123456789"
FIRST = "0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
SECOND = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"

AGENT = r"""#!{python}
# TEST DOUBLE of amazon-ssm-agent -register (see the test module's docstring).
import json, os, sys, time
data_dir, calls, mode = {data_dir!r}, {calls!r}, {mode!r}
argv = sys.argv[1:]
code = argv[argv.index("-code") + 1]
with open(calls, "a") as handle:
    handle.write(json.dumps([("<code %d chars>" % len(code)) if a == code else a for a in argv]) + "\n")
if mode == "fail":
    print("error: could not register with " + " ".join(sys.argv), file=sys.stderr)
    sys.exit(3)
if mode == "silent":
    sys.exit(0)
store = os.path.join(data_dir, "Vault", "Store")
os.makedirs(store, exist_ok=True)
instance = "mi-%017x" % (time.time_ns() % 16**17)
with open(os.path.join(store, "RegistrationKey"), "w") as handle:
    region = argv[argv.index("-region") + 1]
    json.dump({{"instanceID": instance, "region": region, "privateKey": "TEST-DOUBLE"}}, handle)
print("Successfully registered the instance with AWS SSM using Managed instance-id: " + instance)
"""


class Host:
    def __init__(self, tmp_path, mode="ok"):
        self.tmp_path = tmp_path
        self.data_dir = tmp_path / "ssm"
        self.record = tmp_path / "keel" / "registration.json"
        self.calls = tmp_path / "calls.log"
        self.agent = tmp_path / "amazon-ssm-agent"
        self.set_mode(mode)

    def set_mode(self, mode):
        import sys

        self.agent.write_text(
            AGENT.format(python=sys.executable, data_dir=str(self.data_dir), calls=str(self.calls), mode=mode)
        )
        self.agent.chmod(0o755)

    def run(self, activation_id=FIRST, region="eu-west-1", force=False, check_mode=False, code=CODE):
        args = {
            "activation_code": code,
            "activation_id": activation_id,
            "region": region,
            "force": force,
            "agent": str(self.agent),
            "data_dir": str(self.data_dir),
            "record": str(self.record),
        }
        result = run_module("ssm_agent_registration", args, check=check_mode)
        return result, result["_stdout"] + result["_stderr"]

    def call_log(self):
        return [json.loads(line) for line in self.calls.read_text().splitlines()] if self.calls.exists() else []

    def vault_instance(self):
        return json.loads((self.data_dir / "Vault" / "Store" / "RegistrationKey").read_text())["instanceID"]


def test_registers_once_and_records_the_activation(tmp_path):
    host = Host(tmp_path)
    result, output = host.run()
    assert result["changed"] is True and result["action"] == "registered", result
    assert result["instance_id"] == host.vault_instance()
    assert result["previous_instance_id"] == ""
    assert host.call_log() == [
        ["-register", "-code", f"<code {len(CODE)} chars>", "-id", FIRST, "-region", "eu-west-1"]
    ]
    record = json.loads(host.record.read_text())
    assert record["activation_id"] == FIRST and record["instance_id"] == result["instance_id"]
    assert stat.S_IMODE(host.record.stat().st_mode) == 0o600
    assert CODE not in output and CODE not in host.record.read_text()

    again, _ = host.run()
    assert again["changed"] is False and again["action"] == "unchanged"
    assert again["instance_id"] == result["instance_id"]
    assert len(host.call_log()) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"activation_id": SECOND}, f"with activation {FIRST}, not {SECOND}"),
        ({"region": "us-east-1"}, "is registered in eu-west-1, not us-east-1"),
    ],
)
def test_a_different_activation_or_region_is_kept_with_a_warning(tmp_path, change, reason):
    host = Host(tmp_path)
    first, _ = host.run()
    result, _ = host.run(**change)
    assert result["changed"] is False and result["action"] == "kept"
    assert reason in result["reason"]
    # ansible-core 2.19 returns warnings as structured objects, older cores as strings.
    assert "set force to re-register" in json.dumps(result["warnings"])
    assert result["instance_id"] == first["instance_id"]
    assert len(host.call_log()) == 1


def test_a_registration_made_elsewhere_is_kept(tmp_path):
    host = Host(tmp_path)
    host.run()
    host.record.unlink()
    result, _ = host.run()
    assert result["action"] == "kept"
    assert "registered outside this role, from an unknown activation" in result["reason"]
    assert len(host.call_log()) == 1


def test_force_reregisters_with_y_once(tmp_path):
    host = Host(tmp_path)
    first, _ = host.run()
    forced, _ = host.run(activation_id=SECOND, force=True)
    assert forced["changed"] is True and forced["action"] == "reregistered"
    assert forced["previous_instance_id"] == first["instance_id"] != forced["instance_id"]
    assert host.call_log()[-1][-1] == "-y"
    assert json.loads(host.record.read_text())["activation_id"] == SECOND
    again, _ = host.run(activation_id=SECOND, force=True)
    assert again["action"] == "unchanged" and len(host.call_log()) == 2


def test_check_mode_predicts_and_does_nothing(tmp_path):
    host = Host(tmp_path)
    result, _ = host.run(check_mode=True)
    assert result["changed"] is True and result["action"] == "registered"
    assert host.call_log() == [] and not host.record.exists()


def test_a_failing_agent_never_shows_the_code(tmp_path):
    host = Host(tmp_path, mode="fail")
    result, output = host.run()
    assert result["failed"] is True
    assert "amazon-ssm-agent -register failed (rc 3)" in result["msg"]
    assert "could not register with" in result["stderr"]
    assert "********" in result["stderr"]
    assert CODE not in output
    assert not host.record.exists()


def test_an_agent_that_registers_nothing_is_an_error(tmp_path):
    result, _ = Host(tmp_path, mode="silent").run()
    assert result["failed"] is True
    assert "exited 0 but left no registration" in result["msg"]


def test_bad_options_are_refused_before_running_the_agent(tmp_path):
    host = Host(tmp_path)
    result, output = host.run(activation_id="not-a-uuid", code="short")
    assert result["failed"] is True
    assert "activation_id 'not-a-uuid': expected a lower-case UUID" in result["msg"]
    assert "activation_code: expected 20-250 characters" in result["msg"]
    assert host.call_log() == []
    assert "short" not in output


def test_an_incomplete_vault_entry_is_not_a_registration(tmp_path):
    host = Host(tmp_path)
    store = host.data_dir / "Vault" / "Store"
    store.mkdir(parents=True)
    (store / "RegistrationKey").write_text(json.dumps({"instanceID": "mi-0123", "region": "eu-west-1"}))
    result, _ = host.run(check_mode=True)
    assert result["action"] == "registered" and result["previous_instance_id"] == ""


def test_plan_table():
    record = {"activation_id": FIRST, "instance_id": "mi-1"}
    assert plan(None, {}, FIRST, "eu-west-1", False)[0] == "register"
    assert plan(("mi-1", "eu-west-1"), record, FIRST, "eu-west-1", False)[0] == "unchanged"
    assert plan(("mi-1", "eu-west-1"), record, FIRST, "eu-west-1", True)[0] == "unchanged"
    assert plan(("mi-1", "eu-west-1"), record, SECOND, "eu-west-1", False)[0] == "kept"
    assert plan(("mi-1", "eu-west-1"), record, SECOND, "eu-west-1", True)[0] == "reregister"
    # A record for another instance id says nothing about the current registration.
    assert plan(("mi-2", "eu-west-1"), record, FIRST, "eu-west-1", False)[0] == "kept"
