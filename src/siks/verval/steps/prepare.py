"""Step `prepare`: one clean identity row per ART (`person`), so later steps agree on refs and formats.

Why: the snapshot keeps what operators typed (dotted desa codes, NIK with spaces, dates as text); every
check must compare the same cleaned values, and the member ref (`id_keluarga-no_urut`) is the key that
findings, truth files and adjudication decisions share.
"""

from __future__ import annotations

from siks.domain import names
from siks.verval.pipeline import Step, StepContext

#: Columns taken from `household` when the member table does not carry them.
HOUSEHOLD_COLS = ("kode_desa", "rw", "rt", "dusun", "alamat")


def digits(expr: str) -> str:
    """Remove the separators operators type (spaces, dots, dashes) — the same set as siks.domain.nik."""
    return f"REGEXP_REPLACE(CAST({expr} AS VARCHAR), '[ .\\t\\r\\n-]', '')"


def name_norm(expr: str) -> str:
    """The name as padan and ganda compare it (siks.domain.names.normalize, in portable SQL): upper-case
    letters and single spaces, leading titles and trailing degrees removed: 'Drs. Siti  Aminah,S.Pd' →
    'SITI AMINAH'."""
    plain = f"TRIM(REGEXP_REPLACE(REGEXP_REPLACE(UPPER({expr}), '{names.NON_LETTER}', ' '), ' +', ' '))"
    lead = f"REGEXP_REPLACE({plain}, '{names.LEADING_PATTERN}', '')"
    return f"REGEXP_REPLACE({lead}, '{names.TRAILING_PATTERN}', '')"


def nik16(expr: str) -> str:
    """The NIK if it is 16 digits after cleaning, else NULL (the structure step reports why)."""
    d = digits(expr)
    return f"CASE WHEN REGEXP_LIKE({d}, '^[0-9]{{16}}$') THEN {d} ELSE NULL END"


def run(ctx: StepContext) -> None:
    mcols = set(ctx.engine.columns("member"))
    hcols = set(ctx.engine.columns("household"))

    def col(name: str) -> str:
        if name in mcols:
            return f"m.{name}"
        if name in hcols:
            return f"h.{name}"
        return "CAST(NULL AS VARCHAR)"

    join = ""
    if any(c not in mcols and c in hcols for c in HOUSEHOLD_COLS):
        join = "LEFT JOIN household AS h ON h.id_ruta = m.id_ruta"
    desa = digits(col("kode_desa"))
    # names normalised once per distinct name (four regular expressions each), not once per ART
    nama_norm = name_norm(col("nama"))
    if "nama" in mcols:
        join += f"""
        LEFT JOIN (SELECT u.nama, {name_norm("u.nama")} AS nama_norm
                   FROM (SELECT DISTINCT CAST(nama AS VARCHAR) AS nama FROM member
                         WHERE nama IS NOT NULL) AS u) AS nn ON nn.nama = CAST(m.nama AS VARCHAR)"""
        nama_norm = "nn.nama_norm"
    ctx.create(
        "person",
        f"""
        SELECT
          CAST(m.id_keluarga AS VARCHAR) || '-' || CAST(CAST(m.no_urut AS INT) AS VARCHAR) AS member_ref,
          CAST(m.id_keluarga AS VARCHAR) AS family_ref,
          CAST(m.id_ruta AS VARCHAR) AS household_ref,
          {desa} AS kode_desa,
          SUBSTRING({desa}, 1, 6) AS kode_kecamatan,
          {nik16(col("nik"))} AS nik,
          CAST({col("nik")} AS VARCHAR) AS nik_raw,
          {nik16(col("no_kk"))} AS no_kk,
          CAST({col("no_kk")} AS VARCHAR) AS no_kk_raw,
          CAST({col("nama")} AS VARCHAR) AS nama,
          {nama_norm} AS nama_norm,
          CAST({col("jenis_kelamin")} AS INT) AS jenis_kelamin,
          TRY_CAST({col("tanggal_lahir")} AS DATE) AS tanggal_lahir,
          CAST({col("tempat_lahir")} AS VARCHAR) AS tempat_lahir,
          CAST({col("hubungan_kk")} AS INT) AS hubungan_kk,
          CAST({col("keberadaan")} AS INT) AS keberadaan,
          CAST({col("rw")} AS VARCHAR) AS rw,
          CAST({col("rt")} AS VARCHAR) AS rt
        FROM member AS m {join}
        """,
    )


STEP = Step(
    name="prepare",
    title="Menyiapkan data ART",
    version="2",
    inputs=("member", "household"),
    outputs=("person",),
    run=run,
)
