"""The Spark adapter: the same verval steps on PySpark, for a registry that outgrows one machine.

Why this shape:
- One SparkSession per process (`spark_session`), because starting a JVM costs seconds; every engine
  works in its own `newSession()` so two runs in one process never see each other's tables.
- Every table a step creates is computed once and kept (cached in memory, spilled to local disk; or written
  as Parquet on a cluster), so a later step never recomputes an earlier one, and the version it replaces
  is released at once: memory holds what the current steps need, not the whole run (docs/scale.md).
- Splink runs on its own Spark backend (`SparkAPI`) in the same session, with the string-similarity UDFs
  from the jar Splink ships (Jaro-Winkler, Damerau-Levenshtein).
- `local[2]` by default (tests, one machine); any cluster through `SIKS_SPARK_MASTER` or `spark-submit`
  (then the master comes from spark-submit and is not overridden here).
"""

from __future__ import annotations

import csv
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyspark
from pyspark import StorageLevel
from pyspark.sql import SparkSession

from siks.settings import settings
from siks.verval.engines.base import BatchEngine

_SESSION: SparkSession | None = None


def _setting(key: str) -> str:
    """`SIKS_SPARK_<NAME>` from the one settings class (docs/settings.md)."""
    return str(getattr(settings(), key.removeprefix("SIKS_").lower()))


def _broadcast() -> str:
    mb = int(_setting("SIKS_SPARK_BROADCAST_MB"))
    return f"{mb}m" if mb > 0 else "-1"


def spark_session() -> SparkSession:
    """The process's SparkSession, created on first use (UI off, few shuffle partitions, Splink's jar)."""
    global _SESSION
    if _SESSION is not None and _SESSION.sparkContext._jsc is not None:
        return _SESSION
    from splink.backends.spark import similarity_jar_location

    builder = SparkSession.builder.appName("siks-verval")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # started by spark-submit: it set master and memory
    if not submitted or "spark_master" in settings().model_fields_set:
        builder = builder.master(_setting("SIKS_SPARK_MASTER"))
    if not submitted:
        builder = builder.config("spark.driver.memory", _setting("SIKS_SPARK_DRIVER_MEMORY"))
    builder = (
        builder.config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", _setting("SIKS_SPARK_SHUFFLE_PARTITIONS"))
        .config("spark.default.parallelism", _setting("SIKS_SPARK_SHUFFLE_PARTITIONS"))
        .config("spark.sql.session.timeZone", "UTC")
        # DuckDB's casts and division: a value that does not fit is NULL via TRY_CAST, x / 0 is NULL
        .config("spark.sql.ansi.enabled", "false")
        # AQE re-plans each query stage by stage (skew, partition sizes); turning it off made more jobs
        # fewer but no run faster on one machine (docs/scale.md §2), so it stays on, as a setting
        .config("spark.sql.adaptive.enabled", "true" if settings().spark_adaptive else "false")
        # Broadcast joins off by default: Spark's size estimate of a cached table or a Splink term-frequency
        # table can be far below its real size, and in local mode the broadcast then exhausts the driver
        # ("Not enough memory to build and broadcast the table", seen at 20,000 persons in 3 GB).
        .config("spark.sql.autoBroadcastJoinThreshold", _broadcast())
        .config("spark.sql.adaptive.autoBroadcastJoinThreshold", _broadcast())
        # partition keys stay text (provinsi=35 is the code '35', as on DuckDB), never numbers
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Constraint propagation only infers extra filters; on a union of checkpointed tables (`append`)
        # Spark 4 fails in it ("key not found" in Union.rewriteConstraints), and it costs planning time.
        .config("spark.sql.constraintPropagation.enabled", "false")
    )
    _SESSION = builder.getOrCreate()
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def stop_session() -> None:
    """Stop the process's session (CLI end, bench between sizes)."""
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


def _release(frame: Any) -> None:
    """Free the blocks of a locally checkpointed table (its plan is a scan of one kept RDD)."""
    logical = frame._jdf.queryExecution().logical()
    if logical.getClass().getSimpleName() == "LogicalRDD":
        logical.rdd().unpersist(False)


