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
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from statistics import NormalDist
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from siks.domain.pmt_features import FEATURES_BY_NAME, HOUSEHOLD_CODES, Kind
from siks.domain.schema import Strict, explain_errors

FORMAT = "siks-pmt/1"
REGION_LEVELS = {"kecamatan": 6, "kabupaten": 4, "provinsi": 2}  # digits of the Kemendagri code
POPULATIONS = ("kabupaten", "provinsi", "nasional", "model")  # "model": the model's fixed cut-offs
DESIL_COUNT = 10
SCORE_DECIMALS = 6  # scores are rounded before ranking so equal households tie on every engine
TARGET = "log konsumsi per kapita per bulan (Rp)"
PROGRAM_DESIL = 4  # bansos priority desil 1–4: the cut-off whose uncertain households go first to the field
INTERVAL_Z = 1.2816  # an 80 % prediction interval: score ± z·σ of the residuals
WILAYAH_CODE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")  # provinsi, kabupaten or kecamatan digits
# The answers the model cannot do without: the housing block (more than half blank) and the kepala ruta's
# own answers (education and work both blank, or no kepala at all). Without them a desil is built on blanks.
SPARSE_SHARE = 0.5
MEMBER_ANSWERS = ("head_education", "head_job_status")


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
    # Where the model belongs: the wilayah (digit prefixes of Kemendagri codes) whose households it was
    # fitted or calibrated on, the survey that gave the consumption, and how (fit / kalibrasi, when, n).
    wilayah: tuple[str, ...] = ()
    survey: str = ""
    fitted_on: Mapping[str, object] = field(default_factory=dict)
    residual_sd: float = 0.0  # σ of log consumption around the score; 0: unknown (no interval)

    @property
    def key(self) -> str:
        """`name@version`, the string every score and finding carries."""
        return f"{self.name}@{self.version}"

    def region_of(self, kode_desa: object) -> str | None:
        """The region key of a desa code (digits only: `350915` for kecamatan)."""
        digits = "".join(ch for ch in str(kode_desa or "") if ch.isdigit())
        width = REGION_LEVELS[self.region_level]
        return digits[:width] if len(digits) >= width else None

    def covers(self, kode_wilayah: object) -> bool:
        """True when the wilayah (any level, dotted or not) lies inside one the model was fitted for."""
        digits = "".join(ch for ch in str(kode_wilayah or "") if ch.isdigit())
        return any(digits.startswith(w) for w in self.wilayah)


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


def household_size_effect(model: PmtModel) -> float:
    """The net change of the score per unit of ln(household size), everything else equal.

    In a model with `log_floor_per_capita` = ln(floor) − ln(size), that term also moves with size, so the
    coefficient of `log_household_size` alone is not the size effect (in `pmt-siks@1.0` it was positive
    while the net effect was negative). Models fitted since 1.1 use `log_floor_area` instead, and the
    coefficient of `log_household_size` is the size effect itself."""
    coefficient = {v.name: v.coefficient for v in model.variables if v.kind == "number"}
    return coefficient.get("log_household_size", 0.0) - coefficient.get("log_floor_per_capita", 0.0)


def desil_interval(
    value: float, cutoffs: Sequence[float], sd: float, z: float = INTERVAL_Z
) -> tuple[int, int]:
    """The desil at the lower and upper end of the prediction interval score ± z·σ (σ: the residual sd of
    log consumption the model was fitted or calibrated with). Equal ends: the desil is sure at that level."""
    low = desil_from_cutoffs(value - z * sd, cutoffs)
    high = desil_from_cutoffs(value + z * sd, cutoffs)
    if low is None or high is None:
        raise ValueError("model tanpa batas desil")
    return low, high


def prob_desil_at_most(value: float, cutoffs: Sequence[float], sd: float, k: int) -> float | None:
    """P(true desil ≤ k) for a household scored `value`: the chance that log consumption = score + ε,
    ε ~ N(0, σ²), falls below cut-off k. None without cut-offs or σ."""
    if len(cutoffs) != DESIL_COUNT - 1 or sd <= 0:
        return None
    if k >= DESIL_COUNT:
        return 1.0
    if k < 1:
        return 0.0
    return NormalDist().cdf((cutoffs[k - 1] - value) / sd)


def missing_answers(features: Mapping[str, object]) -> tuple[int, bool]:
    """(blank housing answers, whether the kepala ruta's education and work are both unknown)."""
    blank = sum(1 for name, _ in HOUSEHOLD_CODES if features.get(name) is None)
    return blank, all(features.get(name) is None for name in MEMBER_ANSWERS)


def too_sparse(features: Mapping[str, object]) -> bool:
    """Not enough answers for a desil: it goes to field verval instead (`PMT_SPARSE_ANSWERS`)."""
    blank, no_member = missing_answers(features)
    return no_member or blank > int(len(HOUSEHOLD_CODES) * SPARSE_SHARE)


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
        "wilayah": list(model.wilayah),
        "survey": model.survey,
        "fitted_on": dict(model.fitted_on),
        "uncertainty": {"residual_sd": round(model.residual_sd, 6)},
        "variables": [variable(v) for v in model.variables],
    }


_Number = Annotated[float, Field(allow_inf_nan=False)]


