"""The engines verval runs on, behind one interface (`base.BatchEngine`); `open_engine` picks one.

Why one factory: every module that needs set-based work (a run, loading a reference extract, evaluating a
run, preparing synthetic inputs) asks here, so adding Spark (issue #11) is one new adapter and one branch
below, not a search for `import duckdb`.
"""

from __future__ import annotations

from pathlib import Path

from siks.verval.engines.base import BatchEngine

ENGINES = ("duckdb", "spark")


def open_engine(
    kind: str = "duckdb",
    *,
    temp_dir: Path | None = None,
    threads: int | None = None,
    ordered: bool = False,
) -> BatchEngine:
    """A new engine; the caller closes it. `ordered` keeps file order where a query has no ORDER BY."""
    if kind == "duckdb":
        from siks.verval.engines.duckdb import DuckDBEngine

        return DuckDBEngine(temp_dir=temp_dir, threads=threads, ordered=ordered)
    if kind == "spark":
        try:
            from siks.verval.engines.spark import SparkEngine
        except ImportError as e:  # the optional extra is not installed
            raise ValueError("mesin 'spark' membutuhkan PySpark: pip install 'siks[spark]'") from e
        return SparkEngine(temp_dir=temp_dir, ordered=ordered)
    raise ValueError(f"engine '{kind}' tidak dikenal; pilih salah satu: {', '.join(ENGINES)}")


__all__ = ["ENGINES", "BatchEngine", "open_engine"]
