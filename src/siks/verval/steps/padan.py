"""Step `padan`: match every ART with Dukcapil, and suggest the probable true NIK where they don't match.

Why: Dukcapil only accepts an exact match (NIK with the same name, birth date and sex). Records that fail
are not necessarily wrong people — a typo, a transposition, a nickname or a borrowed NIK are the usual
causes — so each unmatched ART gets up to three suggestions from a probabilistic link (Splink) on name,
birth date, sex, address and KK, with the match weight that ranks them.

Outputs: `dukcapil` (the cleaned extract), `name_key` (each distinct name of DTKS and Dukcapil with its
name key, for this step, ganda and exclusions), `padan` (one row per ART: status and the NIK of the Dukcapil
person this record most probably is, used by kk/ganda/exclusions), `nik_suggestion`, `padan_candidate`
(every person as likely as the best, for the questions of exclusions), `findings_padan`.
"""

from __future__ import annotations

from splink import Linker, block_on

from siks.verval import linkage
from siks.verval.engines.base import NEUTRAL
from siks.verval.pipeline import Step, StepContext
from siks.verval.steps.prepare import name_norm

#: Defaults; override with run parameters of the same name.
PARAMS = {
    "saran_bobot_min": -8.0,  # lowest match weight still shown as a suggestion
    # top suggestion at or above this (and clearly ahead) is the identity: 0 bits = more likely the same
    # person than not (was -6: a weak match then passed a stranger's death on to a NIK-less child)
    "saran_bobot_yakin": 0.0,
    "saran_jumlah": 3,
    "saran_selisih": 3.0,  # ... and at least this far ahead of the runner-up (or of the recorded NIK)
    # bits taken off a candidate whose only date evidence is a shared default date (1 Jan, 31 Dec, 1 Jul):
    # about log2(share of a birth year written on that date), see linkage.DEFAULT_DATES
    "tanggal_baku_penalti": 5.0,
    # bits taken off a candidate born this many years or more apart from the record: another generation
    # (a son with his father's name on the father's KK), which the model's "other date" level does not
    # tell from a date a few days off; a miswritten year is 1–3 years off
    "beda_generasi_tahun": 15,
    "beda_generasi_penalti": 8.0,
    # bits given back to a candidate born in the year of a record's default date, another day: the
    # model's "other date" (−5.6 bits) becomes about +4, what a shared birth year is worth (a year in
    # ~60; a default date usually keeps the year)
    "tanggal_baku_tahun": 9.6,
}

EMPTY_PADAN = """SELECT CAST(NULL AS VARCHAR) AS member_ref, CAST(NULL AS VARCHAR) AS status,
  CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS dukcapil_nik,
  CAST(NULL AS VARCHAR) AS resolved_by,
  CAST(NULL AS DOUBLE) AS weight, CAST(NULL AS BOOLEAN) AS contested WHERE 1 = 0"""
EMPTY_SUGGESTION = """SELECT CAST(NULL AS VARCHAR) AS member_ref, CAST(NULL AS INT) AS rank,
  CAST(NULL AS VARCHAR) AS nik, CAST(NULL AS DOUBLE) AS weight WHERE 1 = 0"""
#: what padan keeps of a Splink prediction: the pair, its weight and both records' compared fields
LINK_COLUMNS = """unique_id_l AS member_ref, unique_id_r AS nik, match_weight AS weight,
  nik_l AS nik_p, nama_norm_l AS nama_p, nama_norm_r AS nama_d, nama_kunci_l AS kunci_p,
  nama_kunci_r AS kunci_d, tgl_l AS tgl_p, tgl_r AS tgl_d, jenis_kelamin_l AS jk_p,
  jenis_kelamin_r AS jk_d, no_kk_l AS no_kk_p, no_kk_r AS no_kk_d"""
EMPTY_LINK = """SELECT CAST(NULL AS VARCHAR) AS member_ref, CAST(NULL AS VARCHAR) AS nik,
  CAST(NULL AS DOUBLE) AS weight, CAST(NULL AS VARCHAR) AS nik_p, CAST(NULL AS VARCHAR) AS nama_p,
  CAST(NULL AS VARCHAR) AS nama_d, CAST(NULL AS VARCHAR) AS kunci_p, CAST(NULL AS VARCHAR) AS kunci_d,
  CAST(NULL AS VARCHAR) AS tgl_p, CAST(NULL AS VARCHAR) AS tgl_d, CAST(NULL AS INT) AS jk_p,
  CAST(NULL AS INT) AS jk_d, CAST(NULL AS VARCHAR) AS no_kk_p, CAST(NULL AS VARCHAR) AS no_kk_d WHERE 1 = 0"""
EMPTY_CANDIDATE = """SELECT CAST(NULL AS VARCHAR) AS member_ref, CAST(NULL AS VARCHAR) AS nik,
  CAST(NULL AS DOUBLE) AS weight WHERE 1 = 0"""


