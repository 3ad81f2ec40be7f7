"""Step `ppks`: the padan, ganda and deceased checks for PPKS outside households (LKS residents, people found
on the street), who are not ART and so not in `person`.

Why a step of its own: their records come from `ppks_person.parquet` of the snapshot (docs/ppks-psks.md),
have no KK and often no NIK. A NIK they do carry is checked like an ART's: is it in Dukcapil (padan), is the
person dead there, and is the same NIK also an active ART or another PPKS (ganda: one person, two entries).
Without the snapshot file the step emits nothing; without a Dukcapil extract only the ganda checks run.
"""

from __future__ import annotations

from siks.verval.pipeline import Step, StepContext

COLS = "q.ref AS member_ref, q.kode_desa, q.nik, q.nama, q.lks_ref"


def run(ctx: StepContext) -> None:
    if not ctx.has("ppks_person"):
        ctx.stats["skipped"] = "snapshot tanpa ppks_person"
        ctx.create(  # an empty identity table: later steps and the pipeline's output check still find it
            "ppks_identity",
            """SELECT CAST(NULL AS VARCHAR) AS ref, CAST(NULL AS VARCHAR) AS nik,
                      CAST(NULL AS VARCHAR) AS nama, CAST(NULL AS VARCHAR) AS kode_desa,
                      CAST(NULL AS VARCHAR) AS lks_ref
               WHERE 1 = 0""",
        )
        ctx.emit_findings("SELECT CAST(NULL AS VARCHAR) AS code WHERE 1 = 0")
        return
    ctx.create(
        "ppks_identity",
        """SELECT CAST(ref AS VARCHAR) AS ref, NULLIF(TRIM(CAST(nik AS VARCHAR)), '') AS nik, nama,
                  REPLACE(CAST(desa_code AS VARCHAR), '.', '') AS kode_desa, lks_ref
           FROM ppks_person""",
    )
    ctx.stats["orang"] = ctx.engine.count("ppks_identity")
    ctx.emit_findings(
        f"""SELECT 'PPKS_GANDA_ART' AS code, {COLS}, p.member_ref AS related_ref, p.nik AS related_nik
            FROM ppks_identity AS q JOIN person AS p ON p.nik = q.nik"""
    )
    ctx.emit_findings(
        f"""SELECT 'PPKS_GANDA' AS code, {COLS}, o.ref AS related_ref, o.nik AS related_nik
            FROM ppks_identity AS q JOIN ppks_identity AS o ON o.nik = q.nik AND o.ref <> q.ref"""
    )
    ctx.emit_findings(f"SELECT 'PPKS_TANPA_NIK' AS code, {COLS} FROM ppks_identity AS q WHERE q.nik IS NULL")
    if ctx.has("dukcapil") and ctx.engine.count("dukcapil") > 0:
        ctx.emit_findings(
            f"""SELECT 'PPKS_TIDAK_PADAN' AS code, {COLS}
                FROM ppks_identity AS q LEFT JOIN dukcapil AS d ON d.nik = q.nik
                WHERE q.nik IS NOT NULL AND d.nik IS NULL"""
        )
        ctx.emit_findings(
            f"""SELECT 'PPKS_MENINGGAL' AS code, {COLS}, d.nik AS related_nik,
                       d.tanggal_meninggal AS tanggal_meninggal
                FROM ppks_identity AS q JOIN dukcapil AS d ON d.nik = q.nik WHERE d.status_hidup = 'MATI'"""
        )
    else:
        ctx.stats["dukcapil"] = "tidak dimuat: padan dan meninggal tidak diperiksa"


STEP = Step(
    name="ppks",
    title="PPKS di luar rumah tangga: padan, ganda, meninggal",
    version="1",
    inputs=("person",),
    optional_inputs=("ppks_person", "dukcapil"),
    outputs=("ppks_identity", "findings_ppks"),
    codes=("PPKS_GANDA_ART", "PPKS_GANDA", "PPKS_TANPA_NIK", "PPKS_TIDAK_PADAN", "PPKS_MENINGGAL"),
    run=run,
)
