"""Step `kk`: the current KK number (and domicile) from Dukcapil, for every ART whose identity is known.

Why: the KK number changes on pecah KK, moves and the death of the head, and the new number exists at
Dukcapil before anyone tells Dinsos (docs/domain-facts.md §3.2); a stale KK blocks the family at Kemensos.
The person's identity comes from `padan` (exact match, or a confident repair suggestion), never from the
recorded NIK alone, so a borrowed NIK cannot move someone into another family.
"""

from __future__ import annotations

from siks.verval.pipeline import Step, StepContext

STEP_CODES = ("KK_CHANGED", "MOVED", "DOMISILI_BERBEDA")
ACTIVE = "(p.keberadaan IS NULL OR p.keberadaan IN (1, 5))"  # tinggal bersama / anggota baru


def run(ctx: StepContext) -> None:
    if not ctx.check(STEP_CODES, "dukcapil", ctx.engine.count("dukcapil") > 0):
        ctx.stats["skipped"] = "ekstrak Dukcapil belum dimuat"
        ctx.create("kk_identity", "SELECT CAST(NULL AS VARCHAR) AS member_ref WHERE 1 = 0")
        ctx.emit_findings("SELECT CAST(NULL AS VARCHAR) AS code WHERE 1 = 0")
        return
    # A person recorded twice (ganda) is checked once: on the record that agrees most with Dukcapil (its
    # KK, then its desa). The copy in a host family carries the host's KK and desa by construction; its
    # finding is DUP, not KK_CHANGED/MOVED.
    # The columns the three checks read travel with the identity: one join of padan, person and Dukcapil
    # instead of one per check.
    ctx.create(
        "kk_identity",
        f"""
        SELECT a.member_ref, a.dukcapil_nik,
               ROW_NUMBER() OVER (
                 PARTITION BY a.dukcapil_nik
                 ORDER BY CASE WHEN p.no_kk = d.no_kk THEN 0 ELSE 1 END,
                          CASE WHEN p.kode_desa = d.kode_desa THEN 0 ELSE 1 END,
                          CASE WHEN p.hubungan_kk IN (1, 2, 3) THEN 0 ELSE 1 END, a.member_ref) AS k,
               d.status_hidup <> 'MATI' AND {ACTIVE} AS checked,
               p.family_ref, p.household_ref, p.kode_desa, COALESCE(p.nik, p.nik_raw) AS nik, p.nama,
               p.no_kk, p.no_kk_raw, d.no_kk AS no_kk_dukcapil, d.kode_desa AS kode_desa_dukcapil
        FROM padan AS a
        JOIN person AS p ON p.member_ref = a.member_ref
        JOIN dukcapil AS d ON d.nik = a.dukcapil_nik
        WHERE a.dukcapil_nik IS NOT NULL
        """,
    )
    base = "FROM kk_identity AS p WHERE p.k = 1 AND p.checked"
    ctx.emit_findings(
        f"""
        SELECT 'KK_CHANGED' AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa, p.nik,
               p.dukcapil_nik AS related_nik, p.nama, p.no_kk_raw AS no_kk, p.no_kk_dukcapil
        {base} AND p.no_kk_dukcapil IS NOT NULL AND (p.no_kk IS NULL OR p.no_kk <> p.no_kk_dukcapil)
        """
    )
    # A different desa at Dukcapil is a move only with evidence of one: the person is on a KK other than
    # the one DTKS recorded (a move issues a new KK, docs/domain-facts.md §3.2). Living away from the KK
    # address on the same KK (domisili: renting, working, living with relatives) is no move, and its
    # milder finding excludes nobody.
    moved = "p.no_kk_dukcapil IS NOT NULL AND p.no_kk IS NOT NULL AND p.no_kk <> p.no_kk_dukcapil"
    other_desa = (
        "p.kode_desa_dukcapil IS NOT NULL AND p.kode_desa IS NOT NULL AND p.kode_desa_dukcapil <> p.kode_desa"
    )
    ctx.emit_findings(
        f"""
        SELECT 'MOVED' AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa, p.nik,
               p.dukcapil_nik AS related_nik, p.nama, p.kode_desa_dukcapil, p.no_kk_dukcapil
        {base} AND {other_desa} AND {moved}
        """
    )
    ctx.emit_findings(
        f"""
        SELECT 'DOMISILI_BERBEDA' AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa, p.nik,
               p.dukcapil_nik AS related_nik, p.nama, p.kode_desa_dukcapil
        {base} AND {other_desa} AND NOT ({moved})
        """
    )


STEP = Step(
    name="kk",
    title="No. KK terkini dan domisili",
    version="3",
    inputs=("person", "padan", "dukcapil"),
    outputs=("kk_identity", "findings_kk"),
    codes=STEP_CODES,
    run=run,
)
