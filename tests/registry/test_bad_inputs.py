"""A corpus of bad import files, generated here so each is small and readable.

Each must be answered with a clear error — the code, the row and the column — and must write nothing: the
table counts of a registry that already holds data stay exactly as they were.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid

import pytest

from siks.domain.status import ImportStatus
from siks.registry import sample
from siks.registry.importer import import_file
from siks.store.db import make_engine, upgrade

from .conftest import table_counts

BASE = sample.records(12, seed=42)  # families K00000000… in ruta R00000000…
HEADERS = list(BASE[0])
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(request, tmp_path_factory):
    """One registry per backend that already holds an import, shared by the cases of this module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bad') / 'siks.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    upgrade(url)
    engine = make_engine(url)
    good = sample.write_csv(sample.rows(30, seed=7, prefix="X"), tmp_path_factory.mktemp("good") / "good.csv")
    assert import_file(engine, good, "setup").status == ImportStatus.DIMUAT
    yield engine
    engine.dispose()


def _rows(**changes_at) -> list[dict[str, str]]:
    """BASE with `{row_index: {column: value}}` applied (row_index 0 is file row 2)."""
    rows = [dict(r) for r in BASE]
    for i, change in changes_at.items():
        rows[int(i.lstrip("r"))].update(change)
    return rows


def _kepala_rows() -> list[dict[str, str]]:
    fam = BASE[0]["id_keluarga"]
    return [dict(r, hubungan_kk="3") if r["id_keluarga"] == fam else dict(r) for r in BASE]


def _family_in_two_ruta() -> list[dict[str, str]]:
    rows = [dict(r) for r in BASE]
    fam = rows[0]["id_keluarga"]
    last = max(i for i, r in enumerate(rows) if r["id_keluarga"] == fam)
    if last == 0:  # one-member family: give it a second member elsewhere
        rows.insert(1, dict(rows[0], no_urut="2", hubungan_kk="3", nik=""))
        last = 1
    rows[last]["id_ruta"] = "R-LAIN"
    return rows


def _write(tmp_path, rows, *, encoding="utf-8", delimiter=",", name="bad.csv"):
    return sample.write_rows(rows, tmp_path / name, delimiter=delimiter, encoding=encoding)


