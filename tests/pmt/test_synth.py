"""On a kabupaten from `siks synth` the shipped model ranks poorer households lower."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from siks.domain import pmt
from siks.domain.pmt_fit import evaluate, fit, spearman
from siks.pmt import data

synth = pytest.importorskip("siks.synth.generate")
params = pytest.importorskip("siks.synth.params")


@pytest.fixture(scope="module")
def kabupaten(tmp_path_factory):
    """A small kabupaten with another seed than the one the default model was fitted on."""
    out = tmp_path_factory.mktemp("synth")
    synth.generate(params.SynthParams(persons=6000, seed=5), out)
    households = data.read_template_csv(out / "dtks.csv")
    truth = data.read_truth(out / "truth" / "households.csv")
    return data.samples(households, truth, data.reference_date(out))


def test_default_model_ranks_poorer_households_lower(kabupaten):
    model = pmt.default_model()
    scores = np.array([pmt.score(model, s.features, s.region).value for s in kabupaten])
    truth = np.array([s.log_consumption for s in kabupaten])
    assert len(kabupaten) > 300
    assert spearman(scores, truth) > 0.6
    by_desil = defaultdict(list)
    for s, v in zip(kabupaten, scores, strict=True):
        by_desil[min(s.true_desil, 5)].append(v)
    means = [np.mean(by_desil[d]) for d in sorted(by_desil)]
    assert means == sorted(means)  # desil 1 < 2 < 3 < 4 < 5+ on average


def test_default_model_finds_the_poor_better_than_chance(kabupaten):
    stats = evaluate(pmt.default_model(), kabupaten)
    assert stats["bottom40_recall"] > stats["bottom40_baseline"] + 0.05


def test_a_model_fitted_here_generalises_to_unseen_households(kabupaten):
    half = len(kabupaten) // 2
    model = fit(kabupaten[:half], name="uji", version="1", created="x")
    assert evaluate(model, kabupaten[half:])["spearman"] > 0.6
