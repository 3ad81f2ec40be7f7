"""Import files: a PSKS file and an LKS-residents file load whole; a file with bad rows loads nothing and
names each row, column and rule."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from sqlalchemy import func, select

from siks.ppks import service
from siks.ppks.importer import TEMPLATES, ImportRejected, import_file, write_template
from siks.store.models.ppks import PpksPerson, PpksRegistration, Psks
from workflow_support import DESA

TODAY = dt.date(2025, 6, 1)


def write(path, kind, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=TEMPLATES[kind])
        w.writeheader()
        for row in rows:
            w.writerow(row)
    return path


def test_the_template_example_rows_import(wf_session, user, tmp_path):
    desa = user("desa")
    write_template("psks", tmp_path / "psks.csv")
    write_template("ppks", tmp_path / "ppks.csv")
    assert import_file(wf_session, desa, tmp_path / "psks.csv", "psks", today=TODAY).created == 1
    result = import_file(wf_session, desa, tmp_path / "ppks.csv", "ppks", today=TODAY)
    assert (result.created, result.registrations) == (1, 1)
    home = service.psks_by_ref(wf_session, desa, "LKS-JBR-001")
    assert [p.nama for p in service.lks_residents(wf_session, desa, home.id)] == ["Rudi"]


def test_a_file_with_bad_rows_is_refused_whole(wf_session, user, tmp_path):
    desa = user("desa")
    service.create_psks(
        wf_session,
        desa,
        {"jenis": "lks", "nama": "Panti", "wilayah_code": DESA, "ref": "L1", "nomor_tanda_daftar": "1"},
        today=TODAY,
    )
    before = wf_session.scalar(select(func.count()).select_from(PpksPerson))
    good = {
        "nama": "Ani",
        "sex": "2",
        "lks_ref": "L1",
        "desa_code": DESA,
        "jenis_ppks": "anak_terlantar",
        "tanggal_pencatatan": "2025-01-01",
        "bukti": "reg 1",
    }
    path = write(
        tmp_path / "bad.csv",
        "ppks",
        [
            good,
            {**good, "nama": "", "jenis_ppks": "anak_terlantar;komunitas_adat_terpencil"},
            {**good, "nama": "Budi", "lks_ref": "TIDAK-ADA"},
            {**good, "nama": "Cici", "jenis_ppks": ""},
        ],
    )
    with pytest.raises(ImportRejected) as err:
        import_file(wf_session, desa, path, "ppks", today=TODAY)
    messages = [i.message for i in err.value.issues]
    assert any(m.startswith("Baris 3, kolom nama:") for m in messages)
    assert any(m.startswith("Baris 4:") and "TIDAK-ADA" in m for m in messages)
    assert any(m.startswith("Baris 5, kolom jenis_ppks:") for m in messages)
    assert not any(m.startswith("Baris 2") for m in messages)
    wf_session.rollback()  # what the CLI does: nothing of the file stays
    assert wf_session.scalar(select(func.count()).select_from(PpksPerson)) == before


def test_unknown_and_missing_columns_are_refused(wf_session, user, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("nama,jenis_ppks,warna\nAni,fakir_miskin,merah\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as err:
        import_file(wf_session, user("desa"), path, "ppks", today=TODAY)
    messages = [i.message for i in err.value.issues]
    assert "Baris 1, kolom warna: kolom 'warna' tidak dikenal dalam templat ppks." in messages
    assert "Baris 1, kolom sex: kolom wajib 'sex' tidak ada." in messages
    assert wf_session.scalar(select(func.count()).select_from(Psks)) == 0
    assert wf_session.scalar(select(func.count()).select_from(PpksRegistration)) == 0
