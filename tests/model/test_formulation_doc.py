"""docs/formulation.md is rendered from the families' docstrings: it must be current."""

from pathlib import Path

from optimizer.model.formulation_doc import render
from optimizer.model.registry import FAMILIES

DOC = Path(__file__).resolve().parents[2] / "docs" / "formulation.md"


def test_formulation_md_is_rendered_from_the_current_docstrings():
    assert DOC.read_text() == render(), "run: python -m optimizer.model.formulation_doc > docs/formulation.md"


def test_every_family_is_in_the_document():
    text = DOC.read_text()
    assert all(f"`{spec.component}`" in text for spec in FAMILIES)
