"""The fast forms of the comparison levels say exactly what the plain forms say (a speed change must not
change a single gamma): nickname without a regex, contained without splitting most pairs, one edit via
hamming. Checked on crafted edge cases and on every pair of a few hundred generated name keys."""

from __future__ import annotations

import random

import duckdb
import pytest

from siks.verval import linkage

EDGE_NAMES = [
    "",
    "A",
    "WAWAN",
    "HERMAWAN",
    "TONO",
    "SUTONO",
    "FATHOR",
    "FATHORRAHMAN",
    "FATHOR RAHMAN",
    "RAHMAN FATHOR",
    "SITI AMINAH",
    "AMINAH",
    "AMINAH SITI",
    "A  B",
    "B",
    "BUDI SANTOSO",
    "SANTOSO BUDI AJI",
    "WAN",
    "HERMA",
    "JOKO",
    "JOKOWI",
    "JOKO WIDODO",
]
EDGE_STRINGS = [
    "",
    "1",
    "12",
    "21",
    "3509011201900001",
    "3509011201900002",
    "3509011021900001",
    "3509011201900010",
    "350901120190001",
    "35090112019000011",
    "1990-01-12",
    "1990-12-01",
    "1990-01-21",
    "1909-01-12",
    "abcd",
    "abdc",
    "bacd",
    "acbd",
]


def _names() -> list[str]:
    rng = random.Random(7)
    parts = ["BUDI", "SANTOSO", "SITI", "AMINAH", "WAWAN", "HERMAWAN", "TONO", "SUTONO", "RAHMAN", "ANI"]
    out = set(EDGE_NAMES)
    while len(out) < 120:
        out.add(" ".join(rng.sample(parts, rng.randint(1, 3))))
    return sorted(out)


def _strings() -> list[str]:
    rng = random.Random(11)
    out = set(EDGE_STRINGS)
    base = "3509011201900001"
    while len(out) < 120:
        s = list(base)
        for _ in range(rng.randint(0, 3)):
            i = rng.randrange(len(s))
            op = rng.choice("sdit")
            if op == "s":
                s[i] = rng.choice("0123456789")
            elif op == "d" and len(s) > 1:
                del s[i]
            elif op == "i":
                s.insert(i, rng.choice("0123456789"))
            elif i + 1 < len(s):
                s[i], s[i + 1] = s[i + 1], s[i]
        out.add("".join(s))
    return sorted(out)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _disagreements(con, values: list[str], column: str, fast: str, plain: str) -> list[tuple]:
    con.execute("CREATE OR REPLACE TABLE v (x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?)", [(x,) for x in values])
    con.execute(
        f"CREATE OR REPLACE TABLE p AS SELECT a.x AS {column}_l, b.x AS {column}_r FROM v AS a, v AS b"
    )
    return con.execute(
        f"SELECT {column}_l, {column}_r, {fast}, {plain} FROM p WHERE ({fast}) IS DISTINCT FROM ({plain})"
    ).fetchall()


def _nickname_regex(a: str, b: str) -> str:
    pattern = f"'(^| )' || substr({a}, 1, 4) || '|' || right({a}, 3) || '( |$)'"
    return (
        f"(length({a}) >= 4 AND strpos({a}, ' ') = 0 AND length({b}) > length({a}) "
        f"AND regexp_matches({b}, {pattern}))"
    )


def test_nickname_without_regex_matches_the_pattern(con):
    left, right = "nama_kunci_l", "nama_kunci_r"
    plain = f"({_nickname_regex(left, right)} OR {_nickname_regex(right, left)})"
    for dialect in ("duckdb", "spark"):  # the Spark form uses instr, which DuckDB also has
        assert _disagreements(con, _names(), "nama_kunci", linkage.nickname_sql(dialect), plain) == []
    # and it does find panggilan, both ways round
    got = con.execute(
        f"SELECT {linkage.nickname_sql('duckdb')} FROM (VALUES ('WAWAN', 'HERMAWAN'), ('SUTONO', 'TONO'), "
        "('FATHOR', 'FATHORRAHMAN'), ('JOKO', 'BUDI SANTOSO')) AS t(nama_kunci_l, nama_kunci_r)"
    ).fetchall()
    assert [r[0] for r in got] == [True, True, True, False]


def test_contained_matches_list_has_all(con):
    plain = (
        "(list_has_all(string_split(nama_kunci_l, ' '), string_split(nama_kunci_r, ' ')) OR "
        "list_has_all(string_split(nama_kunci_r, ' '), string_split(nama_kunci_l, ' ')))"
    )
    assert _disagreements(con, _names(), "nama_kunci", linkage.contained_sql("duckdb"), plain) == []


@pytest.mark.parametrize("column", ["nik", "tgl"])
def test_one_edit_matches_damerau_levenshtein(con, column):
    level = linkage.within_one_edit(column, "duckdb")
    fast = level.create_sql(_dialect())
    plain = f"damerau_levenshtein({column}_l, {column}_r) <= 1"
    assert _disagreements(con, _strings(), column, fast, plain) == []
    assert level.create_label_for_charts() == f"Damerau-Levenshtein distance of {column} <= 1"


def _dialect():
    from splink.internals.dialects import SplinkDialect

    return SplinkDialect.from_string("duckdb")
