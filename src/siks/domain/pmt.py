"""A PMT (proxy means test) model as versioned data, and how it scores one household.

Why data: a determination must say which model ranked a household, and a new model must be reviewable
before use (docs/sources.md §2.2). The model is a JSON file (`FORMAT`) holding a linear predictor of log
per-capita consumption: an intercept, regional (kecamatan) effects, and one coefficient per variable or per
answer code. Variables come from the fixed catalog in `pmt_features`. Scoring in bulk is SQL
(`siks.verval.pmt_sql`); `score` here is the same arithmetic for one household, for explanations and tests.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from siks.domain.pmt_features import FEATURES_BY_NAME, Kind

FORMAT = "siks-pmt/1"
REGION_LEVELS = {"kecamatan": 6, "kabupaten": 4, "provinsi": 2}  # digits of the Kemendagri code
POPULATIONS = ("kabupaten", "provinsi", "nasional", "model")  # "model": the model's fixed cut-offs
DESIL_COUNT = 10
SCORE_DECIMALS = 6  # scores are rounded before ranking so equal households tie on every engine
TARGET = "log konsumsi per kapita per bulan (Rp)"


@dataclass(frozen=True, slots=True)
class Variable:
    """One term. `code`: a coefficient per answer code (missing code → 0, i.e. the reference answer);
    `flag`: a coefficient when Ya; `number`: coefficient × value, with `impute` for an unknown value."""

    name: str
    kind: Kind
    coefficient: float = 0.0
    coefficients: Mapping[int, float] = field(default_factory=dict)
    impute: float = 0.0
    label: str = ""

    def contribution(self, value: object) -> float:
        if self.kind == "code":
            return self.coefficients.get(value, 0.0) if isinstance(value, int) else 0.0
        if self.kind == "flag":
            return self.coefficient if value is True else 0.0
        number = self.impute if value is None else float(value)  # type: ignore[arg-type]
        return self.coefficient * number


@dataclass(frozen=True, slots=True)
class PmtModel:
    """A fitted model. `intercept` + region effect + Σ contributions = predicted log consumption/capita."""

    name: str
    version: str
    created: str
    intercept: float
    variables: tuple[Variable, ...]
    region_level: str = "kecamatan"
    region_effects: Mapping[str, float] = field(default_factory=dict)
    target: str = TARGET
    provenance: Mapping[str, object] = field(default_factory=dict)
    fit: Mapping[str, object] = field(default_factory=dict)
    desil_cutoffs: tuple[float, ...] = ()  # 9 scores: desil = 1 + number of cut-offs ≤ score
    desil_reference: str = ""  # the population the cut-offs place a household in

    @property
    def key(self) -> str:
        """`name@version`, the string every score and finding carries."""
        return f"{self.name}@{self.version}"

    def region_of(self, kode_desa: object) -> str | None:
        """The region key of a desa code (digits only: `350915` for kecamatan)."""
        digits = "".join(ch for ch in str(kode_desa or "") if ch.isdigit())
        width = REGION_LEVELS[self.region_level]
        return digits[:width] if len(digits) >= width else None


@dataclass(frozen=True, slots=True)
class Contribution:
    name: str
    label: str
    value: object
    contribution: float


@dataclass(frozen=True, slots=True)
class Score:
    """A household's score and why: the parts add up to `value` (log consumption per capita)."""

    model: str
    value: float
    intercept: float
    region: str | None
    region_effect: float
    contributions: tuple[Contribution, ...]

    @property
    def consumption(self) -> float:
        """The predicted monthly consumption per capita in rupiah."""
        return math.exp(self.value)


class ModelError(ValueError):
    """A model file that siks cannot use; the message is Indonesian."""


def score(model: PmtModel, features: Mapping[str, object], kode_desa: object = None) -> Score:
    """Score one household from `pmt_features.household_features` output."""
    region = model.region_of(kode_desa)
    effect = model.region_effects.get(region, 0.0) if region else 0.0
    parts = tuple(
        Contribution(v.name, v.label or v.name, features.get(v.name), v.contribution(features.get(v.name)))
        for v in model.variables
    )
    total = model.intercept + effect + sum(p.contribution for p in parts)
    return Score(model.key, round(total, SCORE_DECIMALS), model.intercept, region, effect, parts)


def desil_from_cutoffs(value: float, cutoffs: Sequence[float]) -> int | None:
    """Desil by the model's fixed cut-offs (`desil_populasi = model`): the reference population's desil,
    whatever part of it is being scored. None when the model has no cut-offs."""
    if len(cutoffs) != DESIL_COUNT - 1:
        return None
    return 1 + sum(1 for c in cutoffs if value >= c)


def assign_desil(scores: Sequence[float], weights: Sequence[float] | None = None) -> list[int]:
    """Desil 1 (poorest) … 10 within the given population, the same rule as the SQL window.

    desil = 1 + floor(10 × W_below / W_total), where W_below is the weight (people or households) of those
    scored strictly lower. Equal scores therefore share a desil; without ties each desil holds 10 %.
    """
    weights = [1.0] * len(scores) if weights is None else [float(w) for w in weights]
    total = sum(weights)
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    result = [0] * len(scores)
    below = 0.0
    i = 0
    while i < len(order):
        j = i
        tied = 0.0
        while j < len(order) and scores[order[j]] == scores[order[i]]:
            tied += weights[order[j]]
            j += 1
        desil = min(DESIL_COUNT, 1 + math.floor(DESIL_COUNT * below / total)) if total else 1
        for k in order[i:j]:
            result[k] = desil
        below += tied
        i = j
    return result


