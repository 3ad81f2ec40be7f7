"""Where verval's time goes on DuckDB: wall and CPU seconds of every SQL statement, ours and Splink's.

Usage:
  python bench/verval_profile.py --synth DIR [--top 40] [--langkah padan,ganda]

Runs the bench's pipeline (no PMT/eligibility) once and prints, per step, its wall and CPU seconds, then
the costliest statements (CPU seconds of the whole process while the statement ran: all DuckDB threads),
each with its step and the start of its SQL. Statements run by Splink are marked `splink`. CPU seconds are
the figure to compare between code versions: other people's load moves wall time much more.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from splink.internals.duckdb.database_api import DuckDBAPI  # noqa: E402

from siks.verval.engines.duckdb import DuckDBEngine  # noqa: E402
from siks.verval.pipeline import identity_steps  # noqa: E402
from siks.verval.runs import RunInputs, execute  # noqa: E402
from siks.verval.synthdata import inputs_from_synth  # noqa: E402

RECORDS: list[tuple[str, str, float, float, str]] = []  # step, origin, wall, cpu, sql
CURRENT = ["-"]


def timed(origin: str, fn):
    def wrapper(self, sql, *args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        try:
            return fn(self, sql, *args, **kwargs)
        finally:
            RECORDS.append((CURRENT[0], origin, time.perf_counter() - t, time.process_time() - c, sql))

    return wrapper


def splink_timed(fn):
    def wrapper(self, sql, *args, **kwargs):
        t, c = time.perf_counter(), time.process_time()
        rel = fn(self, sql, *args, **kwargs)
        RECORDS.append((CURRENT[0], "splink", time.perf_counter() - t, time.process_time() - c, sql))
        return rel

    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synth", type=Path, required=True)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--langkah", help="only statements of these steps (comma separated)")
    ap.add_argument("--sql-chars", type=int, default=160)
    ap.add_argument("--simpan", type=Path, help="copy the run's tables to this DuckDB file")
    args = ap.parse_args()
    DuckDBEngine._run = timed("siks", DuckDBEngine._run)
    DuckDBEngine.query = timed("siks", DuckDBEngine.query)
    DuckDBAPI._execute_sql_against_backend = splink_timed(DuckDBAPI._execute_sql_against_backend)
    work = Path(tempfile.mkdtemp(prefix="verval-profile-"))
    snap, refs = inputs_from_synth(args.synth, work)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    steps = identity_steps()
    step_times: dict[str, tuple[float, float]] = {}
    marks: dict[str, tuple[float, float]] = {}

    def on_start(step, _i):
        CURRENT[0] = step.name
        marks[step.name] = (time.perf_counter(), time.process_time())

    def on_done(res):
        t, c = marks[res.name]
        step_times[res.name] = (time.perf_counter() - t, time.process_time() - c)

    t, c = time.perf_counter(), time.process_time()
    out = execute(
        RunInputs(snap, refs),
        work_dir=work / "run",
        steps=steps,
        hash_files=False,
        on_start=on_start,
        on_done=on_done,
    )
    total, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"beban (1/5/15 menit) sebelum: {load}; sesudah: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"total {total:.1f} dtk, CPU {cpu:.1f} dtk; temuan {out.engine.count('findings'):,}")
    for name, (w, cp) in step_times.items():
        print(f"  {name:12s} {w:7.2f} dtk  CPU {cp:7.2f}")
    per = defaultdict(lambda: [0.0, 0.0, 0])
    for step, origin, w, cp, _sql in RECORDS:
        per[(step, origin)][0] += w
        per[(step, origin)][1] += cp
        per[(step, origin)][2] += 1
    print("per langkah dan asal (dinding, CPU, pernyataan):")
    for (step, origin), (w, cp, n) in sorted(per.items(), key=lambda kv: -kv[1][1]):
        print(f"  {step:12s} {origin:7s} {w:7.2f} {cp:7.2f} {n:5d}")
    only = set(args.langkah.split(",")) if args.langkah else None
    rows = [r for r in RECORDS if only is None or r[0] in only]
    print(f"pernyataan termahal (CPU), {args.top} teratas:")
    for step, origin, w, cp, sql in sorted(rows, key=lambda r: -r[3])[: args.top]:
        text = " ".join(sql.split())[: args.sql_chars]
        print(f"  {cp:7.2f} CPU {w:6.2f} dtk {step:11s} {origin:6s} {text}")
    if args.simpan:
        con = out.engine.con
        con.execute(f"ATTACH '{args.simpan}' AS simpan")
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database() AND table_type = 'BASE TABLE'"
        ).fetchall()
        for (name,) in tables:
            con.execute(f"CREATE TABLE simpan.{name} AS SELECT * FROM {name}")
        print(f"{len(tables)} tabel → {args.simpan}")
    out.engine.close()


if __name__ == "__main__":
    main()
