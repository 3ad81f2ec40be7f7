"""The one escaping rule for spreadsheet cells, and the proof that every writer uses it (issue #17.1)."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

from siks.domain.cells import escape_for_export, is_formula, safe_cell, text_problem

ATTACK = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "value", [ATTACK, "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '  =HYPERLINK("x")']
)
def test_formulas_are_escaped(value):
    assert is_formula(value)
    assert escape_for_export(value) == "'" + value
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Tumini", "-5", "+6281234", "3,5", "", "O'Brien", "Jl. Melati - 9"])
def test_plain_values_pass(value):
    assert not is_formula(value)
    assert safe_cell(value) == value


def test_non_text_cells():
    assert safe_cell(None) == "" and safe_cell(7) == 7 and safe_cell(2.5) == 2.5


def test_typed_text_gets_the_import_rules():
    assert "rumus" in text_problem(ATTACK)
    assert "U+202E" in text_problem("Sri\u202eyat")
    assert "U+200B" in text_problem("Sri\u200bYati")
    assert "kontrol" in text_problem("Sri\x07")
    assert text_problem("Siti Nur'aini") is None
    assert text_problem("Baris satu\nbaris dua") is None


def test_bnba_csv_escapes_names():
    from siks.usulan.batches import bnba_csv

    bnba = {"no": 1, "id_usulan": 3, "nik": "3509154107650003", "nama": ATTACK, "alamat": "Jl. Melati",
            "jenis": "Usulan baru", "status": "diajukan", "deskripsi": "+x"}  # fmt: skip
    text = bnba_csv([bnba])
    row = list(csv.DictReader(io.StringIO(text)))[0]
    assert row["nama"] == "'" + ATTACK and row["deskripsi"] == "'+x" and row["alamat"] == "Jl. Melati"


def test_dashboard_csv_escapes_labels():
    from siks.reports.dashboard import Series, to_csv

    text = to_csv({"x": Series("Grafik", [ATTACK], {"@seri": [1.0]})})
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row == ["Grafik", "'" + ATTACK, "'@seri", "1.0"]


# Writers whose output is not opened by a person in a spreadsheet: the intermediate CSV handed straight to
# the importer, ODK Collect's media tables, the XLSForm built from our own instrument (pyxform reads its
# expressions verbatim), the synthetic sample, the generator's truth pairs of a national layout (generated
# ids only) and the empty template (headers only).
NOT_FOR_PEOPLE = {
    "odk/exports.py", "odk/service.py", "odk/forms.py", "registry/sample.py", "registry/template_files.py",
    "verval/national.py",
}  # fmt: skip
WRITERS = ("DictWriter", "writer", "Workbook")


def test_every_spreadsheet_writer_uses_the_one_escape():
    """A module that builds a CSV/XLSX for people must import siks.domain.cells (or template's re-export)."""
    src = Path(__file__).resolve().parents[2] / "src" / "siks"
    offenders = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        writes = any(
            isinstance(n, ast.Attribute) and n.attr in WRITERS and getattr(n.value, "id", "") in ("csv", "")
            for n in ast.walk(tree)
        ) or any(
            isinstance(n, ast.ImportFrom)
            and n.module == "openpyxl"
            and any(a.name == "Workbook" for a in n.names)
            for n in ast.walk(tree)
        )
        if not writes or rel in NOT_FOR_PEOPLE:
            continue
        text = path.read_text(encoding="utf-8")
        if "siks.domain.cells" not in text and "escape_for_export" not in text:
            offenders.append(rel)
    assert offenders == []
