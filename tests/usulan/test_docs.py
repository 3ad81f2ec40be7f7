"""docs/usulan.md shows the state machine the code enforces."""

from __future__ import annotations

from pathlib import Path

from siks.domain.usulan import Workflow
from siks.usulan.present import workflow_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "usulan.md"


def test_docs_table_is_the_code():
    assert workflow_markdown(Workflow("pusat")) in DOC.read_text()
