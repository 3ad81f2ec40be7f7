"""Import benchmark: a million anggota (with their ruta and keluarga) into SQLite and PostgreSQL.

For each backend it prints the importer's rate beside the raw floor measured in the same run — the same
file into a bare table of text columns, by the cheapest route the database has (PostgreSQL: the file's
bytes streamed to COPY; SQLite: executemany over csv.reader) — and the ratio. The target is ≥ 100,000
rows/s into PostgreSQL and at least half the raw COPY rate.

PostgreSQL also gets a second floor, the *schema floor*: the rows the importer wrote, taken back out of the
database as COPY text, loaded into a fresh database of the real schema the way the importer loads them
(one transaction, the same `Bulk` code: keys and indexes dropped, six COPYs, keys, indexes and foreign keys
rebuilt). No reading, no validation, no Python work: what the database alone costs for this schema.

    .venv/bin/python bench/import_bench.py                 # 1,000,000 rows, both backends
    .venv/bin/python bench/import_bench.py --rows 100000 --only postgresql
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
from sqlalchemy import text

from siks.devtools.pgserver import TemporaryPostgres
from siks.domain import template as T
from siks.domain.status import ImportStatus
from siks.registry import sample
from siks.registry.importer import import_file
from siks.store.db import make_engine, upgrade


def make_synth_file(rows: int, seed: int, work: Path) -> Path:
    """The DTKS of a synthetic kabupaten (siks.synth), cut to at most `rows` anggota at whole ruta."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from siks.synth.generate import generate
    from siks.synth.params import SynthParams

    path = work / f"dtks_synth_{rows}_{seed}.csv"
    if path.exists():
        return path
    t0 = time.perf_counter()
    persons = max(2_000, int(rows / 0.38))
    while True:
        out = work / f"synth_{persons}_{seed}"
        if not (out / "dtks.csv").exists():
            generate(SynthParams(persons=min(persons, 10_000_000), seed=seed), out)
        table = pacsv.read_csv(
            out / "dtks.csv",
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(T.headers(), "string"), strings_can_be_null=False
            ),
        )
        if table.num_rows >= rows or persons >= 10_000_000:
            break
        persons = int(persons * rows / max(table.num_rows, 1) * 1.05)
    enc = pc.dictionary_encode(table.column("id_ruta")).combine_chunks()
    sizes = np.bincount(enc.indices.to_numpy(), minlength=len(enc.dictionary))
    keep = np.cumsum(sizes) <= rows  # whole ruta in order of first appearance, up to `rows` anggota
    table = table.filter(pa.array(keep[enc.indices.to_numpy()]))
    sample.write_csv(table, path)
    print(
        f"berkas uji (siks.synth, {persons:,} penduduk): {path} ({table.num_rows:,} baris), "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return path


def make_file(rows: int, seed: int, work: Path) -> Path:
    path = work / f"dtks_{rows}_{seed}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        sample.write_csv(sample.rows(rows, seed=seed, warning_rate=0.02), path)
        print(
            f"berkas uji: {path} ({path.stat().st_size / 1e6:.0f} MB), "
            f"dibuat dalam {time.perf_counter() - t0:.1f} s"
        )
    return path


_SQL_TYPES = {
    "code": "SMALLINT",
    "count": "INTEGER",
    "yes_no": "SMALLINT",
    "bitflags": "SMALLINT",
    "number": "DOUBLE PRECISION",
    "date": "DATE",
}


def _bare_table(conn, typed: bool = False) -> None:
    """The template's columns, no keys, no indexes: all TEXT, or (typed) each column's natural SQL type."""
    conn.execute(text("DROP TABLE IF EXISTS raw_floor"))
    cols = [f"{c.key} {_SQL_TYPES.get(c.kind, 'TEXT') if typed else 'TEXT'}" for c in T.COLUMNS]
    conn.execute(text(f"CREATE TABLE raw_floor ({', '.join(cols)})"))


def _timed_floor(url: str, load, typed: bool = False) -> float:
    """Seconds `load(conn)` takes to fill a fresh bare table in one transaction (dropped after)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        _bare_table(conn, typed)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        load(conn)
    seconds = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE raw_floor"))
    engine.dispose()
    return seconds


def floor_postgres(url: str, path: Path, typed: bool = False) -> float:
    """COPY the file's bytes into a bare table: no parsing in Python at all."""

    def load(conn):
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy("COPY raw_floor FROM STDIN (FORMAT csv, HEADER true)") as copy,
            open(path, "rb") as f,
        ):
            while chunk := f.read(8 << 20):
                copy.write(chunk)

    return _timed_floor(url, load, typed)


def floor_sqlite(url: str, path: Path) -> float:
    """executemany straight from csv.reader into a bare table, one transaction."""
    sql = f"INSERT INTO raw_floor VALUES ({', '.join('?' for _ in T.headers())})"

    def load(conn):
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader)
            conn.connection.driver_connection.executemany(sql, reader)

    return _timed_floor(url, load)


