"""Parity benchmark: the whole verval pipeline (every step but pmt/eligibility) on one generated kabupaten, on
DuckDB and on Spark `local[2]`, and the comparison of what each found (issue #11, point 2).

Prints, and writes to --keluar as parity.json:
  - findings on each engine, and the findings only one engine has (same code, person, household, related
    person/NIK and rank on both means the same finding);
  - whether the duplicate clusters are the same sets of persons;
  - the largest difference in match weight between the engines on the same finding (tolerance
    `siks.verval.parity.TOLERANCE`, 1e-6: both sum log2 Bayes factors in double precision, in a different
    order);
  - wall time per engine.
Exits 1 when the findings or clusters differ or the weight difference exceeds --tolerance.

The same comparison at 20,000 persons is a test too (tests/verval/test_parity.py); this script adds the
times per step and other sizes. Measured figures: docs/scale.md §2.

Usage:
  python bench/parity_bench.py --penduduk 20000 --keluar /tmp/parity
  python bench/parity_bench.py --penduduk 2000 --keluar /tmp/parity     # a smaller look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from siks.synth.generate import generate  # noqa: E402
from siks.synth.params import SynthParams  # noqa: E402
from siks.verval import parity  # noqa: E402
from siks.verval.engines import open_engine  # noqa: E402
from siks.verval.pipeline import identity_steps  # noqa: E402
from siks.verval.runs import RunInputs, execute  # noqa: E402
from siks.verval.synthdata import inputs_from_synth  # noqa: E402


def run(kind: str, snapshot: Path, refs: dict, work: Path):
    steps = identity_steps()
    t = time.perf_counter()
    out = execute(
        RunInputs(snapshot, refs),
        work_dir=work / "run",
        steps=steps,
        hash_files=False,
        engine=open_engine(kind, temp_dir=work / "tmp"),
    )
    seconds = time.perf_counter() - t
    try:
        return {"seconds": round(seconds, 1), "steps": out.timings} | parity.results(out.engine)
    finally:
        out.engine.close()
        if kind == "spark":
            from siks.verval.engines.spark import stop_session

            stop_session()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--penduduk", dest="persons", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--tolerance", type=float, default=parity.TOLERANCE)
    ap.add_argument("--keluar", dest="out", type=Path, required=True)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    print(f"uptime: {os.getloadavg()}", flush=True)
    synth = a.out / "synth"
    generate(SynthParams(persons=a.persons, seed=a.seed, reference_date=date(2026, 10, 1)), synth)
    snapshot, refs = inputs_from_synth(synth, a.out / "inputs")
    results = {}
    for kind in ("duckdb", "spark"):
        print(f"{kind}: running …", flush=True)
        results[kind] = run(kind, snapshot, refs, a.out / kind)
        print(
            f"{kind}: {results[kind]['seconds']} s, {len(results[kind]['findings']):,} findings", flush=True
        )
    cmp = parity.compare(results["duckdb"], results["spark"])
    cmp["seconds"] = {k: r["seconds"] for k, r in results.items()}
    cmp["steps"] = {k: r["steps"] for k, r in results.items()}
    cmp["load"] = os.getloadavg()
    (a.out / "parity.json").write_text(json.dumps(cmp, indent=2, default=str))
    print(json.dumps({k: v for k, v in cmp.items() if k != "steps"}, indent=2, default=str))
    same = parity.same(cmp, a.tolerance)
    print("PARITY" if same else "DIFFERENT", flush=True)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
