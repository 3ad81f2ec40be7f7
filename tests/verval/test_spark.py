"""The Spark engine adapter keeps the `BatchEngine` contract on a tiny input (`local[2]`). The verval steps
themselves run on Spark through the `outcome` fixture (conftest.py), and test_parity.py compares the whole
pipeline with DuckDB."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from siks.verval.engines import open_engine

#: One xdist worker runs these, so the JVM starts once.
pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


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
