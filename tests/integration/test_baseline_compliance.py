"""The baseline's per-control compliance (roles/baseline/tasks/compliance.yml) in real
`ansible-playbook -i localhost, -c local` runs under ansible-core 2.19 and Debian 12's
2.14: the applied roles' real checks (roles/<role>/meta/controls.yml) run against a root
of the test's own (_keel_baseline_compliance_root), and the report goes over HTTP to the
SSM compliance TEST DOUBLE (tests/helpers/ssm_compliance_double.py; moto has no
compliance API) in front of moto. No role is applied here: tests/integration/playbooks/
baseline_compliance.yml runs the baseline's validation and compliance tasks alone, with
ssm_agent and ufw switched on (so "applied") and pam and auditd off.

The root makes ufw's controls hold except 4.2.3 (no ufw.service link), and has no SSM
agent (SSM.1 does not hold): two controls fail for real."""

from __future__ import annotations

import pytest

from tests.helpers.fleet import PLAYBOOKS, VENV_BIN, run_playbook, secure_value

PLAYBOOK = PLAYBOOKS / "baseline_compliance.yml"
INSTANCE = "i-0123456789abcdef0"
COMMAND_ID = "4f6c1e2a-0b3d-4e5f-8a9b-1c2d3e4f5a6b"
SECRET = secure_value("compliance-activation")
# A setting value that reaches a check (the management port) and must not reach a detail.
PORT = "4422"
UFW = ["4.2.1", "4.2.2", "4.2.7", "4.2.3"]
EXPECTED = {
    "SSM.1": "NON_COMPLIANT",
    "4.2.1": "COMPLIANT",
    "4.2.2": "COMPLIANT",
    "4.2.7": "COMPLIANT",
    "4.2.3": "NON_COMPLIANT",
}
NOT_SENT = "compliance report not sent: "


