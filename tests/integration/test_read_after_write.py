"""Read-after-write in one ansible-playbook run (tests/integration/playbooks/read_after_write.yml):
writes by keel.ssm.parameter and keel.ssm.parameter_tree make the lookup's run cache
forget what they touched, on every host and fork, while untouched names stay cached.
Several local hosts with fewer forks, against moto over HTTP, under ansible-core 2.19 and
Debian 12's 2.14."""

from __future__ import annotations

import re

from tests.helpers.fleet import PLAYBOOKS, run_playbook, write_inventory

HOSTS = 6
FORKS = 3


def test_every_host_and_fork_reads_the_runs_own_writes(moto, ssm, tmp_path, ansible):
    _version, bin_dir = ansible
    for name, value in {"/raw/a": "a1", "/raw/b": "b1", "/raw/c": "c1", "/raw/keep": "k1"}.items():
        ssm.put_parameter(Name=name, Value=value, Type="String")
    inventory = write_inventory(tmp_path / "inventory.ini", HOSTS, python=str(bin_dir / "python"))
    result = run_playbook(
        PLAYBOOKS / "read_after_write.yml",
        tmp_path,
        moto.url,
        ["-i", str(inventory)],
        {},
        forks=FORKS,
        verbosity=3,
        bin_dir=bin_dir,
    )
    assert result.returncode == 0, result.output[-4000:]
    assert len(result.recap) == HOSTS and result.failed_hosts == []
    assert "[WARNING]" not in result.output
    # The cache was in use all along (one broker for the run), and the last task's name,
    # touched by no write, came from it on every host.
    assert len(result.broker_sockets()) == 1
    last_task = result.output.rsplit("What no write touched still comes from the cache", 1)[1]
    hits = re.findall(r"keel\.ssm\.parameter: 1 term\(s\): 1 from the cache, 0 fetched", last_task)
    assert len(hits) == HOSTS, last_task[-3000:]
    # Nothing was left behind for the next run to trip over.
    assert ssm.get_parameter(Name="/raw/b")["Parameter"]["Value"] == "b3"
