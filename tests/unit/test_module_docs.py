"""Each module's DOCUMENTATION must describe exactly its argument spec (names, types,
defaults, choices, required, list elements, suboptions), and its EXAMPLES/RETURN must
be valid YAML: ansible-doc renders what users read, the spec is what runs."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.keel.ssm.plugins.modules import association, document

MODULES = [document, association]


def compare(documented, spec, where):
    assert set(documented) == set(spec), where
    for name, doc in documented.items():
        option = spec[name]
        here = f"{where}.{name}"
        assert doc["type"] == option.get("type", "str"), here
        assert doc.get("default") == option.get("default"), here
        assert doc.get("choices") == option.get("choices"), here
        assert bool(doc.get("required")) == bool(option.get("required")), here
        assert doc.get("elements") == option.get("elements"), here
        assert doc.get("aliases", []) == option.get("aliases", []), here
        assert doc.get("description"), here
        if "options" in option or "suboptions" in doc:
            compare(doc["suboptions"], option["options"], here)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_documentation_matches_argument_spec(module):
    documentation = yaml.safe_load(module.DOCUMENTATION)
    assert documentation["module"] == module.__name__.rsplit(".", 1)[-1]
    assert documentation["extends_documentation_fragment"] == ["keel.ssm.aws"]
    compare(documentation["options"], module.ARGUMENT_SPEC, documentation["module"])


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_examples_use_the_fqcn_and_known_options(module):
    name = f"keel.ssm.{module.__name__.rsplit('.', 1)[-1]}"
    examples = yaml.safe_load(module.EXAMPLES)
    known = set(module.ARGUMENT_SPEC)
    for task in examples:
        assert name in task, task["name"]
        assert set(task[name]) <= known, task["name"]
    returned = yaml.safe_load(module.RETURN)
    assert all(entry.get("description") and entry.get("returned") for entry in returned.values())