def prepare_dukcapil(ctx: StepContext) -> int:
    # names normalised once per distinct name (a few regular expressions each), not once per person:
    # 2.6M persons of a kabupaten carry a few hundred thousand names
    return ctx.create(
        "dukcapil",
        f"""
        SELECT CAST(d.nik AS VARCHAR) AS nik, CAST(d.no_kk AS VARCHAR) AS no_kk, d.nama AS nama,
               n.nama_norm AS nama_norm, CAST(d.tanggal_lahir AS DATE) AS tanggal_lahir,
               CAST(d.jenis_kelamin AS INT) AS jenis_kelamin,
               REPLACE(CAST(d.kode_desa AS VARCHAR), '.', '') AS kode_desa,
               SUBSTRING(REPLACE(CAST(d.kode_desa AS VARCHAR), '.', ''), 1, 6) AS kode_kecamatan,
               UPPER(d.status_hidup) AS status_hidup, CAST(d.tanggal_meninggal AS DATE) AS tanggal_meninggal
        FROM ref_dukcapil AS d
        LEFT JOIN (SELECT u.nama, {name_norm("u.nama")} AS nama_norm
                   FROM (SELECT DISTINCT nama FROM ref_dukcapil WHERE nama IS NOT NULL) AS u) AS n
          ON n.nama = d.nama
        """,
    )


def name_related(kp: str, kd: str) -> str:
    """Neutral SQL over two name keys: equal, one letter apart (SMIATUN/SUMIATUN), one inside the other
    (HOSNAN / HOSNAN FAUZI) or a panggilan (YATI / RATNA WIDAYATI). A candidate with none of these never
    displaces the owner of the recorded NIK: a NIK one digit off in the old desa of a moved person is a
    neighbour (ZAINAL for MAMAD), however well NIK and place agree."""
    nick = linkage.nickname_sql(NEUTRAL).replace("nama_kunci_l", kp).replace("nama_kunci_r", kd)
    # One test after the other (CASE), cheapest first: the engine asks the later ones only of the rows
    # still undecided, and the quadratic edit distance only of keys whose lengths can be one edit apart.
    # Same answer as `COALESCE(a OR b OR …, FALSE)`: TRUE when any test is TRUE.
    return f"""(CASE WHEN {kp} = {kd} THEN TRUE
                     WHEN STRPOS(' ' || {kd} || ' ', ' ' || {kp} || ' ') > 0 THEN TRUE
                     WHEN STRPOS(' ' || {kp} || ' ', ' ' || {kd} || ' ') > 0 THEN TRUE
                     WHEN {nick} THEN TRUE
                     WHEN LENGTH({kp}) >= 5 AND ABS(LENGTH({kp}) - LENGTH({kd})) <= 1
                          AND LEVENSHTEIN({kp}, {kd}) <= 1 THEN TRUE
                     ELSE FALSE END)"""


def exact_match(ctx: StepContext) -> None:
    # name_close: the names related (`name_related`): with a second field agreeing, the same person
    # written differently. Name keys come from the `name_key` table (one per distinct name), or the name
    # itself when it is all filler ('SITI').
    kp, kd = "x.kunci_p", "x.kunci_d"
    ctx.create(
        "padan_exact",
        f"""
        SELECT x.member_ref, x.nik, x.found,
               COALESCE(x.nama_p = x.nama_d, FALSE) AS name_eq,
               COALESCE(x.lahir_p = x.lahir_d, FALSE) AS dob_eq,
               COALESCE(x.jk_p = x.jk_d, FALSE) AS sex_eq,
               COALESCE({kp} = {kd}, FALSE) AS key_eq,
               COALESCE(ABS(EXTRACT(YEAR FROM x.lahir_p) - EXTRACT(YEAR FROM x.lahir_d)) <= 3
                        OR (EXTRACT(MONTH FROM x.lahir_p) = EXTRACT(MONTH FROM x.lahir_d)
                            AND EXTRACT(DAY FROM x.lahir_p) = EXTRACT(DAY FROM x.lahir_d)),
                        FALSE) AS dob_close,
               {linkage.default_date("x.lahir_p")} AS dob_default,
               {name_related(kp, kd)} AS name_close
        FROM (SELECT p.member_ref, p.nik, d.nik IS NOT NULL AS found, p.nama_norm AS nama_p,
                     d.nama_norm AS nama_d, p.tanggal_lahir AS lahir_p, d.tanggal_lahir AS lahir_d,
                     p.jenis_kelamin AS jk_p, d.jenis_kelamin AS jk_d,
                     COALESCE(kp.kunci, p.nama_norm) AS kunci_p, COALESCE(kd.kunci, d.nama_norm) AS kunci_d
              FROM person AS p LEFT JOIN dukcapil AS d ON d.nik = p.nik
              LEFT JOIN name_key AS kp ON kp.nama_norm = p.nama_norm
              LEFT JOIN name_key AS kd ON kd.nama_norm = d.nama_norm) AS x
        """,
    )


