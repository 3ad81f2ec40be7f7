"""Step `pmt`: PMT score, desil and BPS 14-criteria count for every ruta, with the model version.

Why in verval: the score must be recomputed on the same snapshot the other checks see, and the result
(`household_pmt`, exported as Parquet) keeps the model key and each variable's contribution next to the
score, so a desil can be explained and reproduced later (docs/sources.md §2.2).

Parameters: `pmt_model` (path to a model JSON; default the shipped model), `desil_populasi`
(kabupaten | provinsi | nasional: a window over the ruta scored in this run; model: the model's fixed
cut-offs, i.e. the desil in the population the model was calibrated on; default `model` when the model
has cut-offs, else kabupaten),
`desil_bobot` (jiwa | ruta, for the windows; default jiwa),
`tanggal_acuan` (ISO date for ages; default today),
`pmt_di_luar_wilayah` (true: use a model on a registry outside the wilayah it was fitted or calibrated
for; refused otherwise; the override is kept in the run's parameters and stats and marked on every
ruta it touches), `desil_batas_program` (the program's desil cut-off whose uncertain households are
listed for door-to-door verification first; default 4),
`desil_resmi` (a CSV or Parquet of official BPS/DTSEN desil per keluarga: `id_keluarga`, `desil`,
`periode`; authoritative where present, the PMT desil is the fallback and both are kept). Without it the
step reads the snapshot's `desil_resmi` table: the version imported with `siks pmt desil-resmi impor`
(the newest, or `desil_resmi_versi` when the run took the snapshot); a file given here wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlglot import exp

from siks.domain import pmt
from siks.domain.bps14 import ANSWERABLE, POOR_THRESHOLD
from siks.domain.pmt_features import HOUSEHOLD_CODES
from siks.verval import pmt_sql
from siks.verval.pipeline import Step, StepContext

REGION_TABLE = "pmt_region_effect"
UNCERTAINTY_TABLE = "pmt_uncertainty"
OFFICIAL_TABLE = "pmt_desil_resmi"
SNAPSHOT_TABLE = "desil_resmi"  # the snapshot's desil_resmi.parquet (an imported version), when present
MISMATCH_DESIL = 6  # ≥ 9 BPS criteria but ranked desil ≥ this → worth a second look

# Titles and explanations: the finding catalog (`siks.domain.finding_catalog`).
CODES = ("PMT_NO_MEMBERS", "PMT_BPS_MISMATCH", "PMT_SPARSE_ANSWERS", "PMT_DESIL_UNCERTAIN")


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


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7), vectorised for millions of ruta."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def uncertainty_table(model: pmt.PmtModel, refs: list[str], scores: np.ndarray) -> pa.Table:
    """Per ruta: the desil at both ends of the 80 % prediction interval and P(true desil ≤ k), k = 1…9
    (`pmt.desil_interval`, `pmt.prob_desil_at_most`). Empty columns when the model has no σ or cut-offs."""
    cut = np.asarray(model.desil_cutoffs, dtype=float)
    sd = model.residual_sd
    columns: dict[str, pa.Array] = {"household_ref": pa.array(refs, pa.string())}
    usable = len(cut) == pmt.DESIL_COUNT - 1 and sd > 0 and len(refs) > 0
    for name, shift in (("desil_bawah", -pmt.INTERVAL_Z * sd), ("desil_atas", pmt.INTERVAL_Z * sd)):
        values = 1 + np.searchsorted(cut, scores + shift, side="right") if usable else None
        columns[name] = pa.array(values if usable else [None] * len(refs), pa.int32())
    for k in range(1, pmt.DESIL_COUNT):
        values = _phi((cut[k - 1] - scores) / sd) if usable else [None] * len(refs)
        columns[f"p_desil_{k}"] = pa.array(values, pa.float64())
    return pa.table(columns)


def _coverage(ctx: StepContext, model: pmt.PmtModel) -> list[str]:
    """The kabupaten of the registry the model does not cover; refused unless `pmt_di_luar_wilayah`."""
    codes = ctx.engine.query(
        "SELECT DISTINCT SUBSTRING(kode_desa, 1, 4) AS kab FROM pmt_features WHERE kode_desa IS NOT NULL"
    ).column("kab")
    outside = sorted(str(c) for c in codes.to_pylist() if c and not model.covers(c))
    if outside and not _true(ctx.param("pmt_di_luar_wilayah")):
        where = ", ".join(model.wilayah) or "tidak tercatat"
        raise ValueError(
            f"Model {model.key} ditaksir/dikalibrasi untuk wilayah {where}, bukan untuk kabupaten "
            f"{', '.join(outside)} dalam registri. Kalibrasi model untuk wilayah ini (`siks pmt kalibrasi`) "
            "atau jalankan dengan pmt_di_luar_wilayah=ya (dicatat dan ditandai pada setiap ruta)."
        )
    return outside


def _true(value: object) -> bool:
    return value is True or str(value).strip().lower() in {"1", "true", "ya", "yes"}


def _official(ctx: StepContext) -> dict[str, object]:
    """Register the official desil per keluarga (`desil_resmi`) as a table; returns its version facts."""
    path = ctx.param("desil_resmi")
    if not path and ctx.engine.has_table(SNAPSHOT_TABLE):
        # The imported, versioned table (`siks pmt desil-resmi impor`), written into the snapshot.
        ctx.create(
            OFFICIAL_TABLE,
            f"SELECT CAST(id_keluarga AS VARCHAR) AS family_ref, CAST(desil AS INTEGER) AS desil, "
            f"CAST(periode AS VARCHAR) AS periode FROM {SNAPSHOT_TABLE}",
        )
        facts = ctx.engine.query(
            f"SELECT MIN(versi) AS versi, MIN(periode) AS periode, COUNT(*) AS keluarga FROM {SNAPSHOT_TABLE}"
        ).to_pylist()[0]
        return {
            "versi": facts["versi"],
            "periode": [facts["periode"]] if facts["periode"] else [],
            "keluarga": int(facts["keluarga"]),
        }
    if not path:
        ctx.engine.register_arrow(
            OFFICIAL_TABLE,
            pa.table({"family_ref": pa.array([], pa.string()), "desil": pa.array([], pa.int32()),
                      "periode": pa.array([], pa.string())}),
        )  # fmt: skip
        return {}
    file = Path(str(path))
    try:
        table = pq.read_table(file) if file.suffix == ".parquet" else pacsv.read_csv(file)
    except (OSError, pa.ArrowInvalid) as exc:
        raise ValueError(f"Berkas desil resmi {file} tidak dapat dibaca: {exc}") from exc
    missing = {"id_keluarga", "desil", "periode"} - set(table.column_names)
    if missing:
        raise ValueError(f"Berkas desil resmi {file}: kolom {', '.join(sorted(missing))} tidak ada.")
    rows = table.select(["id_keluarga", "desil", "periode"]).to_pylist()
    refs, desil, period = [], [], []
    for i, r in enumerate(rows, start=2):  # row 1 is the header
        d = r["desil"]
        if not isinstance(d, int) or not 1 <= d <= pmt.DESIL_COUNT or not r["id_keluarga"]:
            raise ValueError(f"Berkas desil resmi {file} baris {i}: desil harus 1–10 dan id_keluarga terisi.")
        refs.append(str(r["id_keluarga"]))
        desil.append(d)
        period.append(str(r["periode"] or ""))
    if len(set(refs)) != len(refs):
        raise ValueError(
            f"Berkas desil resmi {file}: id_keluarga ganda (satu desil per keluarga per periode)."
        )
    ctx.engine.register_arrow(
        OFFICIAL_TABLE,
        pa.table({"family_ref": pa.array(refs, pa.string()), "desil": pa.array(desil, pa.int32()),
                  "periode": pa.array(period, pa.string())}),
    )  # fmt: skip
    return {
        "berkas": str(file),
        "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
        "periode": sorted(set(period)),
        "keluarga": len(refs),
    }


def run(ctx: StepContext) -> None:
    model = load_model(ctx)
    population = str(ctx.param("desil_populasi") or default_population(model))
    weight = str(ctx.param("desil_bobot", "jiwa"))
    program = int(ctx.param("desil_batas_program") or pmt.PROGRAM_DESIL)
    if not 1 <= program < pmt.DESIL_COUNT:
        raise ValueError(f"desil_batas_program harus 1–9, bukan {program}.")
    engine = ctx.engine

    ctx.create("pmt_member", pmt_sql.member_sql(set(engine.columns("member")), as_of(ctx)))
    ctx.create("pmt_features", pmt_sql.features_sql("pmt_member", set(engine.columns("household"))))
    engine.drop("pmt_member")
    outside = _coverage(ctx, model)
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
    ctx.create(
        "pmt_desil", pmt_sql.desil_sql("pmt_score", population, weight, model.desil_cutoffs, skip_sparse=True)
    )
    # The interval only means something against fixed cut-offs (a window moves with the population).
    scored = engine.query(
        "SELECT s.household_ref, s.score FROM pmt_score AS s "
        "JOIN pmt_desil AS d ON d.household_ref = s.household_ref WHERE d.desil IS NOT NULL"
    )
    refs = [str(r) for r in scored.column("household_ref").to_pylist()]
    values = np.asarray(scored.column("score").to_pylist(), dtype=float)
    interval_model = model if population == "model" else pmt.PmtModel("-", "-", "-", 0.0, ())
    engine.register_arrow(UNCERTAINTY_TABLE, uncertainty_table(interval_model, refs, values))
    official = _official(ctx)
    ctx.create(
        "pmt_official_ruta",
        f"""
        SELECT m.household_ref, MIN(o.desil) AS desil_resmi, MIN(o.periode) AS periode_desil_resmi,
          COUNT(DISTINCT o.desil) AS ragam
        FROM (SELECT DISTINCT CAST(id_ruta AS VARCHAR) AS household_ref,
                CAST(id_keluarga AS VARCHAR) AS family_ref
              FROM member) AS m
        JOIN {OFFICIAL_TABLE} AS o ON o.family_ref = m.family_ref
        GROUP BY m.household_ref
        """,
    )

    criteria = [f"f.k{n}" for n in ANSWERABLE]
    met = " + ".join(f"CASE WHEN {c} THEN 1 ELSE 0 END" for c in criteria)
    known = " + ".join(f"CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END" for c in criteria)
    contributions = ", ".join(f"s.c_{v.name}" for v in model.variables)
    key = exp.Literal.string(model.key).sql()  # a model name is user text: let sqlglot quote it
    outside_sql = " OR ".join(f"SUBSTRING(s.kode_desa, 1, 4) = '{c}'" for c in outside if c.isdigit())
    probabilities = ", ".join(f"u.p_desil_{k}" for k in range(1, pmt.DESIL_COUNT))
    ctx.create(
        "household_pmt",
        f"""
        SELECT s.household_ref, s.kode_desa, {key} AS model, '{population}' AS desil_populasi,
          d.population_code AS kode_populasi, '{weight}' AS desil_bobot, s.jumlah_art,
          CASE WHEN s.jumlah_art > 0 THEN s.score END AS score,
          CASE WHEN s.jumlah_art > 0 THEN EXP(s.score) END AS konsumsi_perkapita,
          COALESCE(o.desil_resmi, d.desil) AS desil,
          d.desil AS desil_pmt, o.desil_resmi, o.periode_desil_resmi,
          CASE WHEN o.desil_resmi IS NOT NULL THEN 'resmi' WHEN d.desil IS NOT NULL THEN 'pmt' END
            AS sumber_desil,
          s.jawaban_kurang AND s.jumlah_art > 0 AS jawaban_kurang,
          u.desil_bawah, u.desil_atas, {probabilities},
          {f"({outside_sql})" if outside_sql else "FALSE"} AS model_di_luar_wilayah,
          {met} AS kriteria_bps, {known} AS kriteria_bps_terjawab,
          ({met}) >= {POOR_THRESHOLD} AS miskin_bps,
          s.intercept, s.c_region, {contributions}
        FROM pmt_score AS s
        JOIN pmt_features AS f ON f.household_ref = s.household_ref
        LEFT JOIN pmt_desil AS d ON d.household_ref = s.household_ref
        LEFT JOIN {UNCERTAINTY_TABLE} AS u ON u.household_ref = s.household_ref
        LEFT JOIN pmt_official_ruta AS o ON o.household_ref = s.household_ref
        """,
    )
    for table in (
        "pmt_score",
        "pmt_desil",
        "pmt_official_ruta",
        REGION_TABLE,
        UNCERTAINTY_TABLE,
        OFFICIAL_TABLE,
    ):
        engine.drop(table)

    # The door-to-door list: households whose interval straddles the program cut-off, per desa, the least
    # sure first (probability nearest one half). An official desil is not re-litigated here.
    straddle = f"p.desil_bawah <= {program} AND p.desil_atas > {program} AND p.desil_resmi IS NULL"
    ctx.create(
        "pmt_field_priority",
        f"""
        SELECT p.kode_desa, p.household_ref, p.desil, p.desil_bawah, p.desil_atas,
          p.p_desil_{program} AS peluang_miskin,
          ROW_NUMBER() OVER (PARTITION BY p.kode_desa
                             ORDER BY ABS(p.p_desil_{program} - 0.5), p.household_ref) AS urutan
        FROM household_pmt AS p WHERE {straddle}
        """,
    )

    answers = [name for name, _ in HOUSEHOLD_CODES]
    empty = " + ".join(f"CASE WHEN f.{c} IS NULL THEN 1 ELSE 0 END" for c in answers)
    no_member = " AND ".join(f"f.{c} IS NULL" for c in pmt.MEMBER_ANSWERS)
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
        f"{empty} AS kosong, {len(answers)} AS jumlah, "
        f"CASE WHEN {no_member} THEN 'tidak terjawab' ELSE 'terjawab' END AS art "
        f"FROM pmt_features AS f WHERE f.jumlah_art > 0 AND {pmt_sql.sparse_sql('f')}"
    )
    ctx.emit_findings(
        f"SELECT 'PMT_DESIL_UNCERTAIN' AS code, q.household_ref AS household_ref, q.kode_desa AS kode_desa, "
        f"q.desil AS desil, q.desil_bawah AS desil_bawah, q.desil_atas AS desil_atas, {program} AS batas, "
        f"CAST(ROUND(100 * q.peluang_miskin) AS INT) AS peluang_persen FROM pmt_field_priority AS q"
    )
    if not engine.has_table("findings_pmt"):  # emit_findings always creates it; keep the contract explicit
        raise RuntimeError("findings_pmt tidak dibuat")

    counts = engine.query(
        "SELECT desil, COUNT(*) AS ruta, SUM(jumlah_art) AS jiwa FROM household_pmt "
        "GROUP BY desil ORDER BY desil"
    ).to_pylist()
    per_desa = engine.query(
        "SELECT kode_desa, COUNT(*) AS ruta FROM pmt_field_priority GROUP BY kode_desa ORDER BY kode_desa"
    ).to_pylist()
    expected = engine.query(
        f"SELECT SUM(CASE WHEN desil <= {program} THEN 1 - p_desil_{program} END) AS inklusi, "
        f"SUM(CASE WHEN desil > {program} THEN p_desil_{program} END) AS eksklusi, "
        f"SUM(p_desil_{program}) AS layak FROM household_pmt WHERE sumber_desil = 'pmt'"
    ).to_pylist()[0]
    ctx.stats.update(
        model=model.key,
        model_fit=dict(model.fit),
        model_wilayah=list(model.wilayah),
        model_survei=model.survey,
        model_di_luar_wilayah=outside,
        desil_populasi=population,
        desil_acuan=model.desil_reference if population == "model" else population,
        desil_bobot=weight,
        desil_resmi=official,
        variabel=len(model.variables),
        ruta_per_desil={str(r["desil"] or "-"): int(r["ruta"]) for r in counts},
        jiwa_per_desil={str(r["desil"] or "-"): int(r["jiwa"] or 0) for r in counts},
        miskin_bps=int(engine.scalar("SELECT COUNT(*) FROM household_pmt WHERE miskin_bps")),
        sisaan_sd=model.residual_sd,
        desil_batas_program=program,
        prioritas_lapangan_per_desa={str(r["kode_desa"]): int(r["ruta"]) for r in per_desa},
        harapan_galat={k: round(float(v), 1) if v is not None else None for k, v in expected.items()},
    )


STEP = Step(
    name="pmt",
    title="Skor PMT, desil dan 14 kriteria BPS",
    version="1",
    inputs=("member", "household"),
    outputs=("pmt_features", "household_pmt", "pmt_field_priority", "findings_pmt"),
    codes=CODES,
    exports=("pmt_features", "household_pmt", "pmt_field_priority"),
    run=run,
)
