"""The SQL renderings of the NIK/KK rules agree with the Python rules, row by row, good values and bad."""

from __future__ import annotations

import random
from datetime import date, timedelta

import duckdb
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siks.domain import kk, nik, rules_sql, wilayah

REF = date(2025, 6, 30)
KNOWN = wilayah.known_kecamatan_codes()


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE known_kecamatan (code VARCHAR)")
    c.executemany("INSERT INTO known_kecamatan VALUES (?)", [[code] for code in KNOWN])
    yield c
    c.close()


def mutate(rng: random.Random, value: str) -> str:
    """One of the faults operators and spreadsheets really produce."""
    kind = rng.randrange(14)
    pos = rng.randrange(16)
    if kind == 0:  # a typo
        return value[:pos] + rng.choice("0123456789") + value[pos + 1 :]
    if kind == 1:  # transposed neighbours
        pos = min(pos, 14)
        return value[:pos] + value[pos + 1] + value[pos] + value[pos + 2 :]
    if kind == 2:  # a digit lost or added
        return value[:pos] + value[pos + 1 :] if rng.random() < 0.5 else value[:pos] + "7" + value[pos:]
    if kind == 3:  # Excel
        return rng.choice([f"{int(value):.5E}".replace("E+", "E+"), value + ".0", value[:15] + ".0"])
    if kind == 4:  # separators and stray whitespace
        return rng.choice([" ", ".", "-", "\t", "\u00a0"]).join(
            [value[:4], value[4:8], value[8:12], value[12:]]
        )
    if kind == 5:
        return f" {value} "
    if kind == 6:  # a letter
        return value[:pos] + rng.choice("OoIlx") + value[pos + 1 :]
    if kind == 7:
        return rng.choice(["", " ", "-", "0", "NIK", "3509", "........", "-.-"])
    if kind == 8:  # serial 0000
        return value[:12] + "0000"
    if kind == 9:  # a random date part
        return (
            value[:6]
            + f"{rng.randrange(100):02d}{rng.randrange(100):02d}{rng.randrange(100):02d}"
            + value[12:]
        )
    if kind == 10:  # a kecamatan that never existed, or an unknown provinsi
        return (
            rng.choice([f"{rng.randrange(100):02d}", value[:2]]) + f"{rng.randrange(10000):04d}" + value[6:]
        )
    if kind == 11:  # 29 February, 30 February, women's 69
        return value[:6] + rng.choice(["2902", "3002", "6902", "6802", "7102", "3104", "7104"]) + value[10:]
    if kind == 12:  # the current year: the future is near
        return value[:10] + "25" + value[12:]
    return value


def random_date(rng: random.Random) -> date:
    return date(1920, 1, 1) + timedelta(days=rng.randrange((REF - date(1920, 1, 1)).days + 200))


def a_century_earlier(d: date) -> date:
    """Same DD-MM-YY, other century (29 February falls back to the 28th)."""
    try:
        return d.replace(year=d.year - 100)
    except ValueError:
        return d.replace(year=d.year - 100, day=28)


def nik_rows(rng: random.Random, count: int):
    rows = []
    for i in range(count):
        born = random_date(rng)
        sex = rng.choice([1, 2])
        value = nik.make_nik(rng.choice(KNOWN), born, sex, rng.randrange(10000))
        if rng.random() < 0.6:
            value = mutate(rng, value)
        if rng.random() < 0.05:
            value = None
        recorded_sex = rng.choice([sex, sex, sex, 3 - sex, None, 9])
        recorded_birth = rng.choice([born, born, born, random_date(rng), None, a_century_earlier(born)])
        rows.append((i, value, recorded_sex, recorded_birth))
    return rows


def kk_rows(rng: random.Random, count: int):
    rows = []
    for i in range(count):
        value = kk.make_kk(rng.choice(KNOWN), random_date(rng), rng.randrange(10000))
        if rng.random() < 0.6:
            value = mutate(rng, value)
        rows.append((i, None if rng.random() < 0.05 else value))
    return rows


def sql_codes(con, query: str) -> dict[int, set[str]]:
    return {row[0]: {c for c in row[1:] if c is not None} for row in con.execute(query).fetchall()}


def check_nik_agreement(con, rows, *, transpile: bool = False):
    con.execute("CREATE OR REPLACE TABLE niks (id INTEGER, nik VARCHAR, sex INTEGER, born DATE)")
    con.executemany("INSERT INTO niks VALUES (?, ?, ?, ?)", rows)
    query = rules_sql.check_query("niks", "id", nik="nik", sex="sex", birth_date="born", reference_date=REF)
    if transpile:
        query = sqlglot.transpile(
            query, read=None, write="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE
        )[0]
    got = sql_codes(con, query)
    for i, value, sex, born in rows:
        expected = {x.code for x in nik.check_nik(value, sex=sex, birth_date=born, reference_date=REF)}
        assert got[i] == expected, (value, sex, born)
    return got


def test_nik_sql_agrees_with_python(con):
    rows = nik_rows(random.Random(20250630), 4000)
    got = check_nik_agreement(con, rows)
    seen = set().union(*got.values())
    assert seen == set(nik.RULES), set(nik.RULES) - seen  # every rule was exercised


def test_kk_sql_agrees_with_python(con):
    rows = kk_rows(random.Random(7), 3000)
    con.execute("CREATE OR REPLACE TABLE kks (id INTEGER, no_kk VARCHAR)")
    con.executemany("INSERT INTO kks VALUES (?, ?)", rows)
    got = sql_codes(con, rules_sql.check_query("kks", "id", kk="no_kk", reference_date=REF))
    for i, value in rows:
        assert got[i] == {x.code for x in kk.check_kk(value, reference_date=REF)}, value
    assert set().union(*got.values()) == set(kk.RULES)


def test_the_transpiled_sql_still_agrees(con):
    check_nik_agreement(con, nik_rows(random.Random(1), 500), transpile=True)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark", "tsql"])
def test_transpiles_without_unsupported_features(dialect):
    query = rules_sql.check_query(
        "t", "id", nik="nik", kk="no_kk", sex="sex", birth_date="born", reference_date=REF
    )
    (out,) = sqlglot.transpile(query, read=None, write=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert "REGEXP" not in out.upper() and "TRY_CAST" not in out.upper()


def test_inline_rules_without_a_query(con):
    rules = rules_sql.nik_rules("v", reference_date=REF)
    assert "NIK_REGION" not in rules and "NIK_SEX_MISMATCH" not in rules
    con.execute("CREATE OR REPLACE TABLE vals (v VARCHAR)")
    con.executemany("INSERT INTO vals VALUES (?)", [["3509150101900000"], ["3.50915E+15"], [None]])
    select = ", ".join(f"{expr} AS {code.lower()}" for code, expr in rules.items())
    found = [{c for c in row if c} for row in con.execute(f"SELECT {select} FROM vals").fetchall()]
    assert found == [{"NIK_SERIAL"}, {"NIK_FORMAT"}, {"NIK_EMPTY"}]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="0123456789 .-eE+x", max_size=20), min_size=1, max_size=60))
def test_arbitrary_text_agrees(con, values):
    rows = [(i, v, None, None) for i, v in enumerate(values)]
    check_nik_agreement(con, rows)
