"""Step `exclusions`: deceased, ASN/TNI/Polri, PLN ≥ 900 VA nonsubsidi and car owners (BPK's flags).

Why through `padan`: a flag is only as good as the link behind it. The NIK used is the one Dukcapil
confirms for this person (exact match or a confident repair suggestion); without a Dukcapil extract the
recorded NIK is used. ASN membership is flagged on the member and, because the whole household is
excluded from bansos (docs/domain-facts.md §5.4), once more on the household.
"""

from __future__ import annotations

from siks.verval import linkage
from siks.verval.pipeline import Step, StepContext
from siks.verval.steps.prepare import name_norm

#: PLN tariffs that are subsidised (R1-450 and R1-900-S); any other tariff at ≥ 900 VA is a flag.
SUBSIDISED = ("R1-450", "R1-900-S")


#: the columns of `person` the checks below read (not all of them: the table has a row per ART)
PERSON_COLS = (
    "p.member_ref, p.family_ref, p.household_ref, p.kode_desa, p.nik, p.nik_raw, p.nama, p.keberadaan"
)


def identity(ctx: StepContext) -> str:
    """A view of person → the NIK to look up in the reference extracts; `contested`: padan chose that
    identity while a second person fits as well (death and ASN status are then questions)."""
    if ctx.has("padan") and ctx.engine.count("dukcapil") > 0:
        return f"""SELECT {PERSON_COLS}, a.dukcapil_nik AS id_nik, a.contested FROM person AS p
                  JOIN padan AS a ON a.member_ref = p.member_ref WHERE a.dukcapil_nik IS NOT NULL"""
    return (
        f"SELECT {PERSON_COLS}, p.nik AS id_nik, FALSE AS contested FROM person AS p WHERE p.nik IS NOT NULL"
    )


