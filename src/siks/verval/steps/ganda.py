"""Step `ganda`: duplicates in tiers — the same NIK on several ART, then the same person found by Splink.

Why tiers: a shared NIK is certain evidence of a data problem but not of one person (a borrowed NIK is two
people), while most real duplicates carry different NIKs. Splink scores pairs on name, birth date, sex,
address, KK and the Dukcapil identity from `padan`; above the upper threshold a pair is ganda, between the
thresholds it goes to a person for adjudication. Decisions already made are obeyed: "same person" forces
a link, "different" forbids one even through a third record. Clusters keep their id across runs.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from splink import Linker, block_on

from siks.verval import clustering, linkage
from siks.verval.pipeline import Step, StepContext

PARAMS = {
    "ganda_bobot_atas": 12.0,  # match weight at or above: ganda
    "ganda_bobot_bawah": 1.0,  # at or above (and below the upper): mungkin ganda, for adjudication
    "tanggal_baku_penalti": 5.0,  # bits off a pair whose dates agree only on a default date (see padan)
    "ganda_saran_min": -8.0,  # an unresolved record's top suggestion at or above: its probable identity
}


def run(ctx: StepContext) -> None:
    upper = float(ctx.param("ganda_bobot_atas", PARAMS["ganda_bobot_atas"]))
    lower = float(ctx.param("ganda_bobot_bawah", PARAMS["ganda_bobot_bawah"]))
    has_padan = ctx.has("padan") and ctx.engine.count("padan") > 0
    ident = "a.dukcapil_nik" if has_padan else "CAST(NULL AS VARCHAR)"
    join = "LEFT JOIN padan AS a ON a.member_ref = p.member_ref" if has_padan else ""
    if has_padan and ctx.has("nik_suggestion"):
        # A record padan left unresolved for want of a NIK (none, or one Dukcapil does not know) still has
        # a probable identity for ganda: its top suggestion when that is clearly ahead of the runner-up.
        # Two records of one person without NIK, in two desa and spelled differently (ULFA LATIFAH SRI /
        # SRI ULFA LATIFAH) then meet through it. Not for a default birth date (its top suggestion is
        # often a namesake born on that same 1 January), nor for a NIK that belongs to someone else (two
        # fields wrong: the suggestion is a sibling). Death, ASN and KK never use it.
        low = float(ctx.param("ganda_saran_min", PARAMS["ganda_saran_min"]))
        gap = float(ctx.param("saran_selisih", 3.0))
        ident = "COALESCE(a.dukcapil_nik, s.nik)"
        join += f"""
          LEFT JOIN (SELECT s1.member_ref, s1.nik FROM nik_suggestion AS s1
                     JOIN padan AS a1 ON a1.member_ref = s1.member_ref
                      AND a1.reason IN ('NO_NIK', 'NIK_UNKNOWN')
                     JOIN person AS p1 ON p1.member_ref = s1.member_ref
                      AND NOT COALESCE({linkage.default_date("p1.tanggal_lahir")}, FALSE)
                     LEFT JOIN nik_suggestion AS s2 ON s2.member_ref = s1.member_ref AND s2.rank = 2
                     WHERE s1.rank = 1 AND s1.weight >= {low}
                       AND s1.weight - COALESCE(s2.weight, -1000) >= {gap}) AS s
            ON s.member_ref = p.member_ref"""
    ctx.create(
        "ganda_input",
        linkage.identity_sql(
            f"person AS p {join}",
            "p.member_ref",
            extra=f", {ident} AS dukcapil_nik",
            alias="p",
            keys="name_key" if ctx.has("name_key") else "",
        ),
    )
    edges = predict(ctx, lower) if ctx.engine.count("ganda_input") > 1 else []
    decisions = ctx.engine.query(
        "SELECT member_ref_a, member_ref_b, same_person, decided_at FROM duplicate_decision"
    ).to_pylist()
    if has_padan:
        # After the human decisions: a person's later decision (it has a date) still wins.
        decisions += borrowed_pairs(ctx)
    previous = ctx.engine.query("SELECT member_ref, cluster_id FROM previous_cluster").to_pylist()
    result = clustering.cluster(edges, decisions, previous, upper=upper, lower=lower)
    ctx.engine.register_arrow(
        "duplicate_cluster",
        pa.table(
            {
                "member_ref": pa.array([m.member_ref for m in result.members], pa.string()),
                "cluster_id": pa.array([m.cluster_id for m in result.members], pa.string()),
                "related_ref": pa.array([m.related_ref for m in result.members], pa.string()),
                "weight": pa.array([m.weight for m in result.members], pa.float64()),
            }
        ),
    )
    ctx.engine.register_arrow(
        "duplicate_possible",
        pa.table(
            {
                "member_ref_a": pa.array([p[0] for p in result.possible], pa.string()),
                "member_ref_b": pa.array([p[1] for p in result.possible], pa.string()),
                "weight": pa.array([p[2] for p in result.possible], pa.float64()),
            }
        ),
    )
    ctx.stats.update(result.stats)
    emit(ctx)


def borrowed_pairs(ctx: StepContext) -> list[dict[str, Any]]:
    """Records sharing a NIK of which one is its owner and the other borrowed it (padan OTHER_PERSON), or
    two borrowers resolved to two different people: "different person" constraints, so a borrowed NIK
    never puts its owner and the borrower into one cluster, not even through a third record."""
    n = ctx.create(
        "ganda_borrowed",
        """
        SELECT a.member_ref AS member_ref_a, b.member_ref AS member_ref_b
        FROM person AS a JOIN person AS b ON a.nik = b.nik AND a.member_ref < b.member_ref
        JOIN padan AS pa ON pa.member_ref = a.member_ref
        JOIN padan AS pb ON pb.member_ref = b.member_ref
        WHERE (COALESCE(pa.reason, '') = 'OTHER_PERSON') <> (COALESCE(pb.reason, '') = 'OTHER_PERSON')
           OR (pa.reason = 'OTHER_PERSON' AND pb.reason = 'OTHER_PERSON'
               AND pa.dukcapil_nik <> pb.dukcapil_nik)
        """,
    )
    ctx.stats["borrowed_nik_pairs"] = n
    rows = ctx.engine.query("SELECT member_ref_a, member_ref_b FROM ganda_borrowed").to_pylist()
    return [r | {"same_person": False, "decided_at": None} for r in rows]


def predict(ctx: StepContext, lower: float) -> list[tuple[str, str, float]]:
    api = ctx.engine.splink_api()
    sdf = api.register("ganda_input", table_name="ganda_dtks")

    def fit(linker: Linker) -> None:
        linkage.train(
            linker,
            [block_on("dukcapil_nik")],
            recall=0.9,
            u_pairs=float(ctx.param("u_pairs", 1e6)),
        )

    def make_settings():
        return linkage.settings(
            "dedupe_only", linkage.dedupe_blocking_rules(), ganda=True, dialect=ctx.engine.dialect
        )

    n = ctx.engine.count("ganda_input")
    linker = linkage.model_linker(ctx, "ganda", [sdf], make_settings, n, fit)
    linker.table_management.compute_tf_table("nama_norm")
    pred = linker.inference.predict(threshold_match_weight=lower, warning_mode="never")
    # Two records sharing a default birth date (1 Jan, 31 Dec, 1 Jul) have weaker date evidence than the
    # model's exact-date level assumes: the same bits off as in padan.
    penalty = float(ctx.param("tanggal_baku_penalti", PARAMS["tanggal_baku_penalti"]))
    ctx.create(
        "ganda_pairs",
        f"""SELECT unique_id_l AS member_ref_a, unique_id_r AS member_ref_b,
                   match_weight - CASE WHEN tgl_l = tgl_r AND {linkage.default_date_text("tgl_l")}
                                       THEN {penalty} ELSE 0 END AS weight
            FROM {pred.physical_name}""",
    )
    linker.table_management.delete_tables_created_by_splink_from_db()
    ctx.stats["pairs_scored_above_lower"] = ctx.engine.count("ganda_pairs")
    rows: list[dict[str, Any]] = ctx.engine.query(
        "SELECT member_ref_a, member_ref_b, weight FROM ganda_pairs"
    ).to_pylist()
    return [(r["member_ref_a"], r["member_ref_b"], float(r["weight"])) for r in rows]


def emit(ctx: StepContext) -> None:
    person = (
        "p.member_ref, p.family_ref, p.household_ref, p.kode_desa, COALESCE(p.nik, p.nik_raw) AS nik, p.nama"
    )
    # the records of a NIK recorded more than once, numbered: the NIKs first (one grouping), so the
    # numbering sorts only those records and not every ART
    ctx.create(
        "ganda_nik",
        """SELECT p.*, ROW_NUMBER() OVER (PARTITION BY p.nik ORDER BY p.member_ref) AS k
           FROM person AS p
           WHERE p.nik IN (SELECT nik FROM person WHERE nik IS NOT NULL GROUP BY nik HAVING COUNT(*) > 1)""",
    )
    ctx.emit_findings(
        f"""
        SELECT 'DUP_NIK' AS code, {person}, o.member_ref AS related_ref, o.nama AS related_nama,
               o.nik AS related_nik
        FROM ganda_nik AS p JOIN ganda_nik AS o ON o.nik = p.nik AND o.k = CASE WHEN p.k = 1 THEN 2 ELSE 1 END
        """
    )
    ctx.emit_findings(
        f"""
        SELECT 'DUP' AS code, {person}, c.cluster_id AS cluster_id, c.related_ref AS related_ref,
               c.weight AS weight, CAST(ROUND(c.weight, 1) AS VARCHAR) AS bobot, o.nama AS related_nama,
               o.kode_desa AS related_desa, o.nik AS related_nik
        FROM duplicate_cluster AS c
        JOIN person AS p ON p.member_ref = c.member_ref
        LEFT JOIN person AS o ON o.member_ref = c.related_ref
        """
    )
    ctx.emit_findings(
        f"""
        SELECT 'DUP_POSSIBLE' AS code, {person}, d.member_ref_b AS related_ref, d.weight AS weight,
               CAST(ROUND(d.weight, 1) AS VARCHAR) AS bobot, o.nama AS related_nama,
               o.kode_desa AS related_desa, o.nik AS related_nik
        FROM duplicate_possible AS d
        JOIN person AS p ON p.member_ref = d.member_ref_a
        JOIN person AS o ON o.member_ref = d.member_ref_b
        """
    )


STEP = Step(
    name="ganda",
    title="Ganda: NIK sama dan orang yang sama (Splink)",
    version="3",
    inputs=("person", "duplicate_decision", "previous_cluster"),
    optional_inputs=("padan", "nik_suggestion"),
    outputs=("ganda_input", "duplicate_cluster", "duplicate_possible", "findings_ganda"),
    codes=("DUP_NIK", "DUP", "DUP_POSSIBLE"),
    run=run,
    probabilistic=True,
)
