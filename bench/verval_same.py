"""Same findings before and after a speed change: run the pipeline, dump its findings sorted, compare.

Usage:
  python bench/verval_same.py --synth DIR --keluar before.parquet            # on the old code
  python bench/verval_same.py --synth DIR --keluar after.parquet --banding before.parquet

The pipeline is the bench's (no PMT/eligibility). Findings are written without the run id and sorted on
every column, so two runs of identical logic give identical files; with `--banding` the rows present in
one file and not the other are counted per code and a few are printed. Exit status 1 when they differ.
Use a tuning kabupaten (e.g. `siks synth --penduduk 200000 --seed 31`), never a held-out seed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from siks.verval.pipeline import identity_steps  # noqa: E402
from siks.verval.runs import RunInputs, execute  # noqa: E402
from siks.verval.synthdata import inputs_from_synth  # noqa: E402


def dump(synth: Path, out: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="verval-same-"))
    snap, refs = inputs_from_synth(synth, work)
    steps = identity_steps()
    t = time.perf_counter()
    run = execute(RunInputs(snap, refs), work_dir=work / "run", steps=steps, hash_files=False)
    print(
        f"pipeline {time.perf_counter() - t:.1f} dtk; "
        + ", ".join(f"{r.name} {r.seconds:.1f}" for r in run.results)
    )
    cols = [c for c in run.engine.columns("findings") if c != "run_id"]
    # weights rounded to 1e-9: the same sum in another order may differ in the last bit
    sel = ", ".join("ROUND(weight, 9) AS weight" if c == "weight" else c for c in cols)
    run.engine.export_parquet(f"SELECT {sel} FROM findings ORDER BY " + ", ".join(cols), out)
    print(f"temuan {run.engine.count('findings'):,} → {out}")
    run.engine.close()


def compare(a: Path, b: Path) -> int:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW a AS SELECT * FROM read_parquet('{a}')")
    con.execute(f"CREATE VIEW b AS SELECT * FROM read_parquet('{b}')")
    only_a = con.execute(
        "SELECT code, COUNT(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b) GROUP BY 1"
    ).fetchall()
    only_b = con.execute(
        "SELECT code, COUNT(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a) GROUP BY 1"
    ).fetchall()
    n = con.execute("SELECT COUNT(*) FROM a").fetchone()[0]
    if not only_a and not only_b:
        print(f"SAMA: {n:,} temuan identik")
        return 0
    print(f"BERBEDA: hanya di {a.name}: {dict(only_a)}; hanya di {b.name}: {dict(only_b)}")
    for side, x, y in (("-", "a", "b"), ("+", "b", "a")):
        for row in con.execute(
            f"SELECT * FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y}) LIMIT 5"
        ).fetchall():
            print(side, row)
    return 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synth", type=Path, required=True)
    ap.add_argument("--keluar", dest="out", type=Path, required=True)
    ap.add_argument("--banding", dest="against", type=Path, help="findings of an earlier run to compare with")
    args = ap.parse_args()
    dump(args.synth, args.out)
    if args.against:
        sys.exit(compare(args.against, args.out))


if __name__ == "__main__":
    main()