def floor_schema(source_url: str, url: str) -> float:
    """The database's own cost of an import: the imported rows loaded into a fresh schema by `Bulk`."""
    from contextlib import nullcontext

    from siks.registry.importer import DATA_TABLES
    from siks.registry.loader import BULK_MIN_ROWS, Bulk

    tables = ("import_batch", *DATA_TABLES)
    source = make_engine(source_url)
    dumps: dict[str, tuple[list[str], bytes]] = {}
    with source.connect() as conn:
        raw = conn.connection.driver_connection
        for table in tables:
            names = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                        "AND column_name NOT IN ('status', 'status_reason', 'created_at', 'updated_at', "
                        "'version', 'valid_from', 'valid_to') ORDER BY ordinal_position"
                    ),
                    {"t": table},
                )
            ]  # the columns the importer writes; the rest are the schema's defaults, as in an import
            buf = bytearray()
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(names)}) TO STDOUT (FORMAT csv)") as cp,
            ):
                for chunk in cp:
                    buf += chunk
            dumps[table] = (names, bytes(buf))
    source.dispose()
    upgrade(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        bulk = Bulk(conn)
        bulk.lock(DATA_TABLES)
        raw = conn.connection.driver_connection
        members = dumps["member"][1].count(b"\n")
        with bulk.bulk_load(DATA_TABLES) if members >= BULK_MIN_ROWS else nullcontext():
            for table in tables:
                names, data = dumps[table]
                with (
                    raw.cursor() as cur,
                    cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as cp,
                ):
                    for start in range(0, len(data), 8 << 20):
                        cp.write(data[start : start + (8 << 20)])
    seconds = time.perf_counter() - t0
    engine.dispose()
    return seconds


def run_import(url: str, path: Path) -> tuple[float, dict]:
    upgrade(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    result = import_file(engine, path, "bench")
    seconds = time.perf_counter() - t0
    assert result.status == ImportStatus.DIMUAT, result.errors[:3]
    with engine.connect() as conn:
        members = conn.execute(text("SELECT count(*) FROM member")).scalar_one()
    assert members == result.rows, (members, result.rows)
    engine.dispose()
    return seconds, {k: round(v, 2) for k, v in result.timings.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="jumlah ART (baris) dalam berkas uji")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=["sqlite", "postgresql"], help="hanya satu basis data")
    ap.add_argument("--work", type=Path, help="direktori kerja (bawaan: direktori sementara)")
    ap.add_argument("--json", type=Path, help="tulis hasil sebagai JSON")
    ap.add_argument(
        "--source",
        choices=["synth", "sample"],
        default="synth",
        help="synth: DTKS kabupaten sintetis (siks.synth, dengan galat); sample: baris numpy sederhana",
    )
    args = ap.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="siks-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = (make_synth_file if args.source == "synth" else make_file)(args.rows, args.seed, work)
    with open(path, "rb") as f:
        n_rows = sum(1 for _ in f) - 1
    results = []
    backends = [args.only] if args.only else ["sqlite", "postgresql"]
    for backend in backends:
        if backend == "sqlite":
            floor_db, import_db = work / "floor.db", work / "import.db"
            for p in (floor_db, import_db):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{p}{suffix}").unlink(missing_ok=True)
            floor = floor_sqlite(f"sqlite:///{floor_db}", path)
            seconds, phases = run_import(f"sqlite:///{import_db}", path)
            results.append(("sqlite", seconds, floor, phases))
        else:
            with TemporaryPostgres() as pg:
                floor = floor_postgres(pg.create_database("floor"), path)
                siks_url = pg.create_database("siks")
                seconds, phases = run_import(siks_url, path)
                typed = floor_postgres(pg.create_database("floor_typed"), path, typed=True)
                phases["lantai_bertipe_s"] = round(typed, 2)
                schema = floor_schema(siks_url, pg.create_database("floor_schema"))
                phases["lantai_skema_s"] = round(schema, 2)
                results.append(("postgresql", seconds, floor, phases))

    n = n_rows
    print(f"\n{n:,} ART ({path.stat().st_size / 1e6:.0f} MB CSV)")
    print(
        f"{'basis data':<12}{'impor s':>9}{'baris/s':>11}{'lantai s':>10}{'baris/s':>11}{'rasio':>8}  tahap"
    )
    out = []
    for backend, seconds, floor, phases in results:
        ratio = floor / seconds
        print(
            f"{backend:<12}{seconds:>9.2f}{n / seconds:>11,.0f}{floor:>10.2f}{n / floor:>11,.0f}"
            f"{ratio:>8.2f}  {phases}"
        )
        if "lantai_skema_s" in phases:
            schema = phases["lantai_skema_s"]
            print(
                f"{'':<12}lantai skema {schema:.2f} s = {schema / floor:.1f} × lantai COPY; "
                f"impor = {seconds / schema:.2f} × lantai skema (rasio {schema / seconds:.2f}); "
                f"rasio 0,5 menuntut impor ≤ {2 * floor:.2f} s; "
                f"100.000 baris/s menuntut ≤ {n / 100_000:.2f} s"
            )
        out.append(
            {
                "backend": backend,
                "rows": n,
                "import_s": seconds,
                "import_rows_per_s": n / seconds,
                "floor_s": floor,
                "floor_rows_per_s": n / floor,
                "ratio": ratio,
                "phases": phases,
            }
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
