"""keel.ssm.auditd_privileged: mount selection and the -xdev walk, on real files in a
temporary directory (setuid/setgid bits can be set by any owner)."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.keel.ssm.plugins.modules import auditd_privileged as module
from tests.helpers.module_runner import run_module

MOUNTINFO = "\n".join(
    [
        "69 45 0:39 / / rw,nodev,noatime master:2 - fuse.fuse-overlayfs fuse-overlayfs rw",
        "70 69 0:41 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
        "76 69 0:46 / /run rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw",
        "77 69 254:0 /x/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw",
        "80 69 8:1 / /srv/with\\040space rw,relatime shared:1 - ext4 /dev/sda1 rw",
        "81 69 8:2 / /home rw,nosuid,relatime - ext4 /dev/sda2 rw",
        "82 69 0:50 / /mnt/nfs rw,relatime - nfs4 server:/export rw",
        "83 69 8:3 / /data rw,relatime - xfs /dev/sda3 rw",
        # A later mount over /data hides the xfs one.
        "84 83 0:51 / /data rw,relatime - tmpfs tmpfs rw",
        "85 69 8:4 / /opt rw,noexec,relatime - ext4 /dev/sda4 rw",
    ]
)


def test_parse_mountinfo_unescapes_and_reads_fstype_after_separator():
    mounts = module.parse_mountinfo(MOUNTINFO)
    assert mounts[0] == ("/", "fuse.fuse-overlayfs", {"rw", "nodev", "noatime"})
    assert ("/srv/with space", "ext4", {"rw", "relatime"}) in mounts
    assert all(len(entry) == 3 for entry in mounts)


def test_parse_mountinfo_ignores_lines_without_separator():
    assert module.parse_mountinfo("garbage line\n\n") == []


def test_select_mounts_skips_pseudo_network_volatile_and_nosuid_noexec():
    searched, skipped = module.select_mounts(module.parse_mountinfo(MOUNTINFO), set(module.DEFAULT_SKIP_FSTYPES))
    assert searched == ["/", "/etc/hosts", "/srv/with space"]
    reasons = {entry["mount"]: entry["reason"] for entry in skipped}
    assert reasons == {
        "/proc": "fstype proc",
        "/run": "fstype tmpfs",
        "/home": "mounted nosuid",
        "/mnt/nfs": "fstype nfs4",
        "/data": "fstype tmpfs",
        "/opt": "mounted noexec",
    }


def _make(path, mode):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"#!/bin/true\n")
    path.chmod(mode)


def test_scan_finds_setuid_and_setgid_regular_files_only(tmp_path):
    _make(tmp_path / "bin" / "suid", 0o4755)
    _make(tmp_path / "bin" / "sgid", 0o2755)
    _make(tmp_path / "bin" / "plain", 0o755)
    _make(tmp_path / "deep" / "er" / "both", 0o6755)
    (tmp_path / "bin" / "link-to-suid").symlink_to(tmp_path / "bin" / "suid")
    (tmp_path / "setuid-dir").mkdir()
    (tmp_path / "setuid-dir").chmod(0o2755)
    found = module.scan(str(tmp_path))
    assert found == {
        str(tmp_path / "bin" / "suid"),
        str(tmp_path / "bin" / "sgid"),
        str(tmp_path / "deep" / "er" / "both"),
    }


def test_scan_of_a_file_mount_point(tmp_path):
    _make(tmp_path / "suid", 0o4755)
    _make(tmp_path / "plain", 0o644)
    assert module.scan(str(tmp_path / "suid")) == {str(tmp_path / "suid")}
    assert module.scan(str(tmp_path / "plain")) == set()
    assert module.scan(str(tmp_path / "missing")) == set()


def test_scan_does_not_cross_into_other_filesystems(tmp_path, monkeypatch):
    # Another filesystem under the walked one is pruned (find -xdev): simulated by
    # reporting a different st_dev for one directory.
    _make(tmp_path / "other" / "suid", 0o4755)
    _make(tmp_path / "same" / "suid", 0o4755)
    real_lstat = os.lstat

    def lstat(path):
        info = real_lstat(path)
        if os.fspath(path) == str(tmp_path / "other"):
            values = list(info)
            values[stat.ST_DEV] = info.st_dev + 1
            return os.stat_result(values)
        return info

    monkeypatch.setattr(module.os, "lstat", lstat)
    assert module.scan(str(tmp_path)) == {str(tmp_path / "same" / "suid")}


def test_find_privileged_sorted_and_deduplicated(tmp_path):
    _make(tmp_path / "b" / "suid", 0o4755)
    _make(tmp_path / "a" / "sgid", 0o2755)
    mountinfo = "\n".join(
        [
            f"1 0 8:1 / {tmp_path} rw - ext4 /dev/sda1 rw",
            f"2 1 8:1 /a {tmp_path}/a rw - ext4 /dev/sda1 rw",  # a bind mount inside it
            "3 1 0:5 / /proc rw - proc proc rw",
        ]
    )
    paths, mounts, skipped = module.find_privileged(mountinfo, module.DEFAULT_SKIP_FSTYPES)
    assert paths == [str(tmp_path / "a" / "sgid"), str(tmp_path / "b" / "suid")]
    assert mounts == [str(tmp_path), f"{tmp_path}/a"]
    assert skipped == [{"mount": "/proc", "reason": "fstype proc"}]


@pytest.mark.parametrize("check_mode", [False, True])
def test_module_runs_as_ansible_would_and_changes_nothing(tmp_path, check_mode):
    _make(tmp_path / "suid", 0o4755)
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(f"1 0 8:1 / {tmp_path} rw - ext4 /dev/sda1 rw\n")
    output = run_module("auditd_privileged", {"mountinfo": str(mountinfo)}, check=check_mode)
    assert output["changed"] is False
    assert output["paths"] == [str(tmp_path / "suid")]
    assert output["mounts"] == [str(tmp_path)]


def test_module_names_an_unreadable_mount_table(tmp_path):
    output = run_module("auditd_privileged", {"mountinfo": str(tmp_path / "nope")})
    assert output["failed"] is True
    assert output["msg"].startswith(f"mountinfo: cannot read {tmp_path / 'nope'}")
