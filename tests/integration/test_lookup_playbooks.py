"""keel.ssm.parameter in real ansible-playbook runs: 40 local-connection hosts, 10 forks,
-vvvv, against the moto server behind the AwsProxy test double emulating the 40 TPS
quota plus 20% injected ThrottlingException. Requests are counted where they reach the
endpoint. Each scenario runs under the venv's ansible-core 2.19 and under Debian 12's
ansible-core 2.14 with boto3 1.26 (.venv/core214, built by `make venv-core214`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.helpers.aws_proxy import AwsProxy
from tests.helpers.fleet import PLAYBOOKS, rendered, run_fleet, run_playbook, seed_fleet

HOSTS = {"2.19": 40, "2.14": 20}  # the issue's 40 hosts on 2.19; enough forks' worth on 2.14
FORKS = 10


def gone(path, timeout=5.0):
    deadline = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not os.path.exists(path)


def broker_processes(socket_path):
    """pids whose command line names this broker socket (readable even when a broker
    made itself non-dumpable: /proc/<pid>/cmdline is then root's, and we may be root)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if socket_path.encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@pytest.mark.parametrize(("mode", "max_reads"), [("batched", 3), ("each", 25)])
def test_fleet_reads_once_for_every_host_and_shows_no_secret(moto, ssm, tmp_path, ansible, mode, max_reads):
    version, ansible_bin = ansible
    hosts = HOSTS[version]
    names, secret = seed_fleet(ssm, "/fleet")
    with AwsProxy(moto.url, rate_limit_tps=40, throttle_ratio=0.2, seed=11) as proxy:
        result = run_fleet(tmp_path, proxy.url, names, [mode], hosts=hosts, forks=FORKS, bin_dir=ansible_bin)
        answered = proxy.counts["GetParameters"] - proxy.throttled["GetParameters"]
        requests = dict(proxy.counts)
    assert result.returncode == 0, result.output[-3000:]
    assert len(result.recap) == hosts and result.failed_hosts == []
    assert "[WARNING]" not in result.output and "DEPRECATION" not in result.output
    # Every host got every value, the SecureString included...
    for index in range(hosts):
        values = rendered(tmp_path, f"host{index:03d}", mode)
        assert values[names[0]] == "value-0" and values[names[-1]] == secret
    # ...from at most max_reads answered reads (throttled attempts are retried by botocore)...
    assert set(requests) == {"GetParameters"}
    assert answered == max_reads, requests
    # ...and -vvvv never showed it.
    assert result.occurrences(secret) == 0
    assert result.output.count(f"keel.ssm.parameter: {25 if mode == 'batched' else 1} term(s): ") >= hosts
    # The run's broker is gone with the run, socket and process.
    sockets = result.broker_sockets()
    assert len(sockets) == 1, sockets
    assert gone(sockets[0]), "the cache broker outlived its run"
    assert broker_processes(sockets[0]) == []


def test_a_new_run_starts_with_an_empty_cache(moto, ssm, tmp_path):
    names, _secret = seed_fleet(ssm, "/fleet", count=12)
    with AwsProxy(moto.url) as proxy:
        first = run_fleet(tmp_path / "one", proxy.url, names, ["batched"], hosts=2, forks=2, verbosity=3)
        second = run_fleet(tmp_path / "two", proxy.url, names, ["batched"], hosts=2, forks=2, verbosity=3)
        assert first.returncode == 0 and second.returncode == 0, second.output[-2000:]
        assert proxy.counts["GetParameters"] == 2 + 2
    assert first.broker_sockets() != second.broker_sockets()


def test_without_a_safe_private_directory_every_fork_still_gets_its_values(moto, ssm, tmp_path):
    names, secret = seed_fleet(ssm, "/fleet", count=12)
    unsafe_tmp = tmp_path / "tmp"
    (unsafe_tmp / f"keel-ssm-{os.getuid()}").mkdir(parents=True, mode=0o777)
    os.chmod(unsafe_tmp / f"keel-ssm-{os.getuid()}", 0o777)  # noqa: S103 - the unsafe case under test
    env = {"TMPDIR": str(unsafe_tmp), "XDG_RUNTIME_DIR": ""}
    with AwsProxy(moto.url) as proxy:
        result = run_fleet(tmp_path, proxy.url, names, ["batched"], hosts=5, forks=5, verbosity=4, extra_env=env)
        assert result.returncode == 0 and result.failed_hosts == [], result.output[-2000:]
        assert proxy.counts["GetParameters"] == 5 * 2, "each fork fetched for itself"
    assert "shared cache unavailable" in result.output and "not a private directory" in result.output
    assert rendered(tmp_path, "host004", "batched")[names[-1]] == secret
    assert result.occurrences(secret) == 0
    assert os.listdir(unsafe_tmp / f"keel-ssm-{os.getuid()}") == []


def test_warnings_and_failures_name_parameters_never_values(moto, ssm, tmp_path, ansible):
    """The AWS-ApplyAnsiblePlaybooks shape: -i localhost, -c local."""
    _version, ansible_bin = ansible
    _names, secret = seed_fleet(ssm, "/edge", count=3)
    ssm.put_parameter(Name="/edge/jinja", Value="{{ 6 * 7 }}", Type="String")
    result = run_playbook(
        PLAYBOOKS / "lookup_edges.yml",
        tmp_path,
        moto.url,
        ["-i", "localhost,", "-c", "local"],
        {"edge_prefix": "/edge", "ansible_python_interpreter": str(ansible_bin / "python")},
        forks=1,
        bin_dir=ansible_bin,
        # Even where a config allows unsafe lookups, our values are never templated.
        extra_env={"ANSIBLE_ALLOW_UNSAFE_LOOKUPS": "true"},
    )
    assert result.returncode == 0, result.output[-3000:]
    assert "keel.ssm.parameter: skipped: parameter /edge/absent not found" in result.output
    assert "parameter /edge/password: value is not valid JSON" in result.output
    assert "term '/edge/bad name'" in result.output
    assert "edge_optional=fallback edge_json_failed=True edge_bad_failed=True" in result.output
    assert "edge_tree_size=4 edge_tree_has_password=True edge_jinja_is_text=True" in result.output
    assert result.occurrences(secret) == 0
