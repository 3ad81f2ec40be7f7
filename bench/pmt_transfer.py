"""PMT on kabupaten it was not fitted on: the shipped model, published thresholds, a 5 % survey calibration
and a full refit, measured on generated kabupaten with other price levels and poverty (issue #19 point 5).

Usage:
  python bench/pmt_transfer.py                        # generate into a temporary folder (≈ 3 minutes)
  python bench/pmt_transfer.py --keep /tmp/pmtbench   # keep (and reuse) the generated kabupaten
  python bench/pmt_transfer.py --penduduk 150000 --survey 0.05 --refit 0.30

Kabupaten (all `siks synth`, no registry errors): T is the *tuning* kabupaten — the only one looked at
while choosing the calibration procedure (survey share, matching on DTKS ruta, the 80 % interval); B and C
are held out and reported. The shipped model was fitted on kabupaten 35.09 seed 1 (prices 1, shift 0).

For each kabupaten the DTKS ruta are split: a `--refit` share for the full refit, and the rest for
evaluation. The survey is a `--survey` share of *all* ruta of the kabupaten (a Susenas-like sample: every
sampled ruta gives its consumption; those also in DTKS give their answers); evaluation ruta never serve in
it. Figures are on the evaluation ruta only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from siks.domain import pmt, pmt_fit  # noqa: E402
from siks.pmt import data  # noqa: E402
from siks.synth import SynthParams, generate  # noqa: E402
from siks.synth.params import ErrorRates  # noqa: E402

KABUPATEN = {  # name: (role, seed, price level, welfare shift)
    "T": ("tuning", 3, 0.90, -0.15),
    "B": ("held-out", 7, 0.75, -0.35),
    "C": ("held-out", 11, 1.25, 0.30),
}
NO_ERRORS = {f: 0.0 for f in ErrorRates().as_dict()}


def kabupaten(root: Path, name: str, persons: int) -> Path:
    role, seed, price, shift = KABUPATEN[name]
    out = root / f"{name}-{persons}"
    if not (out / "manifest.json").exists():
        params = SynthParams(
            persons=persons, seed=seed, price_level=price, welfare_shift=shift, errors=ErrorRates(**NO_ERRORS)
        )
        generate(params, out)
    return out


def expected_errors(model: pmt.PmtModel, samples: list[pmt_fit.Sample]) -> dict[str, float]:
    """Inclusion/exclusion errors the intervals predict (desil 1–4 by the cut-offs), next to the real ones."""
    if not model.residual_sd or not model.desil_cutoffs:
        return {}
    p, chosen = [], []
    for s in samples:
        v = pmt.score(model, s.features, s.region).value
        p.append(pmt.prob_desil_at_most(v, model.desil_cutoffs, model.residual_sd, pmt_fit.POOR_DESIL))
        chosen.append(pmt.desil_from_cutoffs(v, model.desil_cutoffs) <= pmt_fit.POOR_DESIL)
    p_arr, c_arr = np.array(p), np.array(chosen)
    return {
        "expected_exclusion_error": round(float(p_arr[~c_arr].sum() / max(p_arr.sum(), 1e-9)), 4),
        "expected_inclusion_error": round(float((1 - p_arr[c_arr]).sum() / max(c_arr.sum(), 1)), 4),
    }


def measure(folder: Path, shipped: pmt.PmtModel, survey_share: float, refit_share: float, seed: int) -> dict:
    households = data.read_template_csv(folder / "dtks.csv")
    with open(folder / "truth" / "households.csv", newline="", encoding="utf-8") as f:
        truth_all = list(csv.DictReader(f))
    truth = {r["id_ruta"]: r for r in truth_all if r["id_ruta"]}
    as_of = data.reference_date(folder)
    registry = data.samples(households, truth, as_of)
    refs = sorted(r for r in truth if households.get(r) is not None)
    rng = np.random.default_rng(seed)
    # The survey: a share of every ruta (DTKS or not). Non-DTKS ruta have no id_ruta in the truth file,
    # so they are drawn by position; they give consumption only.
    n_all = len(truth_all)
    survey_rows = [truth_all[i] for i in sorted(rng.choice(n_all, int(n_all * survey_share), replace=False))]
    survey_ids = {r["id_ruta"] for r in survey_rows if r["id_ruta"]}
    rest = [r for r in refs if r not in survey_ids]
    order = rng.permutation(len(rest))
    fit_ids = {rest[i] for i in order[: int(len(rest) * refit_share)]}
    by_id = dict(zip(refs_with_samples(households, truth, as_of), registry, strict=True))
    evaluation = [by_id[r] for r in rest if r not in fit_ids and r in by_id]
    survey_samples = [by_id[r] for r in sorted(survey_ids) if r in by_id]
    thresholds = pmt_fit.thresholds_from_consumption(
        [float(r["consumption_per_capita"]) for r in survey_rows]
    )
    true_thresholds = pmt_fit.thresholds_from_consumption(
        [float(r["consumption_per_capita"]) for r in truth_all]
    )

    calibrated = pmt_fit.calibrate(
        shipped, survey_samples, version="kal", created="bench", thresholds=thresholds, wilayah=["3509"]
    )
    scores = [pmt.score(shipped, s.features, s.region).value for s in registry]
    from_registry = pmt_fit.calibrate(
        shipped, survey_samples, version="kal-r", created="bench", thresholds=thresholds, wilayah=["3509"],
        population=scores,
    )  # fmt: skip
    exact = pmt_fit.calibrate(
        shipped, survey_samples, version="kal-x", created="bench", thresholds=true_thresholds,
        wilayah=["3509"], population=scores,
    )  # fmt: skip
    published = pmt_fit.cutoffs_from_thresholds(
        shipped, true_thresholds, ["3509"], version="bps", created="bench", source="ambang sebenarnya"
    )
    refit = pmt_fit.fit(
        [by_id[r] for r in sorted(fit_ids) if r in by_id], name="refit", version="1", created="b"
    )
    methods = {
        "as shipped": shipped,
        "published thresholds only": published,
        f"survey {survey_share:.0%} calibration, cut-offs matched on survey ruta": calibrated,
        f"survey {survey_share:.0%} calibration, cut-offs expected on registry": from_registry,
        f"full refit on {refit_share:.0%} of DTKS": refit,
        "diagnostic: registry cut-offs with the true thresholds": exact,
    }
    out: dict[str, object] = {
        "ruta": n_all,
        "dtks_ruta": len(registry),
        "evaluation_ruta": len(evaluation),
        "survey_ruta": len(survey_rows),
        "survey_ruta_with_answers": len(survey_samples),
        "true_thresholds_rupiah": [round(t) for t in true_thresholds],
        "shipped_thresholds_rupiah": [round(math.exp(c)) for c in shipped.desil_cutoffs],
        "methods": {},
    }
    for label, model in methods.items():
        figures = pmt_fit.evaluate(model, evaluation)
        figures.update(expected_errors(model, evaluation))
        figures["residual_sd"] = model.residual_sd
        out["methods"][label] = figures  # type: ignore[index]
    return out


def refs_with_samples(households, truth, as_of) -> list[str]:
    """The id_ruta of each `data.samples` row, in the same order (samples are built from sorted truth)."""
    out = []
    for id_ruta, t in sorted(truth.items()):
        found = households.get(id_ruta)
        c = float(t.get("consumption_per_capita") or "nan")
        if found is None or not c > 0 or not data.present_members(found[1]):
            continue
        out.append(id_ruta)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--penduduk", dest="persons", type=int, default=150_000)
    parser.add_argument("--survey", type=float, default=0.05)
    parser.add_argument("--refit", type=float, default=0.30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="generate here and reuse what is there")
    parser.add_argument("--only", default="T,B,C", help="kabupaten to run (comma separated)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="pmt-transfer-"))
    root.mkdir(parents=True, exist_ok=True)
    shipped = pmt.default_model()
    report = {}
    for name in args.only.split(","):
        started = time.perf_counter()
        folder = kabupaten(root, name, args.persons)
        role, seed, price, shift = KABUPATEN[name]
        print(f"[{name}] {role}: seed {seed}, prices ×{price}, welfare shift {shift:+} sd", file=sys.stderr)
        report[name] = {"role": role, "seed": seed, "price_level": price, "welfare_shift": shift}
        report[name] |= measure(folder, shipped, args.survey, args.refit, args.seed)
        print(f"[{name}] {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(json.dumps(report, indent=1))
    keys = ("spearman", "desil_exact", "desil_within_one", "exclusion_error", "inclusion_error",
            "cutoff_exclusion_error", "cutoff_inclusion_error", "share_desil_1_4", "true_share_desil_1_4",
            "expected_exclusion_error", "expected_inclusion_error")  # fmt: skip
    print("| kabupaten | method | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for name, r in report.items():
        for label, figures in r["methods"].items():
            print(f"| {name} | {label} | " + " | ".join(str(figures.get(k, "")) for k in keys) + " |")


if __name__ == "__main__":
    main()
