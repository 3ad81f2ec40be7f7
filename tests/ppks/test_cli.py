"""`siks ppks …` over a migrated SQLite database: templates, a rejected file that leaves nothing behind, an
accepted one, the counts, and the TKSK account link."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from siks.cli import app
from siks.domain.nik import make_nik
from siks.store.db import make_engine, upgrade
from siks.store.models.accounts import User


def siks(*args):
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, ["ppks", *args])


def test_templates_import_counts_and_account_link(tmp_path):
    url = f"sqlite:///{tmp_path / 'siks.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        s.add(
            User(
                username="opkab",
                full_name="Op",
                role="operator_kabupaten",
                wilayah_code="35.09",
                password_hash="x",
                active=True,
            )
        )
        s.add(
            User(
                username="tksk",
                full_name="T",
                role="operator_kecamatan",
                wilayah_code="35.09.15",
                password_hash="x",
                active=True,
            )
        )
    engine.dispose()
    assert siks("templat", "psks", "--keluar", str(tmp_path / "psks.csv")).exit_code == 0
    assert siks("templat", "ppks", "--keluar", str(tmp_path / "ppks.csv")).exit_code == 0
    nik = make_nik("35.09.15", dt.date(1980, 1, 2), 1, 5)
    with open(tmp_path / "psks.csv", "a", encoding="utf-8") as f:
        f.write(f"TKSK-1,tksk,Pak Tono,{nik},1,35.09.15,,,\n")
    with open(tmp_path / "ppks.csv", "a", encoding="utf-8") as f:
        f.write("PPKS-002,,,1,,,LKS-JBR-001,,,35.09.15.2001,anak_terlantar,2025-01-15,Register 2\n")

    done = siks("impor", "ppks", str(tmp_path / "ppks.csv"), "--oleh", "opkab", "--db", url)
    assert done.exit_code == 1 and "Tidak ada data yang disimpan" in done.output  # the LKS is not there yet
    done = siks("impor", "psks", str(tmp_path / "psks.csv"), "--oleh", "opkab", "--db", url)
    assert done.exit_code == 0, done.output
    done = siks("impor", "ppks", str(tmp_path / "ppks.csv"), "--oleh", "opkab", "--db", url)
    assert done.exit_code == 1 and "Nama wajib diisi" in done.output  # row 3 has no name
    lines = (tmp_path / "ppks.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "ppks.csv").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    done = siks("impor", "ppks", str(tmp_path / "ppks.csv"), "--oleh", "opkab", "--db", url)
    assert done.exit_code == 0 and "1 baru, 1 pencatatan PPKS" in done.output, done.output
    done = siks("rekap", "--oleh", "opkab", "--tingkat", "4", "--db", url)
    assert "35.09.15.2001" in done.output and "Anak terlantar" in done.output
    done = siks("tautkan-akun", "TKSK-1", "tksk", "--oleh", "opkab", "--db", url)
    assert done.exit_code == 0 and "tertaut" in done.output, done.output
