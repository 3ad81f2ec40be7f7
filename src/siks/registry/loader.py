"""Bulk writes inside one transaction: COPY on PostgreSQL, executemany on SQLite, ids reserved up front.

Why it looks like this:
- New rows are written with SQLAlchemy Core / the driver, never through the ORM unit of work: a million
  members must cost a few seconds, not minutes.
- Ids are reserved before writing (a sequence jump on PostgreSQL, max(id) on SQLite under the write lock),
  so members can carry their family id without a round trip per row.
- A big load into an empty table drops that table's secondary indexes, unique constraints and
  foreign keys first and rebuilds them afterwards, in the same transaction (a sorted index build and one
  join per foreign key are far cheaper than a million incremental index updates and trigger checks). A
  violated constraint still aborts the whole import. Readers of those tables wait until the commit.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

BULK_MIN_ROWS = 50_000
_COPY_CHUNK_ROWS = 100_000


class Bulk:
    """Bulk operations on the connection of the current transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._max_checked: set[str] = set()

    # --- ids and counts ---------------------------------------------------------------------------------

    def lock(self, tables: Sequence[str]) -> None:
        """PostgreSQL: keep other writers out of these tables until commit (readers are not blocked)."""
        if self.postgres:
            self.conn.execute(text(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE"))

    def reserve_ids(self, table: str, n: int) -> int:
        """The first of `n` consecutive new ids for `table` (nobody else gets them).

        PostgreSQL: the sequence jumps by `n`; the first time, also past max(id) (rows written with explicit
        ids). Later calls skip that scan: `lock` keeps other writers out until commit.
        """
        if n <= 0:
            return 0
        if self.postgres:
            seq = f"pg_get_serial_sequence('{table}', 'id')"
            floor = "0" if table in self._max_checked else f"(SELECT coalesce(max(id), 0) + 1 FROM {table})"
            last = self.conn.execute(
                text(f"SELECT setval({seq}, GREATEST(nextval({seq}), {floor}) + :n - 1)"), {"n": n}
            ).scalar_one()
            self._max_checked.add(table)
            return int(last) - n + 1
        top = self.conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()
        return int(top) + 1

    def rows_up_to(self, table: str, limit: int) -> int:
        """min(row count, limit), without counting a big table to the end."""
        return int(
            self.conn.execute(
                text(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT :n) AS s"), {"n": limit}
            ).scalar_one()
        )

    # --- inserting --------------------------------------------------------------------------------------

    def insert(self, table: str, data: pa.Table) -> None:
        """Append the rows of `data` (columns named as the table's) to `table`."""
        if data.num_rows == 0:
            return
        if self.postgres:
            self._copy(table, data)
        else:
            self._executemany(table, data)

    def insert_all(self, jobs: Sequence[tuple[str, Callable[[], pa.Table]]]) -> None:
        """Insert several tables in order; the next table is built in a thread while this one is written."""
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(jobs[0][1]) if jobs else None
            for i, (table, _) in enumerate(jobs):
                data = pending.result()
                pending = pool.submit(jobs[i + 1][1]) if i + 1 < len(jobs) else None
                self.insert(table, data)

    def _copy(self, table: str, data: pa.Table) -> None:
        columns = ", ".join(data.column_names)
        sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)"
        raw = self.conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for chunk in _csv_chunks(data):
                copy.write(chunk)

    def _executemany(self, table: str, data: pa.Table) -> None:
        names = data.column_names
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        for start in range(0, data.num_rows, _COPY_CHUNK_ROWS):
            part = data.slice(start, _COPY_CHUNK_ROWS)
            columns = [_sqlite_values(part.column(n)) for n in names]
            self.conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))

    # --- secondary indexes ------------------------------------------------------------------------------

    @contextmanager
    def bulk_load(self, tables: Sequence[str]) -> Iterator[None]:
        """Drop the tables' indexes and constraints (primary keys too), yield, rebuild them: one transaction.

        On PostgreSQL the foreign keys of *other* tables that point at these are dropped and re-added as well
        (a primary key cannot go while something references it); re-adding checks them again.
        """
        if not self.postgres:
            yield from self._sqlite_bulk_load(tables)
            return
        names = list(tables)
        constraints = self.conn.execute(
            text(
                "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c WHERE c.contype IN ('p', 'u', 'f') "
                "AND (c.conrelid = ANY(CAST(:t AS regclass[])) OR c.confrelid = ANY(CAST(:t AS regclass[]))) "
                "ORDER BY c.conrelid::regclass::text, c.conname"
            ),
            {"t": names},
        ).all()
        indexes = self.conn.execute(
            text(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = ANY(CAST(:t AS regclass[])) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname"
            ),
            {"t": names},
        ).all()
        fks = [c for c in constraints if c[2] == "f"]
        keys = [c for c in constraints if c[2] in ("p", "u") and c[0] in names]
        self.conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for table, name, _, _ in fks:
            self.conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for table, name, _, _ in keys:
            self.conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            self.conn.execute(text(f'DROP INDEX "{name}"'))
        yield
        for table, name, _, definition in keys:  # primary keys first: foreign keys need them
            self.conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        for _, definition in indexes:
            self.conn.execute(text(definition))
        for table, name, _, definition in fks:
            self.conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))

    def _sqlite_bulk_load(self, tables: Sequence[str]) -> Iterator[None]:
        saved = []
        for table in tables:
            saved += self.conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
                ),
                {"t": table},
            ).all()
        for name, _ in saved:
            self.conn.execute(text(f'DROP INDEX "{name}"'))
        yield
        for _, sql in saved:
            self.conn.execute(text(sql))


def _sqlite_values(col: pa.ChunkedArray) -> list:
    if pa.types.is_date(col.type) or pa.types.is_boolean(col.type):
        col = pc.cast(col, pa.string()) if pa.types.is_date(col.type) else pc.cast(col, pa.int8())
    return col.to_pylist()


def _csv_bytes(part: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(part, buf, pacsv.WriteOptions(include_header=False))
    return buf.getvalue()


def _csv_chunks(data: pa.Table) -> Iterator[bytes]:
    """CSV text of `data` in slices, the next slice rendered in a thread while the current one is sent."""
    if data.num_rows <= _COPY_CHUNK_ROWS:
        yield _csv_bytes(data)
        return
    out: queue.Queue = queue.Queue(maxsize=2)

    def produce() -> None:
        try:
            for start in range(0, data.num_rows, _COPY_CHUNK_ROWS):
                out.put(_csv_bytes(data.slice(start, _COPY_CHUNK_ROWS)))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            out.put(exc)
        out.put(None)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while (item := out.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        while worker.is_alive():  # unblock the producer if the consumer stopped early
            try:
                out.get_nowait()
            except queue.Empty:
                worker.join(0.05)
