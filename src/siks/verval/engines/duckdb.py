"""The DuckDB adapter: the default engine. Parquet is scanned in place; only small results reach Python."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from siks.settings import settings
from siks.verval.engines.base import BatchEngine


class DuckDBEngine(BatchEngine):
    dialect = "duckdb"

    def __init__(
        self,
        database: str = ":memory:",
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        temp_dir: Path | None = None,
        ordered: bool = False,
    ) -> None:
        """`ordered` keeps file order in results without ORDER BY (small utility work: copies of extracts);
        a pipeline run does without it, which lets DuckDB stream large joins."""
        super().__init__()
        self.con = duckdb.connect(database)
        self.ordered = ordered
        self._run(f"SET threads = {int(threads or os.cpu_count() or 1)}")
        self._run(f"SET memory_limit = '{memory_limit or settings().duckdb_memory}'")
        self._run(f"SET preserve_insertion_order = {'true' if ordered else 'false'}")
        if temp_dir is not None:
            Path(temp_dir).mkdir(parents=True, exist_ok=True)
            self._run(f"SET temp_directory = '{Path(temp_dir).as_posix()}'")

    def _run(self, sql: str) -> None:
        """Execute and drain: DuckDB refuses new work while a result is unread."""
        self.con.execute(sql).fetchall()

    def register_parquet(self, name: str, paths: Path | Sequence[Path]) -> None:
        files = [paths] if isinstance(paths, str | Path) else list(paths)
        partitioned = any(Path(p).is_dir() for p in files)
        files = [Path(p) / "**" / "*.parquet" if Path(p).is_dir() else Path(p) for p in files]
        lst = ", ".join("'" + Path(p).as_posix().replace("'", "''") + "'" for p in files)
        hive = ", hive_partitioning = true, hive_types_autocast = false" if partitioned else ""
        self.drop(name)
        self._run(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{lst}]{hive})")

    def register_csv(self, name: str, path: Path, *, row_number: str | None = None) -> None:
        src = f"read_csv({_literal(path)}, all_varchar = true, header = true)"
        self.drop(name)
        if row_number is None:
            self._run(f"CREATE VIEW {name} AS SELECT * FROM {src}")
            return
        self._run("SET preserve_insertion_order = true")  # row numbers follow the file
        try:
            self._run(f"CREATE TABLE {name} AS SELECT ROW_NUMBER() OVER () AS {row_number}, * FROM {src}")
        finally:
            self._run(f"SET preserve_insertion_order = {'true' if self.ordered else 'false'}")

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.drop(name)
        self.con.register(f"{name}__arrow", table)
        self._run(f"CREATE TABLE {name} AS SELECT * FROM {name}__arrow")
        self.con.unregister(f"{name}__arrow")

    def create_table(self, name: str, select_sql: str) -> int:
        sql = self.transpile(select_sql)
        self.drop(f"{name}__new")
        self._run(f"CREATE TABLE {name}__new AS {sql}")  # the query may read the table it replaces
        self.drop(name)
        self._run(f"ALTER TABLE {name}__new RENAME TO {name}")
        return self.count(name)

    def append(self, name: str, select_sql: str) -> int:
        before = self.count(name)
        self._run(f"INSERT INTO {name} {self.transpile(select_sql)}")
        return self.count(name) - before

    def _kind(self, name: str) -> str | None:
        rows = self.con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema = current_schema()",
            [name],
        ).fetchall()
        return rows[0][0] if rows else None

    def drop(self, name: str) -> None:
        kind = self._kind(name)
        if kind == "VIEW":
            self._run(f"DROP VIEW {name}")
        elif kind is not None:
            self._run(f"DROP TABLE {name}")

    def has_table(self, name: str) -> bool:
        return self._kind(name) is not None

    def columns(self, name: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"DESCRIBE {name}").fetchall()]

    def count(self, name: str) -> int:
        return int(self.con.execute(f"SELECT COUNT(*) FROM {name}").fetchall()[0][0])

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(self.transpile(sql)).to_arrow_table()

    def batches(self, sql: str, batch_size: int = 50_000) -> Iterator[pa.RecordBatch]:
        reader = self.con.sql(self.transpile(sql)).to_arrow_reader(batch_size)
        yield from reader

    def write_parquet(self, name: str, path: Path) -> None:
        p = Path(path).as_posix().replace("'", "''")
        self._run(f"COPY {name} TO '{p}' (FORMAT PARQUET, COMPRESSION ZSTD)")

    def export_parquet(self, select_sql: str, path: Path) -> None:
        self._run(
            f"COPY ({self.transpile(select_sql)}) TO {_literal(path)} (FORMAT PARQUET, COMPRESSION ZSTD)"
        )

    def write_partitioned(self, select_sql: str, path: Path, by: Sequence[str]) -> None:
        cols = ", ".join(by)
        self._run(
            f"COPY ({self.transpile(select_sql)}) TO {_literal(path)} "
            f"(FORMAT PARQUET, COMPRESSION ZSTD, PARTITION_BY ({cols}), OVERWRITE_OR_IGNORE true)"
        )

    def versions(self) -> dict[str, str]:
        return {"duckdb": duckdb.__version__}

    def splink_api(self) -> Any:
        """A fresh API per caller: Splink caches intermediate tables (term frequencies) per API object."""
        from splink import DuckDBAPI

        return DuckDBAPI(connection=self.con)

    def close(self) -> None:
        self.con.close()


def _literal(path: Path | str) -> str:
    return "'" + Path(path).as_posix().replace("'", "''") + "'"
