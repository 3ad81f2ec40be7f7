"""The PMT features, the BPS 14 criteria, the score and the desil, as neutral SQL over the snapshot.

Why SQL: ranking is a window over the whole population (millions of ruta), so it runs in the engine, not in
Python. Every expression mirrors `siks.domain.pmt_features`, `siks.domain.bps14` and `siks.domain.pmt`
(`tests/pmt/test_sql_agrees.py` compares them on generated households). Only numbers and codes from a
checked `PmtModel` and names from the feature catalog are put into the SQL text.
"""

from __future__ import annotations

import datetime as dt
import math

from siks.domain import bps14
from siks.domain.pmt import (
    DESIL_COUNT,
    MEMBER_ANSWERS,
    POPULATIONS,
    REGION_LEVELS,
    SCORE_DECIMALS,
    SPARSE_SHARE,
    PmtModel,
)
from siks.domain.pmt_features import (
    CHILD_AGE,
    DISABILITY_COLUMNS,
    EDUCATION_GROUPS,
    ELDERLY_AGE,
    FEATURES,
    HOUSEHOLD_CODES,
    HOUSEHOLD_FLAGS,
    LARGE_LIVESTOCK,
    PRESENT,
    SECTOR_GROUPS,
    SMALL_LIVESTOCK,
)

WEIGHTS = ("jiwa", "ruta")  # desil over people (BPS) or over households


def code(expr: str) -> str:
    """A form code as INT whatever the snapshot stored (3, '03', NULL); unreadable → NULL."""
    return f"TRY_CAST(TRIM(CAST({expr} AS VARCHAR)) AS INT)"


def flag(expr: str) -> str:
    """A Ya/Tidak answer stored as 1/2, '1'/'2' or a boolean → TRUE/FALSE/NULL."""
    text = f"LOWER(TRIM(CAST({expr} AS VARCHAR)))"
    return (
        f"CASE WHEN {text} IN ('1', '1.0', 'true') THEN TRUE "
        f"WHEN {text} IN ('2', '2.0', 'false') THEN FALSE END"
    )


def number(expr: str) -> str:
    """A count or area ≥ 0 as DOUBLE; negative or unreadable → NULL."""
    value = f"TRY_CAST(TRIM(CAST({expr} AS VARCHAR)) AS DOUBLE)"
    return f"CASE WHEN {value} >= 0 THEN {value} END"


def _groups(expr: str, groups: tuple[tuple[range, int], ...]) -> str:
    whens = " ".join(f"WHEN {expr} BETWEEN {r.start} AND {r.stop - 1} THEN {g}" for r, g in groups)
    return f"CASE {whens} END"


def _in(expr: str, codes: tuple[int, ...] | range) -> str:
    return f"{expr} IN ({', '.join(str(c) for c in codes)})"


def _column(name: str, available: set[str], alias: str, kind: str = "VARCHAR") -> str:
    return f"{alias}.{name}" if name in available else f"CAST(NULL AS {kind})"


def age_sql(birth: str, as_of: dt.date) -> str:
    """Completed years on `as_of` of a DATE expression (NULL stays NULL), as `pmt_features.age`."""
    month, day = f"EXTRACT(MONTH FROM {birth})", f"EXTRACT(DAY FROM {birth})"
    not_yet = f"{month} > {as_of.month} OR ({month} = {as_of.month} AND {day} > {as_of.day})"
    later = f"CASE WHEN {not_yet} THEN 1 ELSE 0 END"
    return f"{as_of.year} - EXTRACT(YEAR FROM {birth}) - {later}"


