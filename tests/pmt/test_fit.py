"""Fitting recovers what generated the data, and the fit figures mean what they say."""

from __future__ import annotations

import math

import numpy as np
import pytest

from siks.domain import pmt
from siks.domain.pmt_fit import Sample, desil_cutoffs, evaluate, fit, holdout_split, spearman

TRUE = {
    "intercept": 13.0,
    "log_household_size": -0.30,
    "share_children": -0.20,
    "aset_lemari_es": 0.25,
    "aset_mobil": 0.60,
    "jenis_lantai": {2: 0.0, 8: -0.35, 6: -0.15},  # 2 is the most frequent → the reference
    "regions": {"350901": 0.10, "350902": -0.10, "350903": 0.0},
}


def known_samples(n: int = 4000, noise: float = 0.05, seed: int = 3) -> list[Sample]:
    rng = np.random.default_rng(seed)
    out = []
    regions = list(TRUE["regions"])
    for _ in range(n):
        size = int(rng.integers(1, 9))
        features = {
            "log_household_size": math.log(size),
            "share_children": float(rng.random()),
            "aset_lemari_es": bool(rng.random() < 0.5),
            "aset_mobil": bool(rng.random() < 0.1),
            "jenis_lantai": int(rng.choice([2, 2, 2, 8, 6])),
        }
        region = regions[int(rng.integers(3))]
        y = (
            TRUE["intercept"]
            + TRUE["log_household_size"] * features["log_household_size"]
            + TRUE["share_children"] * features["share_children"]
            + TRUE["aset_lemari_es"] * features["aset_lemari_es"]
            + TRUE["aset_mobil"] * features["aset_mobil"]
            + TRUE["jenis_lantai"][features["jenis_lantai"]]
            + TRUE["regions"][region]
            + rng.normal(0, noise)
        )
        out.append(Sample(features, region, y))
    return out


VARIABLES = ["log_household_size", "share_children", "aset_lemari_es", "aset_mobil", "jenis_lantai"]


def test_fit_recovers_known_coefficients():
    model = fit(
        known_samples(), name="uji", version="1", created="2025-01-01", variables=VARIABLES, ridge=0.0
    )
    by = {v.name: v for v in model.variables}
    assert by["log_household_size"].coefficient == pytest.approx(-0.30, abs=0.01)
    assert by["share_children"].coefficient == pytest.approx(-0.20, abs=0.01)
    assert by["aset_lemari_es"].coefficient == pytest.approx(0.25, abs=0.01)
    assert by["aset_mobil"].coefficient == pytest.approx(0.60, abs=0.01)
    assert set(by["jenis_lantai"].coefficients) == {6, 8}  # 2 is the reference (most frequent) answer
    assert by["jenis_lantai"].coefficients[8] == pytest.approx(-0.35, abs=0.01)
    assert by["jenis_lantai"].coefficients[6] == pytest.approx(-0.15, abs=0.01)
    # Region effects are centred: differences are recovered, and their mean is 0.
    e = model.region_effects
    assert e["350901"] - e["350902"] == pytest.approx(0.20, abs=0.01)
    assert e["350903"] - e["350902"] == pytest.approx(0.10, abs=0.01)
    assert sum(e.values()) == pytest.approx(0.0, abs=0.01)
    assert model.intercept + sum(e.values()) / 3 == pytest.approx(13.0, abs=0.02)
    assert model.fit["r2"] > 0.95


def test_ridge_keeps_collinear_answers_small():
    samples = known_samples(1000)
    # head_job_status 0 and head_sector 0 both say "head not working": perfectly collinear columns.
    for s, works in zip(samples, np.random.default_rng(1).random(len(samples)) < 0.7, strict=True):
        s.features["head_job_status"] = 4 if works else 0  # type: ignore[index]
        s.features["head_sector"] = 3 if works else 0  # type: ignore[index]
    model = fit(
        samples,
        name="uji",
        version="1",
        created="x",
        variables=[*VARIABLES, "head_job_status", "head_sector"],
    )
    by = {v.name: v for v in model.variables}
    assert all(abs(c) < 0.05 for c in by["head_job_status"].coefficients.values())
    assert all(abs(c) < 0.05 for c in by["head_sector"].coefficients.values())


