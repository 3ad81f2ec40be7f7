"""The program page, its export and `siks program list` for a ppks_orang program (ATENSI LKS).

Its own module: the penetapan it creates would otherwise be "the latest" for the other page tests."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from siks.accounts import service as accounts
from siks.penetapan import service as penetapan
from siks.penetapan.sources import Score, ScoreTable
from siks.ppks import service
from siks.programs.export import PPKS_COLUMNS
from workflow_support import DESA, DESA_B

DAY = dt.date(2025, 6, 1)
NIK = "3509155203500001"


def _world(session) -> int:
    desa, desa_b = accounts.get_user(session, "desa"), accounts.get_user(session, "desa_out")
    for actor, ref, code, nama, kind, nik in (
        (desa, "LKS-W1", DESA, "Sarminah", "lansia_terlantar", NIK),
        (desa_b, "LKS-W2", DESA_B, "Wagiyem", "penyandang_disabilitas", None),
    ):
        raw = {
            "jenis": "lks",
            "nama": f"Panti {ref}",
            "wilayah_code": code,
            "nomor_tanda_daftar": "1",
            "ref": ref,
        }
        home = service.create_psks(session, actor, raw, today=DAY)
        person = {"nama": nama, "sex": 2, "lks_id": home.id, "desa_code": code, "tanggal_lahir": "1950-03-12"}
        if nik:
            person["nik"] = nik
        p = service.add_person(session, actor, person, today=DAY)
        service.register(
            session, actor, "ppks", p.id, {"jenis": kind, "tanggal": "2025-01-15", "bukti": "A"}, today=DAY
        )
    scores = ScoreTable({"R1": Score(2)}, {"kind": "uji"})
    p = penetapan.create(
        session, accounts.get_user(session, "supkab"), title="DTKS Maret 2025", periode="2025-03",
        berlaku_mulai=dt.date(2025, 3, 1), scores=scores,
    )  # fmt: skip
    return p.id


def test_program_page_export_and_cli_for_atensi_lks(client_for, api_app, monkeypatch):
    from siks.cli import app as cli

    with Session(api_app.state.engine, expire_on_commit=False) as s, s.begin():
        pid = _world(s)
    page = client_for("desa").get(f"/program?penetapan={pid}&program=atensi_lks")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Sarminah" in text and "3509********0001" in text and NIK not in text
    assert "Panti LKS-W1" in text and "Lanjut usia terlantar" in text
    assert "Wagiyem" not in text  # another desa's resident
    assert "1</strong> jiwa" in text

    kab = client_for("opkab").get(f"/program?penetapan={pid}&program=atensi_lks")
    assert "Wagiyem" in kab.text and "Sarminah" in kab.text
    r = client_for("opkab").get(f"/program/atensi_lks/ekspor.csv?penetapan={pid}")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert tuple(rows[0]) == PPKS_COLUMNS
    assert [(x["nama"], x["nik"], x["lks_tempat"]) for x in rows] == [
        ("Sarminah", NIK, "LKS-W1 Panti LKS-W1"),
        ("Wagiyem", "", "LKS-W2 Panti LKS-W2"),
    ]

    url = str(api_app.state.engine.url)
    out = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["program", "list", "atensi_lks", "--penetapan", str(pid), "--oleh", "pengesah", "--db", url]
    )
    assert out.exit_code == 0, out.output
    assert "2 penerima" in out.output and "LKS / tempat" in out.output and "LKS-W2" in out.output
