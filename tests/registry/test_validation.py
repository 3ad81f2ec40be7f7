"""The column-wise validator gives exactly what parse_row + check_rows give, row by row, on any input."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pyarrow as pa
import pytest

from siks.domain.instruments import DEFAULT_INSTRUMENT, PBDT2015
from siks.registry import sample
from siks.registry.validation import reference_validate, validate

TODAY = dt.date(2025, 6, 30)

# Cell texts that exercise every branch of the cell rules (good and bad).
ODD_CELLS = [
    "",
    " ",
    "-",
    "  3 ",
    "03",
    "3.0",
    "+3",
    "-3",
    "3,5",
    "x",
    "99",
    "0",
    "1e3",
    "=1+1",
    '=HYPERLINK("x")',
    "@SUM(A1)",
    "+62812",
    "\t1",
    "1\r",
    "café",
    "SITI  AMINAH",
    " SITI",
    "NAMA\x07",
    "\ufffd",
    "a" * 120,
    "2025-07-01",
    "2024-02-30",
    "01-02-1980",
    "01/02/1980",
    "1899-12-31",
    "1980-1-2",
    "35.09.15.2001",
    "3509152001",
    "3509152999",
    "35.09.15",
    "3509 1541 0180 0001",
    "3.50915E+15",
    "3509154101800001.0",
    "3509150000000000",
    "9909154101800001",
    "3509154113800001",
    "3509154101800000",
    "001",
    "1000",
]
# issue #17's cells, mutated in by their own test (ODD_CELLS' order feeds test_parts' random file shapes)
NEW_ODD_CELLS = ["SITI\u200bAMINAH", "\u202eHANIMA ITIS", "2020-05-05", "2012-01-01", "2023-05-02"]


def _mutate(records: list[dict[str, str]], seed: int, rate: float) -> list[dict[str, str]]:
    rnd = random.Random(seed)
    out = [dict(r) for r in records]
    keys = list(out[0])
    for r in out:
        if rnd.random() < rate:
            for _ in range(rnd.randint(1, 3)):
                r[rnd.choice(keys)] = rnd.choice(ODD_CELLS)
    # cross-row faults: a duplicated row, a second head, a missing head, a disagreeing household cell
    for _ in range(max(1, int(len(out) * rate / 4))):
        i = rnd.randrange(len(out))
        kind = rnd.choice(["dup", "head", "nohead", "ruta", "keluarga", "moved"])
        if kind == "dup":
            out.insert(i, dict(out[i]))
        elif kind == "head":
            out[i]["hubungan_kk"] = "1"
        elif kind == "nohead":
            out[i]["hubungan_kk"] = "3"
        elif kind == "ruta":
            out[i]["alamat"] = "JALAN LAIN"
        elif kind == "keluarga":
            out[i]["no_kk"] = "3509150101100099"
        else:
            out[i]["id_ruta"] = out[rnd.randrange(len(out))]["id_ruta"]
    return out


def _columns(records: list[dict[str, str]]) -> dict[str, pa.Array]:
    keys = list(records[0])
    return {k: pa.array([r[k] for r in records], pa.string()) for k in keys}


def _compare(records, instrument, strict=False):
    numbers = np.arange(2, len(records) + 2)
    fast = validate(_columns(records), numbers, instrument=instrument, strict=strict, reference_date=TODAY)
    parsed, issues = reference_validate(
        records, numbers.tolist(), instrument=instrument, strict=strict, reference_date=TODAY
    )
    assert fast.issues == issues
    for i, row in enumerate(parsed):
        values = fast.row_values(i)
        values["nik"], values["no_kk"] = fast.arrow("nik")[i].as_py(), fast.arrow("no_kk")[i].as_py()
        if not row.invalid:
            assert values == row.values, f"row {row.row_number}"
    return fast


@pytest.mark.parametrize("instrument", [DEFAULT_INSTRUMENT, PBDT2015])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equals_parse_row_on_mutated_rows(instrument, seed):
    records = sample.records(400, seed=seed, instrument=instrument, warning_rate=0.05)
    fast = _compare(_mutate(records, seed, rate=0.15), instrument)
    assert fast.errors  # the mutations did produce errors, so the comparison covered them


@pytest.mark.parametrize("strict", [False, True])
def test_equals_parse_row_on_clean_rows(strict):
    records = sample.records(600, seed=7, warning_rate=0.05)
    fast = _compare(records, DEFAULT_INSTRUMENT, strict=strict)
    assert fast.issues and all(i.is_error == strict for i in fast.issues)


def test_every_odd_cell_in_every_column():
    base = sample.records(1, seed=5)[0]
    records = []
    for key in base:
        for text in ODD_CELLS:
            records.append(
                {**base, key: text, "id_keluarga": f"K{len(records)}", "id_ruta": f"R{len(records)}"}
            )
    _compare(records, DEFAULT_INSTRUMENT)


def test_missing_column_reads_as_empty():
    records = sample.records(20, seed=4)
    for r in records:
        del r["tempat_lahir"], r["nama"]
    fast = _compare(records, DEFAULT_INSTRUMENT)
    assert {i.code for i in fast.errors} == {"REQUIRED"}


def test_each_cross_row_rule_alone():
    """Each rule on an otherwise clean file, so no other flag can lead the validator to the group."""
    base = sample.records(6, seed=11)
    fam = base[0]["id_keluarga"]
    rows = [r for r in base if r["id_keluarga"] == fam]
    if len(rows) < 2:
        rows = [base[0], {**base[0], "no_urut": "2", "hubungan_kk": "3", "nik": ""}]
    other_ruta = {**rows[-1], "id_ruta": "R-LAIN"}  # same household cells, another id_ruta
    cases = {
        "KELUARGA_MULTI_RUTA": [*rows[:-1], other_ruta],
        "DUPLICATE_ROW": [*rows, dict(rows[-1])],
        "KEPALA_MULTIPLE": [*rows[:-1], {**rows[-1], "hubungan_kk": "1"}],
        "KEPALA_MISSING": [{**r, "hubungan_kk": "3"} for r in rows],
        "RUTA_MISMATCH": [*rows[:-1], {**rows[-1], "rt": "99"}],
        "KELUARGA_MISMATCH": [*rows[:-1], {**rows[-1], "petugas": "PPL LAIN"}],
    }
    for code, records in cases.items():
        fast = _compare(records, DEFAULT_INSTRUMENT)
        assert code in {i.code for i in fast.errors}, code


def test_identity_rules_one_at_a_time():
    """Single NIK/KK faults on otherwise consistent rows: each must reach the domain's identity check."""
    from siks.domain.kk import make_kk
    from siks.domain.nik import make_nik

    base = sample.records(1, seed=21)[0]
    born = dt.date(1980, 2, 3)
    good_nik = make_nik("35.09.15", born, 1, 17)
    good_kk = make_kk("35.09.15", dt.date(2010, 5, 6), 12)
    row = {**base, "jenis_kelamin": "1", "tanggal_lahir": born.isoformat(), "nik": good_nik, "no_kk": good_kk}
    variants = {
        "ok": {},
        "NIK_SERIAL": {"nik": make_nik("35.09.15", born, 1, 0)},
        "NIK_PROVINCE": {"nik": "99" + good_nik[2:]},
        "NIK_REGION": {"nik": "3509" + "99" + good_nik[6:]},
        "NIK_SEX_MISMATCH": {"nik": make_nik("35.09.15", born, 2, 17)},
        "NIK_BIRTHDATE_MISMATCH": {"tanggal_lahir": "1980-02-04"},
        "NIK_EMPTY": {"nik": ""},
        "KK_SERIAL": {"no_kk": make_kk("35.09.15", dt.date(2010, 5, 6), 0)},
        "KK_REGION": {"no_kk": "350999" + good_kk[6:]},
        "KK_DATE": {"no_kk": good_kk[:6] + "310299" + good_kk[12:]},
        "KK_EMPTY": {"no_kk": ""},
    }
    records = [
        {**row, **change, "id_keluarga": f"K{i}", "id_ruta": f"R{i}"}
        for i, change in enumerate(variants.values())
    ]
    fast = _compare(records, DEFAULT_INSTRUMENT)
    found = {(i.rows[0], i.code) for i in fast.issues}
    for i, code in enumerate(variants):
        if code != "ok":
            assert (i + 2, code) in found, code
    assert not any(r == 2 for r, _ in found)