def member_sql(member_columns: set[str], as_of: dt.date) -> str:
    """One row per ART with what the household features need (cleaned, ages on `as_of`)."""

    def col(name: str) -> str:
        return _column(name, member_columns, "m")

    birth = f"TRY_CAST({col('tanggal_lahir')} AS DATE)"
    sulit = " OR ".join(f"COALESCE({_in(code(col(c)), (1, 2))}, FALSE)" for c in DISABILITY_COLUMNS)
    works = flag(col("bekerja"))
    status = code(col("status_pekerjaan"))
    sector = _groups(code(col("lapangan_usaha")), SECTOR_GROUPS)
    return f"""
    SELECT
      CAST(m.id_ruta AS VARCHAR) AS household_ref,
      CAST(m.id_keluarga AS VARCHAR) AS family_ref,
      {code(col("no_urut"))} AS no_urut,
      {code(col("keberadaan"))} AS keberadaan,
      {code(col("hubungan_kk"))} AS hubungan_kk,
      {code(col("jenis_kelamin"))} AS jenis_kelamin,
      {age_sql(birth, as_of)} AS umur,
      CASE WHEN {code(col("partisipasi_sekolah"))} = 1 THEN 0
           ELSE {_groups(code(col("pendidikan")), EDUCATION_GROUPS)} END AS education,
      {works} AS works,
      CASE WHEN {works} = FALSE THEN 0
           WHEN {works} AND {status} BETWEEN 1 AND 8 THEN {status} END AS job_status,
      CASE WHEN {works} = FALSE THEN 0 WHEN {works} THEN {sector} END AS sector,
      {status} AS status_pekerjaan,
      {code(col("lapangan_usaha"))} AS lapangan_usaha,
      ({sulit}) AS disabled,
      COALESCE({code(col("penyakit_kronis"))} <> 1, FALSE) AS chronic
    FROM member AS m
    """


def features_sql(member_table: str, household_columns: set[str]) -> str:
    """One row per ruta: every catalog feature, the BPS criteria (k1…k14) and the ruta's size.

    `member_table` is a table made from `member_sql`."""

    def hcol(name: str) -> str:
        return _column(name, household_columns, "h")

    present = f"(p.keberadaan IS NULL OR {_in('p.keberadaan', tuple(sorted(PRESENT)))})"
    size = "COALESCE(a.size, 0)"
    denominator = f"CAST(GREATEST({size}, 1) AS DOUBLE)"
    floor = number(hcol("luas_lantai"))

    def livestock(columns: tuple[str, ...]) -> str:
        return "LN(1 + " + " + ".join(f"COALESCE({number(hcol(c))}, 0)" for c in columns) + ")"

    codes = ",\n      ".join(f"{code(hcol(c))} AS {c}" for c, _ in HOUSEHOLD_CODES)
    flags = ",\n      ".join(f"{flag(hcol(c))} AS {c}" for c, _ in HOUSEHOLD_FLAGS)
    # BPS criteria (bps14.assess), NULL when not answered.
    lahan = flag(hcol("lahan"))
    owns = [flag(hcol(c)) for c in bps14.SAVINGS_ASSETS]
    stock = [f"COALESCE({number(hcol(c))}, 0) > 0" for c in bps14.LIVESTOCK]
    savings = f"{code(hcol('rekening'))} IN (1, 2, 3)"
    has_something = " OR ".join(
        [*(f"COALESCE({o}, FALSE)" for o in owns), *stock, f"COALESCE({savings}, FALSE)"]
    )
    answered = " OR ".join([*(f"{o} IS NOT NULL" for o in owns), f"{code(hcol('rekening'))} IS NOT NULL"])

    def crit(column: str, codes_met: tuple[int, ...]) -> str:
        c = code(hcol(column))
        return f"CASE WHEN {c} IS NOT NULL THEN {_in(c, codes_met)} END"

    k12 = (
        "CASE WHEN hd.household_ref IS NULL THEN NULL WHEN hd.works = FALSE THEN TRUE "
        "WHEN hd.works IS NULL OR hd.status_pekerjaan IS NULL THEN NULL "
        f"WHEN {_in('hd.status_pekerjaan', bps14.CASUAL_STATUS)} THEN TRUE "
        f"WHEN {_in('hd.lapangan_usaha', bps14.FARM_SECTORS)} THEN "
        f"{_in('hd.status_pekerjaan', bps14.FARM_STATUS)} AND NOT COALESCE({lahan}, FALSE) "
        f"ELSE COALESCE(hd.lapangan_usaha = {bps14.CONSTRUCTION} AND hd.status_pekerjaan = 4, FALSE) END"
    )
    return f"""
    SELECT
      CAST(h.id_ruta AS VARCHAR) AS household_ref,
      REGEXP_REPLACE(CAST(h.kode_desa AS VARCHAR), '[^0-9]', '') AS kode_desa,
      {size} AS jumlah_art,
      LN({denominator}) AS log_household_size,
      COALESCE(a.children, 0) / {denominator} AS share_children,
      COALESCE(a.elderly, 0) / {denominator} AS share_elderly,
      COALESCE(a.working, 0) / {denominator} AS share_working,
      CASE WHEN hd.household_ref IS NOT NULL THEN COALESCE(hd.jenis_kelamin = 2, FALSE) END AS head_female,
      hd.education AS head_education,
      hd.job_status AS head_job_status,
      hd.sector AS head_sector,
      a.best_education AS best_education,
      COALESCE(a.disabled, FALSE) AS any_disability,
      COALESCE(a.chronic, FALSE) AS any_chronic,
      CASE WHEN {floor} > 0 THEN LN(GREATEST({floor}, 1.0)) END AS log_floor_area,
      CASE WHEN {floor} > 0 THEN LN(GREATEST({floor}, 1.0) / {denominator}) END AS log_floor_per_capita,
      {livestock(LARGE_LIVESTOCK)} AS log_large_livestock,
      {livestock(SMALL_LIVESTOCK)} AS log_small_livestock,
      {codes},
      {flags},
      CASE WHEN {floor} > 0 AND {size} > 0 THEN {floor} / {size} < 8 END AS k1,
      {crit("jenis_lantai", bps14.FLOOR_CODES)} AS k2,
      {crit("jenis_dinding", bps14.WALL_CODES)} AS k3,
      {crit("fasilitas_bab", bps14.TOILET_CODES)} AS k4,
      {crit("sumber_penerangan", bps14.LIGHT_CODES)} AS k5,
      {crit("sumber_air_minum", bps14.WATER_CODES)} AS k6,
      {crit("bahan_bakar_memasak", bps14.FUEL_CODES)} AS k7,
      {k12} AS k12,
      CASE WHEN hd.household_ref IS NOT NULL AND hd.education IS NOT NULL THEN hd.education <= 1 END AS k13,
      CASE WHEN {has_something} THEN FALSE WHEN {answered} THEN TRUE END AS k14
    FROM household AS h
    LEFT JOIN (
      SELECT p.household_ref,
        COUNT(*) AS size,
        SUM(CASE WHEN p.umur < {CHILD_AGE} THEN 1 ELSE 0 END) AS children,
        SUM(CASE WHEN p.umur >= {ELDERLY_AGE} THEN 1 ELSE 0 END) AS elderly,
        SUM(CASE WHEN p.umur >= {CHILD_AGE} AND p.works THEN 1 ELSE 0 END) AS working,
        MAX(CASE WHEN p.umur >= {CHILD_AGE} THEN p.education END) AS best_education,
        MAX(CASE WHEN p.disabled THEN 1 ELSE 0 END) = 1 AS disabled,
        MAX(CASE WHEN p.chronic THEN 1 ELSE 0 END) = 1 AS chronic
      FROM {member_table} AS p WHERE {present} GROUP BY p.household_ref
    ) AS a ON a.household_ref = CAST(h.id_ruta AS VARCHAR)
    LEFT JOIN (
      SELECT * FROM (
        SELECT p.*, ROW_NUMBER() OVER (
          PARTITION BY p.household_ref ORDER BY p.family_ref, COALESCE(p.no_urut, 0)) AS head_rank
        FROM {member_table} AS p WHERE {present} AND p.hubungan_kk = 1
      ) AS ranked WHERE ranked.head_rank = 1
    ) AS hd ON hd.household_ref = CAST(h.id_ruta AS VARCHAR)
    """


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError("koefisien model harus berupa angka terhingga")
    return repr(float(value))


