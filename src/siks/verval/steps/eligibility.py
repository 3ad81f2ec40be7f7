"""Step `eligibility`: apply the DTKS eligibility rules (data, `siks.domain.eligibility`) to every anggota.

Why last: the rules read the desil from step `pmt` and the findings of padan/exclusions (`has_finding`),
so they run after all of them. Each rule that fires is one finding whose code is the rule's code and whose
evidence names the rule set (`rule_set`) and the values that made it fire; `eligibility` has one row per
anggota with `eligible` and one boolean column per rule.

Parameters: `aturan_kelayakan` (path to a rule-set JSON; default the shipped DTKS rules), `tanggal_acuan`.
"""

from __future__ import annotations

import datetime as dt

from siks.domain import eligibility, finding_catalog
from siks.domain.eligibility import RuleError, RuleSet
from siks.domain.pmt_features import DISABILITY_COLUMNS
from siks.verval import rules_sql
from siks.verval.pipeline import Step, StepContext
from siks.verval.pmt_sql import age_sql, code, flag
from siks.verval.steps.pmt import as_of

#: Findings tables of earlier steps that `has_finding` may look at (those that exist are used).
EARLIER_FINDINGS = tuple(f"findings_{s}" for s in ("structure", "padan", "kk", "ganda", "exclusions", "pmt"))
SUBJECT = "eligibility_subject"
SEEN = "eligibility_findings_in"
EVALUATED = "eligibility_evaluated"


def load_rules(ctx: StepContext) -> RuleSet:
    path = ctx.param("aturan_kelayakan")
    return eligibility.load(path) if path else eligibility.default_rules()


#: The codes of the shipped DTKS rules; a custom rule set declares its own when it is loaded.
CODES = tuple(r.code for r in eligibility.default_rules().rules)


def register_codes(ruleset: RuleSet) -> None:
    """Put each rule in the finding catalog; a rule may not reuse another step's finding code."""
    try:
        finding_catalog.register_rules((r.code, r.title, r.explanation) for r in ruleset.rules)
    except ValueError as e:
        raise RuleError(str(e)) from None


def subject_sql(member_columns: set[str], as_of: dt.date, with_padan: bool) -> str:
    """One row per anggota with exactly `eligibility.FIELDS` (+ refs) from person, member, household_pmt."""

    def col(name: str) -> str:
        return f"m.{name}" if name in member_columns else "CAST(NULL AS VARCHAR)"

    sulit = " OR ".join(f"COALESCE({code(col(c))} IN (1, 2), FALSE)" for c in DISABILITY_COLUMNS)

    def yes_no(name: str) -> str:
        f = flag(col(name))
        return f"CASE WHEN {f} THEN 1 WHEN NOT {f} THEN 2 END"

    return f"""
    SELECT p.member_ref, p.family_ref, p.household_ref, p.nik,
      {"pd.status" if with_padan else "CAST(NULL AS VARCHAR)"} AS status_padan,
      {age_sql("p.tanggal_lahir", as_of)} AS umur,
      p.jenis_kelamin, p.hubungan_kk, p.keberadaan,
      {code(col("status_kawin"))} AS status_kawin,
      {yes_no("hamil")} AS hamil,
      {code(col("pendidikan"))} AS pendidikan,
      {yes_no("bekerja")} AS bekerja,
      {code(col("status_pekerjaan"))} AS status_pekerjaan,
      {code(col("lapangan_usaha"))} AS lapangan_usaha,
      {code(col("penyakit_kronis"))} AS penyakit_kronis,
      ({sulit}) AS disabilitas,
      p.kode_desa,
      SUBSTRING(p.kode_desa, 1, 6) AS kode_kecamatan,
      SUBSTRING(p.kode_desa, 1, 4) AS kode_kabupaten,
      SUBSTRING(p.kode_desa, 1, 2) AS kode_provinsi,
      hp.jumlah_art, hp.score AS skor_pmt, hp.desil, hp.kriteria_bps, hp.miskin_bps
    FROM person AS p
    LEFT JOIN (
      SELECT m.*,
        CAST(m.id_keluarga AS VARCHAR) || '-' || CAST(CAST(m.no_urut AS INT) AS VARCHAR) AS member_ref
      FROM member AS m
    ) AS m ON m.member_ref = p.member_ref
    LEFT JOIN household_pmt AS hp ON hp.household_ref = p.household_ref
    {"LEFT JOIN padan AS pd ON pd.member_ref = p.member_ref" if with_padan else ""}
    """


def run(ctx: StepContext) -> None:
    ruleset = load_rules(ctx)
    register_codes(ruleset)
    ctx.declare_codes(r.code for r in ruleset.rules)
    engine = ctx.engine
    ctx.create(SUBJECT, subject_sql(set(engine.columns("member")), as_of(ctx), engine.has_table("padan")))
    earlier = [t for t in EARLIER_FINDINGS if engine.has_table(t)]
    seen = None
    if earlier:
        ctx.create(
            SEEN,
            " UNION ALL ".join(
                f"SELECT code, member_ref, family_ref, household_ref FROM {t}" for t in earlier
            ),
        )
        seen = SEEN
    compiled = rules_sql.compile_rules(ruleset, SUBJECT, seen, EVALUATED)
    ctx.create(EVALUATED, compiled.evaluate_sql)
    ctx.emit_findings(compiled.findings_sql)
    ctx.create("eligibility", compiled.verdict_sql)
    for table in (SUBJECT, SEEN, EVALUATED):
        engine.drop(table)

    columns = [rules_sql.rule_column(r.code) for r in ruleset.rules]
    sums = ", ".join(f"SUM(CASE WHEN {c} THEN 1 ELSE 0 END) AS {c}" for c in columns)
    fired = engine.query(
        f"SELECT {sums}, SUM(CASE WHEN eligible THEN 1 ELSE 0 END) AS layak, COUNT(*) AS anggota "
        "FROM eligibility"
    ).to_pylist()[0]
    ctx.stats.update(
        aturan=ruleset.key,
        anggota=int(fired.pop("anggota")),
        anggota_layak=int(fired.pop("layak") or 0),
        ruta_layak=int(engine.scalar("SELECT COUNT(DISTINCT household_ref) FROM eligibility WHERE eligible")),
        per_aturan={r.code: int(fired[rules_sql.rule_column(r.code)] or 0) for r in ruleset.rules},
        temuan_dipakai=earlier,
        # A has_finding code no step defines can never fire: worth seeing in the run record.
        kode_temuan_tak_dikenal=sorted(
            {c for r in ruleset.rules for c in eligibility.finding_codes(r.when)}
            - set(finding_catalog.all_codes())
        ),
    )


STEP = Step(
    name="eligibility",
    title="Kelayakan DTKS (aturan)",
    version="1",
    inputs=("person", "member", "household_pmt"),
    optional_inputs=("padan", *EARLIER_FINDINGS),
    outputs=("eligibility", "findings_eligibility"),
    exports=("eligibility",),
    codes=CODES,
    run=run,
)