def test_life_rules_one_at_a_time():
    """Birth after the pendataan and a too-young kepala: each reaches parse_row, the same issues come out."""
    base = sample.records(1, seed=22)[0]
    row = {**base, "hubungan_kk": "1", "nik": "", "tanggal_pendataan": "2024-06-30"}
    variants = {
        "ok": {"tanggal_lahir": "1980-01-01"},
        "ok_15_today": {"tanggal_lahir": "2009-06-30"},  # 15 on the pendataan day: nothing
        "KEPALA_YOUNG": {"tanggal_lahir": "2009-07-01"},  # 14 that day
        "KEPALA_AGE": {"tanggal_lahir": "2022-06-30"},  # 2 years old
        "KEPALA_YOUNG_NO_DATE": {"tanggal_lahir": "2012-01-01", "tanggal_pendataan": ""},  # age at TODAY
        "BIRTH_AFTER_PENDATAAN": {"tanggal_lahir": "2024-07-01"},
    }
    records = [
        {**row, **change, "id_keluarga": f"K{i}", "id_ruta": f"R{i}"}
        for i, change in enumerate(variants.values())
    ]
    for strict in (False, True):
        fast = _compare(records, DEFAULT_INSTRUMENT, strict=strict)
        found = {(i.rows[0], i.code) for i in fast.issues}
        assert not {c for r, c in found if r in (2, 3) and c.startswith(("KEPALA", "BIRTH"))}
        assert (4, "KEPALA_YOUNG") in found and (5, "KEPALA_AGE") in found
        assert (7, "BIRTH_AFTER_PENDATAAN") in found
        assert (6, "KEPALA_YOUNG") in found or TODAY.year - 2012 >= 15
    young = next(i for i in _compare(records, DEFAULT_INSTRUMENT).issues if i.code == "KEPALA_YOUNG")
    assert not young.is_error and "14 tahun" in young.message


def test_invisible_characters_are_named():
    rows = sample.records(2, seed=23)
    rows[0]["nama"] = "SITI\u200bAMINAH"
    rows[1]["nama"] = "\u202eHANIMA ITIS"
    fast = _compare(rows, DEFAULT_INSTRUMENT)
    bad = [i for i in fast.errors if i.code == "TEXT_INVALID" and i.field == "nama"]
    assert len(bad) == 2
    assert "U+200B" in bad[0].message and "posisi 5" in bad[0].message and "U+202E" in bad[1].message


@pytest.mark.parametrize("seed", [4, 5])
def test_equals_parse_row_with_issue_17_cells(seed):
    rnd = random.Random(seed)
    records = sample.records(300, seed=seed)
    for r in records:
        if rnd.random() < 0.2:
            r[rnd.choice(["nama", "tanggal_lahir", "tempat_lahir", "hubungan_kk"])] = rnd.choice(
                NEW_ODD_CELLS
            )
    fast = _compare(records, DEFAULT_INSTRUMENT)
    codes = {i.code for i in fast.issues}
    assert {"TEXT_INVALID", "BIRTH_AFTER_PENDATAAN"} <= codes, codes