def run(ctx: StepContext) -> None:
    ctx.create("exclusion_person", identity(ctx))
    emitted = False
    cols = (
        "p.member_ref, p.family_ref, p.household_ref, p.kode_desa, COALESCE(p.nik, p.nik_raw) AS nik, "
        "p.id_nik AS related_nik, p.nama"
    )
    if ctx.check(["DECEASED", "DECEASED_POSSIBLE"], "dukcapil", ctx.engine.count("dukcapil") > 0):
        ctx.emit_findings(
            f"""SELECT 'DECEASED' AS code, {cols}, d.tanggal_meninggal AS tanggal_meninggal
                FROM exclusion_person AS p JOIN dukcapil AS d ON d.nik = p.id_nik
                WHERE d.status_hidup = 'MATI' AND (p.keberadaan IS NULL OR p.keberadaan <> 2)
                  AND NOT p.contested"""
        )
        if ctx.has("padan_candidate"):
            deceased_possible(ctx)
        emitted = True
    if ctx.check(["ASN", "HOUSEHOLD_ASN", "ASN_POSSIBLE"], "asn", ctx.has("ref_asn")):
        asn_tables(ctx)
        ctx.emit_findings(
            """SELECT 'ASN' AS code, member_ref, family_ref, household_ref, kode_desa, nik, related_nik, nama,
                      jenis, instansi, cocok FROM exclusion_asn"""
        )
        ctx.emit_findings(
            """SELECT 'HOUSEHOLD_ASN' AS code, household_ref, kode_desa, related_nik, nama, jenis, instansi,
                      member_ref AS anggota FROM exclusion_asn WHERE rn = 1"""
        )
        # candidates for a person, never one already ASN: several people fit a NIK-less row's NIP ...
        if ctx.engine.has_table("asn_nip_possible"):
            ctx.emit_findings(
                """SELECT 'ASN_POSSIBLE' AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
                          COALESCE(p.nik, p.nik_raw) AS nik, p.nama, m.jenis, m.instansi, m.nip,
                          CAST(m.n AS VARCHAR) AS kandidat,
                          'adalah salah satu dari ' || CAST(m.n AS VARCHAR) || ' orang yang cocok dengan NIP '
                          || m.nip || ' (' || m.jenis || ' di ' || COALESCE(m.instansi, '-')
                          || '): nama, jenis kelamin dan tanggal lahir sama; petugas perlu memastikan siapa '
                          || 'pemiliknya' AS alasan
                   FROM (SELECT member_ref, MIN(nip) AS nip, MIN(jenis) AS jenis, MIN(instansi) AS instansi,
                                MAX(n) AS n
                         FROM asn_nip_possible
                         WHERE member_ref NOT IN (SELECT member_ref FROM exclusion_asn)
                         GROUP BY member_ref) AS m
                   JOIN person AS p ON p.member_ref = m.member_ref"""
            )
        # ... or an unresolved record has a person on the list among its equally likely candidates
        if ctx.has("padan_candidate") and ctx.engine.count("dukcapil") > 0:
            asn_possible_by_candidate(ctx)
        emitted = True
    if ctx.check(["PLN_NONSUBSIDI"], "pln", ctx.has("ref_pln")):
        subsidised = ", ".join(f"'{t}'" for t in SUBSIDISED)
        # one account per ruta: the highest power, then the first member; a member with two accounts of one
        # power gives the lowest account id (without it, runs over the same data picked either, issue #11)
        ctx.emit_findings(
            f"""SELECT 'PLN_NONSUBSIDI' AS code, k.household_ref, k.kode_desa, k.related_nik, k.nama,
                       k.id_pelanggan, k.daya_va, k.tarif, k.member_ref AS anggota
                FROM (SELECT p.household_ref, p.kode_desa, p.id_nik AS related_nik, p.nama, p.member_ref,
                             CAST(x.id_pelanggan AS VARCHAR) AS id_pelanggan,
                             CAST(x.daya_va AS INT) AS daya_va,
                             x.tarif AS tarif,
                             ROW_NUMBER() OVER (PARTITION BY p.household_ref
                                                ORDER BY CAST(x.daya_va AS INT) DESC, p.member_ref,
                                                         CAST(x.id_pelanggan AS VARCHAR), x.tarif) AS rn
                      FROM exclusion_person AS p JOIN ref_pln AS x ON CAST(x.nik AS VARCHAR) = p.id_nik
                      WHERE CAST(x.daya_va AS INT) >= 900 AND UPPER(x.tarif) NOT IN ({subsidised})) AS k
                WHERE k.rn = 1"""
        )
        emitted = True
    if ctx.check(["CAR_OWNER"], "kendaraan", ctx.has("ref_kendaraan")):
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


def deceased_possible(ctx: StepContext) -> None:
    """`DECEASED_POSSIBLE`: a record padan could not resolve (no NIK, one Dukcapil does not know, or
    another person's) with a dead person among its candidates as likely as the best one
    (`padan_candidate`: within `saran_selisih` bits, however many; never a borrowed NIK's owner), or
    whose `contested` identity or its contender is dead.

    Why not DECEASED: two JUMIATI born 1 July 1941, one dead, are equally likely and nothing in the record
    tells them apart; a death taken from the wrong one would drop a living person. Nobody is excluded on
    it: it asks a person to check, like a possible duplicate. Every equally likely candidate counts, not
    only the three suggestions shown: with three living namesakes ahead in NIK order, the dead fourth
    went unasked.
    """
    ctx.emit_findings(
        """
        SELECT 'DECEASED_POSSIBLE' AS code, k.member_ref, k.family_ref, k.household_ref, k.kode_desa, k.nik,
               k.related_nik, k.nama, k.nama_dukcapil, k.tanggal_meninggal, k.bobot
        FROM (SELECT p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
                     COALESCE(p.nik, p.nik_raw) AS nik, c.nik AS related_nik, p.nama,
                     d.nama AS nama_dukcapil, d.tanggal_meninggal AS tanggal_meninggal,
                     CAST(ROUND(c.weight, 1) AS VARCHAR) AS bobot,
                     ROW_NUMBER() OVER (PARTITION BY p.member_ref ORDER BY c.weight DESC, c.nik) AS rn
              FROM padan_candidate AS c
              JOIN person AS p ON p.member_ref = c.member_ref
              JOIN dukcapil AS d ON d.nik = c.nik
              WHERE d.status_hidup = 'MATI' AND (p.keberadaan IS NULL OR p.keberadaan <> 2)) AS k
        WHERE k.rn = 1
        """
    )


