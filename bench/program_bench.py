"""Program lists and dashboard figures over a penetapan, in process, on PostgreSQL (issue #11.6).

Usage:
  python bench/program_bench.py                        # 20,000 DTKS persons (synth --penduduk 52,000)
  python bench/program_bench.py --penduduk 5000        # a quick run
  PYTHONPATH=/other/checkout/src python bench/program_bench.py   # the same steps with other code ("before")

What it does, and why this way:
- One kabupaten from `siks synth`, loaded with the registry importer into a temporary PostgreSQL. Desil come
  from a seeded random score file (a verval run with PMT would take longer than everything measured here),
  so about half the ruta are in DTKS and the programs have recipients.
- Then the steps the docs' probe timed: `penetapan.create` for the kabupaten, the dashboard's figures
  (first and second view) for a kabupaten and a desa operator, and what `GET /program` does for both: with
  stored lists (`siks.programs.stored` present) one page of the stored list, else `programs.run` over the
  penetapan. Also the program export (CSV) for the kabupaten.
- Every step prints wall time, this process's CPU time, and the load average, because the machine is
  shared: PostgreSQL's own CPU is in neither figure.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

KABUPATEN = "35.09"
SYNTH_RATIO = 2.6
PER_PAGE = 50


def step(name: str, fn):
    load = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"  {name:<58} {wall * 1000:>9,.0f} ms  cpu {cpu * 1000:>8,.0f} ms  load {load:.1f}", flush=True)
    return out


def reset_peak_rss() -> None:
    """Linux: start the peak resident size (VmHWM) again from the current one."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--penduduk", type=int, default=20_000, help="DTKS persons (synth makes 2.6 x)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/siks-program-bench"))
    args = ap.parse_args()

    from sqlalchemy import func, select

    from siks.accounts import service as accounts
    from siks.devtools.pgserver import TemporaryPostgres
    from siks.domain import programs as rules
    from siks.penetapan import service as penetapan
    from siks.penetapan.sources import Score, ScoreTable
    from siks.programs import export
    from siks.programs import service as programs
    from siks.registry.importer import import_file
    from siks.reports import dashboard
    from siks.scope import Scope
    from siks.store.db import make_engine, transaction, upgrade
    from siks.store.models.registry import Household

    try:
        from siks.programs import stored
    except ImportError:
        stored = None
    print(f"siks program bench: {args.penduduk:,} DTKS persons; stored lists: {stored is not None}; "
          f"{os.cpu_count()} CPU, load {os.getloadavg()}")  # fmt: skip
    n = round(args.penduduk * SYNTH_RATIO)
    data = args.cache / f"synth-{n}-s{args.seed}"
    if not (data / "manifest.json").exists():
        cmd = [sys.executable, "-m", "siks.cli", "synth", "--kabupaten", KABUPATEN, "--penduduk", str(n),
               "--seed", str(args.seed), "--keluar", str(data)]  # fmt: skip
        step("synth", lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL))
    with TemporaryPostgres() as pg:
        url = pg.create_database("siks")
        upgrade(url)
        engine = make_engine(url)
        result = step("import", lambda: import_file(engine, data / "dtks.csv", actor="bench"))
        print(f"  {result.rows:,} DTKS rows")
        with transaction(engine) as s:
            refs = s.execute(select(Household.ref, Household.desa_code).order_by(Household.ref)).all()
            rng = random.Random(args.seed)
            scores = ScoreTable({ref: Score(rng.randint(1, 10)) for ref, _ in refs}, {"kind": "bench-acak"})
            desa = max(
                {d for _, d in refs}, key=lambda d: (sum(1 for _, x in refs if x == d), d)
            )  # the largest desa
            for name, role, code in (("supkab", "supervisor_kabupaten", KABUPATEN),
                                     ("opkab", "operator_kabupaten", KABUPATEN),
                                     ("opdesa", "operator_desa", desa)):  # fmt: skip
                accounts.create_user(s, name, "bench-sandi-program", role, code, actor="bench")
        print(f"  {len(refs):,} ruta; desa operator of {desa} ({sum(1 for _, d in refs if d == desa)} ruta)")

        with transaction(engine) as s:
            supkab = accounts.get_user(s, "supkab")
            start = dt.date(2027, 1, 1)
            reset_peak_rss()
            p = step(
                "penetapan.create (35.09)",
                lambda: penetapan.create(
                    s, supkab, title="DTKS bench", periode="2027-01", berlaku_mulai=start, scores=scores
                ),
            )
            pid = p.id
            print(f"  penetapan #{pid}: {p.counts}")
            print(f"  peak RSS during penetapan.create: {peak_rss_mb():,.0f} MB")
        for who in ("opkab", "opdesa"):
            for view in ("first", "second"):
                with transaction(engine) as s:
                    user = accounts.get_user(s, who)
                    step(f"dashboard.figures {who}, {view} view",
                         lambda s=s, user=user: dashboard.figures(s, user, Scope.of(user)))  # fmt: skip
        pkh = rules.default_program("pkh")
        for who in ("opkab", "opdesa"):
            for attempt in ("1st", "2nd"):
                with transaction(engine) as s:
                    user = accounts.get_user(s, who)
                    if stored is not None:
                        page = lambda s=s, user=user: stored.read(s, user, pkh, pid, limit=PER_PAGE)  # noqa: E731
                        plist = step(f"GET /program pkh {who} ({attempt}): stored.read page", page)
                    else:
                        plist = step(f"GET /program pkh {who} ({attempt}): programs.run",
                                     lambda s=s, user=user: programs.run(s, user, pkh, pid))  # fmt: skip
                    size = plist.size if hasattr(plist, "size") else len(plist.rows)
                    print(f"    {size:,} rows in view")
        with transaction(engine) as s:
            user = accounts.get_user(s, "opkab")

            def export_csv(s=s, user=user):
                plist = stored.read(s, user, pkh, pid) if stored else programs.run(s, user, pkh, pid)
                return export.to_csv(plist)

            text = step("program export pkh csv, opkab", export_csv)
            print(f"    {len(list(csv.reader(text.splitlines()))) - 1:,} rows exported")
        if stored is not None:
            with transaction(engine) as s:
                rows = s.scalar(select(func.count()).select_from(stored.StoredRow))
                figures = s.scalar(select(func.count()).select_from(stored.PenetapanFigure))
                print(f"  stored rows: {rows:,}; figure rows: {figures:,}")
                for h in s.scalars(select(stored.StoredHeader)):
                    print(f"    {h.program_key}: {h.rows:,} rows, pass {h.seconds:.1f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
