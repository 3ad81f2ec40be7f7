"""Household size and economies of scale in the PMT (issue #19 point 6): which size terms the data supports.

Usage:
  python bench/pmt_household_size.py --fit DIR_SEED1 --held-out DIR_OTHER [--old-model pmt_1.0.json]

DIR_SEED1 and DIR_OTHER are `siks synth` folders (`--penduduk 100000 --seed 1` for the fit, as the shipped
model; the held-out one with another seed and kabupaten, e.g. `--seed 7 --kabupaten 35.10`). Every variant
is fitted on all DTKS ruta of the fitting kabupaten (cut-offs too: thresholds are never chosen on the
held-out one) and scored on every DTKS ruta of the held-out kabupaten. Printed per variant: the size terms'
coefficients, the net change of the score per ln(household size) (`pmt.household_size_effect`), and on the
held-out kabupaten Spearman with true consumption and the exclusion error on the quota basis (desil 1–4
missed among the K lowest scores) and by the model's cut-offs.

Variants (extra size terms are computed here from the catalog's variables; only A and B exist in siks):
  A  ln size + ln floor per capita (pmt-siks@1.0's variables)
  B  ln size + ln floor area (pmt-siks@1.1)
  C  B + size²             D  size (linear) instead of ln size      E  B + ln adult equivalent (child = 0.5)
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from siks.domain import pmt, pmt_fit  # noqa: E402
from siks.domain import pmt_features as features  # noqa: E402
from siks.pmt import data  # noqa: E402

SIZE_TERMS = ("log_household_size", "household_size", "household_size_sq", "log_adult_equivalent",
              "log_floor_per_capita", "log_floor_area")  # fmt: skip


def load(directory: Path) -> list[pmt_fit.Sample]:
    rows = data.samples(
        data.read_template_csv(directory / "dtks.csv"),
        data.read_truth(directory / "truth" / "households.csv"),
        data.reference_date(directory),
    )
    return [replace(s, features=extra(s.features)) for s in rows]


def extra(f) -> dict:
    """Size terms outside the catalog, for the comparison only."""
    f = dict(f)
    size = math.exp(f["log_household_size"])
    children = (f["share_children"] or 0.0) * size
    f["household_size"], f["household_size_sq"] = size, size * size
    f["log_adult_equivalent"] = math.log(max(size - 0.5 * children, 0.5))
    return f


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", type=Path, required=True)
    parser.add_argument("--held-out", type=Path, required=True)
    parser.add_argument("--old-model", type=Path, help="a model file to score as it is (e.g. pmt-siks@1.0)")
    args = parser.parse_args()
    for name in ("household_size", "household_size_sq", "log_adult_equivalent"):
        features.FEATURES_BY_NAME[name] = features.Feature(name, "number", name)
    fit_rows, test_rows = load(args.fit), load(args.held_out)
    print(f"fit: {len(fit_rows)} DTKS ruta ({args.fit}); held out: {len(test_rows)} ({args.held_out})")
    base = [f.name for f in features.FEATURES if f.name not in ("log_floor_per_capita", "log_floor_area")]
    b = [*base, "log_floor_area"]
    variants = {
        "A ln size + ln floor/capita": [*base, "log_floor_per_capita"],
        "B ln size + ln floor area": b,
        "C B + size²": [*b, "household_size_sq"],
        "D size linear + ln floor area": [n if n != "log_household_size" else "household_size" for n in b],
        "E B + ln adult equivalent": [*b, "log_adult_equivalent"],
    }
    models = {label: pmt_fit.fit(fit_rows, name="v", version="0", created="-", variables=names)
              for label, names in variants.items()}  # fmt: skip
    if args.old_model:
        models[f"as shipped: {args.old_model.name}"] = pmt.load(args.old_model)
    print("| variant | size terms | net per ln(size) | Spearman | exclusion quota | exclusion cut-offs |")
    print("|---|---|---|---|---|---|")
    for label, model in models.items():
        held = pmt_fit.evaluate(model, test_rows)
        terms = ", ".join(
            f"{v.name} {v.coefficient:+.4f}"
            for v in model.variables
            if v.name in SIZE_TERMS and v.kind == "number"
        )
        print(f"| {label} | {terms} | {pmt.household_size_effect(model):+.4f} | {held['spearman']:.4f} | "
              f"{held['exclusion_error']:.4f} | {held['cutoff_exclusion_error']:.4f} |")  # fmt: skip


if __name__ == "__main__":
    main()
