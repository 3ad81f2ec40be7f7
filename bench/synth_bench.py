"""Generator benchmark: persons per second, the time for 1,000,000 persons, and peak memory.

Usage:
  python bench/synth_bench.py                     # 1,000,000 persons (the target: ≤ 2 minutes on 2 cores)
  python bench/synth_bench.py --penduduk 2600000   # Jember's real size (the verval benchmark's input)
  python bench/synth_bench.py --keep DIR          # keep the files instead of a temporary folder

Prints each stage's seconds, the total, persons/s, the projected time for 1M and the peak memory
(max RSS of this process). Figures are noisy when other work shares the machine; this is a benchmark,
never a timed test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from siks.synth import SynthParams, generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--penduduk", dest="persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    args = parser.parse_args()

    stages: list[tuple[str, float]] = []
    started = time.perf_counter()
    last = started

    def step(stage: str, _: int) -> None:
        nonlocal last
        now = time.perf_counter()
        stages.append((stage, now - last))
        last = now

    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        out = args.keep or Path(tmp) / "world"
        manifest = generate(SynthParams(persons=args.persons, seed=args.seed), out, step)
        total = time.perf_counter() - started
        size = sum(f["bytes"] for f in manifest["files"].values())

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for stage, seconds in stages:
        print(f"  {stage:<36} {seconds:7.2f} s")
    rate = args.persons / total
    print(f"persons           {args.persons:,}")
    print(f"DTKS rows         {manifest['counts']['dtks_baris']:,}")
    print(f"total             {total:.1f} s")
    print(f"persons/s         {rate:,.0f}")
    print(f"time for 1M       {1_000_000 / rate:.1f} s (target ≤ 120 s)")
    print(f"peak memory       {peak_mb:,.0f} MB")
    print(f"files             {size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
