"""Where the Spark engine's time goes: every engine call of a verval run, timed, with its Spark jobs.

Runs every step but pmt/eligibility on one generated kabupaten on Spark `local[2]` (or DuckDB, to compare)
and records, per step and per call (create/append/query/count/register of each table, and every SQL
statement Splink runs and every action it takes), the wall time and the number of Spark jobs it started
(Spark's status tracker, per job group). Prints the steps, then the slowest calls, then the totals by kind,
and writes them to --keluar as profile.json. Calls nest (a `create` of Splink's predictions runs Splink's
whole lineage); `self` time excludes nested calls, so the self times add up to the run.

Usage:
  python bench/spark_profile.py --penduduk 2000 --keluar /tmp/sprof
  python bench/spark_profile.py --penduduk 2000 --mesin duckdb --keluar /tmp/dprof
  python bench/spark_profile.py --penduduk 20000 --conf spark.sql.adaptive.enabled=false --keluar /tmp/s
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from siks.synth.generate import generate  # noqa: E402
from siks.synth.params import SynthParams  # noqa: E402
from siks.verval.engines import open_engine  # noqa: E402
from siks.verval.pipeline import identity_steps  # noqa: E402
from siks.verval.runs import RunInputs, execute  # noqa: E402
from siks.verval.synthdata import inputs_from_synth  # noqa: E402

ENGINE_CALLS = (
    "register_parquet",
    "register_csv",
    "register_arrow",
    "create_table",
    "append",
    "query",
    "count",
)


class Profile:
    def __init__(self, spark_context=None) -> None:
        self.sc = spark_context
        self.step = "inputs"
        self.records: list[dict] = []
        self.stack: list[dict] = []
        self.ids = itertools.count()

    def wrap(self, obj, method: str, label) -> None:
        inner = getattr(obj, method)

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            rec = {"step": self.step, "call": method, "what": label(*args, **kwargs), "nested": 0.0}
            group = f"p{next(self.ids)}"
            if self.sc is not None:
                self.sc.setJobGroup(group, rec["what"][:200])
            self.stack.append(rec)
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                rec["seconds"] = time.perf_counter() - t
                self.stack.pop()
                if self.stack:
                    self.stack[-1]["nested"] += rec["seconds"]
                    if self.sc is not None:
                        self.sc.setJobGroup(f"p{next(self.ids)}", self.stack[-1]["what"][:200])
                if self.sc is not None:
                    rec["jobs"] = len(self.sc.statusTracker().getJobIdsForGroup(group))
                rec["self"] = rec["seconds"] - rec["nested"]
                rec["depth"] = len(self.stack)
                self.records.append(rec)

        setattr(obj, method, timed)


def first_arg(*args, **kwargs) -> str:
    return str(args[0])[:120] if args else ""


def run(kind: str, snapshot: Path, refs: dict, work: Path, conf: list[str]) -> dict:
    engine = open_engine(kind, temp_dir=work / "tmp")
    sc = engine.spark.sparkContext if kind == "spark" else None
    for kv in conf:  # a Spark SQL setting to try, e.g. spark.sql.adaptive.enabled=false
        key, value = kv.split("=", 1)
        engine.spark.conf.set(key, value)
    prof = Profile(sc)
    for m in ENGINE_CALLS:
        prof.wrap(engine, m, first_arg)
    make_api = engine.splink_api

    def splink_api():
        api = make_api()
        prof.wrap(api, "_sql_to_splink_dataframe", lambda sql, templated, physical: f"splink {templated}")
        prof.wrap(api, "_execute_sql_against_backend", lambda sql: "splink sql " + " ".join(sql.split())[:90])
        return api

    engine.splink_api = splink_api

    def on_start(step, i):
        prof.step = step.name

    steps = identity_steps()
    t = time.perf_counter()
    out = execute(
        RunInputs(snapshot, refs),
        work_dir=work / "run",
        steps=steps,
        hash_files=False,
        engine=engine,
        on_start=on_start,
    )
    total = time.perf_counter() - t
    cpu = cpu_seconds()
    out.engine.close()
    return {
        "seconds": total,
        "cpu_seconds": cpu,
        "steps": out.timings,
        "records": prof.records,
        "load": os.getloadavg(),
    }


def cpu_seconds() -> float:
    """CPU time of this process and its children still running (the Spark JVM): steadier than wall time
    on a machine other work shares, where the wall time of one run moves by a third."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == os.getpid() or ppid == os.getpid():
            total += (int(fields[11]) + int(fields[12])) / tick
    return round(total, 1)


def report(res: dict, top: int) -> None:
    print(f"total {res['seconds']:.1f} s, CPU {res.get('cpu_seconds')} s, load {res['load']}")
    for name, s in res["steps"].items():
        recs = [r for r in res["records"] if r["step"] == name]
        jobs = sum(r.get("jobs", 0) for r in recs)
        print(f"  {name:12s} {s:8.1f} s  calls {len(recs):4d}  jobs {jobs:4d}")
    print(f"slowest {top} calls (self seconds, jobs, step, call, what):")
    for r in sorted(res["records"], key=lambda r: -r["self"])[:top]:
        print(f"  {r['self']:7.2f} {r.get('jobs', 0):4d}  {r['step']:10s} {r['call']:28s} {r['what'][:100]}")
    by: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    for r in res["records"]:
        b = by[r["call"]]
        b[0] += 1
        b[1] += r["self"]
        b[2] += r.get("jobs", 0)
    print("by call (n, self seconds, jobs):")
    for k, (n, s, j) in sorted(by.items(), key=lambda kv: -kv[1][1]):
        print(f"  {k:30s} {n:5d} {s:8.1f} {j:5d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--penduduk", dest="persons", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--mesin", dest="engine", default="spark", choices=("spark", "duckdb"))
    ap.add_argument("--teratas", dest="top", type=int, default=40)
    ap.add_argument("--conf", action="append", default=[], help="Spark SQL setting KEY=VALUE to try")
    ap.add_argument("--keluar", dest="out", type=Path, required=True)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    synth = a.out / "synth"
    if not (synth / "truth").exists():
        generate(SynthParams(persons=a.persons, seed=a.seed, reference_date=date(2026, 10, 1)), synth)
    snapshot, refs = inputs_from_synth(synth, a.out / "inputs")
    res = run(a.engine, snapshot, refs, a.out / a.engine, a.conf)
    res["conf"] = a.conf
    (a.out / "profile.json").write_text(json.dumps(res, indent=1, default=str))
    report(res, a.top)


if __name__ == "__main__":
    main()
