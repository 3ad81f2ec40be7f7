"""Desil 1–10 within a population: 10 % each, ties together, the same in Python and in SQL."""

from __future__ import annotations

from collections import Counter

import duckdb
import numpy as np
import pytest
import sqlglot

from siks.domain.pmt import assign_desil
from siks.verval import pmt_sql


def test_exactly_ten_percent_without_ties():
    scores = list(np.random.default_rng(1).normal(size=1000))
    counts = Counter(assign_desil(scores))
    assert counts == {d: 100 for d in range(1, 11)}


def test_ranks_follow_scores():
    scores = [5.0, 1.0, 3.0, 2.0, 4.0, 9.0, 8.0, 7.0, 6.0, 0.0]
    assert assign_desil(scores) == [6, 2, 4, 3, 5, 10, 9, 8, 7, 1]


def test_not_divisible_by_ten_stays_within_one_household():
    counts = Counter(assign_desil(list(range(1003))))
    assert sum(counts.values()) == 1003
    assert max(counts.values()) - min(counts.values()) <= 1


def test_ties_share_a_desil():
    scores = [1.0] * 25 + list(np.linspace(2, 3, 75))
    desil = assign_desil(scores)
    assert set(desil[:25]) == {1}  # 25 equal households are never split over desil 1–3
    assert desil[25] == 3  # the next starts where 25 % of the population lies below it
    assert Counter(desil)[1] == 25


def test_people_weights():
    # Ruta of 1 person and ruta of 9 persons: each desil holds 10 % of the people, not of the ruta.
    scores = list(range(20))
    weights = [1 if i % 2 else 9 for i in range(20)]
    desil = assign_desil(scores, weights)
    people = Counter()
    for d, w in zip(desil, weights, strict=True):
        people[d] += w
    assert all(abs(v - 10) <= 9 for v in people.values())
    assert desil[0] == 1 and desil[-1] == 10


def _sql_desil(rows, population="kabupaten", weight="ruta"):
    con = duckdb.connect()
    con.execute("CREATE TABLE s (household_ref VARCHAR, kode_desa VARCHAR, jumlah_art INT, score DOUBLE)")
    con.executemany("INSERT INTO s VALUES (?, ?, ?, ?)", rows)
    sql = pmt_sql.desil_sql("s", population, weight)
    sqlglot.transpile(sql, write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    duck = sqlglot.transpile(sql, write="duckdb")[0]
    return {r[0]: (r[1], r[2]) for r in con.execute(duck).fetchall()}


@pytest.mark.parametrize("weight", ["ruta", "jiwa"])
def test_sql_window_agrees_with_python(weight):
    rng = np.random.default_rng(4)
    rows = []
    for i in range(700):
        kab = "3509" if i % 3 else "3510"
        score = round(float(rng.normal()), 1)  # rounding makes many ties
        rows.append((f"R{i}", f"{kab}012001", int(rng.integers(1, 8)), score))
    rows.append(("EMPTY", "3509012001", 0, 0.0))  # nobody lives there: not ranked
    got = _sql_desil(rows, weight=weight)
    assert "EMPTY" not in got
    for kab in ("3509", "3510"):
        part = [r for r in rows if r[1].startswith(kab) and r[2] > 0]
        weights = [r[2] if weight == "jiwa" else 1 for r in part]
        expected = assign_desil([r[3] for r in part], weights)
        assert [got[r[0]] for r in part] == [(kab, d) for d in expected]


def test_population_choice_changes_the_desil():
    rows = [(f"A{i}", "3509012001", 1, float(i)) for i in range(10)]
    rows += [(f"B{i}", "3510012001", 1, float(i) + 100) for i in range(10)]
    kab = _sql_desil(rows, "kabupaten")
    nat = _sql_desil(rows, "nasional")
    prov = _sql_desil(rows, "provinsi")
    assert kab["B0"] == ("3510", 1)  # the poorest of its kabupaten
    assert nat["B0"] == ("ID", 6)  # but richer than half the country
    assert prov["B0"] == ("35", 6)


def test_model_cutoffs_in_sql():
    rows = [(f"R{i}", "3509012001", 1, float(i)) for i in range(12)]
    got = _sql_desil_cut(rows, tuple(float(c) for c in range(1, 10)))
    assert got["R0"] == 1 and got["R1"] == 2 and got["R9"] == 10 and got["R11"] == 10


def _sql_desil_cut(rows, cutoffs):
    con = duckdb.connect()
    con.execute("CREATE TABLE s (household_ref VARCHAR, kode_desa VARCHAR, jumlah_art INT, score DOUBLE)")
    con.executemany("INSERT INTO s VALUES (?, ?, ?, ?)", rows)
    sql = sqlglot.transpile(pmt_sql.desil_sql("s", "model", "ruta", cutoffs), write="duckdb")[0]
    return {r[0]: r[2] for r in con.execute(sql).fetchall()}


def test_bad_choices_are_refused():
    with pytest.raises(ValueError, match="populasi"):
        pmt_sql.desil_sql("s", "desa", "ruta")
    with pytest.raises(ValueError, match="bobot"):
        pmt_sql.desil_sql("s", "kabupaten", "keluarga")
    with pytest.raises(ValueError, match="batas desil"):
        pmt_sql.desil_sql("s", "model", "ruta", ())