def link(ctx: StepContext) -> None:
    """Splink: the model (stored, or estimated on all ART × Dukcapil), scoring only the unmatched ART."""
    e = ctx.engine
    # kk_nik: the KK of the recorded NIK's owner when the owner is clearly someone else (another sex, or
    # an unrelated name), where a borrowed NIK's true holder usually is (linkage.link_blocking_rules)
    ctx.create(
        "padan_l",
        linkage.identity_sql(
            "person AS p JOIN padan_exact AS x ON x.member_ref = p.member_ref "
            "LEFT JOIN dukcapil AS o ON o.nik = p.nik",
            "p.member_ref",
            extra=", CASE WHEN x.found AND NOT (x.name_close AND x.sex_eq) THEN o.no_kk END AS kk_nik",
            where="WHERE NOT (x.found AND x.name_eq AND x.dob_eq AND x.sex_eq)",
            alias="p",
            keys="name_key",
        ),
    )
    ctx.create(
        "padan_r",
        linkage.identity_sql(
            "dukcapil AS d", "d.nik", extra=", CAST(NULL AS VARCHAR) AS kk_nik", alias="d", keys="name_key"
        ),
    )
    n_left = e.count("padan_l")
    ctx.stats["unmatched"] = n_left
    if n_left == 0:
        ctx.create("padan_link", EMPTY_LINK)
        return
    api = e.splink_api()
    right = api.register("padan_r", table_name="padan_dukcapil")

    def fit(linker: Linker) -> None:
        linkage.train(
            linker,
            [block_on("nik", "tanggal_lahir"), block_on("nama_kunci", "tanggal_lahir", "kode_desa")],
            recall=0.9,
            u_pairs=float(ctx.param("u_pairs", 1e6)),
        )

    def make_settings():
        return linkage.settings("link_only", linkage.link_blocking_rules(), dialect=e.dialect)

    n_right = e.count("padan_r")
    if linkage_needs_training(ctx, "padan"):
        ctx.create(
            "padan_l_all",
            linkage.identity_sql(
                "person AS p",
                "p.member_ref",
                extra=", CAST(NULL AS VARCHAR) AS kk_nik",
                alias="p",
                keys="name_key",
            ),
        )
        all_l = api.register("padan_l_all", table_name="padan_dtks")
        trained = linkage.model_linker(ctx, "padan", [all_l, right], make_settings, n_right, fit)
        model = trained.misc.save_model_to_json()
        model.pop("linker_uid", None)
        left = api.register("padan_l", table_name="padan_dtks_unmatched")
        linker = Linker([left, right], model, log_level=None)
    else:
        left = api.register("padan_l", table_name="padan_dtks_unmatched")
        linker = linkage.model_linker(ctx, "padan", [left, right], make_settings, n_right, fit)
    tf = linker.table_management.compute_tf_table("nama_norm")
    lowest = float(ctx.param("saran_bobot_min", PARAMS["saran_bobot_min"]))
    pred = linker.inference.predict(threshold_match_weight=lowest, warning_mode="never")
    # with the two records' fields Splink kept for its comparisons, so that nothing downstream joins
    # 1.5M pairs back to person, Dukcapil and the name keys (at 1M ART)
    ctx.create(
        "padan_link",
        f"SELECT {LINK_COLUMNS} FROM {pred.physical_name}",
    )
    default_date_pass(ctx, api, linker, right, tf, lowest)
    linker.table_management.delete_tables_created_by_splink_from_db()


def default_date_pass(ctx: StepContext, api, linker: Linker, right, tf, lowest: float) -> None:
    """Score the records written with a default birth date again, with more rules and a lower threshold.

    Why: their date says only the year, yet the model counts a different date as evidence against (−5.6
    bits), so the true person, born another day of that year, falls below `saran_bobot_min` (MOH HOLILI,
    no NIK, written 1 July 1998, for MOH HOLILI of the same desa born 9 June 1998 on his own new KK:
    −8.3 bits, 11 ahead of anyone else). `run` gives such a pair `tanggal_baku_tahun` bits back; here
    the pairs that bonus can lift are kept, and the record's desa is searched by sex and birth year
    (`linkage.default_date_rules`). Same model and term frequencies as the main pass, so a pair both
    passes score weighs the same."""
    e = ctx.engine
    ctx.create("padan_l_baku", f"SELECT * FROM padan_l WHERE {linkage.default_date_text('tgl')}")
    if e.count("padan_l_baku") == 0:
        return
    left = api.register("padan_l_baku", table_name="padan_dtks_tanggal_baku")
    rules = linkage.settings("link_only", linkage.default_date_rules(), dialect=e.dialect)
    model = Linker([left, right], rules, log_level=None).misc.save_model_to_json()
    model.pop("linker_uid", None)
    trained = linker.misc.save_model_to_json()
    model["probability_two_random_records_match"] = trained["probability_two_random_records_match"]
    linkage.with_parameters(model, trained)
    second = Linker([left, right], model, log_level=None)
    second.table_management.register_term_frequency_lookup(tf, "nama_norm")
    bonus = float(ctx.param("tanggal_baku_tahun", PARAMS["tanggal_baku_tahun"]))
    pred = second.inference.predict(threshold_match_weight=lowest - bonus, warning_mode="never")
    ctx.create(
        "padan_link",
        f"""SELECT * FROM padan_link
            WHERE member_ref NOT IN (SELECT unique_id FROM padan_l_baku)
            UNION ALL
            SELECT {LINK_COLUMNS} FROM {pred.physical_name}""",
    )


