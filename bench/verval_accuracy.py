"""Verval accuracy on generated kabupaten the parameters were not chosen on (issue #16 points 7 and 8).

Usage:
  python bench/verval_accuracy.py --set heldout [--sizes 20000,200000,1000000] [--work DIR]
  python bench/verval_accuracy.py --penduduk 200000 --seed 42 [--kabupaten 35.10] [--galat nik_typo=0.04]
                                  [--pola etnis_lain=0.15] [--param ganda_saran_min=-6]

Generates each kabupaten with `siks synth` (kept in --work, so a second run only scores), runs the verval
pipeline without the PMT/eligibility steps and prints `siks verval evaluate` for it. The named sets say
which seeds tuned the defaults and which are held out: never choose a parameter on a held-out set
(docs/verval.md §8).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from siks.synth.generate import generate  # noqa: E402
from siks.synth.params import ErrorRates, Patterns, SynthParams  # noqa: E402
from siks.verval.cli import print_evaluation  # noqa: E402
from siks.verval.evaluate import evaluate  # noqa: E402
from siks.verval.pipeline import default_steps  # noqa: E402
from siks.verval.runs import RunInputs, execute  # noqa: E402
from siks.verval.synthdata import inputs_from_synth  # noqa: E402

#: harder error rates for the held-out kabupaten with other rates (twice the defaults' NIK and name faults)
HARDER = {
    "nik_typo": 0.04,
    "nik_other_person": 0.01,
    "nik_missing": 0.04,
    "name_variant": 0.08,
    "duplicate_other_desa": 0.004,
    "birthdate_default": 0.012,
    "domisili": 0.04,
}
#: (persons, seed, kabupaten, error rates, patterns): the kabupaten the defaults were chosen on
TUNING = [
    (20_000, 11, "35.09", {}, {}),
    (20_000, 12, "35.09", {}, {}),
    (20_000, 21, "35.09", {}, {}),
    (200_000, 31, "35.09", {}, {}),
    (1_000_000, 32, "35.09", {}, {}),
    # added when the deceased/ASN misses were inspected (never 41-44): Banyuwangi with the harder rates
    (200_000, 33, "35.10", HARDER, {"etnis_lain": 0.15}),
    (200_000, 34, "35.09", {}, {}),
]
#: ... and those reported (never looked at while choosing): other seeds, another kabupaten, other rates
HELDOUT = [
    (20_000, 41, "35.09", {}, {}),
    (200_000, 42, "35.09", {}, {}),
    (200_000, 43, "35.10", HARDER, {"etnis_lain": 0.15}),
    (1_000_000, 44, "35.09", {}, {}),
]


def one(work: Path, persons: int, seed: int, kab: str, rates: dict, pats: dict, params: dict) -> None:
    name = f"{kab}-{persons}-{seed}" + "".join(f"-{k}{v}" for k, v in sorted((rates | pats).items()))
    d = work / name
    if not (d / "manifest.json").exists():
        t = time.perf_counter()
        sp = SynthParams(
            kabupaten=kab,
            persons=persons,
            seed=seed,
            reference_date=date(2026, 10, 1),
            errors=ErrorRates(**rates),
            patterns=Patterns(**pats),
        )
        generate(sp, d)
        print(f"synth {name}: {time.perf_counter() - t:.0f} dtk")
    run_dir = Path(tempfile.mkdtemp(prefix="verval-acc-", dir=work))
    snap, refs = inputs_from_synth(d, run_dir)
    steps = [s for s in default_steps() if s.name not in ("pmt", "eligibility")]
    t = time.perf_counter()
    out = execute(
        RunInputs(snap, refs), work_dir=run_dir / "run", steps=steps, hash_files=False, params=params
    )
    n = out.inputs["member"]["rows"]
    print(
        f"== {name}: {n:,} ART DTKS, verval {time.perf_counter() - t:.0f} dtk, parameter {params or 'bawaan'}"
    )
    print_evaluation(evaluate(out.engine.query("SELECT * FROM findings"), d / "truth"))
    out.engine.close()
    shutil.rmtree(run_dir, ignore_errors=True)


def _pairs(items: list[str]) -> dict[str, str]:
    return dict(i.split("=", 1) for i in items)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=("tuning", "heldout"))
    ap.add_argument("--sizes", help="only these sizes of the set, e.g. 20000,200000")
    ap.add_argument("--penduduk", dest="persons", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--kabupaten", default="35.09")
    ap.add_argument("--galat", action="append", default=[])
    ap.add_argument("--pola", action="append", default=[])
    ap.add_argument("--param", action="append", default=[])
    ap.add_argument("--work", type=Path)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="verval-accuracy-"))
    work.mkdir(parents=True, exist_ok=True)
    params = _pairs(args.param)
    if args.set:
        sizes = {int(s) for s in args.sizes.split(",")} if args.sizes else None
        for persons, seed, kab, rates, pats in TUNING if args.set == "tuning" else HELDOUT:
            if sizes is None or persons in sizes:
                one(work, persons, seed, kab, rates, pats, params)
        return
    if not (args.persons and args.seed is not None):
        ap.error("--set, atau --penduduk dan --seed")
    rates = {k: float(v) for k, v in _pairs(args.galat).items()}
    pats = {k: float(v) for k, v in _pairs(args.pola).items()}
    one(work, args.persons, args.seed, args.kabupaten, rates, pats, params)


if __name__ == "__main__":
    main()
