"""Estimating a PMT model: least squares of log per-capita consumption on the catalog variables.

Why this shape: it is the method behind the BDT/UDB PMT (regressions calibrated on Susenas consumption,
docs/domain-facts.md §4.2) in its simplest honest form — one-hot answer codes, household size and
composition, and regional intercepts — so a kabupaten can re-fit and review a model instead of trusting a
black box.
Pure numpy; the CLI (`siks pmt fit`) reads the files and calls `fit`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np

from siks.domain.pmt import REGION_LEVELS, PmtModel, Variable, desil_from_cutoffs, score
from siks.domain.pmt_features import FEATURES, FEATURES_BY_NAME

MIN_COUNT = 20  # an answer code (or region) needs this many households to get its own coefficient
POOR_DESIL = 4  # "bottom 40 %": desil 1–4
# A light ridge penalty: answers that always go together (head not working shows in both head_job_status
# and head_sector) would otherwise get large, offsetting coefficients that explain nothing.
RIDGE = 1.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One household with observed consumption: its features, its region key and log consumption."""

    features: Mapping[str, object]
    region: str | None
    log_consumption: float
    true_desil: int | None = None


@dataclass(frozen=True, slots=True)
class _Column:
    variable: str
    code: int | None = None  # None: the variable's own column (flag/number)


def _design(
    samples: Sequence[Sample], names: Sequence[str], min_count: int
) -> tuple[list[_Column], dict[str, float], list[str]]:
    """Which columns the regression gets: codes seen ≥ min_count times except the most frequent one
    (the reference, coefficient 0, which unknown codes also get), and regions likewise."""
    columns: list[_Column] = []
    means: dict[str, float] = {}
    for name in names:
        kind = FEATURES_BY_NAME[name].kind
        values = [s.features.get(name) for s in samples]
        if kind == "code":
            counts = Counter(v for v in values if isinstance(v, int))
            frequent = [c for c, n in counts.most_common() if n >= min_count]
            columns.extend(_Column(name, c) for c in sorted(frequent[1:]))
        else:
            columns.append(_Column(name))
            if kind == "number":
                known = [float(v) for v in values if v is not None]  # type: ignore[arg-type]
                means[name] = sum(known) / len(known) if known else 0.0
    regions = Counter(s.region for s in samples if s.region)
    kept = [r for r, n in regions.most_common() if n >= min_count]
    return columns, means, kept


def _matrix(samples: Sequence[Sample], columns: list[_Column], means: dict[str, float], regions: list[str]):
    x = np.zeros((len(samples), 1 + len(columns) + max(len(regions) - 1, 0)))
    x[:, 0] = 1.0
    region_index = {r: i for i, r in enumerate(regions[1:])}
    for row, s in enumerate(samples):
        for j, col in enumerate(columns, start=1):
            value = s.features.get(col.variable)
            if col.code is not None:
                x[row, j] = 1.0 if value == col.code else 0.0
            elif FEATURES_BY_NAME[col.variable].kind == "flag":
                x[row, j] = 1.0 if value is True else 0.0
            else:
                x[row, j] = means[col.variable] if value is None else float(value)  # type: ignore[arg-type]
        if s.region in region_index:
            x[row, 1 + len(columns) + region_index[s.region]] = 1.0
    return x


