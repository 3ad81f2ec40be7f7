"""The Spark engine: the adapter keeps the `BatchEngine` contract, and the whole pipeline on the 20,000-person
kabupaten finds on Spark exactly what it finds on DuckDB (proven by running both, not by transpiling)."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from siks.verval.engines import open_engine

from .conftest import SPARK

pytestmark = SPARK

#: Match weights may differ by this much between engines: both compute log2 of the same Bayes factors in
#: double precision, but sum them in a different order (and Jaro-Winkler comes from a different library).
WEIGHT_TOLERANCE = 1e-6


def test_adapter_keeps_the_engine_contract(tmp_path):
    lines = ["nik,nama"] + [f"{i:016d},Nama {i}" for i in range(300, 0, -1)]
    (tmp_path / "x.csv").write_text("\n".join(lines) + "\n")
    engine = open_engine("spark", temp_dir=tmp_path / "tmp")
    try:
        assert engine.dialect == "spark" and "pyspark" in engine.versions()
        engine.register_csv("x", tmp_path / "x.csv", row_number="_row")
        assert engine.columns("x") == ["_row", "nik", "nama"]
        first = engine.query("SELECT _row, nik FROM x WHERE _row IN (1, 300) ORDER BY _row").to_pylist()
        assert first == [{"_row": 1, "nik": f"{300:016d}"}, {"_row": 300, "nik": f"{1:016d}"}]
        # a table may be rebuilt from itself, and appended to
        assert engine.create_table("y", "SELECT nik FROM x WHERE _row <= 10") == 10
        assert engine.create_table("y", "SELECT nik FROM y WHERE nik > '0000000000000295'") == 5
        assert engine.append("y", "SELECT nik FROM x WHERE _row = 300") == 1
        assert engine.count("y") == 6
        engine.export_parquet("SELECT nik FROM x ORDER BY nik DESC", tmp_path / "x.parquet")
        exported = pq.read_table(tmp_path / "x.parquet").column("nik").to_pylist()
        assert exported == sorted(exported, reverse=True) and len(exported) == 300
        engine.register_arrow("empty", pa.schema([("a", pa.string()), ("b", pa.bool_())]).empty_table())
        assert engine.count("empty") == 0 and engine.columns("empty") == ["a", "b"]
        engine.drop("y")
        assert not engine.has_table("y") and engine.has_table("x")
        with pytest.raises(Exception, match="(?i)nope|cannot be found|not found"):
            engine.query("SELECT * FROM nope")
    finally:
        engine.close()


def test_engines_do_not_see_each_others_tables(tmp_path):
    a = open_engine("spark", temp_dir=tmp_path / "a")
    b = open_engine("spark", temp_dir=tmp_path / "b")
    try:
        a.create_table("t", "SELECT 1 AS x")
        assert a.has_table("t") and not b.has_table("t")
    finally:
        a.close()
        b.close()


def _findings(outcome) -> list[dict]:
    return outcome.engine.query(
        "SELECT code, member_ref, household_ref, related_ref, related_nik, cluster_id, rank, weight "
        "FROM findings"
    ).to_pylist()


def _clusters(outcome) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for r in outcome.engine.query("SELECT cluster_id, member_ref FROM duplicate_cluster").to_pylist():
        groups[r["cluster_id"]].add(r["member_ref"])
    return {frozenset(g) for g in groups.values()}


def test_parity_on_a_kabupaten(kab, duckdb_outcome, spark_outcome):
    """Same codes on the same persons, same duplicate clusters, weights within WEIGHT_TOLERANCE."""
    assert spark_outcome.versions["engine"] == "SparkEngine"
    d, s = _findings(duckdb_outcome), _findings(spark_outcome)
    assert len(d) > 1_000  # the kabupaten has injected errors of every kind

    def key(r):
        return (r["code"], r["member_ref"], r["household_ref"], r["related_ref"], r["related_nik"], r["rank"])

    dk, sk = {key(r): r for r in d}, {key(r): r for r in s}
    assert len(dk) == len(d) and len(sk) == len(s)
    only_d, only_s = sorted(set(dk) - set(sk), key=str), sorted(set(sk) - set(dk), key=str)
    assert not only_d and not only_s, (only_d[:5], only_s[:5])

    assert _clusters(duckdb_outcome) == _clusters(spark_outcome)
    assert {r["cluster_id"] for r in d if r["code"] == "DUP"} == {
        r["cluster_id"] for r in s if r["code"] == "DUP"
    }

    worst = 0.0
    for k, r in dk.items():
        a, b = r["weight"], sk[k]["weight"]
        assert (a is None) == (b is None), k
        if a is not None:
            worst = max(worst, abs(a - b))
    assert worst <= WEIGHT_TOLERANCE, worst
    # every step ran on both, and the padan/ganda models were the stored ones on both
    for out in (duckdb_outcome, spark_outcome):
        stats = {r.name: r.stats for r in out.results}
        assert stats["padan"]["model"]["sumber"] == "tersimpan" == stats["ganda"]["model"]["sumber"]
    assert [r.name for r in duckdb_outcome.results] == [r.name for r in spark_outcome.results]