def linkage_needs_training(ctx: StepContext, name: str) -> bool:
    """True when no stored model of this version will be found (so all ART are needed to estimate)."""
    if str(ctx.param("retrain", "")).lower() in ("1", "true", "ya", "yes"):
        return True
    import json
    from pathlib import Path

    dirs = ([Path(ctx.param("model_dir"))] if ctx.param("model_dir") else []) + [linkage.PACKAGED_MODELS]
    for d in dirs:
        p = d / f"{name}.json"
        if p.exists() and json.loads(p.read_text()).get("siks", {}).get("version") == linkage.MODEL_VERSION:
            return False
    return True


def run(ctx: StepContext) -> None:
    if not ctx.check(STEP.codes, "dukcapil", ctx.has("ref_dukcapil")):
        ctx.stats["skipped"] = "ekstrak Dukcapil belum dimuat"
        ctx.create("dukcapil", "SELECT CAST(NULL AS VARCHAR) AS nik WHERE 1 = 0")
        ctx.create("name_key", linkage.name_key_table(["person"]))
        ctx.create("padan", EMPTY_PADAN)
        ctx.create("nik_suggestion", EMPTY_SUGGESTION)
        ctx.create("padan_candidate", EMPTY_CANDIDATE)
        ctx.emit_findings("SELECT CAST(NULL AS VARCHAR) AS code WHERE 1 = 0")
        return
    n = int(ctx.param("saran_jumlah", PARAMS["saran_jumlah"]))
    sure = float(ctx.param("saran_bobot_yakin", PARAMS["saran_bobot_yakin"]))
    gap = float(ctx.param("saran_selisih", PARAMS["saran_selisih"]))
    prepare_dukcapil(ctx)
    ctx.create("name_key", linkage.name_key_table(["person", "dukcapil"]))
    exact_match(ctx)
    link(ctx)
    # A default birth date shared with the candidate is weak evidence: the model weighs every exact date
    # alike, so the candidate loses the bits that date overstates.
    penalty = float(ctx.param("tanggal_baku_penalti", PARAMS["tanggal_baku_penalti"]))
    years = int(ctx.param("beda_generasi_tahun", PARAMS["beda_generasi_tahun"]))
    generation = float(ctx.param("beda_generasi_penalti", PARAMS["beda_generasi_penalti"]))
    # ... and a default date says the year: a candidate born that year, another day and month (the
    # model's "other date"), gets `tanggal_baku_tahun` bits back; pairs only that lifts past
    # `saran_bobot_min` come from `default_date_pass`
    bonus = float(ctx.param("tanggal_baku_tahun", PARAMS["tanggal_baku_tahun"]))
    lowest = float(ctx.param("saran_bobot_min", PARAMS["saran_bobot_min"]))
    # (dates as Splink's ISO texts `tgl_*`: the same tests as on the dates)
    py, pm, pd_ = (f"CAST(SUBSTRING(s.tgl_p, {i}, {n}) AS INT)" for i, n in ((1, 4), (6, 2), (9, 2)))
    dy, dm, dd = (f"CAST(SUBSTRING(s.tgl_d, {i}, {n}) AS INT)" for i, n in ((1, 4), (6, 2), (9, 2)))
    ctx.create(
        "padan_pred",
        f"""SELECT member_ref, nik, weight, recorded, nama_p, nama_d, same_kk, sex_eq, year_close, kunci_p,
                   kunci_d FROM (
            SELECT s.member_ref, s.nik, s.weight AS raw,
                   s.weight - CASE WHEN {linkage.default_date_text("s.tgl_p")}
                                   AND s.tgl_p = s.tgl_d THEN {penalty} ELSE 0 END
                   + CASE WHEN {linkage.default_date_text("s.tgl_p")} AND {py} = {dy}
                               AND {pm} <> {dm} AND {pd_} <> {dd} AND NOT ({pm} = {dd} AND {pd_} = {dm})
                          THEN {bonus} ELSE 0 END
                   - CASE WHEN ABS({py} - {dy}) >= {years} THEN {generation} ELSE 0 END AS weight,
                   COALESCE(s.nik = s.nik_p, FALSE) AS recorded, s.nama_p, s.nama_d,
                   COALESCE(s.no_kk_d = s.no_kk_p, FALSE) AS same_kk,
                   COALESCE(s.jk_d = s.jk_p, FALSE) AS sex_eq,
                   COALESCE(ABS({py} - {dy}) <= 3, FALSE) AS year_close, s.kunci_p, s.kunci_d
            FROM padan_link AS s) AS a
            WHERE a.raw >= {lowest} OR a.weight >= {lowest}""",
    )
    # Suggestions: the best-weighted Dukcapil persons other than the NIK already recorded. `other_rank`
    # ranks without the recorded NIK: when its owner is someone else, the owner is no candidate.
    # `kk_fit`: the candidate is on the record's own KK with the same sex, a birth year within 3 and a
    # related name (`name_related`, of the name keys or of the whole names: the key of SITI is empty,
    # and SITI is a word of SITI ZAHROH): family evidence the
    # model weighs only as "same KK", which a NIK-less member with a default date and a longer name
    # (IIS HERAWATI LESTARI on IIS HERAWATI's KK) never gets past `saran_bobot_yakin`.
    ctx.create(
        "padan_ranked",
        f"""SELECT k.member_ref, k.nik, k.weight,
                  ROW_NUMBER() OVER (PARTITION BY k.member_ref ORDER BY k.weight DESC, k.nik) AS rank,
                  ROW_NUMBER() OVER (PARTITION BY k.member_ref
                                     ORDER BY CASE WHEN k.recorded THEN 1 ELSE 0 END, k.weight DESC,
                                              k.nik) AS other_rank,
                  k.recorded, k.name_rel, k.same_kk, k.name_rel_any,
                  k.same_kk AND k.sex_eq AND k.year_close AND k.name_rel_any AS kk_fit
           FROM (SELECT r.*, CASE WHEN r.name_rel THEN TRUE
                                  ELSE {name_related("r.nama_p", "r.nama_d")} END AS name_rel_any
           FROM (SELECT j.*, {name_related("j.kunci_p", "j.kunci_d")} AS name_rel
                 FROM padan_pred AS j) AS r) AS k""",
    )
    # Family evidence beyond the model: a record without a usable NIK that padan leaves unresolved (SITI,
    # no NIK, written 1 January 1978, on the KK of SITI ZAHROH born 14 July 1978: a one-word common name
    # and a default date leave her below `saran_bobot_min`, so the model offers no one, or only strangers)
    # is the one Dukcapil member of its own KK with its sex, a birth year within 3 and a related name (of
    # the name keys or of the whole names: the key of SITI is empty), when exactly one fits, no other
    # record of that family carries that person's NIK, and no other candidate has a related name. When
    # several fit, they are its candidates (`padan_candidate`).
    kp, kd = "COALESCE(kp.kunci, p.nama_norm)", "COALESCE(kd.kunci, d.nama_norm)"
    ctx.create(
        "padan_kk_fit",
        f"""SELECT p.member_ref, d.nik
            FROM person AS p
            JOIN padan_exact AS e ON e.member_ref = p.member_ref AND NOT e.found
            JOIN dukcapil AS d ON d.no_kk = p.no_kk AND d.jenis_kelamin = p.jenis_kelamin
             AND ABS(EXTRACT(YEAR FROM p.tanggal_lahir) - EXTRACT(YEAR FROM d.tanggal_lahir)) <= 3
            LEFT JOIN name_key AS kp ON kp.nama_norm = p.nama_norm
            LEFT JOIN name_key AS kd ON kd.nama_norm = d.nama_norm
            WHERE ({name_related(kp, kd)} OR {name_related("p.nama_norm", "d.nama_norm")})
              AND NOT EXISTS (SELECT 1 FROM person AS o JOIN padan_exact AS oe ON oe.member_ref = o.member_ref
                              WHERE o.family_ref = p.family_ref AND o.nik = d.nik AND oe.found)""",
    )
    ctx.create(
        "padan_kk_only",
        """SELECT k.member_ref, k.nik
           FROM (SELECT member_ref, MIN(nik) AS nik FROM padan_kk_fit GROUP BY member_ref
                 HAVING COUNT(*) = 1) AS k
           WHERE NOT EXISTS (SELECT 1 FROM padan_ranked AS r
                             WHERE r.member_ref = k.member_ref AND r.name_rel_any AND r.nik <> k.nik)""",
    )
    # The recorded NIK is this person's when name, sex and birth date agree well enough with its owner
    # (a nickname, a miswritten date, a sex slip: at most one field clearly off, a date within a few years
    # or with the same day and month), and no other Dukcapil person fits clearly better. Otherwise the NIK
    # belongs to another person (OTHER_PERSON: a child with her father's NIK, a father and son with one
    # name decades apart), and the owner's identity, death, ASN status and KK never pass to this record.
    # A default birth date is no evidence of the owner (a stranger born 1 January of that year) unless no
    # one else fits at all. Another Dukcapil person becomes the identity only when confident and clearly
    # ahead of the runner-up; weaker candidates stay suggestions for a person to decide.
    # `contested`: another person was chosen, not on the record's KK, while a second one fits as well:
    # the recorded NIK's owner agrees on birth date and sex (MAMAH, her own NIK, moved away, and SALAMAH
    # of the DTKS desa, born the same 1 July, dead), or a candidate on the record's own KK fits it
    # (`kk_fit`: SUTIAH, no NIK, written 1 January 1949, a mertua on the KK of a SUTIAH born 9 October
    # 1949, and a dead SUTIAH of 1 January 1949 in the desa 3.5 bits ahead). Ganda and KK still use the
    # identity; death and ASN status taken from it become questions (exclusions).
    ctx.create(
        "padan",
        f"""
        SELECT x.member_ref, x.status, x.reason,
               CASE WHEN x.status = 'PADAN' OR x.own THEN x.nik
                    WHEN x.sure THEN x.top_nik ELSE x.kk_only_nik END AS dukcapil_nik,
               CASE WHEN x.status = 'PADAN' OR x.own THEN 'nik' WHEN x.sure AND x.by_kk THEN 'kk'
                    WHEN x.sure THEN 'saran' WHEN x.kk_only_nik IS NOT NULL THEN 'kk' END AS resolved_by,
               CASE WHEN x.status = 'PADAN' THEN NULL ELSE x.top_weight END AS weight,
               COALESCE(x.sure AND NOT x.top_same_kk AND NOT x.own AND x.status <> 'PADAN'
                        AND ((x.reason = 'OTHER_PERSON' AND x.found AND x.dob_eq AND x.sex_eq)
                             OR x.kk_fits > 0), FALSE) AS contested
        FROM (
          SELECT y.*,
                 CASE WHEN y.found AND y.name_eq AND y.dob_eq AND y.sex_eq THEN 'PADAN'
                      WHEN y.nik IS NULL THEN 'TANPA_NIK' ELSE 'TIDAK_PADAN' END AS status,
                 CASE WHEN y.found AND y.name_eq AND y.dob_eq AND y.sex_eq THEN NULL
                      WHEN y.nik IS NULL THEN 'NO_NIK'
                      WHEN NOT y.found THEN 'NIK_UNKNOWN'
                      WHEN NOT y.own THEN 'OTHER_PERSON'
                      WHEN y.dob_eq AND y.sex_eq THEN 'NAME_MISMATCH'
                      ELSE 'IDENTITY_MISMATCH' END AS reason
          FROM (
            SELECT z.*,
                   z.found AND NOT z.better AND (
                     (z.dob_eq AND z.sex_eq AND (NOT z.dob_default OR z.top_nik IS NULL
                                                 OR COALESCE(z.own_weight >= z.top_weight, FALSE)))
                     OR ((z.name_eq OR z.key_eq OR z.name_close)
                         AND (z.dob_eq OR (z.sex_eq AND z.dob_close)))) AS own
            FROM (
              SELECT e.member_ref, e.nik, e.found, e.name_eq, e.dob_eq, e.sex_eq, e.key_eq, e.dob_close,
                     e.dob_default, e.name_close, t.nik AS top_nik, t.weight AS top_weight,
                     COALESCE(t.same_kk, FALSE) AS top_same_kk, k.nik AS kk_only_nik,
                     COALESCE(kf.n, 0) AS kk_fits,
                     o.weight AS own_weight,
                     COALESCE((t.weight >= {sure} OR t.kk_fit)
                              AND t.weight - COALESCE(t2.weight, -1000) >= {gap}, FALSE) AS sure,
                     COALESCE(t.kk_fit AND t.weight < {sure}, FALSE) AS by_kk,
                     COALESCE(t.weight >= {sure} AND t.name_rel
                              AND t.weight - COALESCE(o.weight, -1000) >= {gap}, FALSE) AS better
              FROM padan_exact AS e
              LEFT JOIN padan_ranked AS t ON t.member_ref = e.member_ref AND t.other_rank = 1
                AND NOT t.recorded
              LEFT JOIN padan_ranked AS t2 ON t2.member_ref = e.member_ref AND t2.other_rank = 2
                AND NOT t2.recorded
              LEFT JOIN padan_pred AS o ON o.member_ref = e.member_ref AND o.nik = e.nik
              LEFT JOIN padan_kk_only AS k ON k.member_ref = e.member_ref
              LEFT JOIN (SELECT member_ref, COUNT(*) AS n FROM padan_ranked WHERE kk_fit AND NOT recorded
                         GROUP BY member_ref) AS kf ON kf.member_ref = e.member_ref
            ) AS z
          ) AS y
        ) AS x
        """,
    )
    ctx.create(
        "nik_suggestion",
        f"""
        SELECT r.member_ref,
               ROW_NUMBER() OVER (PARTITION BY r.member_ref ORDER BY r.weight DESC, r.nik) AS rank,
               r.nik, r.weight
        FROM padan_ranked AS r
        JOIN padan AS a ON a.member_ref = r.member_ref
         AND a.reason IN ('NO_NIK', 'NIK_UNKNOWN', 'OTHER_PERSON')
        JOIN person AS p ON p.member_ref = r.member_ref
        WHERE r.nik <> COALESCE(p.nik, '') AND r.rank <= {n + 1}
        """,
    )
    ctx.create("nik_suggestion", f"SELECT * FROM nik_suggestion WHERE rank <= {n}")
    candidates(ctx, gap, penalty)
    emit(ctx)
    ctx.stats["counts"] = {
        r["status"]: r["n"]
        for r in ctx.engine.query("SELECT status, COUNT(*) AS n FROM padan GROUP BY status").to_pylist()
    }


