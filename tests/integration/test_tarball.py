"""What users get: the tarball `ansible-galaxy collection build` makes, installed into an
empty collections path by each supported ansible-core's own ansible-galaxy (the venv's
2.19 and Debian 12's 2.14), with no ansible.cfg and no Ansible home of the checkout.

- the tarball carries no development files;
- ansible-doc renders every plugin and role from the installed collection;
- a playbook written for amazon.aws's lookup and community.aws's module
  (playbooks/amazon_aws_style.yml) is run as written under 2.19, then with only the
  plugin names changed as the README's migration table says, from the installed tarball
  under 2.19 and 2.14, against moto; all three runs must record the same results,
  reads of the run's own writes and deletes included.
"""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from pathlib import Path

from tests.helpers.collection_tarball import VENV_BIN, clean_env
from tests.helpers.fleet import PLAYBOOKS
from tests.helpers.moto_endpoint import FAKE_CREDENTIALS

REPO_ROOT = Path(__file__).resolve().parents[2]
# The migration table's plugin names (README.md, "Moving from amazon.aws"); the test
# checks the README says the same.
RENAMES = {
    "amazon.aws.ssm_parameter": "keel.ssm.parameter",  # the lookup
    "community.aws.ssm_parameter": "keel.ssm.parameter",  # the module
    "group/amazon.aws.aws": "group/keel.ssm.aws",
}
SHIPPED = {"MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.rst", "meta", "plugins", "roles"}
SHIPPED |= {"playbooks", "changelogs", "ssm_documents", "scripts"}
AMAZON_RUN = []  # (record, output) of the playbook as written, shared by both cores' tests


def test_the_tarball_ships_no_development_files(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert {name.split("/")[0] for name in names} <= SHIPPED | {"tests"}
    # From tests/, only what ansible-test sanity reads.
    assert {name for name in names if name.startswith("tests/") and name != "tests/sanity"} <= {
        "tests/config.yml",
        *(name for name in names if name.startswith("tests/sanity/ignore-")),
    }
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", "ansible.cfg"))]
    assert "LICENSE" in names and "meta/runtime.yml" in names
    # keel.ssm.bundle puts the runner in the bundle; no other script ships.
    assert [name for name in names if name.startswith("scripts/")] == ["scripts/keel_run.py"]


def test_ansible_doc_renders_every_plugin_and_role_from_the_tarball(installed, tmp_path):
    _version, bin_dir, env, root = installed
    plugins = {
        kind: sorted(f"keel.ssm.{path.stem}" for path in (root / "plugins" / folder).glob("*.py"))
        for kind, folder in (("module", "modules"), ("lookup", "lookup"), ("filter", "filter"))
    }
    plugins["role"] = sorted(f"keel.ssm.{path.name}" for path in (root / "roles").iterdir())
    assert len(plugins["module"]) >= 11 and "keel.ssm.parameter" in plugins["lookup"] and len(plugins["role"]) >= 5
    for kind, names in plugins.items():
        for name in names:
            done = subprocess.run(
                [str(bin_dir / "ansible-doc"), "-t", kind, name],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp_path,
                check=False,
            )
            assert done.returncode == 0 and not done.stderr.strip(), (name, done.stderr[-2000:])
            # Rendered from the installed tarball, not from a checkout.
            assert name.split(".")[-1] in done.stdout and str(root) in done.stdout, (name, done.stdout[:500])


def run_compat(playbook, bin_dir, env, workdir, endpoint):
    record = Path(workdir) / "record.json"
    env = dict(env)
    env.update(FAKE_CREDENTIALS)
    env.update(AWS_URL=endpoint, AWS_REGION="us-east-1", ANSIBLE_LOCAL_TEMP=str(Path(workdir) / "tmp"))
    done = subprocess.run(
        [
            str(bin_dir / "ansible-playbook"),
            "-i",
            "localhost,",
            "-e",
            f"compat_endpoint={endpoint}",
            "-e",
            f"compat_record={record}",
            "-e",
            f"ansible_python_interpreter={bin_dir / 'python'}",
            str(playbook),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return json.loads(record.read_text(encoding="utf-8")), output


def test_the_migration_table_names_these_renames():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for old, new in RENAMES.items():
        assert re.search(rf"\|\s*`{re.escape(old)}`[^|\n]*\|\s*`{re.escape(new)}`", readme), old


def test_an_amazon_aws_playbook_behaves_the_same_with_keel_names(installed, moto, tmp_path):
    version, bin_dir, env, _root = installed
    original = (PLAYBOOKS / "amazon_aws_style.yml").read_text(encoding="utf-8")
    renamed = original
    for old, new in RENAMES.items():
        renamed = renamed.replace(old, new)
    assert "amazon.aws" not in renamed.split("tasks:", 1)[1] and "community.aws" not in renamed.split("tasks:", 1)[1]
    (tmp_path / "keel").mkdir()
    (tmp_path / "keel" / "playbook.yml").write_text(renamed, encoding="utf-8")
    keel, keel_output = run_compat(tmp_path / "keel" / "playbook.yml", bin_dir, env, tmp_path / "keel", moto.url)

    # The same playbook, as written, with amazon.aws and community.aws (ansible 12's
    # bundle in the venv: 2.19 only) against a clean moto; run once for both cores.
    if not AMAZON_RUN:
        moto.reset()
        (tmp_path / "amazon").mkdir()
        AMAZON_RUN.extend(
            run_compat(
                PLAYBOOKS / "amazon_aws_style.yml",
                VENV_BIN,
                clean_env(tmp_path / "amazon", VENV_BIN),
                tmp_path / "amazon",
                moto.url,
            )
        )
    amazon, amazon_output = AMAZON_RUN
    assert keel == amazon, (version, keel, amazon)
    # The run read back its own writes and deletes.
    assert amazon["db_host"] == "db2" and amazon["gone"] is True and amazon["db_password"] == "first-secret"
    for output in (keel_output, amazon_output):
        assert "[WARNING]" in output  # on_missing=warn warned
        assert "first-secret" not in output and "second-secret" not in output
