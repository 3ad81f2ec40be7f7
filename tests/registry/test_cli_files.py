"""The file commands end to end (`siks db`, `siks template`, `siks import`, `siks export`) on SQLite."""

from __future__ import annotations

import csv

from openpyxl import load_workbook
from typer.testing import CliRunner

from siks.cli import app
from siks.domain import template as T
from siks.registry import sample
from siks.registry.template_files import code_rows, write_template

runner = CliRunner()


def test_template_files(tmp_path):
    csv_path, xlsx_path = write_template(tmp_path)
    with open(csv_path, encoding="utf-8-sig") as f:
        assert next(csv.reader(f)) == T.headers()
    wb = load_workbook(xlsx_path)
    assert wb.sheetnames == ["TEMPLATE USULAN DTKS", "Kode"]
    data, codes = wb["TEMPLATE USULAN DTKS"], wb["Kode"]
    headers = [c.value for c in data[1]]
    assert headers == T.headers()
    nik_col = headers.index("nik") + 1
    assert data.cell(row=2, column=nik_col).number_format == "@"  # Excel keeps 16 digits as text
    assert data.cell(row=1, column=nik_col).comment is not None
    rows = [tuple(c.value for c in r) for r in codes.iter_rows(min_row=2)]
    assert rows == code_rows() and ("jenis_kelamin", 2, "Perempuan") in rows
    assert {r[0] for r in rows} >= {"keberadaan", "status_kawin", "hubungan_kk", "jenis_lantai", "aset_ac"}


def test_pbdt_template(tmp_path):
    csv_path, _ = write_template(tmp_path, "PBDT2015")
    with open(csv_path, encoding="utf-8-sig") as f:
        assert "hubungan_krt" in next(csv.reader(f))


def test_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("SIKS_DATABASE_URL", f"sqlite:///{tmp_path / 'siks.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    assert runner.invoke(app, ["db", "current"]).exit_code == 0
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "revisi" in result.output
    assert "revisi" in runner.invoke(app, ["db", "current"]).output

    r = runner.invoke(app, ["template", "--keluar", str(tmp_path / "tpl")])
    assert r.exit_code == 0 and (tmp_path / "tpl" / "template_usulan_dtks.xlsx").exists()

    good = sample.write_csv(sample.rows(40, seed=5, warning_rate=0.1), tmp_path / "dtks.csv")
    r = runner.invoke(
        app, ["import", str(good), "--oleh", "operator", "--laporan", str(tmp_path / "lap.csv")]
    )
    assert r.exit_code == 0, r.output
    assert "Impor selesai" in r.output and "40 baru" in r.output
    with open(tmp_path / "lap.csv", encoding="utf-8-sig") as f:
        report = list(csv.DictReader(f))
    assert (
        report and {row["kode"] for row in report} == {"NIK_EMPTY"} and report[0]["tingkat"] == "peringatan"
    )

    r = runner.invoke(app, ["import", str(good)])
    assert r.exit_code == 0 and "sudah pernah diimpor" in r.output

    rows = sample.records(5, seed=6)
    rows[2]["nik"] = "123"
    bad = sample.write_rows(rows, tmp_path / "bad.csv")
    r = runner.invoke(app, ["import", str(bad), "--laporan", str(tmp_path / "bad_lap.csv")])
    assert r.exit_code == 1 and "ditolak" in r.output and "NIK_FORMAT" in r.output
    with open(tmp_path / "bad_lap.csv", encoding="utf-8-sig") as f:
        bad_report = list(csv.DictReader(f))
    assert [
        (x["baris"], x["kolom"], x["kode"], x["nilai"]) for x in bad_report if x["tingkat"] == "galat"
    ] == [("4", "nik", "NIK_FORMAT", "123")]

    r = runner.invoke(app, ["export", "--format", "csv", "--keluar", str(tmp_path / "out.csv")])
    assert r.exit_code == 0 and "40 baris" in r.output
    r = runner.invoke(app, ["export", "--snapshot", str(tmp_path / "snap")])
    assert r.exit_code == 0 and (tmp_path / "snap" / "member.parquet").exists()
    r = runner.invoke(app, ["export", "--format", "doc", "--keluar", str(tmp_path / "x.doc")])
    assert r.exit_code == 2
    r = runner.invoke(app, ["import", str(tmp_path / "out.csv")])
    assert r.exit_code == 0 and "Tidak ada perubahan" in r.output


def test_import_flags_for_dates_and_identity(tmp_path, monkeypatch):
    """`--urutan-tanggal` and `--izinkan-ganti-identitas` reach the importer; a wrong order is refused."""
    monkeypatch.setenv("SIKS_DATABASE_URL", f"sqlite:///{tmp_path / 'siks.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    rows = [dict(r, nik="") for r in sample.records(8, seed=31)]
    for r in rows:
        y, m, d = r["tanggal_lahir"].split("-")
        r["tanggal_lahir"] = f"{m}/{d}/{y}"  # month first, as US-locale Excel writes
    rows[0]["tanggal_lahir"] = "03/04/1990"
    path = sample.write_rows(rows, tmp_path / "us.csv")
    refused = runner.invoke(app, ["import", str(path)])
    assert refused.exit_code == 1 and ("DATE_ORDER" in refused.output or "DATE_AMBIGUOUS" in refused.output)
    bad = runner.invoke(app, ["import", str(path), "--urutan-tanggal", "tahun-bulan"])
    assert bad.exit_code == 2 and "hari-bulan atau bulan-hari" in bad.output
    ok = runner.invoke(app, ["import", str(path), "--urutan-tanggal", "bulan-hari", "--paksa"])
    assert ok.exit_code == 0, ok.output
    swapped = [dict(r) for r in rows]
    swapped[0]["nama"], swapped[0]["tanggal_lahir"] = "ORANG LAIN", "01/01/1950"
    again = sample.write_rows(swapped, tmp_path / "swap.csv")
    args = ["import", str(again), "--urutan-tanggal", "bulan-hari"]
    assert "IDENTITY_CHANGED" in runner.invoke(app, args).output
    assert runner.invoke(app, [*args, "--izinkan-ganti-identitas"]).exit_code == 0