def candidates(ctx: StepContext, gap: float, penalty: float) -> None:
    """`padan_candidate`: for a record padan leaves unresolved (no NIK, one Dukcapil does not know, or
    another person's), every Dukcapil person as likely as its best candidate (within `saran_selisih`
    bits), the recorded NIK's owner never among them, or, without any model candidate, the members of
    its own KK that fit it (`padan_kk_fit`) when more than one does; for a `contested` identity, that
    identity and the one who contests it (the recorded NIK's owner, or the candidates on its own KK).

    A record written with a default birth date takes `tanggal_baku_penalti` bits more: its date says
    only the year, yet the model still ranks namesakes born on 14 January above one born on 30 July for a
    record written 1 January (KHOTIJAH, 1 January 1968: the one on the ASN list 4.5 bits behind the best).

    Why not the suggestions: they stop at `saran_jumlah` (3), and a NIK-less member written with a
    default date can have three or more identical namesakes (SUWATI, 1 July 1949, four of them); which
    three were shown then depended on the NIK order, and a dead or ASN one past the third went unasked.
    `exclusions` asks a person about each record with a dead or ASN person among these.
    """
    ctx.create(
        "padan_candidate",
        f"""
        SELECT r.member_ref, r.nik, r.weight
        FROM padan_ranked AS r
        JOIN padan AS a ON a.member_ref = r.member_ref
        JOIN person AS p ON p.member_ref = r.member_ref
        JOIN (SELECT member_ref, MAX(weight) AS top FROM nik_suggestion GROUP BY member_ref) AS t
          ON t.member_ref = r.member_ref
        WHERE a.dukcapil_nik IS NULL AND a.reason IN ('NO_NIK', 'NIK_UNKNOWN', 'OTHER_PERSON')
          AND r.nik <> COALESCE(p.nik, '')
          AND r.weight >= t.top - {gap} - CASE WHEN {linkage.default_date("p.tanggal_lahir")} THEN {penalty}
                                               ELSE 0 END
        UNION ALL
        SELECT a.member_ref, a.dukcapil_nik AS nik, a.weight FROM padan AS a WHERE a.contested
        UNION ALL
        SELECT a.member_ref, p.nik, o.weight FROM padan AS a
        JOIN person AS p ON p.member_ref = a.member_ref
        JOIN dukcapil AS d ON d.nik = p.nik
        LEFT JOIN padan_pred AS o ON o.member_ref = a.member_ref AND o.nik = p.nik
        WHERE a.contested AND a.reason = 'OTHER_PERSON'
        UNION ALL
        SELECT r.member_ref, r.nik, r.weight FROM padan_ranked AS r
        JOIN padan AS a ON a.member_ref = r.member_ref
        WHERE a.contested AND r.kk_fit AND NOT r.recorded AND r.nik <> a.dukcapil_nik
        UNION ALL
        SELECT k.member_ref, k.nik, CAST(NULL AS DOUBLE) AS weight FROM padan_kk_fit AS k
        JOIN padan AS a ON a.member_ref = k.member_ref WHERE a.dukcapil_nik IS NULL
        """,
    )