def contribution_sql(model: PmtModel, alias: str = "f") -> dict[str, str]:
    """{variable: SQL expression of its contribution}, the same arithmetic as `Variable.contribution`."""
    out: dict[str, str] = {}
    known = {f.name for f in FEATURES}
    for v in model.variables:
        if v.name not in known:
            raise ValueError(f"variabel tidak dikenal: {v.name}")
        col = f"{alias}.{v.name}"
        if v.kind == "code":
            whens = " ".join(f"WHEN {int(c)} THEN {_number(b)}" for c, b in sorted(v.coefficients.items()))
            out[v.name] = f"CASE {col} {whens} ELSE 0.0 END" if whens else "0.0"
        elif v.kind == "flag":
            out[v.name] = f"CASE WHEN {col} THEN {_number(v.coefficient)} ELSE 0.0 END"
        else:
            out[v.name] = f"{_number(v.coefficient)} * COALESCE({col}, {_number(v.impute)})"
    return out


def region_sql(model: PmtModel, alias: str = "f") -> str:
    """The region key of a ruta (digits of the desa code cut to the model's level)."""
    width = REGION_LEVELS[model.region_level]
    return f"SUBSTRING({alias}.kode_desa, 1, {width})"


def sparse_sql(alias: str = "f") -> str:
    """TRUE when a ruta lacks the answers a desil needs (`pmt.too_sparse`): more than half of the housing
    answers blank, or the kepala ruta's education and work both unknown."""
    blank = " + ".join(f"CASE WHEN {alias}.{c} IS NULL THEN 1 ELSE 0 END" for c, _ in HOUSEHOLD_CODES)
    member = " AND ".join(f"{alias}.{c} IS NULL" for c in MEMBER_ANSWERS)
    return f"(({blank}) > {int(len(HOUSEHOLD_CODES) * SPARSE_SHARE)} OR ({member}))"