class VariableDoc(Strict):
    """One term of a model file; its kind must be the catalog's (`pmt_features`)."""

    name: str
    kind: Kind | None = None
    label: str = ""
    coefficient: _Number = 0.0
    coefficients: dict[str, _Number] = Field(default_factory=dict)
    impute: _Number = 0.0

    @model_validator(mode="after")
    def _known(self) -> VariableDoc:
        feature = FEATURES_BY_NAME.get(self.name)
        if feature is None:
            raise ValueError(f"Variabel {self.name!r} tidak dikenal oleh siks.")
        if (self.kind or feature.kind) != feature.kind:
            raise ValueError(f"Variabel {self.name!r}: jenis salah (harus {feature.kind!r}).")
        bad = [k for k in self.coefficients if not k.lstrip("-").isdigit()]
        if bad:
            raise ValueError(f"Variabel {self.name!r}: kode jawaban harus bilangan bulat, bukan {bad}.")
        return self


class RegionsDoc(Strict):
    level: Literal["kecamatan", "kabupaten", "provinsi"] = "kecamatan"
    effects: dict[str, _Number] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _codes(self) -> RegionsDoc:
        width = REGION_LEVELS[self.level]
        if any(not k.isdigit() or len(k) != width for k in self.effects):
            raise ValueError(
                f"Kode wilayah pada efek wilayah harus {width} angka tanpa titik (tingkat {self.level})."
            )
        return self


class DesilDoc(Strict):
    cutoffs: list[_Number] = Field(default_factory=list)
    reference: str = ""

    @field_validator("cutoffs")
    @classmethod
    def _nine_rising(cls, cutoffs: list[float]) -> list[float]:
        if cutoffs and (len(cutoffs) != DESIL_COUNT - 1 or cutoffs != sorted(cutoffs)):
            raise ValueError("Batas desil model harus 9 angka yang tidak menurun.")
        return cutoffs


class UncertaintyDoc(Strict):
    residual_sd: _Number = Field(0.0, ge=0)  # σ of log consumption around the score; 0: unknown
    catatan: str = ""  # where σ was measured (a note for people)


class ModelDoc(Strict):
    """A `siks-pmt/1` model file."""

    format: Literal[FORMAT]
    name: str
    version: str
    created: str
    target: str = TARGET
    provenance: dict[str, Any] = Field(default_factory=dict)
    fit: dict[str, Any] = Field(default_factory=dict)
    intercept: _Number
    regions: RegionsDoc = RegionsDoc()
    desil: DesilDoc = DesilDoc()
    variables: list[VariableDoc]
    wilayah: list[str] = Field(default_factory=list)
    survey: str | None = None
    fitted_on: dict[str, Any] | None = None
    uncertainty: UncertaintyDoc = UncertaintyDoc()

    @field_validator("wilayah")
    @classmethod
    def _wilayah(cls, codes: list[str]) -> list[str]:
        digits = [w.replace(".", "") for w in codes]
        if any(not WILAYAH_CODE.match(w) for w in digits):
            raise ValueError("Wilayah model harus kode provinsi/kabupaten/kecamatan Kemendagri (mis. 35.09).")
        return digits

    @model_validator(mode="after")
    def _once(self) -> ModelDoc:
        names = [v.name for v in self.variables]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"Variabel tercantum dua kali: {', '.join(twice)}.")
        return self


def from_dict(data: Mapping[str, object], source: str | None = None) -> PmtModel:
    """Check and read a model; unknown variables, kinds or keys are refused, not ignored. Errors name
    `source` (the file), the path in it and the rule, in Indonesian."""
    try:
        doc = ModelDoc.model_validate(data)
    except ValidationError as exc:
        raise ModelError(explain_errors(exc, data, source or "model PMT")) from None
    variables = tuple(
        Variable(
            name=v.name,
            kind=FEATURES_BY_NAME[v.name].kind,
            coefficient=v.coefficient,
            coefficients={int(k): c for k, c in v.coefficients.items()},
            impute=v.impute,
            label=v.label or FEATURES_BY_NAME[v.name].label,
        )
        for v in doc.variables
    )
    return PmtModel(
        name=doc.name,
        version=doc.version,
        created=doc.created,
        intercept=doc.intercept,
        variables=variables,
        region_level=doc.regions.level,
        region_effects=dict(doc.regions.effects),
        target=doc.target,
        provenance=doc.provenance,
        fit=doc.fit,
        desil_cutoffs=tuple(doc.desil.cutoffs),
        desil_reference=doc.desil.reference,
        wilayah=tuple(doc.wilayah),
        survey=doc.survey or "",
        fitted_on=doc.fitted_on or {},
        residual_sd=doc.uncertainty.residual_sd,
    )


def load(path: str | Path) -> PmtModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"Model {path} tidak dapat dibaca: {exc}") from exc
    return from_dict(data, str(path))


def save(model: PmtModel, path: str | Path) -> None:
    Path(path).write_text(json.dumps(to_dict(model), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def default_model() -> PmtModel:
    """The model shipped with siks (`data/pmt_default.json`; its provenance is inside the file)."""
    text = resources.files("siks.domain").joinpath("data/pmt_default.json").read_text(encoding="utf-8")
    return from_dict(json.loads(text), "pmt_default.json")
