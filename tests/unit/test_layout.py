"""tests/unit mirrors plugins/: the unit tests of plugins/<dir>/<name>.py are
tests/unit/plugins/<dir>/test_<name>.py, so the tests of a file are where its path says.
Tests of the scripts live in tests/unit/scripts, of the roles' files in tests/unit/roles."""

from __future__ import annotations

from tests.helpers import REPO_ROOT

UNIT = REPO_ROOT / "tests" / "unit"
# Tests that cover every file of their directory at once.
WHOLE_DIRECTORY = {"plugins/modules/test_module_docs.py"}


def test_unit_tests_mirror_the_plugins():
    strays = []
    for path in sorted(UNIT.rglob("test_*.py")):
        relative = path.relative_to(UNIT).as_posix()
        if relative == "test_layout.py" or relative in WHOLE_DIRECTORY:
            continue
        if relative.startswith(("scripts/", "roles/")):
            continue
        tested = REPO_ROOT / path.parent.relative_to(UNIT) / (path.name[len("test_") :])
        if not relative.startswith("plugins/") or not tested.is_file():
            strays.append(relative)
    assert strays == [], "unit tests without a plugins/ file at the mirrored path"
