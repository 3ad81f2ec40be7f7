"""Name search plans: EXPLAIN (ANALYZE, BUFFERS) of `lookup.find_by_name` per scope level and start.

Usage:
  python bench/name_search_plans.py --dump ~/.cache/siks-bench/db-3509-3510-2600000-s1-v1.dump
  python bench/name_search_plans.py --dump … --kueri aulia,siti,hayati --halaman 1,3 --keluar out/plans

What it does, and why this way:
- The database is a `pg_dump` that bench/web_bench.py made and cached (several kabupaten, so that a desa is
  a sliver of the instance, as in a provinsi-level instance); it is restored into a throw-away PostgreSQL,
  migrated to head and analysed. Nothing is built here.
- For one desa, its kecamatan, its kabupaten and its provinsi (the desa of median size in the first
  kabupaten unless `--desa` names one), each query and each page, `find_by_name` runs with each
  start: "name" (the name index over the whole instance, each match's household checked against the scope:
  the only start before 2026-12-08), "auto" (what the scope's level chooses now) and, for a desa or
  kecamatan, "scope" (the scope's households → families → members, then filtered by name), walking the
  real cursors to that page. The statements of the measured page are captured as sent and re-run under
  EXPLAIN (ANALYZE, BUFFERS): execution time as PostgreSQL counts it, and shared buffers hit/read.
- Every page is searched twice: "first ms" is the first call's wall time in this process (it may read
  from disk or the OS cache), "exec ms" and the buffers are PostgreSQL's own figures for the statements of
  a later run (EXPLAIN ANALYZE), "wall ms" that run's time in this process. Both starts must return the
  same rows; the script fails if they do not.
- It prints the CPU seconds of this process and of PostgreSQL and the load average beside the times,
  because the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

LEVEL_ROLE = {4: "operator_desa", 3: "operator_kecamatan", 2: "operator_kabupaten", 1: "operator_provinsi"}
_EXEC = re.compile(r"Execution Time: ([\d.]+) ms")
_BUFFERS = re.compile(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?")


def restore(pg, dump: Path) -> str:
    from siks.store.db import upgrade

    url = pg.create_database("siks")
    conn = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-d", "siks"]
    t = time.perf_counter()
    subprocess.run([str(pg.bindir / "pg_restore"), "-j", "2", "--no-owner", *conn, str(dump)], check=True)
    print(f"  restored {dump.name} in {time.perf_counter() - t:.0f} s", flush=True)
    upgrade(url)
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={pg.port} user={pg.user} dbname=siks", autocommit=True) as c:
        c.execute("VACUUM ANALYZE")
    return url


def pick_desa(engine, kab: str | None) -> str:
    from sqlalchemy import text

    with engine.connect() as c:
        kab = kab or c.scalar(text("SELECT substr(min(desa_code), 1, 5) FROM household"))
        return c.scalar(
            text(
                "SELECT desa_code FROM (SELECT desa_code, count(*) OVER () AS n, "
                "row_number() OVER (ORDER BY count(*), desa_code) AS r "
                "FROM household WHERE desa_code LIKE :k GROUP BY desa_code) d "
                "WHERE r = (n + 1) / 2"
            ),
            {"k": kab + ".%"},
        )


def explain(engine, stmt: str, params) -> tuple[float, int, int, str]:
    """Execution ms, shared hit, shared read (top node) and the plan text of one captured statement."""
    with engine.connect() as c:
        lines = [r[0] for r in c.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + stmt, params)]
    plan = "\n".join(lines)
    ms = float(_EXEC.search(plan).group(1))
    top = next((m for m in map(_BUFFERS.search, lines) if m), None)
    hit, read = (int(top.group(1) or 0), int(top.group(2) or 0)) if top else (0, 0)
    return ms, hit, read, plan


def measure(engine, user, query: str, page: int, start: str) -> dict:
    """Walk the cursors to `page`, then time that page in process and EXPLAIN its statements."""
    from sqlalchemy import event

    from siks.registry import lookup
    from siks.store.db import transaction

    after = None
    with transaction(engine) as s:
        for _ in range(page - 1):
            p = lookup.find_by_name(s, user, query, after=after, start=None if start == "auto" else start)
            if not p.has_next:
                return {"ids": None}
            after = p.next_cursor
    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, stmt, params, ctx, many):
        if "member" in stmt:
            seen.append((stmt, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        t = time.perf_counter()
        with transaction(engine) as s:
            p = lookup.find_by_name(s, user, query, after=after, start=None if start == "auto" else start)
            ids = [h.member_id for h in p.items]
        wall = (time.perf_counter() - t) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    out = {"ids": ids, "wall_ms": wall, "exec_ms": 0.0, "hit": 0, "read": 0, "plans": []}
    for stmt, params in seen:
        ms, hit, read, plan = explain(engine, stmt, params)
        out["exec_ms"] += ms
        out["hit"] += hit
        out["read"] += read
        out["plans"].append(plan)
    return out


def cpu_seconds(pg) -> tuple[float, float]:
    """CPU seconds of this process and of the PostgreSQL server's processes (children of the postmaster)."""
    own = sum(os.times()[:2])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pg.proc.pid]
    for path in Path("/proc").iterdir():
        if path.name.isdigit():
            try:
                if int((path / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pg.proc.pid:
                    pids.append(int(path.name))
            except (OSError, ValueError, IndexError):
                continue
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue
    return own, total


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", type=Path, required=True, help="a pg_dump made by bench/web_bench.py")
    ap.add_argument("--kueri", default="aulia,siti,hayati", help="names searched, comma-separated")
    ap.add_argument("--halaman", default="1,3", help="pages measured, comma-separated (cursors walked)")
    ap.add_argument("--desa", help="the desa measured (default: the median desa of the first kabupaten)")
    ap.add_argument("--keluar", dest="out", type=Path, help="write plans and figures here as JSON")
    args = ap.parse_args(argv)
    from siks.devtools.pgserver import TemporaryPostgres
    from siks.store.db import make_engine

    queries = [q.strip() for q in args.kueri.split(",") if q.strip()]
    pages = [int(p) for p in args.halaman.split(",")]
    print(f"name search plans: {args.dump.name}; {os.cpu_count()} CPU, load {os.getloadavg()[0]:.1f}")
    with TemporaryPostgres() as pg:
        url = restore(pg, args.dump)
        engine = make_engine(url)
        desa = args.desa or pick_desa(engine, None)
        codes = [desa, desa[:8], desa[:5], desa[:2]]
        own0, pg0 = cpu_seconds(pg)
        t0 = time.perf_counter()
        results = []
        print(f"{'scope':<14} {'query':<8} {'page':>4} {'start':<5} {'first ms':>9} {'exec ms':>9} "
              f"{'hit':>8} {'read':>7} {'wall ms':>8} rows  load")  # fmt: skip
        for code in codes:
            level = code.count(".") + 1
            user = SimpleNamespace(role=LEVEL_ROLE[level], wilayah_code=code, active=True)
            for query in queries:
                for page in pages:
                    got = {}
                    starts = ["name", "auto"] + (["scope"] if level >= 3 else [])
                    for start in starts:
                        first = measure(engine, user, query, page, start)
                        if first["ids"] is None:
                            break
                        again = measure(engine, user, query, page, start)
                        got[start] = again["ids"]
                        row = {"scope": code, "query": query, "page": page, "start": start,
                               "first_wall_ms": first["wall_ms"], "exec_ms": again["exec_ms"],
                               "hit": again["hit"], "read": again["read"], "wall_ms": again["wall_ms"],
                               "rows": len(again["ids"]), "load": os.getloadavg()[0],
                               "plans": again["plans"]}  # fmt: skip
                        results.append(row)
                        cells = (f"{code:<14} {query:<8} {page:>4} {start:<5} {row['first_wall_ms']:>9.1f} "
                                 f"{row['exec_ms']:>9.1f} {row['hit']:>8} {row['read']:>7} "
                                 f"{row['wall_ms']:>8.1f} {row['rows']:>4}  {row['load']:.1f}")  # fmt: skip
                        print(cells, flush=True)
                    if any(ids != got["name"] for ids in got.values()):
                        raise SystemExit(f"{code} {query!r} page {page}: the starts differ")
        own1, pg1 = cpu_seconds(pg)
        wall = time.perf_counter() - t0
        print(f"\n{wall:.0f} s; CPU: this process {own1 - own0:.0f} s, PostgreSQL {pg1 - pg0:.0f} s; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "plans.json").write_text(json.dumps(results, indent=1))
            print(f"plans: {args.out / 'plans.json'}")
        engine.dispose()


if __name__ == "__main__":
    main()