def score_sql(model: PmtModel, features: str, region_table: str | None) -> str:
    """Score every ruta of table `features`; `region_table` (region, effect) holds the model's effects.

    Columns: household_ref, kode_desa, jumlah_art, score, jawaban_kurang, intercept, c_region, c_<variable> …
    """
    parts = {name: f"CAST({expr} AS DOUBLE)" for name, expr in contribution_sql(model).items()}
    region = "CAST(COALESCE(r.effect, 0.0) AS DOUBLE)" if region_table else "CAST(0.0 AS DOUBLE)"
    join = f"LEFT JOIN {region_table} AS r ON r.region = {region_sql(model)}" if region_table else ""
    total = " + ".join([_number(model.intercept), region, *parts.values()])
    contributions = ",\n      ".join(f"{expr} AS c_{name}" for name, expr in parts.items())
    return f"""
    SELECT f.household_ref, f.kode_desa, f.jumlah_art,
      ROUND({total}, {SCORE_DECIMALS}) AS score,
      {sparse_sql()} AS jawaban_kurang,
      CAST({_number(model.intercept)} AS DOUBLE) AS intercept,
      {region} AS c_region,
      {contributions}
    FROM {features} AS f {join}
    """


def population_key(population: str, alias: str = "s") -> str:
    if population not in POPULATIONS:
        raise ValueError(f"populasi desil tidak dikenal: {population} (pilihan: {', '.join(POPULATIONS)})")
    width = {"kabupaten": 4, "provinsi": 2}.get(population)  # "nasional" (and "model") → one population
    return f"SUBSTRING({alias}.kode_desa, 1, {width})" if width else "'ID'"


def desil_sql(
    scores: str, population: str, weight: str, cutoffs: tuple[float, ...] = (), skip_sparse: bool = False
) -> str:
    """Desil within each population as a window: 1 + floor(10 × weight scored strictly lower / total);
    for population `model`, by the model's fixed cut-offs instead (`pmt.desil_from_cutoffs`).

    Only ruta with at least one ART living there are ranked (and, with `skip_sparse`, only those with the
    answers a desil needs); the others get NULL."""
    ranked = "s.jumlah_art > 0" + (" AND NOT s.jawaban_kurang" if skip_sparse else "")
    if weight not in WEIGHTS:
        raise ValueError(f"bobot desil tidak dikenal: {weight} (pilihan: {', '.join(WEIGHTS)})")
    if population == "model":
        if len(cutoffs) != DESIL_COUNT - 1:
            raise ValueError(
                "model ini tidak memiliki batas desil; pilih populasi kabupaten/provinsi/nasional"
            )
        steps = " + ".join(f"CASE WHEN s.score >= {_number(c)} THEN 1 ELSE 0 END" for c in cutoffs)
        return (
            f"SELECT s.household_ref, 'model' AS population_code, 1 + {steps} AS desil "
            f"FROM {scores} AS s WHERE {ranked}"
        )
    w = "CAST(s.jumlah_art AS DOUBLE)" if weight == "jiwa" else "1.0"
    key = population_key(population)
    return f"""
    SELECT r.household_ref, r.population_code,
      LEAST({DESIL_COUNT}, 1 + CAST(FLOOR({DESIL_COUNT} * (r.upto - r.tied) / r.total) AS INT)) AS desil
    FROM (
      SELECT s.household_ref, {key} AS population_code,
        SUM({w}) OVER (PARTITION BY {key} ORDER BY s.score
                       RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
        SUM({w}) OVER (PARTITION BY {key}, s.score) AS tied,
        SUM({w}) OVER (PARTITION BY {key}) AS total
      FROM {scores} AS s WHERE {ranked}
    ) AS r
    """