class SparkEngine(BatchEngine):
    dialect = "spark"

    def __init__(self, *, temp_dir: Path | None = None, ordered: bool = False) -> None:
        """`ordered` is accepted for the common interface; Spark results follow ORDER BY only."""
        super().__init__()
        self.spark = spark_session().newSession()
        base = Path(temp_dir) if temp_dir is not None else None
        if base is not None:
            base.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="siks-spark-", dir=base))
        self.spark.sparkContext.setCheckpointDir(str(self.dir / "splink"))
        self._seq = itertools.count()
        self._paths: dict[str, Path] = {}  # table → the Parquet directory it was materialised in
        self._frames: dict[str, Any] = {}  # table → its checkpointed DataFrame
        self._rows: dict[str, int] = {}  # table → its row count, known when it was materialised
        self.materialise = settings().spark_materialise

    # -- tables -----------------------------------------------------------------------------------------
    def _materialise(self, name: str, df: Any) -> int:
        """Compute `df` once, expose it as `name`, release the previous version; return its row count.

        `cache` (default): a local checkpoint, kept by Spark's block manager in memory and spilled to local
        disk when memory runs short. `parquet` (SIKS_SPARK_MATERIALISE=parquet, for clusters): written
        under the work directory and read back. Either way the table's plan becomes one scan: a table
        merely persisted keeps the plans of every table it was built from, and Spark re-plans (and, with
        AQE, re-explains) that whole history on every later job — 21,000 stages and more than 20 minutes
        for 1,000 persons, against 100 s with the lineage cut (docs/scale.md §2).
        """
        old = self._frames.pop(name, None)
        old_path = self._paths.pop(name, None)
        if self.materialise == "parquet":
            path = self.dir / f"{name}-{next(self._seq)}"
            df.write.mode("overwrite").parquet(str(path))
            df = self.spark.read.parquet(str(path))
            self._paths[name] = path
        else:
            # lazy: the count below is the one job that computes and keeps it (eager would be two)
            df = df.localCheckpoint(eager=False, storageLevel=StorageLevel.MEMORY_AND_DISK)
            self._frames[name] = df
        n = int(df.count())
        df.createOrReplaceTempView(name)
        self._rows[name] = n
        if old is not None:
            _release(old)
        if old_path is not None:
            shutil.rmtree(old_path, ignore_errors=True)
        return n

    def register_parquet(self, name: str, paths: Path | Sequence[Path]) -> None:
        files = [paths] if isinstance(paths, str | Path) else list(paths)
        self.drop(name)
        self.spark.read.parquet(*[str(p) for p in files]).createOrReplaceTempView(name)

    def register_csv(self, name: str, path: Path, *, row_number: str | None = None) -> None:
        """Read with Arrow (every column text) so row numbers follow the file exactly."""
        with open(path, encoding="utf-8", newline="") as fh:
            names = next(csv.reader(fh))
        table = pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
        )
        if row_number is not None:
            table = table.add_column(0, row_number, pa.array(range(1, table.num_rows + 1), pa.int64()))
        self.register_arrow(name, table)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        path = self.dir / f"{name}-{next(self._seq)}"
        path.mkdir(parents=True)
        pq.write_table(table, path / "part-0.parquet")
        self.drop(name)
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)
        self._paths[name] = path
        self._rows[name] = table.num_rows

    def create_table(self, name: str, select_sql: str) -> int:
        return self._materialise(name, self.spark.sql(self.transpile(select_sql)))

    def append(self, name: str, select_sql: str) -> int:
        before = self.count(name)
        rows = self.spark.table(name).union(self.spark.sql(self.transpile(select_sql)))
        return self._materialise(name, rows) - before

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._rows.pop(name, None)
        frame = self._frames.pop(name, None)
        if frame is not None:
            _release(frame)
        old = self._paths.pop(name, None)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def has_table(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def columns(self, name: str) -> list[str]:
        return list(self.spark.table(name).columns)

    def count(self, name: str) -> int:
        """Known without a job for the tables this engine materialised (a job costs ~0.2 s here)."""
        if name in self._rows:
            return self._rows[name]
        return int(self.spark.table(name).count())

    # -- results --------------------------------------------------------------------------------------
    def query(self, sql: str) -> pa.Table:
        return self.spark.sql(self.transpile(sql)).toArrow()

    def batches(self, sql: str, batch_size: int = 50_000) -> Iterator[pa.RecordBatch]:
        """Collected through the driver: bulk writes to the store are per kabupaten, not national."""
        yield from self.query(sql).to_batches(batch_size)

    def _single_file(self, df: Any, path: Path) -> None:
        """One Parquet file in the DataFrame's order (coalesce keeps the sorted partitions in order)."""
        out = self.dir / f"export-{next(self._seq)}"
        df.coalesce(1).write.mode("overwrite").option("compression", "zstd").parquet(str(out))
        part = next(p for p in sorted(out.iterdir()) if p.name.startswith("part-"))
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(part), str(path))
        shutil.rmtree(out, ignore_errors=True)

    def write_parquet(self, name: str, path: Path) -> None:
        self._single_file(self.spark.table(name), path)

    def export_parquet(self, select_sql: str, path: Path) -> None:
        self._single_file(self.spark.sql(self.transpile(select_sql)), path)

    def write_partitioned(self, select_sql: str, path: Path, by: Sequence[str]) -> None:
        """The national layout: one Parquet directory per value of `by` (provinsi=…/kabupaten=…)."""
        df = self.spark.sql(self.transpile(select_sql))
        df.write.mode("overwrite").partitionBy(*by).parquet(str(path))

    def versions(self) -> dict[str, str]:
        return {"pyspark": pyspark.__version__}

    def splink_api(self) -> Any:
        """Splink's Spark backend over this engine's session; it keeps its tables the way this engine does."""
        from splink.backends.spark import SparkAPI

        n = int(self.spark.conf.get("spark.sql.shuffle.partitions") or 8)
        lineage = "parquet" if self.materialise == "parquet" else "persist"
        return SparkAPI(
            spark_session=self.spark, break_lineage_method=lineage, num_partitions_on_repartition=n
        )

    def close(self) -> None:
        for name in list(self._paths) + list(self._frames):
            self.drop(name)
        shutil.rmtree(self.dir, ignore_errors=True)
