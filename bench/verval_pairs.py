"""How many candidate pairs each of padan's blocking rules makes (Splink's exact count, no sampling).

Usage:
  python bench/verval_pairs.py --synth DIR

Runs `prepare` and padan up to its Splink inputs (the unmatched ART × Dukcapil), then counts, per rule of
`linkage.link_blocking_rules()`, the pairs it adds to the rules before it (marginal) and the running total:
what padan's `predict` scores. Prints the load average and CPU seconds of the counting.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from splink.blocking_analysis import count_comparisons_from_blocking_rules  # noqa: E402

from siks.verval import linkage  # noqa: E402
from siks.verval.engines import open_engine  # noqa: E402
from siks.verval.pipeline import StepContext  # noqa: E402
from siks.verval.runs import RunInputs, register_inputs  # noqa: E402
from siks.verval.steps import padan, prepare  # noqa: E402
from siks.verval.synthdata import inputs_from_synth  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synth", type=Path, required=True)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="verval-pairs-"))
    snap, refs = inputs_from_synth(args.synth, work)
    engine = open_engine(temp_dir=work / "tmp")
    register_inputs(engine, RunInputs(snap, refs), hash_files=False)
    ctx = StepContext(engine, "pairs", {}, work, step=prepare.STEP)
    prepare.run(ctx)
    ctx.step = padan.STEP
    padan.prepare_dukcapil(ctx)
    ctx.create("name_key", linkage.name_key_table(["person", "dukcapil"]))
    padan.exact_match(ctx)
    ctx.create(
        "padan_l",
        linkage.identity_sql(
            "person AS p",
            "p.member_ref",
            where="WHERE p.member_ref IN (SELECT member_ref FROM padan_exact "
            "WHERE NOT (found AND name_eq AND dob_eq AND sex_eq))",
            alias="p",
            keys="name_key",
        ),
    )
    ctx.create("padan_r", linkage.identity_sql("dukcapil AS d", "d.nik", alias="d", keys="name_key"))
    print(f"beban (1/5/15 menit): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"kiri (ART belum padan) {engine.count('padan_l'):,}; kanan (Dukcapil) {engine.count('padan_r'):,}")
    api = engine.splink_api()
    left = api.register("padan_l", table_name="padan_dtks_unmatched")
    right = api.register("padan_r", table_name="padan_dukcapil")
    t, c = time.perf_counter(), time.process_time()
    records = count_comparisons_from_blocking_rules(
        [left, right],
        blocking_rules=linkage.link_blocking_rules(),
        link_type="link_only",
        record_sample_proportion=1.0,
    )
    for i, r in enumerate(records):
        rule = " ".join(str(r["blocking_rule"]).split())[:110]
        added, total = r["marginal_comparison_count"], r["cumulative_comparison_count"]
        print(f"  {i:2d} +{added:>11,} = {total:>11,}  {rule}")
    print(f"hitung {time.perf_counter() - t:.1f} dtk, CPU {time.process_time() - c:.1f} dtk")
    engine.close()


if __name__ == "__main__":
    main()
