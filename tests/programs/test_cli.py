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
