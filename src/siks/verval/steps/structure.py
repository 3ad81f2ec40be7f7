"""Step `structure`: the NIK and KK structure rules of siks.domain, run set-wise over every ART.

Why here and not only at import: rows imported before a rule existed, or with `--strict` off, still carry
faults, and a Dukcapil mismatch is easier to act on when the structural cause is named next to it. The
rules themselves live in siks.domain.rules_sql (one definition shared with import), so codes are the same.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from siks.domain import rules_sql, wilayah
from siks.verval.findings import define
from siks.verval.pipeline import Step, StepContext

NIK_TEXT = {
    "NIK_EMPTY": ("NIK kosong", "NIK {nama} kosong. Minta fotokopi KTP/KK untuk melengkapinya."),
    "NIK_FORMAT": ("NIK tidak 16 digit", "NIK {nama} ({nik}) bukan 16 digit angka."),
    "NIK_PROVINCE": ("Kode provinsi NIK salah", "Digit 1–2 NIK {nik} ({nama}) bukan kode provinsi."),
    "NIK_REGION": (
        "Kode wilayah NIK tidak dikenal",
        "Digit 1–6 NIK {nik} ({nama}) bukan kode kecamatan yang pernah ada.",
    ),
    "NIK_BIRTHDATE": (
        "Tanggal lahir dalam NIK mustahil",
        "Digit 7–12 NIK {nik} ({nama}) bukan tanggal yang mungkin (perempuan: tanggal + 40).",
    ),
    "NIK_FUTURE_BIRTH": (
        "Tanggal lahir NIK di masa depan",
        "Tanggal lahir dalam NIK {nik} ({nama}) jatuh setelah tanggal acuan.",
    ),
    "NIK_SERIAL": ("Nomor urut NIK 0000", "Nomor urut (digit 13–16) NIK {nik} ({nama}) adalah 0000."),
    "NIK_SEX_MISMATCH": (
        "Jenis kelamin tidak sesuai NIK",
        "NIK {nik} menunjukkan jenis kelamin lain (perempuan: tanggal + 40) daripada yang "
        "tercatat untuk {nama} (jenis kelamin {jenis_kelamin}).",
    ),
    "NIK_BIRTHDATE_MISMATCH": (
        "Tanggal lahir tidak sesuai NIK",
        "Tanggal lahir dalam NIK {nik} berbeda dengan tanggal lahir tercatat {nama} ({tanggal_lahir}).",
    ),
}
KK_TEXT = {
    "KK_EMPTY": ("No. KK kosong", "No. KK keluarga {family_ref} kosong."),
    "KK_FORMAT": ("No. KK tidak 16 digit", "No. KK keluarga {family_ref} ({no_kk}) bukan 16 digit angka."),
    "KK_REGION": (
        "Kode wilayah No. KK tidak dikenal",
        "Digit 1–6 No. KK {no_kk} (keluarga {family_ref}) bukan kode kecamatan yang pernah ada.",
    ),
    "KK_DATE": (
        "Tanggal No. KK mustahil",
        "Digit 7–12 No. KK {no_kk} (keluarga {family_ref}) bukan tanggal pencatatan yang mungkin.",
    ),
    "KK_SERIAL": ("Nomor urut No. KK 0000", "Nomor urut No. KK {no_kk} (keluarga {family_ref}) adalah 0000."),
}
for _code, (_title, _text) in NIK_TEXT.items():
    define(_code, "anggota", _title, _text, "structure")
for _code, (_title, _text) in KK_TEXT.items():
    define(_code, "keluarga", _title, _text, "structure")


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
    nik_codes = [c for c in NIK_TEXT if c.lower() in cols]
    kk_codes = [c for c in KK_TEXT if c.lower() in cols]
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
    run=run,
)