def fit(
    samples: Sequence[Sample],
    *,
    name: str,
    version: str,
    created: str,
    variables: Sequence[str] | None = None,
    region_level: str = "kecamatan",
    min_count: int = MIN_COUNT,
    ridge: float = RIDGE,
    provenance: Mapping[str, object] | None = None,
) -> PmtModel:
    """Least squares on `samples`; returns a model whose `fit` records n, R² and the bottom-40 % figures.

    `ridge` (λ) penalises every coefficient but the intercept, to keep collinear ones small and readable.
    Region effects are re-centred so the household-weighted mean effect is 0: a household in a kecamatan
    the model has not seen gets the average, not the effect of an arbitrary reference kecamatan.
    """
    if region_level not in REGION_LEVELS:
        raise ValueError(f"tingkat wilayah tidak dikenal: {region_level}")
    names = list(variables) if variables is not None else [f.name for f in FEATURES if f.fitted_by_default]
    unknown = [n for n in names if n not in FEATURES_BY_NAME]
    if unknown:
        raise ValueError(f"variabel tidak dikenal: {', '.join(unknown)}")
    if len(samples) < 2:
        raise ValueError("terlalu sedikit rumah tangga untuk menaksir model")
    columns, means, regions = _design(samples, names, min_count)
    x = _matrix(samples, columns, means, regions)
    y = np.array([s.log_consumption for s in samples])
    # Ridge rows under the data: sqrt(λ)·I for every column but the intercept.
    penalty = np.sqrt(ridge) * np.eye(x.shape[1])[1:]
    beta, *_ = np.linalg.lstsq(
        np.vstack([x, penalty]), np.concatenate([y, np.zeros(len(penalty))]), rcond=None
    )

    effects = {r: 0.0 for r in regions}
    for i, r in enumerate(regions[1:]):
        effects[r] = float(beta[1 + len(columns) + i])
    counts = Counter(s.region for s in samples if s.region in effects)
    centre = sum(effects[r] * n for r, n in counts.items()) / max(sum(counts.values()), 1)
    intercept = float(beta[0]) + centre
    effects = {r: e - centre for r, e in effects.items()}

    coefficient = {
        (c.variable, c.code): float(b) for c, b in zip(columns, beta[1 : 1 + len(columns)], strict=True)
    }
    model_vars = []
    for n in names:
        feature = FEATURES_BY_NAME[n]
        if feature.kind == "code":
            codes = {
                c.code: coefficient[(n, c.code)] for c in columns if c.variable == n and c.code is not None
            }
            model_vars.append(Variable(n, "code", coefficients=codes, label=feature.label))
        else:
            model_vars.append(
                Variable(
                    n,
                    feature.kind,
                    coefficient=coefficient[(n, None)],
                    impute=means.get(n, 0.0),
                    label=feature.label,
                )
            )
    model = PmtModel(
        name=name,
        version=version,
        created=created,
        intercept=intercept,
        variables=tuple(model_vars),
        region_level=region_level,
        region_effects=effects,
        provenance=dict(provenance or {}),
    )
    model = replace(
        model,
        desil_cutoffs=desil_cutoffs(model, samples),
        wilayah=wilayah_of(samples),
        residual_sd=residual_sd(model, samples, parameters=int(x.shape[1])),
        fitted_on={"cara": "fit", "n": len(samples)},
    )
    stats = evaluate(model, samples)
    stats["parameters"] = int(x.shape[1])
    stats["ridge"] = ridge
    return replace(model, fit=stats)


def wilayah_of(samples: Sequence[Sample]) -> tuple[str, ...]:
    """The kabupaten (4 digits) the samples come from: where a model fitted on them belongs."""
    return tuple(sorted({s.region[:4] for s in samples if s.region and len(s.region) >= 4}))


def residual_sd(model: PmtModel, samples: Sequence[Sample], parameters: int = 1) -> float:
    """σ of log consumption around the score (degrees of freedom corrected): the width of each household's
    prediction interval, so the desil can say how sure it is."""
    if len(samples) <= parameters:
        return 0.0
    r = np.array([s.log_consumption - score(model, s.features, s.region).value for s in samples])
    return round(float(np.sqrt((r**2).sum() / (len(samples) - parameters))), 6)


def thresholds_from_consumption(
    consumption: Sequence[float], weights: Sequence[float] | None = None
) -> tuple[float, ...]:
    """The nine per-capita consumption (rupiah) thresholds of desil 2…10 of a survey of the region: the
    weighted 10 %, 20 %, … quantiles. Weights are the survey's (households or people it stands for)."""
    c = np.asarray(consumption, dtype=float)
    w = np.ones(len(c)) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(c) & (c > 0) & (w > 0)
    c, w = c[keep], w[keep]
    if len(c) < 10:
        raise ValueError("terlalu sedikit rumah tangga survei untuk menghitung batas desil")
    order = np.argsort(c, kind="stable")
    c, cum = c[order], np.cumsum(w[order]) / w.sum()
    return tuple(float(c[min(int(np.searchsorted(cum, d / 10)), len(c) - 1)]) for d in range(1, 10))


def desil_by_thresholds(consumption: float, thresholds: Sequence[float]) -> int:
    """Desil of a household by rupiah thresholds: 1 + number of thresholds ≤ its consumption."""
    return 1 + sum(1 for t in thresholds if consumption >= t)


