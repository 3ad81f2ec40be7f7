"""The 0004 migration builds the penetapan tables as the models describe them; the CLI round trip works."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli_support import penetapan_create
from migration_support import model_diffs
from siks.cli import app
from siks.store.db import make_engine, upgrade
from siks.store.models.penetapan import PENETAPAN_TABLES
from siks.store.models.registry import Household, Member


def test_migration_matches_the_models(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    assert model_diffs(engine, PENETAPAN_TABLES) == []
    engine.dispose()


def test_cli_create_list_show_diff_and_status(tmp_path):
    from workflow_support import seed

    url = f"sqlite:///{tmp_path / 'siks.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        s = seed(session)
        for i, mid in enumerate(sorted(s.members.values())):
            session.get(Member, mid).nik = f"35091501017{i:05d}"
        session.commit()
        nik = session.get(Member, s.members["R3-1"]).nik
    skor = tmp_path / "skor.csv"
    skor.write_text("id_ruta,desil\nR1,2\nR2,7\nR3,4\nRB,1\nRK,3\n", encoding="utf-8")
    run = CliRunner(env={"COLUMNS": "200"}).invoke
    base = ["--db", url]
    r = penetapan_create(url, skor, judul="DTKS Januari 2027", periode="2027-01", oleh="supkab")
    assert r.exit_code == 0, r.output
    assert "4 ruta" in r.output
    refused = penetapan_create(url, skor, judul="X", periode="2027-01", oleh="desa")
    assert refused.exit_code == 1 and "Gagal" in refused.output
    with Session(engine) as session:
        session.get(Household, s.households["R3"]).status = "nonaktif"
        session.commit()
    r = penetapan_create(url, skor, judul="DTKS Februari 2027", periode="2027-02", oleh="supkab")
    assert r.exit_code == 0, r.output
    assert "DTKS Februari 2027" in run(app, ["penetapan", "list", *base]).output
    assert "Per desil" in run(app, ["penetapan", "show", "1", *base]).output
    out = run(app, ["penetapan", "diff", "1", "2", *base]).output
    assert "keluar 1" in out and "- R3" in out and "nonaktif" in out
    jan = run(app, ["penetapan", "status", nik, "--tanggal", "2027-01-20", *base])
    assert jan.exit_code == 0 and "Terdaftar" in jan.output
    feb = run(app, ["penetapan", "status", nik, "--tanggal", dt.date(2027, 2, 3).isoformat(), *base])
    assert feb.exit_code == 3 and "Tidak termasuk" in feb.output
    truth = tmp_path / "truth.csv"
    truth.write_text("id_ruta,desil\nR1,2\nR2,3\nR3,4\nRB,1\nRK,5\n", encoding="utf-8")
    sim = run(
        app,
        [
            "penetapan",
            "simulasi",
            "--oleh",
            "supkab",
            "--desil-max",
            "3",
            "--skor",
            str(skor),
            "--kebenaran",
            str(truth),
            "--program",
            "pkh",
            "--param",
            "max_komponen=3",
            *base,
        ],
    )
    assert sim.exit_code == 0, sim.output
    assert "masuk" in sim.output and "exclusion error" in sim.output and "simulasi #1" in sim.output
    denied = run(app, ["penetapan", "simulasi", "--oleh", "desa", "--skor", str(skor), *base])
    assert denied.exit_code == 1
    engine.dispose()