def _bytes(tmp_path, data: bytes, name="bad.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _unnamed_column_text() -> str:
    """A last column with no header and a note in row 2 (a column Excel users add "just for us")."""
    lines = _csv_text(BASE, [*HEADERS, ""]).split("\n")  # every line ends with an empty cell
    lines[1] += "CATATAN"
    return "\n".join(lines)


def _csv_text(rows, headers=HEADERS) -> str:
    lines = [",".join(headers)] + [",".join(r.get(h, "") for h in headers) for r in rows]
    return "\n".join(lines) + "\n"


# name → (file builder, expected code, expected row, expected column)
CASES = {
    "nik_15_digits": (lambda p: _write(p, _rows(r0={"nik": "350915410180001"})), "NIK_FORMAT", 2, "nik"),
    "nik_excel_number": (lambda p: _write(p, _rows(r1={"nik": "3.50915E+15"})), "NIK_FORMAT", 3, "nik"),
    "nik_excel_float": (lambda p: _write(p, _rows(r2={"nik": "3509150101900001.0"})), "NIK_FORMAT", 4, "nik"),
    "nik_letters": (lambda p: _write(p, _rows(r3={"nik": "35091541018O0001"})), "NIK_FORMAT", 5, "nik"),
    "kk_short": (lambda p: _write(p, _rows(r0={"no_kk": "35091501011000"})), "KK_FORMAT", 2, "no_kk"),
    "desa_unknown": (
        lambda p: _write(p, _rows(r4={"kode_desa": "3509152999"})),
        "DESA_UNKNOWN",
        6,
        "kode_desa",
    ),
    "desa_not_a_desa": (
        lambda p: _write(p, _rows(r4={"kode_desa": "35.09.15"})),
        "DESA_FORMAT",
        6,
        "kode_desa",
    ),
    "birth_in_future": (
        lambda p: _write(p, _rows(r5={"tanggal_lahir": TOMORROW})),
        "BIRTHDATE_FUTURE",
        7,
        "tanggal_lahir",
    ),
    "birth_impossible": (
        lambda p: _write(p, _rows(r5={"tanggal_lahir": "1990-02-30"})),
        "DATE_INVALID",
        7,
        "tanggal_lahir",
    ),
    "pendataan_future": (
        lambda p: _write(p, [dict(r, tanggal_pendataan=TOMORROW) for r in BASE]),
        "DATE_FUTURE",
        2,
        "tanggal_pendataan",
    ),
    "duplicate_row": (
        lambda p: _write(p, [*BASE, dict(BASE[-1])]),
        "DUPLICATE_ROW",
        len(BASE) + 1,
        "no_urut",
    ),
    "kepala_missing": (lambda p: _write(p, _kepala_rows()), "KEPALA_MISSING", 2, "hubungan_kk"),
    "kepala_two": (
        lambda p: _write(
            p,
            _rows(r1={"hubungan_kk": "1"})
            if BASE[1]["id_keluarga"] == BASE[0]["id_keluarga"]
            else [*BASE, dict(BASE[0], no_urut="9", nik="")],
        ),
        "KEPALA_MULTIPLE",
        2,
        "hubungan_kk",
    ),
    "ruta_disagree": (
        lambda p: _write(p, [*BASE, dict(BASE[0], no_urut="9", nik="", hubungan_kk="3", rt="77")]),
        "RUTA_MISMATCH",
        2,
        "rt",
    ),
    "keluarga_disagree": (
        lambda p: _write(
            p, [*BASE, dict(BASE[0], no_urut="9", nik="", hubungan_kk="3", no_kk="3509150202200002")]
        ),
        "KELUARGA_MISMATCH",
        2,
        "no_kk",
    ),
    "keluarga_two_ruta": (
        lambda p: _write(p, _family_in_two_ruta()),
        "KELUARGA_MULTI_RUTA",
        2,
        "id_keluarga",
    ),
    "nama_missing": (lambda p: _write(p, _rows(r6={"nama": ""})), "REQUIRED", 8, "nama"),
    "sex_code_unknown": (
        lambda p: _write(p, _rows(r6={"jenis_kelamin": "3"})),
        "CODE_UNKNOWN",
        8,
        "jenis_kelamin",
    ),
    "flags_impossible": (
        lambda p: _write(p, _rows(r7={"kartu_identitas": "8"})),
        "FLAGS_INVALID",
        9,
        "kartu_identitas",
    ),
    "count_out_of_range": (
        lambda p: _write(p, [dict(r, luas_lantai="5000") for r in BASE]),
        "NUMBER_RANGE",
        2,
        "luas_lantai",
    ),
    "count_not_a_number": (
        lambda p: _write(p, [dict(r, ternak_sapi="banyak") for r in BASE]),
        "NUMBER_INVALID",
        2,
        "ternak_sapi",
    ),
    "rt_not_a_number": (lambda p: _write(p, [dict(r, rt="abc") for r in BASE]), "NUMBER_INVALID", 2, "rt"),
    "nama_too_long": (lambda p: _write(p, _rows(r8={"nama": "A" * 150})), "TEXT_TOO_LONG", 10, "nama"),
    "nama_control_char": (
        lambda p: _write(p, _rows(r8={"nama": "SITI\x07AMINAH"})),
        "TEXT_INVALID",
        10,
        "nama",
    ),
    "formula_hyperlink": (
        lambda p: _write(p, _rows(r9={"nama": '=HYPERLINK("http://x.example","klik")'})),
        "FORMULA",
        11,
        "nama",
    ),
    "formula_dde_cmd": (
        lambda p: _write(p, [dict(r, alamat="=cmd|' /C calc'!A0") for r in BASE]),
        "FORMULA",
        2,
        "alamat",
    ),
    "formula_at_sum": (
        lambda p: _write(p, [dict(r, dusun="@SUM(1+1)") for r in BASE]),
        "FORMULA",
        2,
        "dusun",
    ),
    "instrument_unknown": (
        lambda p: _write(p, [dict(r, instrumen="SUSENAS") for r in BASE]),
        "INSTRUMENT_UNKNOWN",
        2,
        "instrumen",
    ),
    "instrument_mismatch": (
        lambda p: _write(p, [dict(r, instrumen="PBDT2015") for r in BASE]),
        "INSTRUMENT_MISMATCH",
        2,
        "instrumen",
    ),
    "column_missing": (
        lambda p: _bytes(p, _csv_text(BASE, [h for h in HEADERS if h != "nama"]).encode()),
        "COLUMN_MISSING",
        1,
        "nama",
    ),
    "column_twice": (
        lambda p: _bytes(p, _csv_text(BASE, [*HEADERS, "nama"]).encode()),
        "COLUMN_DUPLICATE",
        1,
        "nama",
    ),
    "row_short": (
        lambda p: _bytes(p, (_csv_text(BASE) + "R9,35.09.15.2001\n").encode()),
        "ROW_COLUMNS",
        len(BASE) + 2,
        None,
    ),
    "encoding_mixed": (
        lambda p: _bytes(
            p,
            _csv_text(_rows(r0={"nama": "JOSÉ"}))
            .encode("utf-8")
            .replace(BASE[3]["nama"].encode(), "ANDRÉ".encode("cp1252")),
        ),
        "ENCODING_MIXED",
        5,
        None,
    ),
    "encoding_undecodable": (
        lambda p: _bytes(p, _csv_text(_rows(r2={"nama": "SITI"})).encode().replace(b"SITI", b"SI\x81TI", 1)),
        "ENCODING_INVALID",
        4,
        None,
    ),
    # issue #17: what careless and hostile use found
    "nama_zero_width": (
        lambda p: _write(p, _rows(r6={"nama": "SITI\u200bAMINAH"})),
        "TEXT_INVALID",
        8,
        "nama",
    ),
    "nama_bidi_override": (
        lambda p: _write(p, _rows(r6={"nama": "\u202eHANIMA ITIS"})),
        "TEXT_INVALID",
        8,
        "nama",
    ),
    "birth_after_pendataan": (
        lambda p: _write(p, _rows(r3={"tanggal_lahir": "2023-05-02"})),
        "BIRTH_AFTER_PENDATAAN",
        5,
        "tanggal_lahir",
    ),
    "kepala_two_years_old": (
        lambda p: _write(p, _rows(r1={"tanggal_lahir": "2021-05-01"})),
        "KEPALA_AGE",
        3,
        "hubungan_kk",
    ),
    "dates_us_ambiguous": (
        lambda p: _write(p, [dict(r, tanggal_lahir="03/04/1990", nik="") for r in BASE]),
        "DATE_AMBIGUOUS",
        2,
        "tanggal_lahir",
    ),
    "dates_us_proven": (
        lambda p: _write(p, _rows(r2={"tanggal_lahir": "03/04/1990"}, r4={"tanggal_lahir": "02/14/1962"})),
        "DATE_ORDER",
        6,
        "tanggal_lahir",
    ),
    "header_below_title": (
        lambda p: _bytes(p, ("DAFTAR USULAN DTKS DESA X\n\n" + _csv_text(BASE)).encode()),
        "HEADER_NOT_FOUND",
        1,
        None,
    ),
    "header_not_template": (
        lambda p: _bytes(p, b"no,nama lengkap,alamat rumah\n1,SITI,JL MAWAR\n"),
        "HEADER_NOT_FOUND",
        1,
        None,
    ),
    "column_unnamed": (
        lambda p: _bytes(p, _unnamed_column_text().encode()),
        "COLUMN_UNNAMED",
        2,
        None,
    ),
    "xls_97_2003": (
        lambda p: _bytes(p, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048), "data.xls"),
        "FILE_FORMAT",
        None,
        None,
    ),
    "binary_pdf": (
        lambda p: _bytes(p, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x00" * 20, "scan.csv"),
        "FILE_FORMAT",
        None,
        None,
    ),
    "empty_file": (lambda p: _bytes(p, b""), "FILE_EMPTY", None, None),
    "header_only": (lambda p: _bytes(p, _csv_text([]).encode()), "FILE_EMPTY", None, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_file_is_rejected_untouched(case, registry, tmp_path):
    build, code, row, column = CASES[case]
    before = table_counts(registry)
    path = build(tmp_path)
    result = import_file(registry, path, "tester")
    assert result.status == ImportStatus.DITOLAK, f"{case}: {result.status}"
    hits = [i for i in result.errors if i.code == code]
    assert hits, f"{case}: expected {code}, got {[i.code for i in result.errors][:5]}"
    if row is not None:
        assert any(row in (getattr(i, "rows", ()) or ()) for i in hits), [
            getattr(i, "rows", None) for i in hits
        ]
        assert any(f"Baris {row}" in i.message for i in hits)
    if column is not None:
        assert any(i.field == column for i in hits), [i.field for i in hits]
    assert table_counts(registry) == before


def test_corpus_is_big_enough():
    assert len(CASES) + 6 >= 50  # + the XLSX, strict, forced-encoding and 100k-row cases below


def _xlsx(path, rows, *, merge=None, formula_at=None, nik_as_number=False, hide_row=None, second_sheet=False):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if second_sheet:  # a cover sheet first, the data on the second one
        ws.append(["Usulan DTKS Desa X, dikirim 2024"])
        ws = wb.create_sheet("Data")
    if hide_row:
        ws.row_dimensions[hide_row].hidden = True
    ws.append(HEADERS)
    for r in rows:
        ws.append([int(r[h]) if nik_as_number and h == "nik" and r[h] else r[h] for h in HEADERS])
    if merge:
        ws.merge_cells(merge)
    if formula_at:
        ws[formula_at] = '=HYPERLINK("http://x.example","klik")'
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("name", "kwargs", "code", "row", "column"),
    [
        ("merged", {"merge": "J3:K3"}, "XLSX_MERGED", 3, None),
        ("formula", {"formula_at": "J4"}, "XLSX_FORMULA", 4, "nama"),
        ("nik_number", {"nik_as_number": True}, "NIK_FORMAT", 2, "nik"),
        ("hidden_row", {"hide_row": 4}, "XLSX_HIDDEN", 4, None),
        ("second_sheet", {"second_sheet": True}, "HEADER_NOT_FOUND", 1, None),
    ],
)
def test_bad_xlsx(name, kwargs, code, row, column, registry, tmp_path):
    before = table_counts(registry)
    rows = [dict(r, nik=r["nik"] or "3509154101800001") for r in BASE]
    result = import_file(registry, _xlsx(tmp_path / f"{name}.xlsx", rows, **kwargs), "tester")
    assert result.status == ImportStatus.DITOLAK
    hits = [i for i in result.errors if i.code == code]
    assert hits and any(row in i.rows for i in hits)
    if column:
        assert any(i.field == column for i in hits)
    if code in ("XLSX_MERGED", "XLSX_FORMULA"):
        assert any(i.value and i.value[0] == "J" for i in hits)  # the cell is named: J3 / J4 / J3:K3
    if code == "HEADER_NOT_FOUND":
        assert "lembar 'Data' baris 1" in hits[0].message
    assert table_counts(registry) == before


def test_strict_turns_warnings_into_errors(registry, tmp_path):
    before = table_counts(registry)
    rows = _rows(r0={"nik": ""})
    path = _write(tmp_path, rows)
    result = import_file(registry, path, "tester", strict=True)
    assert result.status == ImportStatus.DITOLAK
    assert any(i.code == "NIK_EMPTY" and i.rows == (2,) and i.field == "nik" for i in result.errors)
    assert table_counts(registry) == before


def test_forced_wrong_encoding(registry, tmp_path):
    before = table_counts(registry)
    path = _write(tmp_path, _rows(r0={"nama": "JOSÉ"}), encoding="cp1252")
    result = import_file(registry, path, "tester", encoding="utf-8")
    assert result.status == ImportStatus.DITOLAK and result.errors[0].code == "ENCODING_INVALID"
    assert result.errors[0].rows == (2,)
    assert table_counts(registry) == before


def test_one_bad_row_at_the_end_of_100k(registry, tmp_path):
    before = table_counts(registry)
    table = sample.rows(100_000, seed=9, prefix=f"Z{uuid.uuid4().hex[:4]}")
    path = sample.write_csv(table, tmp_path / "big.csv")
    with open(path, "a", newline="") as f:  # one more row whose NIK has 15 digits
        last = dict(zip(table.column_names, [c[-1].as_py() for c in table.columns], strict=True))
        last.update(
            id_keluarga="ZZ-LAST", id_ruta="ZZ-LAST", no_urut="1", hubungan_kk="1", nik="350915410180001"
        )
        csv.writer(f).writerow([last[h] for h in table.column_names])
    result = import_file(registry, path, "tester")
    assert result.status == ImportStatus.DITOLAK
    assert [(i.code, i.rows, i.field) for i in result.errors] == [("NIK_FORMAT", (100_002,), "nik")]
    assert table_counts(registry) == before


def test_good_encodings_are_read_honestly(registry, tmp_path, counts):
    """cp1252, UTF-8 with BOM and `;` are accepted, and the text arrives intact."""
    from sqlalchemy import text

    for i, (encoding, delimiter) in enumerate((("cp1252", ";"), ("utf-8-sig", ","), ("latin-1", ";"))):
        rows = [  # new records: new ids, and no NIK (BASE's are active already: NIK_ACTIVE)
            dict(r, id_ruta=f"E{i}{r['id_ruta']}", id_keluarga=f"E{i}{r['id_keluarga']}", nik="")
            for r in BASE
        ]
        rows[0]["nama"] = "JOSÉ ÑANDÚ"
        path = _write(tmp_path, rows, encoding=encoding, delimiter=delimiter, name=f"enc{i}.csv")
        result = import_file(registry, path, "tester")
        assert result.status == ImportStatus.DIMUAT, (encoding, result.errors[:3])
        with registry.connect() as conn:
            nama = conn.execute(
                text("SELECT nama FROM member WHERE ref = :r"), {"r": f"{rows[0]['id_keluarga']}-1"}
            ).scalar_one()
        assert nama == "JOSÉ ÑANDÚ"


def test_xlsx_bomb_is_refused_untouched(registry, tmp_path):
    """A shared string over Excel's cell limit: refused before openpyxl, nothing written, value not copied."""
    from .test_readers_hostile import _shared_strings, _with_member

    before = table_counts(registry)
    src = _xlsx(tmp_path / "src.xlsx", BASE)
    strings = _shared_strings(*[h.encode() for h in HEADERS], b"X" * 200_000)
    bomb = _with_member(src, tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", strings)
    result = import_file(registry, bomb, "tester")
    assert result.status == ImportStatus.DITOLAK and [i.code for i in result.errors] == ["XLSX_TOO_BIG"]
    assert table_counts(registry) == before


def test_report_never_copies_an_oversized_value_whole(registry, tmp_path):
    before = table_counts(registry)
    result = import_file(registry, _write(tmp_path, _rows(r0={"nama": "A" * 100_000})), "tester")
    hit = next(i for i in result.errors if i.code == "TEXT_TOO_LONG")
    assert len(hit.value) < 300 and "100.000 karakter" in hit.value and len(hit.message) < 400
    assert table_counts(registry) == before
