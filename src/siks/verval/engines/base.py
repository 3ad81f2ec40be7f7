"""The narrow interface every verval step talks to, so the same steps run on DuckDB now and Spark later.

Steps write SQL in one neutral dialect (sqlglot's default, ANSI-like) and hand it to the engine, which
transpiles it. A step never touches the engine's own connection; anything engine-specific (reading
Parquet or CSV, Splink's database API, writing files, library versions) lives behind this interface, and
so does every other verval module (reference extracts, evaluation, synthetic inputs, runs): only
`siks.verval.engines` imports an engine library. Like Splink's one public API over DuckDBAPI/SparkAPI, a
new engine (Spark, issue #11) implements this class and is added to `siks.verval.engines.open_engine`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot

NEUTRAL = ""  # sqlglot's default dialect: the one every step's SQL is written in


class BatchEngine(ABC):
    """A set-based SQL engine holding named tables for one verval run."""

    #: sqlglot dialect name the neutral SQL is transpiled to.
    dialect: str = NEUTRAL

    def __init__(self) -> None:
        self.sql_log: list[str] = []  # every neutral statement run; tests transpile it to other dialects

    def transpile(self, sql: str) -> str:
        """Neutral SQL → this engine's dialect (errors, not silent rewrites, on unsupported features)."""
        self.sql_log.append(sql)
        out = sqlglot.transpile(
            sql, read=NEUTRAL, write=self.dialect, unsupported_level=sqlglot.ErrorLevel.RAISE
        )
        return ";\n".join(out)

    # -- tables -----------------------------------------------------------------------------------------
    @abstractmethod
    def register_parquet(self, name: str, paths: Path | Sequence[Path]) -> None:
        """Expose Parquet file(s) as table `name` without loading rows into Python. A directory is a
        partitioned dataset (`provinsi=35/kabupaten=3509/…`): its partition keys become text columns."""

    @abstractmethod
    def register_csv(self, name: str, path: Path, *, row_number: str | None = None) -> None:
        """Expose a CSV file (header row; every column as text) as table `name`. With `row_number`, add that
        column numbering the data rows from 1 in file order (for error messages that name the row)."""

    @abstractmethod
    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Expose a small in-memory Arrow table (decisions, previous clusters) as table `name`."""

    @abstractmethod
    def create_table(self, name: str, select_sql: str) -> int:
        """Materialise `select_sql` (neutral dialect) as table `name`, replacing it; return its row count."""

    @abstractmethod
    def append(self, name: str, select_sql: str) -> int:
        """Insert the rows of `select_sql` (neutral dialect) into existing table `name`; return how many."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Forget table `name` if it exists."""

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    @abstractmethod
    def columns(self, name: str) -> list[str]:
        """Column names of table `name`, in order."""

    # -- results --------------------------------------------------------------------------------------
    @abstractmethod
    def query(self, sql: str) -> pa.Table:
        """Run a neutral SELECT and return the (small) result as Arrow: counts, reports, one person."""

    def scalar(self, sql: str) -> Any:
        t = self.query(sql)
        return t.column(0)[0].as_py() if t.num_rows else None

    def count(self, name: str) -> int:
        return int(self.scalar(f"SELECT COUNT(*) FROM {name}"))

    @abstractmethod
    def batches(self, sql: str, batch_size: int = 50_000) -> Iterator[pa.RecordBatch]:
        """Stream a large result in batches (bulk writes to the store)."""

    @abstractmethod
    def write_parquet(self, name: str, path: Path) -> None:
        """Write table `name` to one Parquet file."""

    @abstractmethod
    def export_parquet(self, select_sql: str, path: Path) -> None:
        """Write the rows of a neutral SELECT to one Parquet file, in its ORDER BY when it has one."""

    @abstractmethod
    def write_partitioned(self, select_sql: str, path: Path, by: Sequence[str]) -> None:
        """Write the rows of a neutral SELECT under directory `path`, one Parquet directory per value of
        the `by` columns (the national layout: provinsi=…/kabupaten=…)."""

    def versions(self) -> dict[str, str]:
        """Library versions recorded with every run (e.g. {"duckdb": "1.1.3"})."""
        return {}

    # -- Splink ---------------------------------------------------------------------------------------
    @abstractmethod
    def splink_api(self) -> Any:
        """A new Splink database API over this engine's tables (DuckDBAPI here, SparkAPI later)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""
