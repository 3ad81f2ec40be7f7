"""The import template: its columns (design.md §3), one row's rules, the cross-row rules, formula escaping."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siks.domain.instruments import PBDT2015, REGSOSEK2022_K, decode_flags
from siks.domain.instruments import regsosek2022 as R
from siks.domain.issues import Issue
from siks.domain.template import (
    COLUMNS,
    ISSUE_CODES,
    PBDT_COLUMNS,
    ParsedRow,
    RowIssue,
    check_rows,
    column_help,
    column_map,
    columns_for,
    escape_for_export,
    format_cell,
    headers,
    is_formula,
    parse_row,
)

TODAY = date(2024, 6, 1)

# A woman born 5 May 1980 in Kec. Sukorambi (35.09.15), head of her family; a KK issued there 12-03-2015.
GOOD = {
    "id_ruta": "R001",
    "kode_desa": "3509152001",
    "dusun": "Krajan",
    "rw": "2",
    "rt": "15",
    "alamat": "Jl. Mawar 1",
    "id_keluarga": "K001",
    "no_kk": "3509151203150001",
    "no_urut": "1",
    "nama": "Siti Aminah",
    "nik": "3509154505800002",
    "keberadaan": "1",
    "jenis_kelamin": "2",
    "tempat_lahir": "Jember",
    "tanggal_lahir": "1980-05-05",
    "status_kawin": "4",
    "hubungan_kk": "1",
    "hamil": "2",
    "kartu_identitas": "5",
    "pendidikan": "03",
    "bekerja": "1",
    "lapangan_usaha": "01",
    "status_pekerjaan": "6",
    "sulit_melihat": "4",
    "jaminan_kesehatan": "1",
    "luas_lantai": "36",
    "jenis_lantai": "8",
    "bahan_bakar_memasak": "00",
    "aset_sepeda_motor": "1",
    "aset_kapal_motor": "2",
    "lahan": "2",
    "ternak_kambing": "3",
    "internet": "3",
    "rekening": "4",
    "tanggal_pendataan": "15/04/2024",
}


def parse(raw, row=2, **kw):
    return parse_row(raw, row, reference_date=TODAY, **kw)


def codes(issues):
    return [i.code for i in issues]


# --- columns ----------------------------------------------------------------------------------------------


def test_regsosek_columns_follow_design_md():
    names = headers()
    assert names[:17] == [
        "id_ruta",
        "kode_desa",
        "dusun",
        "rw",
        "rt",
        "alamat",
        "id_keluarga",
        "no_kk",
        "no_urut",
        "nama",
        "nik",
        "keberadaan",
        "jenis_kelamin",
        "tempat_lahir",
        "tanggal_lahir",
        "status_kawin",
        "hubungan_kk",
    ]
    assert names[-3:] == ["instrumen", "tanggal_pendataan", "petugas"]
    assert len(names) == len(set(names))
    assert [n for n in names if n.startswith("sulit_")] == [
        "sulit_melihat",
        "sulit_mendengar",
        "sulit_berjalan",
        "sulit_tangan_jari",
        "sulit_belajar",
        "sulit_perilaku",
        "sulit_bicara",
        "sulit_mengurus_diri",
        "sulit_konsentrasi",
    ]
    by_var = {c.var: c.key for c in COLUMNS if c.var}
    assert {by_var[f"502{x}"] for x in "abcdefghijklmn"} == {n for n in names if n.startswith("aset_")}
    assert [by_var[f"504{x}"] for x in "abcde"] == [
        "ternak_sapi",
        "ternak_kerbau",
        "ternak_kuda",
        "ternak_babi",
        "ternak_kambing",
    ]
    for key, var in [
        ("no_urut", "401"),
        ("nik", "403"),
        ("hubungan_kk", "409"),
        ("kartu_identitas", "411"),
        ("jaminan_kesehatan", "431a"),
        ("status_bangunan", "301a"),
        ("pembuangan_tinja", "310"),
        ("lahan", "503a"),
        ("rumah_lain", "503b"),
        ("internet", "505"),
        ("rekening", "506"),
    ]:
        assert column_map()[key].var == var


def test_required_columns_and_levels():
    required = {c.key for c in COLUMNS if c.required}
    assert required == {
        "id_ruta",
        "kode_desa",
        "id_keluarga",
        "no_urut",
        "nama",
        "keberadaan",
        "jenis_kelamin",
        "tanggal_lahir",
        "status_kawin",
        "hubungan_kk",
    }
    level = {c.key: c.level for c in COLUMNS}
    assert level["jenis_lantai"] == level["aset_ac"] == level["ternak_sapi"] == level["kode_desa"] == "ruta"
    assert level["no_kk"] == level["id_keluarga"] == "keluarga"
    assert level["nik"] == level["sulit_melihat"] == "anggota"
    assert column_map()["kartu_identitas"].codes is R.KARTU_IDENTITAS


def test_pbdt_columns_reuse_identity_columns():
    regsosek, pbdt = column_map(REGSOSEK2022_K), column_map(PBDT2015)
    for key in ("id_ruta", "kode_desa", "rw", "rt", "id_keluarga", "no_kk", "nama", "tanggal_lahir"):
        assert pbdt[key].kind == regsosek[key].kind and pbdt[key].required == regsosek[key].required
    assert [c.key for c in PBDT_COLUMNS if c.key.startswith("aset_")][:2] == [
        "aset_tabung_gas",
        "aset_lemari_es",
    ]
    assert len([c for c in PBDT_COLUMNS if c.key.startswith("aset_")]) == 15
    assert "hubungan_krt" in pbdt and "keberadaan" not in pbdt
    assert columns_for(PBDT2015) is PBDT_COLUMNS
    with pytest.raises(ValueError):
        columns_for("SUSENAS")


def test_every_column_has_help_text():
    for column in (*COLUMNS, *PBDT_COLUMNS):
        text = column_help(column)
        assert text.startswith(column.label) and "None" not in text
    assert "Wajib diisi" in column_help(column_map()["nama"])
    assert "3 Seng" in column_help(column_map()["jenis_atap"])


# --- one good row -----------------------------------------------------------------------------------------


def test_good_row_is_normalised():
    row, issues = parse(GOOD)
    assert issues == []
    v = row.values
    assert v["kode_desa"] == "35.09.15.2001"
    assert (v["rw"], v["rt"]) == ("002", "015")
    assert v["tanggal_lahir"] == date(1980, 5, 5) and v["tanggal_pendataan"] == date(2024, 4, 15)
    assert v["no_urut"] == 1 and v["pendidikan"] == 3 and v["bahan_bakar_memasak"] == 0
    assert v["kartu_identitas"] == frozenset({1, 4}) and v["jaminan_kesehatan"] == frozenset({1})
    assert v["hamil"] is False and v["bekerja"] is True and v["aset_sepeda_motor"] is True
    assert v["aset_ac"] is None and v["ternak_kambing"] == 3
    assert v["instrumen"] == REGSOSEK2022_K  # empty → the default
    assert v["nik"] == "3509154505800002" and v["no_kk"] == "3509151203150001"
    assert row.member_ref == "K001-1" and row["nama"] == "Siti Aminah" and row.invalid == frozenset()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1980-05-05", date(1980, 5, 5)),
        ("05-05-1980", date(1980, 5, 5)),
        ("5/5/1980", date(1980, 5, 5)),
        ("1980-05-05 00:00:00", date(1980, 5, 5)),
    ],
)
def test_date_formats(text, expected):
    row, issues = parse({**GOOD, "tanggal_lahir": text})
    assert issues == [] and row["tanggal_lahir"] == expected


def test_cells_are_trimmed_and_headers_matched_loosely():
    raw = {f" {k.upper()} ": f"  {v} " for k, v in GOOD.items()}
    raw[" NAMA "] = "  Siti \n  Aminah "
    raw[" NIK "] = "3509 1545 0580 0002"
    raw["catatan_lain"] = "=ignored, not a template column"
    row, issues = parse(raw)
    assert issues == []
    assert row["nama"] == "Siti Aminah" and row["nik"] == "3509154505800002"
    assert row["kode_desa"] == "35.09.15.2001"


def test_dotted_desa_code_and_spreadsheet_numbers():
    row, issues = parse(
        {**GOOD, "kode_desa": "35.09.15.2001", "no_urut": "1.0", "rt": "007", "luas_lantai": "36.0"}
    )
    assert issues == []
    assert row["kode_desa"] == "35.09.15.2001" and row["no_urut"] == 1 and row["rt"] == "007"


def test_a_lone_dash_means_empty():
    row, issues = parse({**GOOD, "dusun": "-", "aset_ac": "-"})
    assert issues == [] and row["dusun"] is None and row["aset_ac"] is None


# --- bad rows ---------------------------------------------------------------------------------------------

BAD = [
    ("id_ruta", "", "REQUIRED"),
    ("nama", "   ", "REQUIRED"),
    ("keberadaan", "", "REQUIRED"),
    ("tanggal_lahir", "", "REQUIRED"),
    ("jenis_kelamin", "3", "CODE_UNKNOWN"),
    ("jenis_kelamin", "L", "CODE_UNKNOWN"),
    ("jenis_atap", "9", "CODE_UNKNOWN"),
    ("hubungan_kk", "0", "CODE_UNKNOWN"),
    ("bahan_bakar_memasak", "12", "CODE_UNKNOWN"),  # OpenSID's code, not the form's
    ("hamil", "3", "CODE_UNKNOWN"),
    ("aset_ac", "Ya", "CODE_UNKNOWN"),
    ("sulit_melihat", "5", "CODE_UNKNOWN"),
    ("kartu_identitas", "8", "FLAGS_INVALID"),
    ("kartu_identitas", "1,4", "FLAGS_INVALID"),
    ("jaminan_kesehatan", "100", "FLAGS_INVALID"),
    ("no_urut", "0", "NUMBER_RANGE"),
    ("no_urut", "100", "NUMBER_RANGE"),
    ("no_urut", "satu", "NUMBER_INVALID"),
    ("luas_lantai", "36,5", "NUMBER_INVALID"),
    ("ternak_sapi", "-1", "NUMBER_RANGE"),
    ("rt", "1000", "NUMBER_INVALID"),
    ("rw", "RW 2", "NUMBER_INVALID"),
    ("id_keluarga", "K" * 41, "TEXT_TOO_LONG"),
    ("nama", "Siti\x00Aminah", "TEXT_INVALID"),
    ("nama", "Siti Amin\ufffdh", "TEXT_INVALID"),
    ("tanggal_lahir", "31-02-1980", "DATE_INVALID"),
    ("tanggal_lahir", "1980/05/05", "DATE_INVALID"),
    ("tanggal_lahir", "05-05-80", "DATE_INVALID"),
    ("tanggal_lahir", "1880-05-05", "DATE_INVALID"),
    ("tanggal_lahir", "2024-06-02", "BIRTHDATE_FUTURE"),
    ("tanggal_pendataan", "2025-01-01", "DATE_FUTURE"),
    ("kode_desa", "350915200", "DESA_FORMAT"),
    ("kode_desa", "35.09.15", "DESA_FORMAT"),
    ("kode_desa", "3509159999", "DESA_UNKNOWN"),
    ("instrumen", "SUSENAS", "INSTRUMENT_UNKNOWN"),
    ("instrumen", "PBDT2015", "INSTRUMENT_MISMATCH"),
    ("nik", "350915450580000", "NIK_FORMAT"),
    ("nik", "3.50915E+15", "NIK_FORMAT"),
    ("nik", "3509154505800002.0", "NIK_FORMAT"),
    ("no_kk", "35091512031500", "KK_FORMAT"),
    ("nama", '=HYPERLINK("http://x","klik")', "FORMULA"),
    ("alamat", "+cmd|' /C calc'!A0", "FORMULA"),
    ("dusun", "@SUM(1+1)", "FORMULA"),
    ("petugas", "-2+3", "FORMULA"),
    ("tempat_lahir", "\t=1+1", "FORMULA"),
    ("nik", "=3509154505800002", "FORMULA"),
    ("jenis_lantai", "=8", "FORMULA"),
]


@pytest.mark.parametrize(("column", "value", "code"), BAD)
def test_bad_value_gives_one_error(column, value, code):
    row, issues = parse({**GOOD, column: value}, row=17)
    errors = [i for i in issues if i.is_error]
    assert [(i.code, i.field) for i in errors] == [(code, column)]
    issue = errors[0]
    assert isinstance(issue, RowIssue) and issue.rows == (17,) and issue.row == 17
    assert issue.message.startswith(f"Baris 17, kolom {column}: ")
    if value.strip() and code not in ("DESA_UNKNOWN", "INSTRUMENT_MISMATCH"):
        assert value.strip()[:20].replace("\t", "\\t") in issue.message  # the message shows the value
    assert row[column] is None and column in row.invalid
    assert ISSUE_CODES[code] == "error"


def test_several_bad_values_in_one_row_are_all_reported():
    row, issues = parse({**GOOD, "jenis_kelamin": "9", "tanggal_lahir": "kemarin", "kartu_identitas": "64"})
    assert sorted(codes(issues)) == ["CODE_UNKNOWN", "DATE_INVALID", "FLAGS_INVALID"]


def test_formula_value_is_never_kept_and_is_reported_inert():
    row, issues = parse({**GOOD, "nama": "=cmd|'/c calc'!A1"})
    assert row["nama"] is None
    assert issues[0].value == "'=cmd|'/c calc'!A1"  # safe to write into a report spreadsheet


@pytest.mark.parametrize(("column", "value"), [("ternak_sapi", "+3"), ("rt", "\t5"), ("alamat", "-")])
def test_signed_numbers_and_stray_tabs_are_not_formulas(column, value):
    _, issues = parse({**GOOD, column: value})
    assert issues == []


# --- NIK and KK: warnings are kept, strict makes them errors ----------------------------------------------


def test_nik_structure_faults_are_warnings():
    row, issues = parse({**GOOD, "jenis_kelamin": "1"})  # the NIK says woman (day 45)
    assert codes(issues) == ["NIK_SEX_MISMATCH"]
    assert issues[0].severity == "warning" and issues[0].field == "nik"
    assert issues[0].message.startswith("Baris 2, kolom nik: ")
    assert row["nik"] == "3509154505800002"  # kept

    _, issues = parse({**GOOD, "tanggal_lahir": "1981-05-05"})
    assert codes(issues) == ["NIK_BIRTHDATE_MISMATCH"]


def test_empty_nik_and_kk_are_warnings():
    row, issues = parse({**GOOD, "nik": "", "no_kk": " "})
    assert sorted(codes(issues)) == ["KK_EMPTY", "NIK_EMPTY"]
    assert all(i.severity == "warning" for i in issues)
    assert row["nik"] is None and "nik" not in row.invalid


def test_strict_turns_warnings_into_errors():
    _, issues = parse({**GOOD, "nik": "", "jenis_kelamin": "1"}, strict=True)
    assert codes(issues) == ["NIK_EMPTY"] and issues[0].is_error
    _, issues = parse({**GOOD, "no_kk": "3509150000150000"}, strict=True)
    assert set(codes(issues)) == {"KK_DATE", "KK_SERIAL"} and all(i.is_error for i in issues)


# --- PBDT 2015 rows ---------------------------------------------------------------------------------------

PBDT_GOOD = {
    **{k: GOOD[k] for k in ("id_ruta", "kode_desa", "id_keluarga", "no_kk", "no_urut", "nama", "nik")},
    "hubungan_krt": "1",
    "hubungan_kk": "1",
    "jenis_kelamin": "2",
    "tanggal_lahir": "1980-05-05",
    "status_kawin": "2",
    "jenis_cacat": "00",
    "kartu_identitas": "12",
    "aset_tabung_gas": "1",  # a: 1 Ya / 2 Tidak
    "aset_lemari_es": "3",  # b: 3 Ya / 4 Tidak
    "aset_ac": "2",
    "aset_pemanas_air": "4",
    "luas_lahan": "250,5",
    "instrumen": "PBDT2015",
}


def test_pbdt_row_normalises_the_asset_quirk():
    row, issues = parse(PBDT_GOOD, instrument=PBDT2015)
    assert issues == []
    assert (row["aset_tabung_gas"], row["aset_lemari_es"], row["aset_ac"], row["aset_pemanas_air"]) == (
        True,
        True,
        False,
        False,
    )
    assert row["kartu_identitas"] == frozenset({4, 8}) and row["jenis_cacat"] == 0
    assert row["luas_lahan"] == 250.5 and row.instrument == PBDT2015


@pytest.mark.parametrize(("column", "value"), [("aset_lemari_es", "1"), ("aset_tabung_gas", "3")])
def test_pbdt_asset_code_of_the_other_column_is_an_error(column, value):
    _, issues = parse({**PBDT_GOOD, column: value}, instrument=PBDT2015)
    assert [(i.code, i.field) for i in issues] == [("CODE_UNKNOWN", column)]
    yes, no = ("3", "4") if column == "aset_lemari_es" else ("1", "2")
    assert f"{yes} Ya, {no} Tidak" in issues[0].message


def test_pbdt_row_in_a_regsosek_file_is_rejected():
    _, issues = parse({**GOOD, "instrumen": "REGSOSEK2022.K"}, instrument=PBDT2015)
    assert "INSTRUMENT_MISMATCH" in codes(issues)


# --- export: format_cell and escape_for_export ------------------------------------------------------------


def test_format_cell_round_trips_the_good_rows():
    for raw, instrument in ((GOOD, REGSOSEK2022_K), (PBDT_GOOD, PBDT2015)):
        row, _ = parse(raw, instrument=instrument)
        again = {c.key: format_cell(c, row[c.key]) for c in columns_for(instrument)}
        row2, issues = parse(again, instrument=instrument)
        assert issues == [] and row2.values == row.values


def _value_for(column, data):
    """A valid stored value for `column`, drawn by hypothesis."""
    if column.kind in ("code", "yes_no"):
        code = data.draw(st.sampled_from(sorted(column.codes.codes)))
        return (column.codes.codes[code] == "Ya") if column.kind == "yes_no" else code
    if column.kind == "bitflags":
        value = data.draw(
            st.integers(0, sum(column.codes.flags)) | st.sampled_from(column.codes.specials or (0,))
        )
        return decode_flags(column, value)
    if column.kind == "count":
        return data.draw(st.integers(column.min_value, column.max_value))
    return None


@settings(max_examples=40, deadline=None)
@given(st.data(), st.sampled_from([REGSOSEK2022_K, PBDT2015]))
def test_format_then_parse_is_identity_for_coded_columns(data, instrument):
    base = GOOD if instrument == REGSOSEK2022_K else PBDT_GOOD
    row, _ = parse(base, instrument=instrument)
    values = dict(row.values)
    for column in columns_for(instrument):
        if column.kind in ("code", "yes_no", "bitflags", "count") and not column.required:
            values[column.key] = _value_for(column, data)
    cells = {c.key: format_cell(c, values[c.key]) for c in columns_for(instrument)}
    parsed, issues = parse(cells, instrument=instrument)
    assert issues == [] and parsed.values == values


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        '=HYPERLINK("http://x")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        " =1+1",
        "-",
        "+",
    ],
)
def test_escape_for_export_makes_formulas_inert(value):
    assert is_formula(value)
    escaped = escape_for_export(value)
    assert escaped == "'" + value and not is_formula(escaped)


@pytest.mark.parametrize(
    "value", ["Siti Aminah", "-5", "+6281234567890", "3,5", "2024-01-31", "", "a=b", "1-2"]
)
def test_escape_for_export_leaves_plain_values(value):
    assert not is_formula(value) and escape_for_export(value) == value


def test_format_cell_escapes_text():
    assert format_cell(column_map()["alamat"], "=1+1") == "'=1+1"


# --- across rows ------------------------------------------------------------------------------------------


def family(ruta="R001", fam="K001", start_row=2, heads=(1,), members=3, extra=None):
    """Parsed rows of one keluarga; `heads` are the no_urut with hubungan_kk 1."""
    rows = []
    for i in range(1, members + 1):
        raw = {
            **GOOD,
            "id_ruta": ruta,
            "id_keluarga": fam,
            "no_urut": str(i),
            "nik": "",
            "hubungan_kk": "1" if i in heads else "3",
            **(extra or {}).get(i, {}),
        }
        rows.append(parse(raw, row=start_row + i - 1)[0])
    return rows


def test_consistent_file_has_no_cross_row_issues():
    rows = family() + family(fam="K002", start_row=5) + family(ruta="R002", fam="K003", start_row=8)
    assert check_rows(rows) == []


def test_duplicate_row_key():
    rows = family() + family(start_row=5, members=1)
    issues = check_rows(rows)
    dup = [i for i in issues if i.code == "DUPLICATE_ROW"]
    assert len(dup) == 1 and dup[0].rows == (2, 5) and dup[0].field == "no_urut" and dup[0].value == "K001-1"
    assert dup[0].message.startswith("Baris 2, 5: ")
    assert "KEPALA_MULTIPLE" in codes(issues)  # the duplicated row is also a second head


def test_household_columns_that_disagree():
    rows = family(extra={3: {"jenis_lantai": "2", "aset_ac": "1"}})
    issues = check_rows(rows)
    assert [(i.code, i.field, i.rows) for i in issues] == [
        ("RUTA_MISMATCH", "jenis_lantai", (2, 3, 4)),
        ("RUTA_MISMATCH", "aset_ac", (2, 3, 4)),
    ]
    lantai = next(i for i in issues if i.field == "jenis_lantai")
    assert "'8' di baris 2, 3" in lantai.message and "'2' di baris 4" in lantai.message


def test_household_column_empty_on_some_rows_disagrees():
    issues = check_rows(family(extra={2: {"jenis_lantai": ""}}))
    assert [(i.code, i.field) for i in issues] == [("RUTA_MISMATCH", "jenis_lantai")]
    assert "kosong di baris 3" in issues[0].message


def test_family_columns_that_disagree():
    issues = check_rows(family(extra={2: {"no_kk": "3509151203150002"}}))
    assert [(i.code, i.field) for i in issues] == [("KELUARGA_MISMATCH", "no_kk")]


def test_invalid_cells_are_not_reported_twice():
    rows = family(extra={2: {"jenis_lantai": "99"}})
    assert rows[1].invalid == {"jenis_lantai"}
    assert check_rows(rows) == []


def test_keluarga_in_two_households():
    moved = {**GOOD, "id_ruta": "R002", "no_urut": "3", "hubungan_kk": "3", "nik": ""}
    rows = [*family(members=2), parse(moved, row=4)[0]]
    issues = check_rows(rows)
    assert [(i.code, i.rows) for i in issues] == [("KELUARGA_MULTI_RUTA", (2, 3, 4))]
    assert "R001, R002" in issues[0].message


def test_keluarga_without_or_with_two_heads():
    issues = check_rows(family(heads=()))
    assert [(i.code, i.field, i.value, i.rows) for i in issues] == [
        ("KEPALA_MISSING", "hubungan_kk", "K001", (2, 3, 4))
    ]
    issues = check_rows(family(heads=(1, 3)))
    assert [(i.code, i.rows) for i in issues] == [("KEPALA_MULTIPLE", (2, 4))]


def test_missing_head_is_not_claimed_when_a_relation_was_invalid():
    rows = family(heads=(), extra={1: {"hubungan_kk": "x"}})
    assert check_rows(rows) == []


def test_pbdt_one_head_of_household_per_ruta():
    second = {**PBDT_GOOD, "id_keluarga": "K002", "nik": "", "no_kk": ""}
    rows = [parse(PBDT_GOOD, row=2, instrument=PBDT2015)[0], parse(second, row=3, instrument=PBDT2015)[0]]
    assert codes(check_rows(rows)) == ["KRT_MULTIPLE"]
    rows[1] = parse({**second, "hubungan_krt": "3"}, row=3, instrument=PBDT2015)[0]
    assert check_rows(rows) == []


def test_cross_row_issues_are_issues_in_row_order():
    rows = family(ruta="R009", fam="K009", start_row=10, heads=()) + family(heads=(1, 2))
    issues = check_rows(rows)
    assert codes(issues) == ["KEPALA_MULTIPLE", "KEPALA_MISSING"]
    assert all(isinstance(i, Issue) and i.is_error for i in issues)


def test_every_issue_code_is_documented():
    assert {"REQUIRED", "FORMULA", "DUPLICATE_ROW", "NIK_FORMAT", "KK_EMPTY"} <= set(ISSUE_CODES)
    assert ISSUE_CODES["NIK_EMPTY"] == "warning" and ISSUE_CODES["KK_FORMAT"] == "error"


def test_parsed_row_get():
    row = ParsedRow(2, REGSOSEK2022_K, {"nama": "A"})
    assert row.get("nama") == "A" and row.get("nik") is None and row.member_ref is None
