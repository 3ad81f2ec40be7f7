"""Step `structure`: the NIK and KK structure rules of siks.domain, run set-wise over every ART.

Why here and not only at import: rows imported before a rule existed, or with `--ketat` off, still carry
faults, and a Dukcapil mismatch is easier to act on when the structural cause is named next to it. The
rules themselves live in siks.domain.rules_sql (one definition shared with import), so codes are the same.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from siks.domain import kk, nik, rules_sql, wilayah
from siks.verval.pipeline import Step, StepContext

#: The codes this step emits: the domain's NIK and KK rules (titles and texts are in the finding catalog).
NIK_CODES = tuple(nik.RULES)
KK_CODES = tuple(kk.RULES)


def reference_date(ctx: StepContext) -> date:
    value = ctx.param("tanggal_acuan")
    return date.fromisoformat(value) if value else date.today()


def run(ctx: StepContext) -> None:
    codes = wilayah.known_kecamatan_codes()
    ctx.engine.register_arrow(rules_sql.KECAMATAN_TABLE, pa.table({"code": pa.array(codes, pa.string())}))
    ctx.create(
        "structure_check",
        rules_sql.check_query(
            "person",
            "member_ref",
            nik="nik_raw",
            kk="no_kk_raw",
            sex="jenis_kelamin",
            birth_date="tanggal_lahir",
            reference_date=reference_date(ctx),
        ),
    )
    cols = set(ctx.engine.columns("structure_check"))
    nik_codes = [c for c in NIK_CODES if c.lower() in cols]
    kk_codes = [c for c in KK_CODES if c.lower() in cols]
    parts = [
        f"""SELECT s.{c.lower()} AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
                   p.nik_raw AS nik, p.nama, p.jenis_kelamin, p.tanggal_lahir
            FROM structure_check AS s JOIN person AS p ON p.member_ref = s.row_key
            WHERE s.{c.lower()} IS NOT NULL"""
        for c in nik_codes
    ]
    ctx.emit_findings(" UNION ALL ".join(parts))
    # KK faults belong to the family: report each once, on the family (its kepala's row gives the ruta).
    kk_parts = [
        f"""SELECT s.{c.lower()} AS code, p.family_ref, p.household_ref, p.kode_desa, p.no_kk_raw AS no_kk,
                   ROW_NUMBER() OVER (PARTITION BY p.family_ref ORDER BY p.hubungan_kk, p.member_ref) AS rn
            FROM structure_check AS s JOIN person AS p ON p.member_ref = s.row_key
            WHERE s.{c.lower()} IS NOT NULL"""
        for c in kk_codes
    ]
    if kk_parts:
        ctx.emit_findings(
            "SELECT k.code AS code, k.family_ref AS family_ref, k.household_ref AS household_ref, "
            "k.kode_desa AS kode_desa, k.no_kk AS no_kk "
            f"FROM ({' UNION ALL '.join(kk_parts)}) AS k WHERE k.rn = 1"
        )
    ctx.stats["rules"] = nik_codes + kk_codes


STEP = Step(
    name="structure",
    title="Struktur NIK dan No. KK",
    version="1",
    inputs=("person",),
    outputs=("structure_check", "findings_structure"),
    codes=NIK_CODES + KK_CODES,
    run=run,
)