def emit(ctx: StepContext) -> None:
    ctx.emit_findings(
        """
        SELECT 'PADAN_' || a.reason AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
               COALESCE(p.nik, p.nik_raw) AS nik, p.nama, p.tanggal_lahir, p.jenis_kelamin,
               CASE WHEN a.reason = 'OTHER_PERSON' THEN a.dukcapil_nik END AS related_nik,
               CASE WHEN a.reason = 'OTHER_PERSON' THEN a.weight END AS weight,
               CAST(ROUND(a.weight, 1) AS VARCHAR) AS bobot,
               d.nama AS nama_dukcapil, d.tanggal_lahir AS tanggal_lahir_dukcapil,
               d.jenis_kelamin AS jk_dukcapil,
               CASE WHEN d.nik IS NULL THEN NULL ELSE
                 TRIM(BOTH ', ' FROM
                   CASE WHEN p.nama_norm <> d.nama_norm THEN 'nama, ' ELSE '' END ||
                   CASE WHEN p.tanggal_lahir <> d.tanggal_lahir THEN 'tanggal lahir, ' ELSE '' END ||
                   CASE WHEN p.jenis_kelamin <> d.jenis_kelamin THEN 'jenis kelamin' ELSE '' END)
               END AS fields
        FROM padan AS a
        JOIN person AS p ON p.member_ref = a.member_ref
        LEFT JOIN dukcapil AS d ON d.nik = p.nik
        WHERE a.status <> 'PADAN'
        """
    )
    ctx.emit_findings(
        f"""
        SELECT 'NIK_SUGGESTION' AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
               COALESCE(p.nik, p.nik_raw) AS nik, s.nik AS related_nik, s.weight AS weight, s.rank AS rank,
               CAST(ROUND(s.weight, 1) AS VARCHAR) AS bobot, d.nama AS nama_dukcapil,
               d.tanggal_lahir AS tanggal_lahir_dukcapil, d.kode_desa AS kode_desa_dukcapil,
               d.no_kk AS no_kk_dukcapil, d.jenis_kelamin AS jk_dukcapil,
               COALESCE(NULLIF({_DIFFERS}, ''), 'tidak ada') AS berbeda
        FROM nik_suggestion AS s
        JOIN person AS p ON p.member_ref = s.member_ref
        JOIN dukcapil AS d ON d.nik = s.nik
        """
    )
    emit_resolved(ctx)