def calibrate(
    model: PmtModel,
    samples: Sequence[Sample],
    *,
    version: str,
    created: str,
    thresholds: Sequence[float] | None = None,
    wilayah: Sequence[str] | None = None,
    survey: str = "",
    population: Sequence[float] | None = None,
) -> PmtModel:
    """Cut-offs-only recalibration for another region: coefficients stay, while
    - the intercept moves by the mean residual of the survey households (the region's price level), so
      `konsumsi_perkapita` is in local rupiah;
    - the nine cut-offs are recomputed so that as many survey households score below cut-off d as have a
      true desil ≤ d, true desil coming from `thresholds` (rupiah, published or from the survey) or, without
      them, from each sample's `true_desil`;
    - σ is re-estimated on the survey, since a model is less sure outside the region it was fitted on.

    With `population` (the scores, under `model`, of every household the cut-offs will rank, e.g. the
    whole registry) and `thresholds`, the cut-offs come from the registry instead of the few survey
    households: cut-off d is the registry score below which lie as many households as are *expected* to
    have consumption below threshold d, Σ Φ((ln t_d − score − shift) / σ). Only the shift and σ then
    come from the survey households with answers, so a small survey gives steadier cut-offs.
    """
    if len(samples) < 20:
        raise ValueError("terlalu sedikit rumah tangga survei untuk kalibrasi (minimal 20)")
    shift = float(np.mean([s.log_consumption - score(model, s.features, s.region).value for s in samples]))
    moved = replace(model, intercept=model.intercept + shift)
    if thresholds is not None:
        if len(thresholds) != 9 or list(thresholds) != sorted(thresholds) or min(thresholds) <= 0:
            raise ValueError("batas desil harus 9 angka rupiah positif yang tidak menurun")
        samples = [
            replace(s, true_desil=desil_by_thresholds(math.exp(s.log_consumption), thresholds))
            for s in samples
        ]
    sd = residual_sd(moved, samples)
    if population is not None and thresholds is not None and len(population) and sd > 0:
        cutoffs = expected_cutoffs([v + shift for v in population], thresholds, sd)
    else:
        cutoffs = desil_cutoffs(moved, samples)
    if not cutoffs:
        raise ValueError("sampel survei tanpa desil sebenarnya: berikan batas desil rupiah")
    calibrated = replace(
        moved,
        version=version,
        created=created,
        desil_cutoffs=cutoffs,
        residual_sd=sd,
        wilayah=tuple(wilayah) if wilayah is not None else wilayah_of(samples),
        survey=survey or model.survey,
        fitted_on={
            "cara": "kalibrasi",
            "n": len(samples),
            "dari_model": model.key,
            "geser_intersep": round(shift, 6),
            "batas_dari": "registri" if population is not None and thresholds is not None else "survei",
        },
    )
    return replace(calibrated, fit={**evaluate(calibrated, samples), "dari_model_fit": dict(model.fit)})


def expected_cutoffs(scores: Sequence[float], thresholds: Sequence[float], sd: float) -> tuple[float, ...]:
    """Cut-offs on `scores` (already in local log rupiah) so that below cut-off d lie as many households as
    are expected to consume less than threshold d: n_d = Σ Φ((ln t_d − score) / σ)."""
    v = np.sort(np.asarray(scores, dtype=float))
    z = NormalDist()
    out = []
    for t in thresholds:
        expected = sum(z.cdf((math.log(t) - x) / sd) for x in v)
        k = int(round(expected))
        if k <= 0:
            out.append(float(v[0]) - 1.0)
        elif k >= len(v):
            out.append(float(v[-1]) + 1.0)
        else:
            out.append(float(v[k - 1] + v[k]) / 2)
    return tuple(round(c, 6) for c in out)


def cutoffs_from_thresholds(
    model: PmtModel,
    thresholds: Sequence[float],
    wilayah: Sequence[str],
    *,
    version: str,
    created: str,
    source: str,
) -> PmtModel:
    """Published regional desil thresholds alone (no survey households): cut-off d = ln(threshold d).

    This trusts the model's price level and spread for the region; a survey sample (`calibrate`) corrects
    both and is preferred (docs/pmt-eligibility.md §6 measures the difference)."""
    if len(thresholds) != 9 or list(thresholds) != sorted(thresholds) or min(thresholds) <= 0:
        raise ValueError("batas desil harus 9 angka rupiah positif yang tidak menurun")
    return replace(
        model,
        version=version,
        created=created,
        desil_cutoffs=tuple(round(math.log(t), 6) for t in thresholds),
        desil_reference=f"batas desil terbitan: {source}",
        wilayah=tuple(wilayah),
        fitted_on={"cara": "batas_desil", "dari_model": model.key, "sumber": source},
    )


def desil_cutoffs(model: PmtModel, samples: Sequence[Sample]) -> tuple[float, ...]:
    """Scores that split `samples` the way their true desil does: below cut-off d lie exactly as many
    households as have true desil ≤ d. Calibrated on a sample of a kabupaten (even a poorer one, such as
    DTKS), they place any household scored by this model in that kabupaten's desil. Empty without truth."""
    if not samples or any(s.true_desil is None for s in samples):
        return ()
    scores = sorted(score(model, s.features, s.region).value for s in samples)
    cutoffs = []
    for d in range(1, 10):
        k = sum(1 for s in samples if s.true_desil <= d)  # type: ignore[operator]
        if k == 0:
            cutoffs.append(scores[0] - 1.0)
        elif k == len(scores):
            cutoffs.append(scores[-1] + 1.0)
        else:
            cutoffs.append((scores[k - 1] + scores[k]) / 2)
    return tuple(round(c, 6) for c in cutoffs)