def asn_possible_by_candidate(ctx: StepContext) -> None:
    """`ASN_POSSIBLE` for a record padan could not resolve with a person on the list (by NIK, or one a
    NIK-less row's NIP fits) among its equally likely candidates (`padan_candidate`).

    Why: the ASN check takes padan's identity only, so a NIK-less member written with a default date
    (MOH MUNIR, 31 December 1988, on the list by NIK as born 26 February) whose best candidate is that
    ASN at −6 bits was neither ASN nor asked about. Like `DECEASED_POSSIBLE`, it excludes no one.
    """
    on_list = """SELECT CAST(nik AS VARCHAR) AS nik, UPPER(jenis) AS jenis, instansi FROM ref_asn
                 WHERE nik IS NOT NULL"""
    by_nip = ""  # a member already asked about through a NIP keeps that finding
    if ctx.engine.has_table("asn_nip_candidate"):
        on_list += " UNION ALL SELECT who AS nik, jenis, instansi FROM asn_nip_candidate"
        by_nip = (
            " AND k.member_ref NOT IN (SELECT member_ref FROM asn_nip_possible WHERE member_ref IS NOT NULL)"
        )
    ctx.emit_findings(
        f"""
        SELECT 'ASN_POSSIBLE' AS code, p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
               COALESCE(p.nik, p.nik_raw) AS nik, k.related_nik, p.nama, k.jenis, k.instansi,
               CAST(k.n AS VARCHAR) AS kandidat, k.nama_dukcapil, k.bobot,
               'belum dapat dipadankan dengan pasti; salah satu calon identitasnya yang sama kuat, '
               || k.nama_dukcapil || ' (NIK ' || k.related_nik || ', bobot ' || k.bobot
               || '), tercatat sebagai ' || k.jenis || ' di ' || COALESCE(k.instansi, '-')
               || '; petugas perlu memastikan apakah itu orang yang sama' AS alasan
        FROM (SELECT c.member_ref, c.nik AS related_nik, x.jenis, x.instansi, d.nama AS nama_dukcapil,
                     CAST(ROUND(c.weight, 1) AS VARCHAR) AS bobot,
                     COUNT(*) OVER (PARTITION BY c.member_ref) AS n,
                     ROW_NUMBER() OVER (PARTITION BY c.member_ref ORDER BY c.weight DESC, c.nik, x.jenis,
                                                                    x.instansi) AS rn
              FROM padan_candidate AS c
              JOIN (SELECT nik, MIN(jenis) AS jenis, MIN(instansi) AS instansi FROM ({on_list}) AS u
                    GROUP BY nik) AS x ON x.nik = c.nik
              JOIN dukcapil AS d ON d.nik = c.nik) AS k
        JOIN person AS p ON p.member_ref = k.member_ref
        WHERE k.rn = 1 AND k.member_ref NOT IN (SELECT member_ref FROM exclusion_asn){by_nip}
        """
    )