def test_rare_codes_and_unknown_codes_get_the_reference():
    samples = known_samples(500)
    samples[0].features["jenis_lantai"] = 3  # type: ignore[index]  # seen once: below MIN_COUNT
    model = fit(samples, name="uji", version="1", created="x", variables=VARIABLES)
    lantai = next(v for v in model.variables if v.name == "jenis_lantai")
    assert 3 not in lantai.coefficients
    assert lantai.contribution(3) == 0.0 and lantai.contribution(None) == 0.0


def test_unknown_region_gets_the_average():
    model = fit(known_samples(800), name="uji", version="1", created="x", variables=VARIABLES)
    features = {"log_household_size": 1.0, "share_children": 0.2}
    unseen = pmt.score(model, features, "99.99.99.9999")
    assert unseen.region_effect == 0.0 and unseen.region is not None


def test_numbers_missing_use_the_mean():
    model = fit(known_samples(800), name="uji", version="1", created="x", variables=VARIABLES)
    size = next(v for v in model.variables if v.name == "log_household_size")
    assert size.impute == pytest.approx(np.mean([math.log(k) for k in range(1, 9)]), abs=0.1)
    assert size.contribution(None) == pytest.approx(size.coefficient * size.impute)


def test_bottom40_figures_and_cutoffs():
    samples = known_samples(2000, noise=0.15)
    order = np.argsort([s.log_consumption for s in samples], kind="stable")
    desil = np.empty(len(samples), dtype=int)
    desil[order] = np.arange(len(samples)) * 10 // len(samples) + 1
    samples = [
        Sample(s.features, s.region, s.log_consumption, int(d)) for s, d in zip(samples, desil, strict=True)
    ]
    model = fit(samples, name="uji", version="1", created="x", variables=VARIABLES)
    stats = model.fit
    assert stats["truly_poor"] == 800
    assert 0.7 < stats["bottom40_recall"] <= 1.0
    assert stats["exclusion_error"] == pytest.approx(1 - stats["bottom40_recall"])
    assert len(model.desil_cutoffs) == 9 and list(model.desil_cutoffs) == sorted(model.desil_cutoffs)
    assert stats["desil_within_one"] > 0.7
    # The cut-offs split the calibration sample exactly as the truth does.
    given = [
        pmt.desil_from_cutoffs(pmt.score(model, s.features, s.region).value, model.desil_cutoffs)
        for s in samples
    ]
    assert sum(1 for d in given if d <= 4) == pytest.approx(800, abs=5)


def test_cutoffs_on_a_poorer_sample_still_name_the_kabupaten_desil():
    """DTKS holds roughly the poorer 40 %: cut-offs calibrated on it must not spread it over desil 1–10."""
    samples = known_samples(3000, noise=0.1)
    order = np.argsort([s.log_consumption for s in samples], kind="stable")
    desil = np.empty(len(samples), dtype=int)
    desil[order] = np.arange(len(samples)) * 10 // len(samples) + 1
    poorer = [
        Sample(s.features, s.region, s.log_consumption, int(d))
        for s, d in zip(samples, desil, strict=True)
        if d <= 5
    ]
    model = fit(poorer, name="uji", version="1", created="x", variables=VARIABLES)
    assert model.desil_cutoffs[-1] == max(model.desil_cutoffs)
    given = [
        pmt.desil_from_cutoffs(pmt.score(model, s.features, s.region).value, model.desil_cutoffs)
        for s in poorer
    ]
    assert max(given) <= 6


def test_evaluate_without_truth_desil_reports_fit_only():
    samples = known_samples(300)
    model = fit(samples, name="uji", version="1", created="x", variables=VARIABLES)
    stats = evaluate(model, samples)
    assert set(stats) == {"n", "r2", "spearman"}
    assert desil_cutoffs(model, samples) == ()


def test_fit_refuses_unknown_variables_and_tiny_samples():
    with pytest.raises(ValueError, match="tidak dikenal"):
        fit(known_samples(100), name="u", version="1", created="x", variables=["umur_kepala"])
    with pytest.raises(ValueError):
        fit(known_samples(1), name="u", version="1", created="x", variables=VARIABLES)


def test_holdout_split_is_deterministic_and_disjoint():
    a = holdout_split(100, 0.2, 5)
    assert a == holdout_split(100, 0.2, 5)
    train, test = a
    assert len(test) == 20 and not set(train) & set(test) and len(train) + len(test) == 100


def test_spearman_handles_ties():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 2, 2], [1, 1, 2, 2]) == pytest.approx(1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) == 0.0
