"""A program list built on desil from a PMT model outside its wilayah says so on the page (issue #19.1).

Its own module: the penetapan it creates would otherwise be "the latest" for the other page tests.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from siks.accounts import service as accounts
from siks.penetapan import service
from siks.penetapan.sources import Score, ScoreTable

SCORES = ScoreTable({"R1": Score(2), "R2": Score(3), "RB": Score(8), "RK": Score(1)}, {"kind": "uji"})


def test_a_program_list_from_desil_outside_the_model_wilayah_says_so(client_for, sqlite_engine):
    """Issue #19.1: the override is shown on every list a penetapan produces, not only its PDF."""
    outside = ScoreTable(SCORES.scores, {"kind": "uji", "models": ["m@1"], "model_di_luar_wilayah": 5})
    with Session(sqlite_engine, expire_on_commit=False) as s, s.begin():
        p = service.create(
            s, accounts.get_user(s, "supkab"), title="DTKS Maret 2027", periode="2027-03",
            berlaku_mulai=dt.date(2027, 3, 1), scores=outside, allow_model_outside_wilayah=True,
        )  # fmt: skip
    page = client_for("opkab").get(f"/program?penetapan={p.id}&program=bpnt")
    assert page.status_code == 200
    assert "Desil 5 ruta dari model PMT di luar wilayah kalibrasinya; diizinkan oleh supkab" in page.text


def test_the_program_files_carry_the_same_warning(sqlite_engine):
    """The CSV gets a `peringatan_desil` column and the XLSX a line under its title; without an override the
    files keep the program's own columns."""
    import io

    from openpyxl import load_workbook

    from siks.domain import programs as rules
    from siks.programs import export
    from siks.programs import service as programs

    outside = ScoreTable(SCORES.scores, {"kind": "uji", "models": ["m@1"], "model_di_luar_wilayah": 5})
    with Session(sqlite_engine, expire_on_commit=False) as s, s.begin():
        supkab = accounts.get_user(s, "supkab")
        p = service.create(
            s, supkab, title="DTKS April 2027", periode="2027-04", berlaku_mulai=dt.date(2027, 4, 1),
            scores=outside, allow_model_outside_wilayah=True,
        )  # fmt: skip
        plain = service.create(
            s, supkab, title="DTKS Mei 2027", periode="2027-05", berlaku_mulai=dt.date(2027, 5, 1),
            scores=SCORES,
        )  # fmt: skip
        warned = programs.run(s, supkab, rules.default_program("bpnt"), p.id)
        clean = programs.run(s, supkab, rules.default_program("bpnt"), plain.id)
    text = export.to_csv(warned)
    header, first = text.splitlines()[:2]
    assert header.endswith(",peringatan_desil")
    assert first.endswith("Desil 5 ruta dari model PMT di luar wilayah kalibrasinya; diizinkan oleh supkab")
    sheet = load_workbook(io.BytesIO(export.to_xlsx(warned))).active
    assert sheet.cell(2, 1).value.startswith("PERHATIAN: Desil 5 ruta dari model PMT di luar wilayah")
    assert "peringatan_desil" not in export.to_csv(clean).splitlines()[0]
