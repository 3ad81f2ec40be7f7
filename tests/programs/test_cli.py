"""`siks program list/show/pengurus` over a migrated SQLite database."""

from __future__ import annotations

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli_support import penetapan_create
from siks.cli import app
from siks.store.db import make_engine, upgrade
from siks.store.models.registry import Member


def test_program_commands(tmp_path):
    from workflow_support import seed, toddler

    url = f"sqlite:///{tmp_path / 'siks.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        s = seed(session)
        fam = session.get(Member, s.members["R1-1"]).family_id
        session.add(toddler(fam))
        session.commit()
    engine.dispose()
    skor = tmp_path / "skor.csv"
    skor.write_text("id_ruta,desil\nR1,2\nR2,3\n", encoding="utf-8")
    run = CliRunner(env={"COLUMNS": "200"}).invoke
    base = ["--db", url]
    assert (
        penetapan_create(url, skor, judul="DTKS Januari 2027", periode="2027-01", oleh="supkab").exit_code
        == 0
    )
    out = tmp_path / "pkh.xlsx"
    r = run(app, ["program", "list", "pkh", "--penetapan", "1", "--keluar", str(out), *base])
    assert r.exit_code == 0, r.output
    assert "1 penerima" in r.output and "Anak usia dini" in r.output and out.stat().st_size > 0
    csv_out = tmp_path / "pbi.csv"
    r = run(app, ["program", "list", "pbi_jk", "--penetapan", "1", "--keluar", str(csv_out), *base])
    assert r.exit_code == 0 and csv_out.read_text(encoding="utf-8").count("\n") == 1 + 4 + 3
    lansia = run(app, ["program", "show", "pkh", "--param", "umur_lansia=60"])
    assert "'umur_lansia': 60" in lansia.output
    bad = run(app, ["program", "list", "pkh", "--penetapan", "1", "--param", "salah=1", *base])
    assert bad.exit_code == 1 and "tidak dikenal" in bad.output
    cand = run(app, ["program", "pengurus", "pkh", "--penetapan", "1", "--keluarga", "R1-K1", *base])
    assert cand.exit_code == 0 and "R1-K1-4 Bayu R1: umur di bawah 17 tahun" in cand.output
    done = run(
        app,
        [
            "program",
            "pengurus",
            "pkh",
            "--penetapan",
            "1",
            "--keluarga",
            "R1-K1",
            "--ganti",
            "R1-K1-1",
            "--alasan",
            "uji",
            "--oleh",
            "opkab",
            *base,
        ],
    )
    assert done.exit_code == 0 and "Budi R1" in done.output


def test_program_hitung_stores_the_lists_and_recomputes_on_request(tmp_path):
    from sqlalchemy import select

    from siks.store.models.penetapan import PenetapanFigure, ProgramList
    from workflow_support import seed

    url = f"sqlite:///{tmp_path / 'siks.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed(session)
        session.commit()
    skor = tmp_path / "skor.csv"
    skor.write_text("id_ruta,desil\nR1,2\nR2,3\n", encoding="utf-8")
    run = CliRunner(env={"COLUMNS": "200"}).invoke
    assert penetapan_create(url, skor, judul="DTKS 2027", periode="2027-01", oleh="supkab").exit_code == 0

    def lists() -> dict[str, tuple]:
        with Session(engine) as session:
            return {h.program: (h.id, h.computed_by) for h in session.scalars(select(ProgramList))}

    frozen = lists()  # stored by `penetapan create`
    assert set(frozen) == {"pkh", "bpnt", "pbi_jk", "atensi_lks"}
    same = run(app, ["program", "hitung", "--penetapan", "1", "--db", url])
    assert same.exit_code == 0, same.output
    assert "semua daftar sudah tersimpan" in same.output and lists() == frozen
    again = run(app, ["program", "hitung", "--program", "pkh", "--ulang", "--db", url])
    assert again.exit_code == 0, again.output
    assert "pkh@" in again.output and "angka dasbor disimpan" in again.output
    after = lists()
    assert after["pkh"] != frozen["pkh"] and after["pkh"][1] == "cli" and after["bpnt"] == frozen["bpnt"]
    with Session(engine) as session:
        assert (
            session.scalar(select(PenetapanFigure).where(PenetapanFigure.scope_code == "35.09")) is not None
        )
    missing = run(app, ["program", "hitung", "--penetapan", "9", "--db", url])
    assert missing.exit_code == 1 and "tidak ditemukan" in missing.output
    engine.dispose()
