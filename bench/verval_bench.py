"""Verval benchmark: the whole pipeline vs. the floor (a bare DuckDB exact-NIK join of the same files).

Usage:
  siks synth --penduduk 2600000 --keluar DIR       # ≈1.08M DTKS rows against 2.6M Dukcapil persons
  python bench/verval_bench.py --synth DIR [--latih-ulang]

Prints each step's seconds and its ratio to the floor (median of three runs of the bare join), the
probabilistic (Splink) steps separately, peak memory (max RSS of this process) and the load average
before and after. Figures are noisy when other work shares the machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from siks.verval.engines import open_engine  # noqa: E402
from siks.verval.pipeline import identity_steps  # noqa: E402
from siks.verval.runs import RunInputs, execute  # noqa: E402
from siks.verval.synthdata import inputs_from_synth  # noqa: E402


def floor(snap: Path, dukcapil: Path, repeat: int = 3) -> float:
    """The bare exact-NIK join of the same files, median of `repeat` runs (one run is noisy on a shared
    machine, and the ratio to it is the target)."""
    engine = open_engine()
    engine.register_parquet("m", snap / "member.parquet")
    engine.register_parquet("d", dukcapil)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        engine.scalar("SELECT COUNT(*) FROM m JOIN d ON d.nik = m.nik")
        times.append(time.perf_counter() - t)
    engine.close()
    return statistics.median(times)


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synth", type=Path, required=True)
    ap.add_argument("--work", type=Path)
    ap.add_argument(
        "--latih-ulang", dest="retrain", action="store_true", help="estimate the Splink models again (λ, u)"
    )
    ap.add_argument("--evaluate", action="store_true", help="score the findings against DIR/truth (untimed)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="verval-bench-"))
    t0 = time.perf_counter()
    snap, refs = inputs_from_synth(args.synth, work)
    print(f"persiapan data: {time.perf_counter() - t0:.1f} dtk (tidak dihitung)")
    print(f"beban mesin (load average 1/5/15 menit) sebelum: {load()}")
    base = floor(snap, refs["dukcapil"])
    steps = identity_steps()
    t, cpu = time.perf_counter(), cpu_seconds()
    params = {"retrain": "1", "model_dir": str(work / "model")} if args.retrain else {}
    out = execute(RunInputs(snap, refs), work_dir=work / "run", steps=steps, hash_files=True, params=params)
    total, cpu = time.perf_counter() - t, cpu_seconds() - cpu
    n_dtks, n_duk = out.inputs["member"]["rows"], out.inputs["ref_dukcapil"]["rows"]
    print(f"DTKS {n_dtks:,} ART × Dukcapil {n_duk:,}; temuan {out.engine.count('findings'):,}")
    print(f"lantai (join NIK di engine, median 3 kali): {base:.2f} dtk")
    prob = {s.name for s in steps if s.probabilistic}
    for group, names in (
        ("deterministik", [s.name for s in steps if s.name not in prob]),
        ("probabilistik", prob),
    ):
        print(f"-- {group}")
        for r in out.results:
            if r.name in names:
                print(f"  {r.name:12s} {r.seconds:7.2f} dtk  {r.seconds / base:7.1f}× lantai")
    print(f"total pipeline: {total:.1f} dtk ({total / base:.1f}× lantai, termasuk sha256 masukan)")
    print(f"CPU proses selama pipeline: {cpu:.1f} dtk (user + sys, semua thread; kurang peka beban mesin)")
    print(f"beban mesin sesudah: {load()}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"memori puncak (RSS proses): {peak:.2f} GB")
    for r in out.results:
        model = r.stats.get("model")
        if isinstance(model, dict):
            print(f"  model {r.name}: {model.get('sumber')} (log2 λ {model.get('log2_lambda')})")
    if args.evaluate:
        from siks.verval.cli import print_evaluation
        from siks.verval.evaluate import evaluate

        print_evaluation(evaluate(out.engine.query("SELECT * FROM findings"), args.synth / "truth"))
    out.engine.close()


if __name__ == "__main__":
    main()
