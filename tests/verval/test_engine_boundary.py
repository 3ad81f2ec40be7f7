"""Only the engine layer talks to DuckDB or Spark, so an engine is one adapter and nothing else changes."""

from __future__ import annotations

import ast
from pathlib import Path

import siks
from siks.verval.engines import open_engine

SRC = Path(siks.__file__).parent
ENGINE_LAYER = SRC / "verval" / "engines"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_outside_the_engine_layer_imports_an_engine():
    for library, adapter in (("duckdb", "duckdb.py"), ("pyspark", "spark.py")):
        offenders = sorted(
            str(p.relative_to(SRC))
            for p in SRC.rglob("*.py")
            if ENGINE_LAYER not in p.parents and library in _imports(p)
        )
        assert offenders == [], (library, offenders)
        assert library in _imports(ENGINE_LAYER / adapter)  # the check does see imports


def test_csv_rows_are_numbered_in_file_order_and_queries_export_in_order(tmp_path):
    lines = ["nik,nama"] + [f"{i:016d},Nama {i}" for i in range(2_000, 0, -1)]
    (tmp_path / "x.csv").write_text("\n".join(lines) + "\n")
    engine = open_engine(threads=2)
    try:
        engine.register_csv("x", tmp_path / "x.csv", row_number="_row")
        assert engine.columns("x") == ["_row", "nik", "nama"]
        first = engine.query("SELECT _row, nik FROM x WHERE _row IN (1, 2000) ORDER BY _row").to_pylist()
        assert first == [{"_row": 1, "nik": f"{2000:016d}"}, {"_row": 2000, "nik": f"{1:016d}"}]
        engine.export_parquet("SELECT nik FROM x ORDER BY nik", tmp_path / "x.parquet")
        engine.register_parquet("y", tmp_path / "x.parquet")
        assert engine.count("y") == 2_000
        assert "duckdb" in engine.versions()
    finally:
        engine.close()