# -- file format -------------------------------------------------------------------------------------------


def to_dict(model: PmtModel) -> dict[str, object]:
    def variable(v: Variable) -> dict[str, object]:
        out: dict[str, object] = {"name": v.name, "kind": v.kind, "label": v.label}
        if v.kind == "code":
            out["coefficients"] = {str(k): round(c, 6) for k, c in sorted(v.coefficients.items())}
        else:
            out["coefficient"] = round(v.coefficient, 6)
        if v.kind == "number":
            out["impute"] = round(v.impute, 6)
        return out

    return {
        "format": FORMAT,
        "name": model.name,
        "version": model.version,
        "created": model.created,
        "target": model.target,
        "provenance": dict(model.provenance),
        "fit": dict(model.fit),
        "intercept": round(model.intercept, 6),
        "regions": {
            "level": model.region_level,
            "effects": {k: round(v, 6) for k, v in sorted(model.region_effects.items())},
        },
        "desil": {"cutoffs": [round(c, 6) for c in model.desil_cutoffs], "reference": model.desil_reference},
        "variables": [variable(v) for v in model.variables],
    }


def from_dict(data: Mapping[str, object]) -> PmtModel:
    """Check and read a model; unknown variables or kinds are refused, not ignored."""
    try:
        return _from_dict(data)
    except ModelError:
        raise
    except (TypeError, ValueError, AttributeError) as exc:  # a number that is not one, a list for an object
        raise ModelError(f"Model tidak sah: {exc}") from exc


def _from_dict(data: Mapping[str, object]) -> PmtModel:
    if not isinstance(data, Mapping):
        raise ModelError("Model harus berupa objek JSON.")
    if data.get("format") != FORMAT:
        raise ModelError(f"Format model tidak dikenal: {data.get('format')!r} (harus {FORMAT!r}).")
    for key in ("name", "version", "created", "intercept", "variables"):
        if key not in data:
            raise ModelError(f"Model tidak lengkap: kolom {key!r} tidak ada.")
    regions = data.get("regions") or {}
    desil = data.get("desil") or {}
    if not isinstance(regions, Mapping) or not isinstance(desil, Mapping):
        raise ModelError("Kolom 'regions' dan 'desil' harus berupa objek.")
    level = str(regions.get("level", "kecamatan"))
    if level not in REGION_LEVELS:
        raise ModelError(f"Tingkat wilayah {level!r} tidak dikenal (pilihan: {', '.join(REGION_LEVELS)}).")
    variables = []
    seen: set[str] = set()
    for raw in data["variables"]:  # type: ignore[union-attr]
        name = raw.get("name")
        feature = FEATURES_BY_NAME.get(name)
        if feature is None:
            raise ModelError(f"Variabel {name!r} tidak dikenal oleh siks.")
        if raw.get("kind", feature.kind) != feature.kind or name in seen:
            raise ModelError(f"Variabel {name!r}: jenis salah atau tercantum dua kali.")
        seen.add(name)
        variables.append(
            Variable(
                name=name,
                kind=feature.kind,
                coefficient=float(raw.get("coefficient", 0.0)),
                coefficients={int(k): float(c) for k, c in (raw.get("coefficients") or {}).items()},
                impute=float(raw.get("impute", 0.0)),
                label=str(raw.get("label") or feature.label),
            )
        )
    effects = {str(k): float(v) for k, v in (regions.get("effects") or {}).items()}  # type: ignore[union-attr]
    cutoffs = tuple(float(c) for c in desil.get("cutoffs") or ())  # type: ignore[union-attr]
    if cutoffs and (len(cutoffs) != DESIL_COUNT - 1 or list(cutoffs) != sorted(cutoffs)):
        raise ModelError("Batas desil model harus 9 angka yang tidak menurun.")
    numbers = [float(data["intercept"]), *effects.values(), *cutoffs]  # type: ignore[arg-type]
    numbers += [x for v in variables for x in (v.coefficient, v.impute, *v.coefficients.values())]
    if not all(math.isfinite(x) for x in numbers):
        raise ModelError("Model berisi angka tak hingga atau NaN.")
    if any(not k.isdigit() or len(k) != REGION_LEVELS[level] for k in effects):
        raise ModelError("Kode wilayah pada efek wilayah harus berupa angka tanpa titik sesuai tingkatnya.")
    return PmtModel(
        name=str(data["name"]),
        version=str(data["version"]),
        created=str(data["created"]),
        intercept=float(data["intercept"]),  # type: ignore[arg-type]
        variables=tuple(variables),
        region_level=level,
        region_effects=effects,
        target=str(data.get("target", TARGET)),
        provenance=dict(data.get("provenance") or {}),  # type: ignore[arg-type]
        fit=dict(data.get("fit") or {}),  # type: ignore[arg-type]
        desil_cutoffs=cutoffs,
        desil_reference=str(desil.get("reference") or ""),
    )


def load(path: str | Path) -> PmtModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"Model {path} tidak dapat dibaca: {exc}") from exc
    return from_dict(data)


def save(model: PmtModel, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_dict(model), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def default_model() -> PmtModel:
    """The model shipped with siks (`data/pmt_default.json`; its provenance is inside the file)."""
    text = resources.files("siks.domain").joinpath("data/pmt_default.json").read_text(encoding="utf-8")
    return from_dict(json.loads(text))