def asn_tables(ctx: StepContext) -> None:
    """`exclusion_asn`: DTKS members on the ASN/TNI/Polri list, by NIK, or (rows without NIK) by NIP.

    The 18-digit NIP of a PNS (BKN numbering) holds its holder's birth date (digits 1–8) and sex (digit
    15, docs/verval.md §3b): a row without NIK matches the member whose name key, birth date and sex are
    those (as recorded in DTKS, or of the Dukcapil identity padan resolved) inside the row's wilayah
    (a name that is all filler, SITTI or MOH, has no key and is compared whole),
    and only when exactly one person fits: the name key alone, or else the whole name (MUHAMMAD RIZKI and
    RIZKI share a key), among those not already on the list by NIK; otherwise the candidates are left
    for a person to decide (`ASN_POSSIBLE` on each DTKS member among them, which excludes no one).
    """
    cols = set(ctx.engine.columns("ref_asn"))
    nip = "CAST(x.nip AS VARCHAR)"
    # academic titles follow the name after a comma ('MOCH. ROSYID, A.Md.'): not part of the name
    before_comma = (
        "CASE WHEN STRPOS(x.nama, ',') > 0 THEN SUBSTRING(x.nama, 1, STRPOS(x.nama, ',') - 1) ELSE x.nama END"
    )
    resolved = ctx.has("padan") and ctx.engine.count("dukcapil") > 0
    by_nip = ""
    if {"nip", "kode_wilayah"} <= cols:
        ctx.create(
            "asn_nip",
            # the name key over the normalised name's column: nesting both expressions is too deep
            # for the SQL parser
            f"""SELECT n.nip, n.jenis, n.instansi,
                       COALESCE({linkage.name_key("n.nama_n")}, n.nama_n) AS kunci, n.nama_n,
                       n.lahir, n.jk, n.wilayah
                FROM (SELECT {nip} AS nip, UPPER(x.jenis) AS jenis, x.instansi AS instansi,
                       {name_norm(before_comma)} AS nama_n,
                       CAST(SUBSTRING({nip}, 1, 4) || '-' || SUBSTRING({nip}, 5, 2) || '-'
                            || SUBSTRING({nip}, 7, 2) AS DATE) AS lahir,
                       CAST(SUBSTRING({nip}, 15, 1) AS INT) AS jk,
                       COALESCE(REPLACE(CAST(x.kode_wilayah AS VARCHAR), '.', ''), '') AS wilayah
                FROM ref_asn AS x WHERE x.nik IS NULL AND x.nip IS NOT NULL AND x.nama IS NOT NULL) AS n""",
        )
        # With Dukcapil, the NIP must fit exactly one person of the whole population (most ASN are not
        # in DTKS: a namesake born the same day must not take their place), and the DTKS members resolved
        # to that person are matched; without it, the DTKS members as recorded.
        if resolved:
            # a Dukcapil person already on the list by NIK is not the holder of another row's NIP
            # the name keys padan made (each distinct name once), else computed here
            key, keys = linkage.name_key("d.nama_norm"), ""
            if ctx.has("name_key"):
                key, keys = "nk.kunci", "LEFT JOIN name_key AS nk ON nk.nama_norm = d.nama_norm"
            ident = f"""SELECT a.member_ref, COALESCE({key}, d.nama_norm) AS kunci,
                               d.nama_norm AS nama_n, d.tanggal_lahir AS lahir, d.jenis_kelamin AS jk,
                               d.kode_desa AS kode_desa, d.nik AS who
                        FROM dukcapil AS d
                        LEFT JOIN padan AS a ON a.dukcapil_nik = d.nik AND NOT a.contested {keys}
                        WHERE d.nik NOT IN (SELECT CAST(nik AS VARCHAR) FROM ref_asn WHERE nik IS NOT NULL)"""
        else:
            key = linkage.name_key("p.nama_norm")
            ident = f"""SELECT p.member_ref, COALESCE({key}, p.nama_norm) AS kunci,
                               p.nama_norm AS nama_n, p.tanggal_lahir AS lahir, p.jenis_kelamin AS jk,
                               p.kode_desa AS kode_desa, p.nik AS who
                        FROM person AS p"""
        ctx.create(
            "asn_nip_candidate",
            f"""SELECT DISTINCT x.nip, x.jenis, x.instansi, i.member_ref,
                       COALESCE(i.who, i.member_ref) AS who, i.nama_n = x.nama_n AS exact
                FROM asn_nip AS x JOIN ({ident}) AS i
                  ON i.kunci = x.kunci AND i.lahir = x.lahir AND i.jk = x.jk
                 AND SUBSTRING(i.kode_desa, 1, LENGTH(x.wilayah)) = x.wilayah""",
        )
        # persons per NIP counted by GROUP BY, not COUNT(DISTINCT …) OVER: Spark has no distinct windows
        ctx.create(
            "asn_nip_count",
            """SELECT nip, COUNT(DISTINCT who) AS n, COUNT(DISTINCT CASE WHEN exact THEN who END) AS n_exact
               FROM asn_nip_candidate GROUP BY nip""",
        )
        ctx.create(
            "asn_nip_match",
            """SELECT c.nip, c.member_ref, c.who, c.jenis, c.instansi
               FROM asn_nip_candidate AS c JOIN asn_nip_count AS k ON k.nip = c.nip
               WHERE (k.n = 1 OR (k.n_exact = 1 AND c.exact)) AND c.member_ref IS NOT NULL""",
        )
        # Several people fit one NIP (namesakes born the same day, often a default date): no one is
        # flagged ASN, but each DTKS member among them is a candidate for a person to check.
        ctx.create(
            "asn_nip_possible",
            """SELECT c.nip, c.member_ref, c.jenis, c.instansi, k.n
               FROM asn_nip_candidate AS c JOIN asn_nip_count AS k ON k.nip = c.nip
               WHERE NOT (k.n = 1 OR (k.n_exact = 1 AND c.exact)) AND c.member_ref IS NOT NULL
                 AND c.member_ref NOT IN (SELECT member_ref FROM asn_nip_match)""",
        )
        ctx.stats["asn_nip_cocok"] = ctx.engine.count("asn_nip_match")
        by_nip = """
            UNION ALL
            SELECT p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
                   COALESCE(p.nik, p.nik_raw) AS nik,
                   CASE WHEN m.who = p.member_ref THEN p.nik ELSE m.who END AS related_nik, p.nama,
                   m.jenis, m.instansi,
                   'NIP ' || m.nip || ' (nama, tanggal lahir, jenis kelamin, wilayah)' AS cocok, 1 AS pri
            FROM asn_nip_match AS m JOIN person AS p ON p.member_ref = m.member_ref"""
    ctx.create(
        "exclusion_asn",
        f"""
        SELECT k.*, ROW_NUMBER() OVER (PARTITION BY k.household_ref ORDER BY k.member_ref) AS rn
        FROM (
          SELECT u.member_ref, u.family_ref, u.household_ref, u.kode_desa, u.nik, u.related_nik, u.nama,
                 u.jenis, u.instansi, u.cocok,
                 ROW_NUMBER() OVER (PARTITION BY u.member_ref
                                    ORDER BY u.pri, u.cocok, u.related_nik, u.jenis, u.instansi) AS one
          FROM (
            SELECT p.member_ref, p.family_ref, p.household_ref, p.kode_desa,
                   COALESCE(p.nik, p.nik_raw) AS nik, p.id_nik AS related_nik, p.nama, x.jenis,
                   x.instansi, 'NIK' AS cocok, 0 AS pri
            FROM exclusion_person AS p
            JOIN (SELECT CAST(nik AS VARCHAR) AS nik, MIN(UPPER(jenis)) AS jenis, MIN(instansi) AS instansi
                  FROM ref_asn WHERE nik IS NOT NULL GROUP BY CAST(nik AS VARCHAR)) AS x ON x.nik = p.id_nik
            WHERE NOT p.contested
            {by_nip}
          ) AS u
        ) AS k
        WHERE k.one = 1
        """,
    )


STEP = Step(
    name="exclusions",
    title="Pengecualian: meninggal, ASN/TNI/Polri, PLN, mobil",
    version="5",
    inputs=("person", "padan", "dukcapil"),
    optional_inputs=("padan_candidate", "ref_asn", "ref_pln", "ref_kendaraan"),
    outputs=("exclusion_person", "findings_exclusions"),
    codes=(
        "DECEASED",
        "DECEASED_POSSIBLE",
        "ASN",
        "HOUSEHOLD_ASN",
        "ASN_POSSIBLE",
        "PLN_NONSUBSIDI",
        "CAR_OWNER",
    ),
    run=run,
)
