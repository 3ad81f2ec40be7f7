"""KoBoToolbox and ODK Central exports imported with a field mapping, through the same validation as
`siks import`; errors name the export's own sheet/file and row. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from migration_support import model_diffs
from siks.domain.nik import make_nik
from siks.domain.status import ImportStatus
from siks.odk.exports import ExportError, import_export
from siks.store.db import make_engine, upgrade
from siks.store.models.odk import ODK_TABLES
from siks.store.models.registry import Household, Member

DESA = "35.09.15.2001"
KEC = "35.09.15"
MAPPING = {"nama": "nama_lengkap", "kode_desa": "lokasi/kode_desa", "id_ruta": "_uuid"}


@pytest.fixture
def engine(db_url):
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def _people():
    a, b = dt.date(1980, 2, 3), dt.date(1984, 7, 9)
    return [
        {
            "no_urut": 1,
            "nama_lengkap": "Sutrisno",
            "nik": make_nik(KEC, a, 1, 21),
            "keberadaan": 1,
            "jenis_kelamin": 1,
            "tanggal_lahir": a,
            "status_kawin": 2,
            "hubungan_kk": 1,
        },
        {
            "no_urut": 2,
            "nama_lengkap": "Wartini",
            "nik": make_nik(KEC, b, 2, 22),
            "keberadaan": 1,
            "jenis_kelamin": 2,
            "tanggal_lahir": b,
            "status_kawin": 2,
            "hubungan_kk": 2,
        },
    ]


def _kobo_xlsx(path, people, parent_index_of_second=1):
    """As KoBoToolbox writes an XLSX export: main sheet + a sheet per repeat, `/` group paths, _index."""
    wb = Workbook()
    main = wb.active
    main.title = "Pendataan DTKS"
    main.append(
        [
            "start",
            "end",
            "lokasi/kode_desa",
            "lokasi/dusun",
            "lokasi/rt",
            "lokasi/rw",
            "keluarga/id_keluarga",
            "rumah/jenis_lantai",
            "meta/instanceID",
            "_id",
            "_uuid",
            "_submission_time",
            "_index",
        ]
    )
    main.append(
        [
            "2025-06-01T08:00:00.000+07:00",
            "2025-06-01T08:20:00.000+07:00",
            DESA,
            "Krajan",
            "2",
            "1",
            "KB-1",
            2,
            "uuid:aaa",
            1001,
            "kobo-ruta-1",
            "2025-06-01T01:30:00",
            1,
        ]
    )
    rep = wb.create_sheet("anggota")
    cols = [
        "no_urut",
        "nama_lengkap",
        "nik",
        "keberadaan",
        "jenis_kelamin",
        "tanggal_lahir",
        "status_kawin",
        "hubungan_kk",
    ]
    rep.append(
        [f"anggota/{c}" for c in cols] + ["_index", "_parent_table_name", "_parent_index", "_submission__id"]
    )
    for i, p in enumerate(people, start=1):
        parent = 1 if i == 1 else parent_index_of_second
        rep.append([p[c] for c in cols] + [i, "Pendataan DTKS", parent, 1001])
    wb.save(path)
    return path


def test_kobo_xlsx_export_with_a_mapping(engine, tmp_path):
    path = _kobo_xlsx(tmp_path / "kobo.xlsx", _people())
    result = import_export(engine, path, mapping=MAPPING)
    assert result.status == ImportStatus.DIMUAT, [i.message for i in result.issues]
    with Session(engine) as s:
        h = s.scalar(select(Household).where(Household.ref == "KOBO-RUTA-1"))  # ids are stored upper-case
        assert h.desa_code == DESA and h.dusun == "Krajan" and h.rt == "002"
        names = s.scalars(select(Member.nama).order_by(Member.no_urut)).all()
        assert names == ["Sutrisno", "Wartini"]


def test_kobo_errors_name_the_export_row_and_nothing_is_written(engine, tmp_path):
    people = _people()
    people[1]["jenis_kelamin"] = 7  # not a code
    path = _kobo_xlsx(tmp_path / "kobo.xlsx", people)
    result = import_export(engine, path, mapping=MAPPING)
    assert result.status == ImportStatus.DITOLAK
    messages = [i.message for i in result.errors]
    assert any(
        "[ekspor: anggota baris 3 (induk: Pendataan DTKS baris 2)]" in m and "jenis_kelamin" in m
        for m in messages
    )
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM member")).scalar_one() == 0
    # A repeat row whose household is not in the main sheet.
    orphan = _kobo_xlsx(tmp_path / "orphan.xlsx", _people(), parent_index_of_second=9)
    with pytest.raises(ExportError) as e:
        import_export(engine, orphan, mapping=MAPPING)
    assert "anggota baris 3: induk '9' tidak ada di Pendataan DTKS" in e.value.issues[0].message
    # A mapping that names a column the export does not have, or a column the template does not know.
    with pytest.raises(ExportError) as e:
        import_export(engine, path, mapping=MAPPING | {"nama": "nama_kepala", "warna": "x"})
    codes = sorted(i.code for i in e.value.issues)
    assert codes == ["ODK_MAPPING_COLUMN", "ODK_MAPPING_SOURCE", "ODK_MAPPING_SOURCE"]


def test_odk_central_csv_pair(engine, tmp_path):
    """ODK Central's zip: form.csv (KEY = instanceID, `-` group paths) and form-anggota.csv (PARENT_KEY)."""
    main, rep = tmp_path / "siks_pendataan.csv", tmp_path / "siks_pendataan-anggota.csv"
    with open(main, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "SubmissionDate",
                "start",
                "lokasi-kode_desa",
                "lokasi-alamat",
                "keluarga-id_keluarga",
                "meta-instanceID",
                "KEY",
                "SubmitterID",
                "SubmitterName",
                "AttachmentsPresent",
                "AttachmentsExpected",
                "Status",
                "ReviewState",
                "DeviceID",
                "Edits",
                "FormVersion",
                "id_ruta",
            ]
        )
        w.writerow(
            [
                "2025-06-02T03:00:00.000Z",
                "2025-06-02T09:00:00.000+07:00",
                DESA,
                "Jl. Anggrek 4",
                "KC-1",
                "uuid:ccc",
                "uuid:ccc",
                "5",
                "enum",
                "0",
                "0",
                "",
                "",
                "collect:x",
                "0",
                "v1",
                "C-1",
            ]
        )
    with open(rep, "w", newline="") as f:
        w = csv.writer(f)
        cols = [
            "no_urut",
            "nama_lengkap",
            "nik",
            "keberadaan",
            "jenis_kelamin",
            "tanggal_lahir",
            "status_kawin",
            "hubungan_kk",
        ]
        w.writerow(cols + ["PARENT_KEY", "KEY"])
        for i, p in enumerate(_people(), start=1):
            w.writerow([p[c] for c in cols] + ["uuid:ccc", f"uuid:ccc/anggota[{i}]"])
    result = import_export(engine, main, repeat_file=rep, mapping={"nama": "nama_lengkap"})
    assert result.status == ImportStatus.DIMUAT, [i.message for i in result.issues]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 2
        assert s.scalar(select(Household.alamat).where(Household.ref == "C-1")) == "Jl. Anggrek 4"


def test_cli_imports_with_a_mapping_file(db_url, tmp_path):
    from typer.testing import CliRunner

    from siks.cli import app

    upgrade(db_url)
    path = _kobo_xlsx(tmp_path / "kobo.xlsx", _people())
    mapping = tmp_path / "pemetaan.json"
    mapping.write_text(json.dumps(MAPPING))
    r = CliRunner().invoke(app, ["odk", "impor", str(path), "--pemetaan", str(mapping), "--db", db_url])
    assert r.exit_code == 0 and "Impor selesai" in r.output, r.output


def test_migration_0007_matches_the_models(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    assert model_diffs(engine, ODK_TABLES) == []
    engine.dispose()
