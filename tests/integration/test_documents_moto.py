"""Every committed SSM document is accepted by the moto server over HTTP as a Command
document in YAML, and moto reports the parameters the document declares. (moto parses
the content and checks its structure; the real service's checks of allowedPattern
syntax and agent-side behaviour are covered by the rehearsal and the agent emulator.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

DOCUMENTS = sorted((Path(__file__).resolve().parents[2] / "ssm_documents").glob("*.yml"))


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.stem)
def test_moto_accepts_the_document(ssm, path):
    content = path.read_text()
    response = ssm.create_document(Name=path.stem, Content=content, DocumentType="Command", DocumentFormat="YAML")[
        "DocumentDescription"
    ]
    assert response["Status"] == "Active"
    assert response["SchemaVersion"] == "2.2"
    declared = yaml.safe_load(content)["parameters"]
    assert {parameter["Name"] for parameter in response["Parameters"]} == set(declared)
    stored = ssm.get_document(Name=path.stem, DocumentFormat="YAML")["Content"]
    assert yaml.safe_load(stored) == yaml.safe_load(content)
