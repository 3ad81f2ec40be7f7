"""Step `exclusions`: deceased, ASN/TNI/Polri, PLN ≥ 900 VA nonsubsidi and car owners (BPK's flags).

Why through `padan`: a flag is only as good as the link behind it. The NIK used is the one Dukcapil
confirms for this person (exact match or a confident repair suggestion); without a Dukcapil extract the
recorded NIK is used. ASN membership is flagged on the member and, because the whole household is
excluded from bansos (docs/domain-facts.md §5.4), once more on the household.
"""

from __future__ import annotations

from siks.verval.pipeline import Step, StepContext

#: PLN tariffs that are subsidised (R1-450 and R1-900-S); any other tariff at ≥ 900 VA is a flag.
SUBSIDISED = ("R1-450", "R1-900-S")


def identity(ctx: StepContext) -> str:
    """A view of person → the NIK to look up in the reference extracts."""
    if ctx.has("padan") and ctx.engine.count("dukcapil") > 0:
        return """SELECT p.*, a.dukcapil_nik AS id_nik FROM person AS p
                  JOIN padan AS a ON a.member_ref = p.member_ref WHERE a.dukcapil_nik IS NOT NULL"""
    return "SELECT p.*, p.nik AS id_nik FROM person AS p WHERE p.nik IS NOT NULL"


def run(ctx: StepContext) -> None:
    ctx.create("exclusion_person", identity(ctx))
    emitted = False
    cols = (
        "p.member_ref, p.family_ref, p.household_ref, p.kode_desa, COALESCE(p.nik, p.nik_raw) AS nik, "
        "p.id_nik AS related_nik, p.nama"
    )
    if ctx.engine.count("dukcapil") > 0:
        ctx.emit_findings(
            f"""SELECT 'DECEASED' AS code, {cols}, d.tanggal_meninggal AS tanggal_meninggal
                FROM exclusion_person AS p JOIN dukcapil AS d ON d.nik = p.id_nik
                WHERE d.status_hidup = 'MATI' AND (p.keberadaan IS NULL OR p.keberadaan <> 2)"""
        )
        emitted = True
    if ctx.has("ref_asn"):
        asn = f"""SELECT {cols}, UPPER(x.jenis) AS jenis, x.instansi AS instansi,
                         ROW_NUMBER() OVER (PARTITION BY p.household_ref ORDER BY p.member_ref) AS rn
                  FROM exclusion_person AS p
                  JOIN (SELECT CAST(nik AS VARCHAR) AS nik, MIN(jenis) AS jenis, MIN(instansi) AS instansi
                        FROM ref_asn GROUP BY CAST(nik AS VARCHAR)) AS x ON x.nik = p.id_nik"""
        ctx.create("exclusion_asn", asn)
        ctx.emit_findings(
            """SELECT 'ASN' AS code, member_ref, family_ref, household_ref, kode_desa, nik, related_nik, nama,
                      jenis, instansi FROM exclusion_asn"""
        )
        ctx.emit_findings(
            """SELECT 'HOUSEHOLD_ASN' AS code, household_ref, kode_desa, related_nik, nama, jenis, instansi,
                      member_ref AS anggota FROM exclusion_asn WHERE rn = 1"""
        )
        emitted = True
    if ctx.has("ref_pln"):
        subsidised = ", ".join(f"'{t}'" for t in SUBSIDISED)
        ctx.emit_findings(
            f"""SELECT 'PLN_NONSUBSIDI' AS code, k.household_ref, k.kode_desa, k.related_nik, k.nama,
                       k.id_pelanggan, k.daya_va, k.tarif, k.member_ref AS anggota
                FROM (SELECT p.household_ref, p.kode_desa, p.id_nik AS related_nik, p.nama, p.member_ref,
                             CAST(x.id_pelanggan AS VARCHAR) AS id_pelanggan,
                             CAST(x.daya_va AS INT) AS daya_va,
                             x.tarif AS tarif,
                             ROW_NUMBER() OVER (PARTITION BY p.household_ref
                                                ORDER BY CAST(x.daya_va AS INT) DESC, p.member_ref) AS rn
                      FROM exclusion_person AS p JOIN ref_pln AS x ON CAST(x.nik AS VARCHAR) = p.id_nik
                      WHERE CAST(x.daya_va AS INT) >= 900 AND UPPER(x.tarif) NOT IN ({subsidised})) AS k
                WHERE k.rn = 1"""
        )
        emitted = True
    if ctx.has("ref_kendaraan"):
        ctx.emit_findings(
            """SELECT 'CAR_OWNER' AS code, k.household_ref, k.kode_desa, k.related_nik, k.nama, k.no_polisi,
                      k.member_ref AS anggota
               FROM (SELECT p.household_ref, p.kode_desa, p.id_nik AS related_nik, p.nama, p.member_ref,
                            x.no_polisi AS no_polisi,
                            ROW_NUMBER() OVER (PARTITION BY p.household_ref
                                               ORDER BY p.member_ref, x.no_polisi) AS rn
                     FROM exclusion_person AS p JOIN ref_kendaraan AS x ON CAST(x.nik AS VARCHAR) = p.id_nik
                     WHERE UPPER(x.jenis) = 'RODA4') AS k
               WHERE k.rn = 1"""
        )
        emitted = True
    if not emitted:
        ctx.stats["skipped"] = "tidak ada ekstrak rujukan"
        ctx.emit_findings("SELECT CAST(NULL AS VARCHAR) AS code WHERE 1 = 0")


STEP = Step(
    name="exclusions",
    title="Pengecualian: meninggal, ASN/TNI/Polri, PLN, mobil",
    version="1",
    inputs=("person", "padan", "dukcapil"),
    optional_inputs=("ref_asn", "ref_pln", "ref_kendaraan"),
    outputs=("exclusion_person", "findings_exclusions"),
    codes=("DECEASED", "ASN", "HOUSEHOLD_ASN", "PLN_NONSUBSIDI", "CAR_OWNER"),
    run=run,
)
