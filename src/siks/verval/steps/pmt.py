"""Step `pmt`: PMT score, desil and BPS 14-criteria count for every ruta, with the model version.

Why in verval: the score must be recomputed on the same snapshot the other checks see, and the result
(`household_pmt`, exported as Parquet) keeps the model key and each variable's contribution next to the
score, so a desil can be explained and reproduced later (docs/sources.md §2.2).

Parameters: `pmt_model` (path to a model JSON; default the shipped model), `desil_populasi`
(kabupaten | provinsi | nasional: a window over the ruta scored in this run; model: the model's fixed
cut-offs, i.e. the desil in the population the model was calibrated on; default `model` when the model
has cut-offs, else kabupaten),
`desil_bobot` (jiwa | ruta, for the windows; default jiwa),
`tanggal_acuan` (ISO date for ages; default today).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlglot import exp

from siks.domain import pmt
from siks.domain.bps14 import ANSWERABLE, POOR_THRESHOLD
from siks.domain.pmt_features import HOUSEHOLD_CODES
from siks.verval import pmt_sql
from siks.verval.pipeline import Step, StepContext

REGION_TABLE = "pmt_region_effect"
MISMATCH_DESIL = 6  # ≥ 9 BPS criteria but ranked desil ≥ this → worth a second look
SPARSE_SHARE = 0.5  # more than half of the housing answers empty → score unreliable

CODES = ("PMT_NO_MEMBERS", "PMT_BPS_MISMATCH", "PMT_SPARSE_ANSWERS")  # titles: the finding catalog


def as_of(ctx: StepContext) -> dt.date:
    value = ctx.param("tanggal_acuan")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value) if value else dt.date.today()


def load_model(ctx: StepContext) -> pmt.PmtModel:
    path = ctx.param("pmt_model")
    return pmt.load(path) if path else pmt.default_model()


def default_population(model: pmt.PmtModel) -> str:
    """The model's cut-offs when it has them: the registry holds DTKS (roughly the poorer 40 %), and a
    window over DTKS alone would call its richer half "desil 6–10"; the cut-offs give the kabupaten desil."""
    return "model" if model.desil_cutoffs else "kabupaten"


def run(ctx: StepContext) -> None:
    model = load_model(ctx)
    population = str(ctx.param("desil_populasi") or default_population(model))
    weight = str(ctx.param("desil_bobot", "jiwa"))
    engine = ctx.engine

    ctx.create("pmt_member", pmt_sql.member_sql(set(engine.columns("member")), as_of(ctx)))
    ctx.create("pmt_features", pmt_sql.features_sql("pmt_member", set(engine.columns("household"))))
    engine.drop("pmt_member")
    effects = sorted(model.region_effects.items())
    engine.register_arrow(
        REGION_TABLE,
        pa.table(
            {
                "region": pa.array([k for k, _ in effects], pa.string()),
                "effect": pa.array([v for _, v in effects], pa.float64()),
            }
        ),
    )
    ctx.create("pmt_score", pmt_sql.score_sql(model, "pmt_features", REGION_TABLE))
    ctx.create("pmt_desil", pmt_sql.desil_sql("pmt_score", population, weight, model.desil_cutoffs))

    criteria = [f"f.k{n}" for n in ANSWERABLE]
    met = " + ".join(f"CASE WHEN {c} THEN 1 ELSE 0 END" for c in criteria)
    known = " + ".join(f"CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END" for c in criteria)
    contributions = ", ".join(f"s.c_{v.name}" for v in model.variables)
    key = exp.Literal.string(model.key).sql()  # a model name is user text: let sqlglot quote it
    ctx.create(
        "household_pmt",
        f"""
        SELECT s.household_ref, s.kode_desa, {key} AS model, '{population}' AS desil_populasi,
          d.population_code AS kode_populasi, '{weight}' AS desil_bobot, s.jumlah_art,
          CASE WHEN s.jumlah_art > 0 THEN s.score END AS score,
          CASE WHEN s.jumlah_art > 0 THEN EXP(s.score) END AS konsumsi_perkapita,
          d.desil,
          {met} AS kriteria_bps, {known} AS kriteria_bps_terjawab,
          ({met}) >= {POOR_THRESHOLD} AS miskin_bps,
          s.intercept, s.c_region, {contributions}
        FROM pmt_score AS s
        JOIN pmt_features AS f ON f.household_ref = s.household_ref
        LEFT JOIN pmt_desil AS d ON d.household_ref = s.household_ref
        """,
    )
    for table in ("pmt_score", "pmt_desil", REGION_TABLE):
        engine.drop(table)

    answers = [name for name, _ in HOUSEHOLD_CODES]
    empty = " + ".join(f"CASE WHEN f.{c} IS NULL THEN 1 ELSE 0 END" for c in answers)
    ctx.emit_findings(
        "SELECT 'PMT_NO_MEMBERS' AS code, p.household_ref AS household_ref, p.kode_desa AS kode_desa "
        "FROM household_pmt AS p WHERE p.jumlah_art = 0"
    )
    ctx.emit_findings(
        f"SELECT 'PMT_BPS_MISMATCH' AS code, p.household_ref AS household_ref, p.kode_desa AS kode_desa, "
        f"p.kriteria_bps AS kriteria_bps, {POOR_THRESHOLD} AS batas, p.model AS model, p.desil AS desil "
        f"FROM household_pmt AS p WHERE p.miskin_bps AND p.desil >= {MISMATCH_DESIL}"
    )
    ctx.emit_findings(
        f"SELECT 'PMT_SPARSE_ANSWERS' AS code, f.household_ref AS household_ref, f.kode_desa AS kode_desa, "
        f"{empty} AS kosong, {len(answers)} AS jumlah FROM pmt_features AS f "
        f"WHERE f.jumlah_art > 0 AND ({empty}) > {int(len(answers) * SPARSE_SHARE)}"
    )
    if not engine.has_table("findings_pmt"):  # emit_findings always creates it; keep the contract explicit
        raise RuntimeError("findings_pmt tidak dibuat")

    counts = engine.query(
        "SELECT desil, COUNT(*) AS ruta, SUM(jumlah_art) AS jiwa FROM household_pmt "
        "GROUP BY desil ORDER BY desil"
    ).to_pylist()
    ctx.stats.update(
        model=model.key,
        model_fit=dict(model.fit),
        desil_populasi=population,
        desil_acuan=model.desil_reference if population == "model" else population,
        desil_bobot=weight,
        variabel=len(model.variables),
        ruta_per_desil={str(r["desil"] or "-"): int(r["ruta"]) for r in counts},
        jiwa_per_desil={str(r["desil"] or "-"): int(r["jiwa"] or 0) for r in counts},
        miskin_bps=int(engine.scalar("SELECT COUNT(*) FROM household_pmt WHERE miskin_bps")),
    )


STEP = Step(
    name="pmt",
    title="Skor PMT, desil dan 14 kriteria BPS",
    version="1",
    inputs=("member", "household"),
    outputs=("pmt_features", "household_pmt", "findings_pmt"),
    codes=CODES,
    exports=("pmt_features", "household_pmt"),
    run=run,
)
