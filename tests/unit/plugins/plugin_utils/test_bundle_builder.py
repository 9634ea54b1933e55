"""bundle_builder's rules on dest and its writes (the zip's content: tests/integration/test_bundle.py)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils import bundle_builder
from tests.helpers import REPO_ROOT

REFUSED = "dest: must be outside the collection's own directory"


@pytest.fixture
def installed_root(tmp_path):
    """A stand-in for an installed collection: MANIFEST.json, no galaxy.yml."""
    root = tmp_path / "ansible_collections" / "keel" / "ssm"
    (root / "build").mkdir(parents=True)
    info = {"namespace": "keel", "name": "ssm", "version": "9.8.7", "authors": []}
    (root / "MANIFEST.json").write_text(json.dumps({"collection_info": info}))
    return root


@pytest.mark.parametrize("where", ["x.zip", "build/x.zip", "plugins/x.zip", "."])
def test_nothing_is_written_inside_an_installed_collection(installed_root, where):
    with pytest.raises(KeelRuleError, match=REFUSED):
        bundle_builder.check_dest(str(installed_root / where), root=str(installed_root))


def test_a_symlink_into_the_collection_is_inside_it(installed_root, tmp_path):
    (tmp_path / "link").symlink_to(installed_root)
    with pytest.raises(KeelRuleError, match=REFUSED):
        bundle_builder.check_dest(str(tmp_path / "link" / "x.zip"), root=str(installed_root))


def test_a_checkout_takes_the_bundle_in_build_and_ansible_home_only(tmp_path):
    """build/ (make bundle, make demo) and .ansible/ (the Makefile's ANSIBLE_HOME, where
    molecule's rehearsal and vm scenarios build their bundles): git-ignored, never shipped."""
    for where in ("build/x.zip", ".ansible/tmp/molecule.AbCd.vm/vm/rehearsal/keel-ssm-bundle.zip"):
        assert bundle_builder.check_dest(str(REPO_ROOT / where)) == str(REPO_ROOT / where)
    for where in ("x.zip", "plugins/x.zip", "buildx/x.zip", ".ansiblex/x.zip", ".ansible"):
        with pytest.raises(KeelRuleError, match=REFUSED):
            bundle_builder.check_dest(str(REPO_ROOT / where))
    assert bundle_builder.check_dest(str(tmp_path / "x.zip")) == str(tmp_path / "x.zip")


def test_dest_is_required():
    with pytest.raises(KeelRuleError, match="dest: required"):
        bundle_builder.check_dest("")


def test_identity_from_galaxy_yml_or_manifest(installed_root):
    expected = {"namespace": "keel", "name": "ssm", "version": "9.8.7"}
    assert bundle_builder.collection_info(str(installed_root)) == expected
    assert bundle_builder.collection_info()["namespace"] == "keel"


def test_check_mode_writes_nothing_and_a_rebuild_changes_nothing(tmp_path):
    dest = tmp_path / "out" / "bundle.zip"
    planned = bundle_builder.build(str(dest), write=False)
    assert planned["changed"] is True and not dest.parent.exists()
    written = bundle_builder.build(str(dest))
    assert written == planned
    assert dest.stat().st_size == written["size"]
    mtime = dest.stat().st_mtime_ns
    again = bundle_builder.build(str(dest))
    assert again["changed"] is False and again["sha256"] == written["sha256"]
    assert dest.stat().st_mtime_ns == mtime  # not rewritten
    assert os.listdir(dest.parent) == ["bundle.zip"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(bundle_builder.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        bundle_builder.build(str(tmp_path / "bundle.zip"))
    assert os.listdir(tmp_path) == []
