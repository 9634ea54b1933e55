"""playbooks/baseline.yml reading its settings from Parameter Store, in real
`ansible-playbook -i localhost, -c local` runs (the AWS-ApplyAnsiblePlaybooks shape) under
the venv's ansible-core 2.19 and Debian 12's ansible-core 2.14 with boto3 1.26
(.venv/core214), against the moto server behind the counting AwsProxy. The four roles are
switched off: these tests are about the settings (types, precedence, errors, secrecy,
API calls); molecule/baseline applies them to containers."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.helpers.aws_proxy import AwsProxy
from tests.helpers.fleet import PLAYBOOKS, REPO_ROOT, VENV_BIN, run_playbook, secure_value

BASELINE = REPO_ROOT / "playbooks" / "baseline.yml"
RECORD = PLAYBOOKS / "baseline_settings.yml"
PATH = "/keel-test/baseline"
ROLES_OFF = {f"keel_baseline_{role}": False for role in ("ssm_agent", "pam", "auditd", "ufw")}
SECRET = secure_value("activation")
ACTIVATION_ID = "0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
# name relative to PATH: (type, value as stored, value the role variable must hold)
SETTINGS = {
    "pam/faillock_deny": ("String", "3", 3),
    "pam/pwquality_minlen": ("String", "16", 16),
    "pam/faillock_even_deny_root": ("String", "yes", True),
    "pam/hashing": ("String", "sha512", "sha512"),
    "auditd/num_logs": ("String", "7", 7),
    "auditd/immutable": ("String", "false", False),
    "ufw/allowed_ports": ("StringList", "443/tcp,8443/tcp from 10.0.0.0/8", ["443/tcp", "8443/tcp from 10.0.0.0/8"]),
    "ssm_agent/no_proxy": ("String", '["a.keel.invalid", "b.keel.invalid"]', ["a.keel.invalid", "b.keel.invalid"]),
    "ssm_agent/config": ("String", '{"Mds": {"CommandWorkersLimit": 7}}', {"Mds": {"CommandWorkersLimit": 7}}),
    # Text that looks like Jinja stays text (lookup values are unsafe, and stay so as facts).
    "ssm_agent/http_proxy": ("String", "http://{{ 6 * 7 }}.keel.invalid:3128", "http://{{ 6 * 7 }}.keel.invalid:3128"),
    "ssm_agent/activation_id": ("String", ACTIVATION_ID, ACTIVATION_ID),
    "ssm_agent/activation_code": ("SecureString", SECRET, SECRET),
}


def seed(ssm, settings):
    for name, (kind, value, _expected) in settings.items():
        ssm.put_parameter(Name=f"{PATH}/{name}", Value=value, Type=kind, Overwrite=True)


def run_baseline(tmp_path, endpoint, bin_dir, extra_vars=None, extra_env=None, verbosity=4, unset_path=False):
    """playbooks/baseline.yml then the recording play, in one run, as root without sudo
    (unset_path: no keel_baseline_parameter_path at all, the role default decides)."""
    record = tmp_path / "settings.json"
    variables = {
        **ROLES_OFF,
        "keel_baseline_parameter_path": PATH,
        "keel_baseline_aws_endpoint_url": endpoint,
        "ansible_become": False,
        "ansible_python_interpreter": str(bin_dir / "python"),
        "baseline_settings_file": str(record),
        **(extra_vars or {}),
    }
    if unset_path:
        del variables["keel_baseline_parameter_path"]
    result = run_playbook(
        [BASELINE, RECORD],
        tmp_path,
        endpoint,
        ["-i", "localhost,", "-c", "local"],
        variables,
        forks=1,
        verbosity=verbosity,
        bin_dir=bin_dir,
        extra_env=extra_env,
    )
    recorded = json.loads(record.read_text()) if record.exists() else None
    return result, recorded


def test_settings_arrive_typed_with_extra_vars_first_in_one_read_and_no_secret_shown(moto, ssm, tmp_path, ansible):
    _version, bin_dir = ansible
    seed(ssm, SETTINGS)
    with AwsProxy(moto.url) as proxy:
        # An extra var beats the parameter (3); AWS_URL points the lookup at moto too, so
        # the endpoint option is what is under test only in that it is accepted.
        result, recorded = run_baseline(tmp_path, proxy.url, bin_dir, {"keel_pam_faillock_deny": 9})
        requests = dict(proxy.counts)
    assert result.returncode == 0, result.output[-4000:]
    expected = {f"keel_{name.replace('/', '_')}": want for name, (_kind, _value, want) in SETTINGS.items()}
    expected["keel_pam_faillock_deny"] = 9
    assert recorded == expected
    # One paginated GetParametersByPath (moto pages by 10) for the three tasks that use the
    # settings: the run cache answered the others.
    assert requests == {"GetParametersByPath": 2}, requests
    assert f"{len(SETTINGS)} setting(s) from {PATH}: keel_auditd_immutable, keel_auditd_num_logs," in result.output
    assert "keel_ufw_allowed_ports; overridden by extra vars: keel_pam_faillock_deny" in result.output
    # The SecureString reached the variable and never the output, at -vvvv.
    assert result.occurrences(SECRET) == 0
    assert "[WARNING]" not in result.output


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("pam/faillock_deny", "three", f"{PATH}/pam/faillock_deny: expected an integer"),
        ("pam/no_such", "1", f"{PATH}/pam/no_such: keel_pam_no_such is not a setting of role pam"),
        ("firewall/enabled", "true", f"{PATH}/firewall/enabled: unknown role 'firewall'"),
    ],
)
def test_a_bad_parameter_fails_naming_it_before_anything_is_set(moto, ssm, tmp_path, ansible, name, value, message):
    _version, bin_dir = ansible
    seed(ssm, {**SETTINGS, name: ("String", value, None)})
    result, recorded = run_baseline(tmp_path, moto.url, bin_dir)
    assert result.returncode != 0
    assert message in result.output, result.output[-4000:]
    assert recorded is None, "the play went on after a bad parameter"
    assert "Apply the settings as facts" not in result.output
    assert result.occurrences(SECRET) == 0


def test_a_bad_path_is_refused_before_any_read(moto, tmp_path):
    with AwsProxy(moto.url) as proxy:
        result, recorded = run_baseline(
            tmp_path, proxy.url, VENV_BIN, {"keel_baseline_parameter_path": "baseline/prod"}
        )
        requests = dict(proxy.counts)
    assert result.returncode != 0 and recorded is None
    assert (
        "keel_baseline_parameter_path must be empty or a Parameter Store path such as /baseline/prod" in result.output
    )
    assert requests == {}


def test_an_empty_path_fails_naming_it(moto, tmp_path):
    result, recorded = run_baseline(tmp_path, moto.url, VENV_BIN)
    assert result.returncode != 0 and recorded is None
    assert f"no parameters under path {PATH}" in result.output, result.output[-3000:]


@pytest.mark.parametrize("given", ["empty", "role default"])
def test_without_a_path_nothing_is_read(moto, ssm, tmp_path, ansible, given):
    """The role default and the documents' ParameterPath '' (an instance's first run). Under
    Debian's 2.14 this once failed at "Apply the settings as facts": the skipped task's loop
    was templated with its variables undefined."""
    _version, bin_dir = ansible
    seed(ssm, SETTINGS)
    variables = {"keel_baseline_parameter_path": ""} if given == "empty" else {}
    with AwsProxy(moto.url) as proxy:
        result, recorded = run_baseline(tmp_path, proxy.url, bin_dir, variables, unset_path=given == "role default")
        requests = dict(proxy.counts)
    assert result.returncode == 0, result.output[-3000:]
    assert recorded == {} and requests == {}


# TEST DOUBLE of a Python without boto3: hides boto3 and botocore from the import system
# (find_spec finds nothing, import fails), for ansible-playbook and every Python it starts.
HIDE_BOTO3 = textwrap.dedent(
    """
    import sys
    from importlib.machinery import PathFinder

    class _HideBoto3(PathFinder):
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if name.split(".")[0] in ("boto3", "botocore"):
                return None
            return PathFinder.find_spec(name, path, target)

    sys.meta_path[:] = [_HideBoto3 if finder is PathFinder else finder for finder in sys.meta_path]
    """
)


def test_an_instance_without_boto3_fails_early_saying_what_to_install(moto, ssm, tmp_path, core214):
    """Debian 12's ansible-core 2.14 with -c local, as AWS-ApplyAnsiblePlaybooks runs it, on a
    Python that lacks boto3 and is not the system Python: installing python3-boto3 would not
    help, so the play fails before the read. (The install path, on Debian's own ansible-core
    and python3-boto3, is proved by molecule/baseline.)"""
    seed(ssm, SETTINGS)
    hide = tmp_path / "hide-boto3"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(HIDE_BOTO3)
    with AwsProxy(moto.url) as proxy:
        result, recorded = run_baseline(tmp_path, proxy.url, core214, extra_env={"PYTHONPATH": str(hide)})
        requests = dict(proxy.counts)
    assert result.returncode != 0 and recorded is None
    assert "which cannot import boto3 botocore" in result.output, result.output[-3000:]
    assert "apt-get install python3-boto3" in result.output
    assert str(core214 / "python") in result.output or "core214/bin/python" in result.output
    assert "TASK [keel.ssm.baseline : Install python3-boto3 on an instance that runs its own play]" in result.output
    assert "skipping: [localhost]" in result.output
    assert requests == {}


def test_text_that_ansible_core_would_retype_is_refused_where_it_would_be(moto, ssm, tmp_path, ansible):
    """ansible-core 2.14 (no jinja2_native) turns a variable's text "yes" into True: the
    baseline refuses it there, naming the parameter; 2.19 keeps it as text."""
    version, bin_dir = ansible
    seed(ssm, {**SETTINGS, "ssm_agent/version": ("String", "yes", None)})
    result, recorded = run_baseline(tmp_path, moto.url, bin_dir)
    if version == "2.14":
        assert result.returncode != 0 and recorded is None
        assert f"{PATH}/ssm_agent/version: ansible-core 2.14." in result.output, result.output[-3000:]
        assert "turns this text into a boolean, list or dictionary" in result.output
    else:
        assert result.returncode == 0, result.output[-3000:]
        assert recorded["keel_ssm_agent_version"] == "yes"
    assert result.occurrences(SECRET) == 0