def evaluate(model: PmtModel, samples: Sequence[Sample]) -> dict[str, object]:
    """R², Spearman correlation, and how well the model finds the truly poor (true desil 1–4) in `samples`.

    The model "ranks a household in the bottom 40 %" when it is among the K lowest-scored of `samples`,
    K being the number of truly poor ones. On a whole kabupaten K is 40 % of it, so this is exactly the
    model's desil 1–4; on a sample that is already poorer (DTKS holds roughly the poorer 40 %) the same
    quota still asks the right question, where desil recomputed within the sample would not.
    `bottom40_baseline` = K / n is what a random ranking would reach: compare against it, since on DTKS
    (already mostly poor) a high recall alone proves little. `bottom40_recall` = 1 − exclusion error; with
    a fixed quota the inclusion error (share of the K chosen that are not truly poor) has the same count of
    mistakes, so it is reported for completeness. With cut-offs (`desil_cutoffs`) the same is also given
    for "desil 1–4 by the cut-offs", plus how often the desil is exact or within one.
    """
    predicted = [score(model, s.features, s.region).value for s in samples]
    y = np.array([s.log_consumption for s in samples])
    p = np.array(predicted)
    residual = float(((y - p) ** 2).sum())
    total = float(((y - y.mean()) ** 2).sum())
    out: dict[str, object] = {
        "n": len(samples),
        "r2": round(1 - residual / total, 4) if total else None,
        "spearman": round(spearman(p, y), 4),
    }
    truly = [s.true_desil is not None and s.true_desil <= POOR_DESIL for s in samples]
    k = sum(truly)
    if all(s.true_desil is not None for s in samples) and k:
        chosen = set(np.argsort(p, kind="stable")[:k].tolist())
        hits = sum(1 for i in chosen if truly[i])
        out["truly_poor"] = k
        out["bottom40_baseline"] = round(k / len(samples), 4)  # the recall of a random ranking
        out["bottom40_recall"] = round(hits / k, 4)
        out["exclusion_error"] = round(1 - hits / k, 4)
        out["inclusion_error"] = round(1 - hits / len(chosen), 4)
    if model.desil_cutoffs and all(s.true_desil is not None for s in samples):
        desil = [desil_from_cutoffs(v, model.desil_cutoffs) for v in predicted]
        pairs = list(zip(desil, (s.true_desil for s in samples), strict=True))
        out["desil_exact"] = round(sum(1 for a, b in pairs if a == b) / len(pairs), 4)
        out["desil_within_one"] = round(sum(1 for a, b in pairs if abs(a - b) <= 1) / len(pairs), 4)  # type: ignore[operator]
        picked = [a <= POOR_DESIL for a, _ in pairs]  # type: ignore[operator]
        hits = sum(1 for (a, b) in pairs if a <= POOR_DESIL and b <= POOR_DESIL)  # type: ignore[operator]
        out["cutoff_bottom40_recall"] = round(hits / max(k, 1), 4)
        out["cutoff_exclusion_error"] = round(1 - hits / max(k, 1), 4)
        out["cutoff_inclusion_error"] = round(1 - hits / max(sum(picked), 1), 4)
        out["share_desil_1_4"] = round(sum(picked) / len(pairs), 4)
        out["true_share_desil_1_4"] = round(k / len(pairs), 4)
    return out


def holdout_split(n: int, share: float = 0.2, seed: int = 0) -> tuple[list[int], list[int]]:
    """Deterministic train/test index lists, so the reported out-of-sample figures can be reproduced."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    cut = int(math.floor(n * share))
    return sorted(order[cut:].tolist()), sorted(order[:cut].tolist())


def spearman(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Rank correlation with average ranks for ties (no scipy in the domain)."""

    def ranks(v: np.ndarray) -> np.ndarray:
        order = np.argsort(v, kind="mergesort")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=float)
        sorted_v = v[order]
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and sorted_v[j + 1] == sorted_v[i]:
                j += 1
            r[order[i : j + 1]] = (i + j) / 2
            i = j + 1
        return r

    ra, rb = ranks(np.asarray(a, dtype=float)), ranks(np.asarray(b, dtype=float))
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])
