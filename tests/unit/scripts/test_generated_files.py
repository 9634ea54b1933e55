"""Files derived from the roles' argument specs must match what their generators
produce: a spec change without `make docs` fails here."""

from __future__ import annotations

import sys

import pytest

from tests.helpers import REPO_ROOT

SCRIPTS = REPO_ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))
import role_docs  # noqa: E402


def test_role_readmes_match_their_argument_specs(capsys):
    assert role_docs.main(["--check"]) == 0, capsys.readouterr().out


def test_drift_is_detected(tmp_path):
    meta = tmp_path / "demo" / "meta"
    meta.mkdir(parents=True)
    (meta / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    options:\n      keel_demo_port:\n        type: int\n        default: 22\n"
        "        description: Port (C(22) by default).\n"
    )
    table = role_docs.settings_table("demo", roles_dir=str(tmp_path))
    assert "| `keel_demo_port` | - | int | `22` |  | Port (`22` by default). |" in table
    readme = f"# demo\n{role_docs.BEGIN}\nstale\n{role_docs.END}\ntail\n"
    rendered = role_docs.render(readme, table, "README.md")
    assert "stale" not in rendered
    assert rendered.endswith(f"{role_docs.END}\ntail\n")
    with pytest.raises(SystemExit, match="add the markers"):
        role_docs.render("# no markers\n", table, "README.md")