#: the fields of a DTKS record (p) that differ from a Dukcapil person (d), as Indonesian words; a field DTKS
#: left empty counts as different (it is to be filled from the identity)
_FIELD_DIFFERS = {
    "nama": "COALESCE(p.nama_norm <> d.nama_norm, TRUE)",
    "tanggal lahir": "COALESCE(p.tanggal_lahir <> d.tanggal_lahir, TRUE)",
    "jenis kelamin": "COALESCE(p.jenis_kelamin <> d.jenis_kelamin, TRUE)",
}
_DIFFERS = (
    "TRIM(BOTH ', ' FROM "
    + " || ".join(f"CASE WHEN {cond} THEN '{name}, ' ELSE '' END" for name, cond in _FIELD_DIFFERS.items())
    + ")"
)
#: finding code per field compared with a resolved identity (issue #16 point 4)
RESOLVED_CODES = {
    "nama": "PADAN_RESOLVED_NAME",
    "tanggal lahir": "PADAN_RESOLVED_BIRTHDATE",
    "jenis kelamin": "PADAN_RESOLVED_SEX",
}


def emit_resolved(ctx: StepContext) -> None:
    """Compare name, sex and birth date with the identity found through a suggestion (not the recorded NIK).

    Why: a record resolved to another Dukcapil person than its NIK's owner (a typo repaired, a borrowed NIK
    replaced, a member without NIK found) was never compared field by field with that person, so a wrong
    name or date stayed unreported behind the NIK finding. One finding per differing field, each carrying
    the whole comparison as evidence (`siks verval explain`).
    """
    parts = []
    for field, code in RESOLVED_CODES.items():
        parts.append(
            f"""
            SELECT '{code}' AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
                   COALESCE(p.nik, p.nik_raw) AS nik, a.dukcapil_nik AS related_nik, a.weight AS weight,
                   CAST(ROUND(a.weight, 1) AS VARCHAR) AS bobot, a.reason AS alasan_padan,
                   p.nama, p.tanggal_lahir, p.jenis_kelamin,
                   d.nama AS nama_dukcapil, d.tanggal_lahir AS tanggal_lahir_dukcapil,
                   d.jenis_kelamin AS jk_dukcapil, {_DIFFERS} AS berbeda
            FROM padan AS a
            JOIN person AS p ON p.member_ref = a.member_ref
            JOIN dukcapil AS d ON d.nik = a.dukcapil_nik
            WHERE a.resolved_by IN ('saran', 'kk') AND {_FIELD_DIFFERS[field]}"""
        )
    ctx.emit_findings(" UNION ALL ".join(parts))


STEP = Step(
    name="padan",
    title="Padan Dukcapil dan saran NIK",
    version="5",
    inputs=("person",),
    optional_inputs=("ref_dukcapil",),
    outputs=("dukcapil", "name_key", "padan", "nik_suggestion", "padan_candidate", "findings_padan"),
    codes=(
        "PADAN_NIK_UNKNOWN",
        "PADAN_NO_NIK",
        "PADAN_NAME_MISMATCH",
        "PADAN_IDENTITY_MISMATCH",
        "PADAN_OTHER_PERSON",
        "NIK_SUGGESTION",
        *RESOLVED_CODES.values(),
    ),
    run=run,
    probabilistic=True,
)