def make_root(tmp_path):
    """A host where ufw is installed and configured as the role would, but its unit is not
    enabled, and no SSM agent."""
    root = tmp_path / "root"
    files = {
        "var/lib/dpkg/status": "Package: ufw\nStatus: install ok installed\nMaintainer: t\nVersion: 1\n"
        "Architecture: all\nDescription: t\n\n",
        "etc/ufw/ufw.conf": "ENABLED=yes\nLOGLEVEL=low\n",
        "etc/default/ufw": 'DEFAULT_INPUT_POLICY="DROP"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\n'
        'DEFAULT_FORWARD_POLICY="DROP"\n',
        "etc/ufw/user.rules": f"### tuple ### limit tcp {PORT} 0.0.0.0/0 any 0.0.0.0/0 in\n"
        "### tuple ### allow any any 0.0.0.0/0 any 0.0.0.0/0 in_lo\n"
        "### tuple ### deny any any 0.0.0.0/0 any 127.0.0.0/8 in\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def double(compliance_double):
    """The compliance test double (tests/helpers/compliance_fixture.py)."""
    return compliance_double


def run(tmp_path, endpoint, bin_dir=VENV_BIN, extra_vars=None, env=None, check=True):
    variables = {
        "keel_baseline_pam": False,
        "keel_baseline_auditd": False,
        "keel_baseline_aws_endpoint_url": endpoint,
        "keel_baseline_aws_region": "us-east-1",
        "keel_ufw_management_port": f"{PORT}/tcp",
        # A SecureString setting of an applied role: in no check's environment, detail or line of output.
        "keel_ssm_agent_activation_id": "0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b",
        "keel_ssm_agent_activation_code": SECRET,
        "_keel_baseline_compliance_root": str(make_root(tmp_path)),
        "ansible_become": False,
        "ansible_python_interpreter": str(bin_dir / "python"),
        **(extra_vars or {}),
    }
    environment = {"AWS_SSM_INSTANCE_ID": INSTANCE, "SSM_COMMAND_ID": COMMAND_ID}
    environment.update(env or {})
    args = ["-i", "localhost,", "-c", "local"] + (["--check"] if check else [])
    return run_playbook(
        PLAYBOOK, tmp_path, endpoint, args, variables, forks=1, verbosity=4, bin_dir=bin_dir, extra_env=environment
    )


def stored(double):
    """{control id: item} of the one report the double holds."""
    ((key, report),) = double.reports.items()
    assert key == ("ManagedInstance", INSTANCE, "Custom:KeelBaseline")
    return report["items"], report["summary"]


def test_one_item_per_applied_control_from_real_checks_and_no_value_shown(double, tmp_path, ansible):
    """--check (Mode=check): the checks run and the report is sent, the run does not fail.
    The node's id is the SSM agent's AWS_SSM_INSTANCE_ID (this host runs its own play)."""
    _version, bin_dir = ansible
    result = run(tmp_path, double.proxy.url, bin_dir)
    assert result.returncode == 0, result.output[-4000:]
    items, summary = stored(double)
    assert {control: item["Status"] for control, item in items.items()} == EXPECTED
    assert items["4.2.7"]["Severity"] == "HIGH" and items["4.2.7"]["Title"].startswith("ufw's default policies")
    assert items["4.2.7"]["Details"]["Settings"] == (
        "keel_ufw_enabled, keel_ufw_incoming, keel_ufw_outgoing, keel_ufw_routed, keel_ufw_loopback,"
        " keel_ufw_management_port"
    )
    assert items["4.2.3"]["Details"]["Check"] == "does not hold (exit status 1)"
    assert items["SSM.1"]["Details"]["Role"] == "keel.ssm.ssm_agent"
    assert summary["ExecutionId"] == COMMAND_ID
    details = repr([item["Details"] for item in items.values()])
    assert PORT not in details and "deny" not in details and SECRET not in details
    assert double.violations == []
    assert result.occurrences(SECRET) == 0  # at -vvvv
    assert "compliance report sent for i-0123456789abcdef0 (Custom:KeelBaseline): 3 compliant, 2" in result.output
    assert NOT_SENT not in result.output


def test_an_apply_fails_naming_the_controls_that_do_not_hold_after_reporting_them(double, tmp_path):
    result = run(tmp_path, double.proxy.url, check=False)
    assert result.returncode != 0
    assert "control(s) not compliant after the roles applied: SSM.1, 4.2.3 (" in result.output, result.output[-3000:]
    assert "role(s) that failed" not in result.output
    assert len(stored(double)[0]) == 5


def test_a_failed_role_reports_its_controls_non_compliant_and_is_left_to_the_last_task(double, tmp_path):
    failures = [{"role": "ufw", "task": "Enable ufw", "controls": ["4.2.7"]}]
    result = run(tmp_path, double.proxy.url, extra_vars={"_keel_baseline_failures": failures}, check=False)
    assert result.returncode != 0
    items, _summary = stored(double)
    assert {control: items[control]["Status"] for control in UFW} == dict.fromkeys(UFW, "NON_COMPLIANT")
    assert items["4.2.1"]["Details"]["RoleFailed"] == "role keel.ssm.ufw failed at task: Enable ufw"
    assert items["4.2.1"]["Details"]["Check"] == "holds"
    assert "RoleFailed" not in items["SSM.1"]["Details"]
    # One verdict (finish.yml): the failed role with its task and controls, then the
    # controls whose role applied but do not hold.
    assert (
        "keel.ssm.baseline: 1 role(s) failed (every other role was still applied): "
        "ufw (task 'Enable ufw', controls 4.2.7). control(s) not compliant after the roles applied: SSM.1 ("
    ) in result.output, result.output[-3000:]


@pytest.mark.parametrize("check", [True, False], ids=["check", "apply"])
def test_an_unreachable_endpoint_is_said_and_the_controls_decide(moto, tmp_path, check):
    result = run(tmp_path, "http://127.0.0.1:9", check=check)
    assert NOT_SENT + "PutComplianceItems i-0123456789abcdef0: " in result.output, result.output[-3000:]
    if check:
        assert result.returncode == 0, result.output[-3000:]
    else:
        assert result.returncode != 0
        assert "control(s) not compliant after the roles applied: SSM.1, 4.2.3 (" in result.output
    assert result.occurrences(SECRET) == 0


def test_without_a_node_id_only_the_checks_run(double, tmp_path, ansible):
    """A molecule container or a host run from a controller without the id: auto does not report."""
    _version, bin_dir = ansible
    result = run(tmp_path, double.proxy.url, bin_dir, env={"AWS_SSM_INSTANCE_ID": ""})
    assert result.returncode == 0, result.output[-3000:]
    assert "ok: [localhost] => (item=ufw 4.2.3)" in result.output
    assert double.proxy.total() == 0 and double.reports == {}


def test_off_never_reports_and_on_without_a_node_id_fails_before_anything(double, tmp_path):
    off = run(tmp_path / "off", double.proxy.url, extra_vars={"keel_baseline_compliance": "off"})
    assert off.returncode == 0 and double.proxy.total() == 0
    on = run(
        tmp_path / "on",
        double.proxy.url,
        extra_vars={"keel_baseline_compliance": "on"},
        env={"AWS_SSM_INSTANCE_ID": ""},
    )
    assert on.returncode != 0
    assert "keel_baseline_compliance is on, so the report needs the managed node's id" in on.output
    assert "Run each applied control's check" not in on.output


def test_a_bad_compliance_type_fails_before_anything_naming_the_setting(double, tmp_path):
    result = run(tmp_path, double.proxy.url, extra_vars={"keel_baseline_compliance_type": "Custom:keel.baseline"})
    assert result.returncode != 0
    assert "keel_baseline_compliance_type: letters, digits and _" in result.output, result.output[-3000:]
    assert double.proxy.total() == 0
