"""Splink models for the two probabilistic checks: repair suggestions against Dukcapil, and ganda.

Why these choices (Fellegi–Sunter as Splink recommends it, docs/sources.md §2.4):
- Comparisons mirror how Dinsos staff judge a pair, and how Indonesian names and dates really go wrong:
  NIK edit distance (a typo or a transposition is distance 1); the name exactly (with term frequencies:
  SITI is weak evidence, SUPRIYADI strong), then on a *name key* that forgets spelling (OE/U, DJ/J,
  KH/H, Y/I, doubled letters, final H) and filler parts (MUHAMMAD/MOH, ABDUL/ABD, SITI/ST, NUR, BIN…),
  then one name contained in the other (a dropped or added part), a panggilan (WAWAN for HERMAWAN,
  FATHOR for FATHORRAHMAN), Jaro–Winkler; the birth date exact, day and month swapped, one character
  off, the same day and month (year miswritten) or the same month; sex; desa/kecamatan; KK. Ganda also
  compares the Dukcapil identity each record was resolved to in `padan` (fixed, not estimated: two
  records resolved to one Dukcapil person are one person, to two different persons are two).
- m (how often a true pair shows each level) is fixed from how DTKS records go wrong: true pairs are
  about 1 in 10⁷ pairs, too rare for EM to find them in a sample (it converged to nonsense on the
  synthetic kabupaten). λ (from deterministic rules) and u (seeded random sampling) are estimated once
  on the data, and the model is stored as Splink model JSON. A run reuses the stored model (λ rescaled
  to the size of its data) unless asked to re-estimate (`retrain`); every run keeps a copy of the model
  it used in its run directory.
- Blocking rules are equi-joins on selective keys, so the number of pairs grows about linearly; the two
  broad rules (birth date and sex, for records without an identity) stay within one kabupaten, so the
  national registry costs the sum of its kabupaten plus the identity-keyed rules (docs/scale.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on

#: Bump when comparisons or blocking change: a stored model of another version is re-estimated.
MODEL_VERSION = "5"
#: How much of the λ ∝ 1/size rescaling a stored model gets (1 = all of it, 0 = λ of the reference size).
#: 0: weights mean the same at every size, so one set of thresholds holds from 20k to 1M persons; chosen on
#: the tuning kabupaten (docs/verval.md §8: at 1M, 1 lost ganda and ASN recall, precision was no better).
LAMBDA_EXPONENT = 0.0
#: Models shipped with the package (estimated on the synthetic kabupaten, `siks synth` defaults).
PACKAGED_MODELS = Path(__file__).parent / "models"

#: Columns both sides of a Splink input carry (see identity_sql).
IDENTITY_COLUMNS = (
    "unique_id",
    "nik",
    "nama_norm",
    "nama_kunci",
    "tanggal_lahir",
    "tgl",
    "jenis_kelamin",
    "kode_desa",
    "kode_kecamatan",
    "no_kk",
    "blok_nama_tgl",
)

#: The one blocking rule whose blocks are national by nature and not keys (name key + birth date) opens a
#: block across kabupaten only when it holds at most this many records of one side; a larger one (a
#: common name on a common date) is compared within each kabupaten only. Without the cap its pairs grow
#: with the square of the registry: at 3.3M synthetic ART, 82 % of them were on a default birth date
#: (docs/scale.md §4). A default birth date never opens a national block (it is weak evidence, §3b).
NATIONAL_BLOCK_MAX = 50

SEED = 20240601

#: Name parts that carry little identity and are written in many ways (dropped from the name key).
FILLER_PARTS = (
    "MUHAMMAD|MUHAMAD|MUHAMMAT|MOHAMMAD|MOHAMAD|MOCHAMMAD|MOCHAMAD|MOCH|MOH|MUH|M|ABDUL|ABDOEL|ABD|A|"
    "AHMAD|ACHMAD|AHMAT|ACH|SITI|SITTI|ST|NURUL|NUR|NOER|BIN|BINTI|H|HJ|HAJI|HAJAH|SH|SE|SPD|S|PD|DRS|IR"
)
#: Spelling pairs that sound alike (old and new Indonesian spelling, Javanese/Madurese habits).
SPELLING = (("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("CH", "H"), ("KH", "H"), ("SJ", "SY"), ("Y", "I"))
DOUBLE = "ABCDEFGHIJKLMNOPRSTUWZ"


def name_key(expr: str) -> str:
    """Neutral SQL: the name without spelling variation and filler parts ('MOCH. DJOKO SOEPRIJADI' →
    'JOKO SUPRIADI'), so different spellings of one name compare equal."""
    k = f"REGEXP_REPLACE(' ' || {expr} || ' ', ' (({FILLER_PARTS}) )+', ' ')"
    k = f"REGEXP_REPLACE({k}, ' (({FILLER_PARTS}) )+', ' ')"  # adjacent fillers share a space
    for a, b in SPELLING:
        k = f"REPLACE({k}, '{a}', '{b}')"
    for ch in DOUBLE:
        k = f"REPLACE({k}, '{ch}{ch}', '{ch}')"
    k = f"REGEXP_REPLACE({k}, 'H ', ' ')"  # final H: FATIMAH/FATIMA
    return f"NULLIF(TRIM({k}), '')"


#: Birth dates written when the real one is unknown (1 January, 31 December, 1 July): an exact match on
#: one is weak evidence, shared by a large part of the people born in that year (docs/verval.md §4).
DEFAULT_DATES = ((1, 1), (12, 31), (7, 1))


def default_date(expr: str) -> str:
    """Neutral SQL: TRUE when the date `expr` is one of the DEFAULT_DATES (NULL stays FALSE)."""
    parts = " OR ".join(
        f"(EXTRACT(MONTH FROM {expr}) = {m} AND EXTRACT(DAY FROM {expr}) = {d})" for m, d in DEFAULT_DATES
    )
    return f"COALESCE({parts}, FALSE)"


def default_date_text(expr: str) -> str:
    """Neutral SQL: the same test on an ISO date text ('1970-01-01'), as Splink's `tgl` columns hold it."""
    days = ", ".join(f"'{m:02d}-{d:02d}'" for m, d in DEFAULT_DATES)
    return f"COALESCE(SUBSTRING({expr}, 6, 5) IN ({days}), FALSE)"


def name_key_table(sources: list[str]) -> str:
    """Neutral SQL: every distinct `nama_norm` of the `sources` tables with its name key (`kunci`).

    Why: the key is a chain of some thirty string replacements; a kabupaten's 1M ART and 2.6M Dukcapil
    persons share about 120,000 distinct names, so keying each name once and joining is far cheaper than
    keying every record (and every step that needs keys reuses the table).
    """
    names = " UNION ".join(f"SELECT nama_norm FROM {s}" for s in sources)
    return f"""SELECT n.nama_norm, {name_key("n.nama_norm")} AS kunci
               FROM ({names}) AS n WHERE n.nama_norm IS NOT NULL"""


def identity_sql(
    source: str, unique_id: str, extra: str = "", where: str = "", alias: str = "", keys: str = ""
) -> str:
    """Neutral SQL selecting the identity columns from `source` (which has the cleaned columns).

    `keys`: a name_key_table to look the name key up in (needs `alias`); without it the key is computed.
    """
    a = f"{alias}." if alias else ""
    key = name_key(f"{a}nama_norm")
    if keys:
        source = f"{source} LEFT JOIN {keys} AS nk ON nk.nama_norm = {a}nama_norm"
        key = "nk.kunci"
    inner = f"""
      SELECT {unique_id} AS unique_id, {a}nik AS nik, {a}nama_norm AS nama_norm,
             COALESCE({key}, {a}nama_norm) AS nama_kunci,
             {a}tanggal_lahir AS tanggal_lahir, CAST({a}tanggal_lahir AS VARCHAR) AS tgl,
             {a}jenis_kelamin AS jenis_kelamin, {a}kode_desa AS kode_desa,
             {a}kode_kecamatan AS kode_kecamatan, {a}no_kk AS no_kk {extra}
      FROM {source} {where}
    """
    # how many records of this input share the name key and birth date: the national block's size
    return f"""
      SELECT i.*, COUNT(*) OVER (PARTITION BY i.nama_kunci, i.tanggal_lahir) AS blok_nama_tgl
      FROM ({inner}) AS i
    """


def name_date_rules(side: str) -> list[str]:
    """Name key + birth date, as two rules: across kabupaten when the date is a real one and `side`'s
    block is small (NATIONAL_BLOCK_MAX), and within the kabupaten always. Within one kabupaten the pairs
    are exactly those of `block_on("nama_kunci", "tanggal_lahir")`; nationally they grow near-linearly."""
    same = "l.nama_kunci = r.nama_kunci AND l.tanggal_lahir = r.tanggal_lahir"
    return [
        f"{same} AND NOT {default_date_text('l.tgl')} AND {side}.blok_nama_tgl <= {NATIONAL_BLOCK_MAX}",
        f"{same} AND substr(l.kode_desa, 1, 4) = substr(r.kode_desa, 1, 4)",
    ]


# -- comparisons ---------------------------------------------------------------------------------------
#: m probabilities (share of true pairs at each level, null level excluded), from how DTKS records go
#: wrong (docs/verval.md §4). Fixed: matches are too rare (≈1 in 10⁷ pairs) for EM to see them reliably;
#: u (chance agreement) and λ are estimated from the data.
M_PADAN = {
    "nik": (0.88, 0.08, 0.04),
    "nama": (0.80, 0.06, 0.04, 0.04, 0.02, 0.01, 0.015, 0.015),
    "lahir": (0.93, 0.01, 0.02, 0.01, 0.01, 0.02),
    "jenis_kelamin": (0.99, 0.01),
    "wilayah": (0.75, 0.12, 0.04, 0.09),
}
M_GANDA = M_PADAN | {"wilayah": (0.05, 0.50, 0.05, 0.40)}


def _levels(column: str, levels: list[Any], m: tuple[float, ...], description: str) -> cl.CustomComparison:
    configured = [levels[0]] + [
        lvl.configure(m_probability=p, fix_m_probability=True) for lvl, p in zip(levels[1:], m, strict=True)
    ]
    return cl.CustomComparison(
        output_column_name=column, comparison_levels=configured, comparison_description=description
    )


def within_one_edit(column: str, dialect: str) -> Any:
    """Damerau–Levenshtein distance ≤ 1, computed only where it can hold (DuckDB).

    Why: the distance is quadratic per pair and most candidate pairs are far apart. Two strings of one
    length are within one edit only with at most two differing positions (a substitution, or a
    transposition, which the distance then confirms); lengths one apart only by an insertion; further
    apart never. Same result as Splink's level, several times faster on the non-matching pairs.
    """
    label = f"Damerau-Levenshtein distance of {column} <= 1"
    if dialect != "duckdb":
        return cll.DamerauLevenshteinLevel(column, 1)
    a, b = f"{column}_l", f"{column}_r"
    dl = f"damerau_levenshtein({a}, {b}) <= 1"
    sql = (
        f"(CASE WHEN length({a}) <> length({b}) THEN abs(length({a}) - length({b})) = 1 AND {dl} "
        f"WHEN {a} = '' THEN TRUE WHEN hamming({a}, {b}) <= 1 THEN TRUE "
        f"WHEN hamming({a}, {b}) = 2 THEN {dl} ELSE FALSE END)"
    )
    return cll.CustomLevel(sql, label, base_dialect_str=dialect)


def _nik(m: dict, dialect: str) -> cl.CustomComparison:
    return _levels(
        "nik",
        [
            cll.NullLevel("nik"),
            cll.ExactMatchLevel("nik"),
            within_one_edit("nik", dialect),
            cll.ElseLevel(),
        ],
        m["nik"],
        "NIK: sama, beda 1 (salah ketik/tertukar), lainnya",
    )


def contained_sql(dialect: str) -> str:
    """Every word of one name key is a word of the other (a dropped or added name part)."""
    if dialect == "spark":
        return (
            "(size(array_except(split(nama_kunci_r, ' '), split(nama_kunci_l, ' '))) = 0 OR "
            "size(array_except(split(nama_kunci_l, ' '), split(nama_kunci_r, ' '))) = 0)"
        )

    # list_has_all is only asked when the other key's first word is a word of this key (a word of a key
    # stands between spaces in ' ' || key || ' '): the same answer, without splitting most pairs
    def within(a: str, b: str) -> str:
        return (
            f"(strpos(' ' || {a} || ' ', ' ' || split_part({b}, ' ', 1) || ' ') > 0 "
            f"AND list_has_all(string_split({a}, ' '), string_split({b}, ' ')))"
        )

    return f"({within('nama_kunci_l', 'nama_kunci_r')} OR {within('nama_kunci_r', 'nama_kunci_l')})"


def nickname_sql(dialect: str) -> str:
    """A panggilan is one word: the end of a longer word (WAWAN/HERMAWAN keeps 'WAN', TONO/SUTONO) or its
    head (FATHOR/FATHORRAHMAN).

    The other name has a word starting with the first four letters or ending with the last three. Name
    keys hold only A–Z and single spaces, so plain string tests say exactly what the pattern
    `(^| )HEAD|END( |$)` says, without compiling a regular expression for every pair.
    """
    pos = "instr({s}, {t})" if dialect == "spark" else "strpos({s}, {t})"

    def one(a: str, b: str) -> str:
        head, end, space = f"substr({a}, 1, 4)", f"right({a}, 3)", "' '"
        return (
            f"(length({a}) >= 4 AND {pos.format(s=a, t=space)} = 0 AND length({b}) > length({a}) AND ("
            f"substr({b}, 1, 4) = {head} OR {pos.format(s=b, t=f'{space} || {head}')} > 0 "
            f"OR right({b}, 3) = {end} OR {pos.format(s=b, t=f'{end} || {space}')} > 0))"
        )

    return f"({one('nama_kunci_l', 'nama_kunci_r')} OR {one('nama_kunci_r', 'nama_kunci_l')})"


#: Distance below a level's threshold that still counts as reaching it. A Jaro–Winkler similarity is a
#: fraction with a denominator of at most 30·len_l·len_r·matches, so one that is not exactly 0.92 (23/25),
#: 0.85 or 0.7 lies at least 6e-9 from it on names of up to 60 letters, while the same exact value comes
#: out one unit in the last place either side depending on how the engine rounds (DuckDB's compiled
#: similarity fuses a multiply-add): without the margin 3 in 158 sampled name pairs of similarity 0.92
#: fell below the level on DuckDB alone.
SIMILARITY_MARGIN = 1e-9


def jaro_winkler_sql(a: str, b: str, dialect: str) -> str:
    """SQL for the Jaro–Winkler similarity of `a` and `b` as DuckDB defines it, in `dialect`.

    Why not Splink's Spark function: it is Apache Commons Text's, which counts half a transposition
    (t = mismatched matched characters / 2), where DuckDB (RapidFuzz, like Winkler's own strcmp95) rounds
    the half down. On 3M sampled pairs of name keys (same first letter, from a 200,000-person kabupaten)
    the two disagreed on 44 %, and landed on different sides of a level on 2.4 % (0.7), 0.6 % (0.85) and
    0.04 % (0.92): the cause of every difference of the 200,000-person parity run (docs/scale.md §2).
    Spark gets DuckDB's definition in plain Spark SQL (no jar or Python function of our own to ship to
    executors): greedy matching within the window max(len)/2 − 1, transpositions // 2, the Winkler boost
    (0.1 per common leading letter, at most 4) only above 0.7; 0 for an empty string, equality for two
    single letters. It is slower than the jar's function: about 9 µs per similarity on 2 loaded cores;
    padan on Spark at 200,000 persons 152 s at load 12 against 115 s at load 9 before (docs/scale.md §2).
    """
    if dialect != "spark":
        return f"jaro_winkler_similarity({a}, {b})"
    la, lb = f"length({a})", f"length({b})"
    window = f"(greatest({la}, {lb}) DIV 2 - 1)"
    lo, hi = f"greatest(1, jw_i - {window})", f"least({lb}, jw_i + {window})"
    # The state is b with its matched letters overwritten by a mark (U+0001, never in a name), and the
    # matched letters of a in order. The letter at position jw_i of a matches the first unmarked equal
    # letter of b within the window: one string search, no loop over the window.
    mark = "char(1)"
    hit = f"locate(substr({a}, jw_i, 1), substr(jw_s.b, {lo}, {hi} - {lo} + 1))"
    step = (
        f"(jw_s, jw_i) -> IF({lo} <= {hi} AND {hit} > 0, named_struct("
        f"'b', overlay(jw_s.b PLACING {mark} FROM {lo} + {hit} - 1 FOR 1), "
        f"'m', concat(jw_s.m, substr({a}, jw_i, 1))), jw_s)"
    )
    # the matched letters of b in order, once (then jw_v.m against jw_v.mb: a transposition per mismatch)
    matched = (
        f"named_struct('m', jw_s.m, 'mb', array_join(transform(sequence(1, {lb}), "
        f"jw_k -> IF(substr(jw_s.b, jw_k, 1) = {mark}, substr({b}, jw_k, 1), '')), ''))"
    )
    m = "CAST(length(jw_v.m) AS DOUBLE)"
    half_t = (
        "(size(filter(sequence(1, greatest(length(jw_v.m), 1)), "
        "jw_k -> substr(jw_v.m, jw_k, 1) <> substr(jw_v.mb, jw_k, 1))) DIV 2)"
    )
    jaro = f"IF(length(jw_v.m) = 0, 0.0D, ({m} / {la} + {m} / {lb} + ({m} - {half_t}) / {m}) / 3.0D)"
    jaro_all = (
        f"aggregate(sequence(1, {la}), named_struct('b', {b}, 'm', ''), {step}, "
        f"jw_s -> aggregate(array({matched}), 0.0D, (jw_w, jw_v) -> {jaro}))"
    )
    prefix = (
        f"size(filter(sequence(1, least(4, {la}, {lb})), "
        f"jw_k -> substr({a}, 1, jw_k) = substr({b}, 1, jw_k)))"
    )
    winkler = f"IF(jw_y > 0.7D, jw_y + {prefix} * 0.1D * (1.0D - jw_y), jw_y)"
    return (
        f"(CASE WHEN {la} = 0 OR {lb} = 0 THEN 0.0D "
        f"WHEN {la} = 1 AND {lb} = 1 THEN IF({a} = {b}, 1.0D, 0.0D) "
        f"ELSE aggregate(array({jaro_all}), 0.0D, (jw_z, jw_y) -> {winkler}) END)"
    )


def jaro_winkler_level(column: str, threshold: float, dialect: str) -> Any:
    """Jaro–Winkler similarity of `column` at or above `threshold`, the same on every engine
    (`jaro_winkler_sql`, `SIMILARITY_MARGIN`); labelled as Splink labels its own level."""
    sql = f"{jaro_winkler_sql(f'{column}_l', f'{column}_r', dialect)} >= {threshold} - {SIMILARITY_MARGIN}"
    label = f"Jaro-Winkler distance of {column} >= {threshold}"
    return cll.CustomLevel(sql, label, base_dialect_str=dialect)


def _name(m: dict, dialect: str) -> cl.CustomComparison:
    contained = contained_sql(dialect)
    nickname = nickname_sql(dialect)
    return _levels(
        "nama",
        [
            cll.NullLevel("nama_norm"),
            cll.ExactMatchLevel("nama_norm").configure(tf_adjustment_column="nama_norm"),
            cll.ExactMatchLevel("nama_kunci").configure(label_for_charts="Kunci nama sama"),
            jaro_winkler_level("nama_kunci", 0.92, dialect),
            cll.CustomLevel(contained, "Satu nama memuat yang lain", base_dialect_str=dialect),
            jaro_winkler_level("nama_kunci", 0.85, dialect),
            cll.CustomLevel(nickname, "Nama panggilan", base_dialect_str=dialect),
            jaro_winkler_level("nama_kunci", 0.7, dialect),
            cll.ElseLevel(),
        ],
        m["nama"],
        "Nama: sama, kunci sama, JW, termuat, panggilan",
    )


def _dob(m: dict, dialect: str) -> cl.CustomComparison:
    return _levels(
        "lahir",
        [
            cll.NullLevel("tgl"),
            cll.ExactMatchLevel("tgl"),
            cll.CustomLevel(
                "substr(tgl_l, 1, 4) = substr(tgl_r, 1, 4) AND substr(tgl_l, 6, 2) = substr(tgl_r, 9, 2) "
                "AND substr(tgl_l, 9, 2) = substr(tgl_r, 6, 2)",
                "Tanggal dan bulan tertukar",
            ),
            within_one_edit("tgl", dialect),
            cll.CustomLevel("substr(tgl_l, 6, 5) = substr(tgl_r, 6, 5)", "Hari dan bulan sama"),
            cll.CustomLevel("substr(tgl_l, 1, 7) = substr(tgl_r, 1, 7)", "Bulan dan tahun sama"),
            cll.ElseLevel(),
        ],
        m["lahir"],
        "Tanggal lahir: sama, tertukar, 1 karakter, tahun salah, bulan sama",
    )


def _exact(column: str, m: dict) -> cl.CustomComparison:
    return _levels(
        column,
        [cll.NullLevel(column), cll.ExactMatchLevel(column), cll.ElseLevel()],
        m[column],
        f"{column}: sama, lainnya",
    )


def _desa(m: dict) -> cl.CustomComparison:
    return _levels(
        "wilayah",
        [
            cll.NullLevel("kode_desa"),
            cll.ExactMatchLevel("no_kk"),
            cll.ExactMatchLevel("kode_desa"),
            cll.ExactMatchLevel("kode_kecamatan"),
            cll.ElseLevel(),
        ],
        m["wilayah"],
        "KK sama, desa sama, kecamatan sama, lainnya (satu perbandingan: KK dan desa tidak bebas)",
    )


def _identity() -> cl.CustomComparison:
    """The Dukcapil person each record was resolved to in `padan` — fixed weights, never estimated."""
    return cl.CustomComparison(
        output_column_name="identitas",
        comparison_levels=[
            cll.NullLevel("dukcapil_nik"),
            cll.ExactMatchLevel("dukcapil_nik").configure(
                m_probability=0.99, u_probability=1e-7, fix_m_probability=True, fix_u_probability=True
            ),
            cll.ElseLevel().configure(
                m_probability=1e-4, u_probability=0.9999999, fix_m_probability=True, fix_u_probability=True
            ),
        ],
        comparison_description="Identitas Dukcapil hasil padan: sama, berbeda",
    )


def comparisons(ganda: bool = False, dialect: str = "duckdb") -> list[Any]:
    """The comparisons; `dialect` picks the SQL of the two name levels Splink cannot express portably."""
    m = M_GANDA if ganda else M_PADAN
    out = [_nik(m, dialect), _name(m, dialect), _dob(m, dialect), _exact("jenis_kelamin", m), _desa(m)]
    if ganda:
        out.append(_identity())
    return out


# -- blocking --------------------------------------------------------------------------------------------
def link_blocking_rules() -> list[Any]:
    """DTKS (left) × Dukcapil (right): find the true person behind a wrong, missing or borrowed NIK."""
    return [
        block_on("nik"),
        # a typo in any one digit leaves one of these four keys whole: serial, region, day, month/year
        block_on("substr(nik, 1, 12)"),  # typo in the serial
        # typo in the region. In the province or kabupaten digits: the rest of the NIK is national, so
        # within the kabupaten the record lives in (not its kecamatan: a record registered again in another
        # kecamatan is a duplicate to find). In the kecamatan digits: one rule per digit, the other agreeing,
        # and one for the two swapped. One rule with the six region digits free put everyone of the
        # kabupaten born on one day with one serial in a block: 1.35M of 8.8M pairs at 1M ART
        "substr(l.nik, 5, 12) = substr(r.nik, 5, 12) "
        "AND substr(l.kode_desa, 1, 4) = substr(r.kode_desa, 1, 4)",
        block_on("substr(nik, 1, 5)", "substr(nik, 7, 10)"),
        block_on("substr(nik, 1, 4)", "substr(nik, 6, 11)"),
        "substr(l.nik, 5, 1) = substr(r.nik, 6, 1) AND substr(l.nik, 6, 1) = substr(r.nik, 5, 1) "
        "AND substr(l.nik, 1, 4) = substr(r.nik, 1, 4) AND substr(l.nik, 7, 10) = substr(r.nik, 7, 10)",
        # ... and the fourth and fifth digits swapped (the one swap across the two groups)
        "substr(l.nik, 4, 1) = substr(r.nik, 5, 1) AND substr(l.nik, 5, 1) = substr(r.nik, 4, 1) "
        "AND substr(l.nik, 1, 3) = substr(r.nik, 1, 3) AND substr(l.nik, 6, 11) = substr(r.nik, 6, 11)",
        # typo in the birth day: one rule per digit, the other agreeing, and one for the two swapped. One
        # rule with both free put everyone of a kecamatan born in one month and year with one serial in a
        # block: 2.0M of 8.8M pairs at 1M ART, for the same persons
        block_on("substr(nik, 1, 7)", "substr(nik, 9, 8)"),
        block_on("substr(nik, 1, 6)", "substr(nik, 8, 9)"),
        "substr(l.nik, 7, 1) = substr(r.nik, 8, 1) AND substr(l.nik, 8, 1) = substr(r.nik, 7, 1) "
        "AND substr(l.nik, 1, 6) = substr(r.nik, 1, 6) AND substr(l.nik, 9, 8) = substr(r.nik, 9, 8)",
        # typo in the birth month or year: one rule per digit, the other three agreeing. One rule with all
        # four free (region + day + serial) put ~800 Dukcapil persons of a kecamatan in each block: 3.2M
        # pairs for 28,000 unmatched NIKs at 1M ART, more than every other rule together
        *(block_on(f"substr(nik, 1, {d - 1})", f"substr(nik, {d + 1}, {16 - d})") for d in (9, 10, 11, 12)),
        block_on("tanggal_lahir", "kode_desa"),
        *name_date_rules("r"),  # r: the Dukcapil block, the large side
        block_on("tanggal_lahir", "jenis_kelamin", "kode_kecamatan"),
        block_on("no_kk", "jenis_kelamin"),
        # no NIK at all: birth date and sex, for those records only, within the kabupaten (nationally a
        # birth date and sex is ~5,000 people: pairs would grow with the square of the registry)
        "l.tanggal_lahir = r.tanggal_lahir AND l.jenis_kelamin = r.jenis_kelamin AND l.nik IS NULL "
        "AND substr(l.kode_desa, 1, 4) = substr(r.kode_desa, 1, 4)",
        # no NIK and a default birth date (1 Jan for a real 1 Jul): the date blocks above miss the person;
        # name key and birth year, within the kabupaten, for those records only
        "l.nama_kunci = r.nama_kunci AND substr(l.tgl, 1, 4) = substr(r.tgl, 1, 4) AND l.nik IS NULL "
        f"AND {default_date_text('l.tgl')} AND substr(l.kode_desa, 1, 4) = substr(r.kode_desa, 1, 4)",
        # a NIK borrowed from someone else (a husband with his wife's NIK, a child with her father's): the
        # owner's family in Dukcapil, where the record's own KK is not. `kk_nik` is the owner's KK, set
        # only when the owner is clearly not this person (padan's `padan_l`)
        "l.kk_nik = r.no_kk",
    ]


def default_date_rules() -> list[Any]:
    """Extra rules for the records written with a default birth date (`padan`'s second pass): the date
    says only the year, so the person is looked for in the record's own desa among those of its sex born
    that year, whatever the name (WINDI ISMAWATI WATI, 1 Jan 2021, for WINDI ISMAWATI, 23 Dec 2021, on a
    new KK)."""
    return [
        *link_blocking_rules(),
        "l.kode_desa = r.kode_desa AND substr(l.tgl, 1, 4) = substr(r.tgl, 1, 4) "
        f"AND l.jenis_kelamin = r.jenis_kelamin AND {default_date_text('l.tgl')}",
    ]


def dedupe_blocking_rules() -> list[Any]:
    """DTKS × DTKS: the same person recorded twice, in the same or another desa, with or without NIK."""
    return [
        block_on("nik"),
        block_on("dukcapil_nik"),
        block_on("tanggal_lahir", "kode_desa"),
        *name_date_rules("l"),  # one table: both sides share the block's size
        # another desa, NIK missing or unresolved, name written differently: birth date and sex only,
        # for the few records without a Dukcapil identity. Written as two rules (that record on the left,
        # then on the right) rather than one with `l… IS NULL OR r… IS NULL`: the same pairs, but each
        # side's filter runs before the join instead of on every same-birthday pair of the kabupaten.
        *(
            f"{side}.dukcapil_nik IS NULL AND l.tanggal_lahir = r.tanggal_lahir "
            "AND l.jenis_kelamin = r.jenis_kelamin AND substr(l.kode_desa, 1, 4) = substr(r.kode_desa, 1, 4)"
            for side in ("l", "r")
        ),
    ]


def settings(
    link_type: str, rules: list[Any], ganda: bool = False, dialect: str = "duckdb"
) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        comparisons=comparisons(ganda, dialect),
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        max_iterations=10,
    )


# -- estimation and the stored model ------------------------------------------------------------------
def train(linker: Linker, deterministic_rules: list[Any], recall: float, u_pairs: float) -> None:
    """Estimate λ (from deterministic rules) and u (u_pairs seeded random pairs) from the linker's data;
    m stays at the fixed values above."""
    linker.training.estimate_probability_two_random_records_match(deterministic_rules, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=SEED)
    clamp(linker)


def clamp(linker: Linker, floor: float = 1e-7) -> None:
    """Keep every u probability at or above `floor` (about one pair in 10⁷ agrees by chance on a NIK).

    A level never seen among the sampled random pairs (an exact NIK, KK) gets u = 0 otherwise, and with it
    an infinite weight.
    """
    for c in linker._settings_obj.comparisons:  # Splink has no public setter for a trained model
        for lvl in c.comparison_levels:
            if lvl.is_null_level or lvl._fix_u_probability:
                continue
            raw = lvl._u_probability  # None or "level not observed" when no sampled pair had it
            if not isinstance(raw, float | int) or raw < floor:
                lvl.u_probability = floor


def model_summary(linker: Linker) -> dict[str, Any]:
    """λ and the match weight of every comparison level, compact enough to store with the run."""
    s = linker._settings_obj  # Splink has no public accessor for the trained parameters
    out: dict[str, Any] = {"probability_two_random_records_match": s._probability_two_random_records_match}
    for c in s.comparisons:
        out[c.output_column_name] = {
            lvl.label_for_charts: round(lvl._log2_bayes_factor, 3)
            for lvl in c.comparison_levels
            if not lvl.is_null_level
        }
    return out


#: What a stored model contributes to a comparison level; its SQL comes from today's code.
LEVEL_PARAMETERS = (
    "m_probability",
    "u_probability",
    "fix_m_probability",
    "fix_u_probability",
    "tf_adjustment_weight",
)


def with_parameters(model: dict[str, Any], stored: dict[str, Any]) -> None:
    """Copy m and u of every level from a stored model into `model` (same comparisons, level by level).

    Why: a model estimated on DuckDB is used on Spark unchanged; only the SQL of its levels is dialect
    specific, and that is regenerated. A stored model with other comparisons is refused, not half-used.
    """
    old = {c["output_column_name"]: c for c in stored["comparisons"]}
    for comp in model["comparisons"]:
        levels = old.get(comp["output_column_name"], {}).get("comparison_levels", [])
        if len(levels) != len(comp["comparison_levels"]):
            raise ValueError(
                f"model tersimpan tidak cocok dengan perbandingan '{comp['output_column_name']}'"
            )
        for lvl, was in zip(comp["comparison_levels"], levels, strict=True):
            for key in LEVEL_PARAMETERS:
                if key in was:
                    lvl[key] = was[key]


def model_linker(
    ctx: Any,
    name: str,
    inputs: list[Any],
    make_settings: Callable[[], SettingsCreator],
    size: float,
    fit: Callable[[Linker], None],
) -> Linker:
    """A linker with a stored model (λ rescaled by `size`), or a freshly estimated one when none fits.

    `size` is what λ is inversely proportional to (the records of a dedupe, the right table of a link).
    Looks in run parameter `model_dir`, then the packaged models. With `retrain` the model is estimated on
    this run's data and written to `model_dir`. The model used is copied to the run directory.
    """
    retrain = str(ctx.param("retrain", "")).lower() in ("1", "true", "ya", "yes")
    model_dir = ctx.param("model_dir")
    found = None
    if not retrain:
        for d in ([Path(model_dir)] if model_dir else []) + [PACKAGED_MODELS]:
            p = d / f"{name}.json"
            if p.exists():
                stored = json.loads(p.read_text(encoding="utf-8"))
                if stored.get("siks", {}).get("version") == MODEL_VERSION:
                    found = (p, stored)
                    break
    if found:
        path, stored = found
        # λ ∝ 1/size in theory; `lambda_eksponen` (0–1) says how much of it to apply, so that one set of
        # thresholds holds from 20k to 1M persons (issue #16 point 8, docs/verval.md §3)
        exponent = float(ctx.param("lambda_eksponen", LAMBDA_EXPONENT))
        ratio = (float(stored["siks"]["size"]) / max(size, 1.0)) ** exponent
        lam = min(float(stored["splink"]["probability_two_random_records_match"]) * ratio, 0.5)
        # blocking and comparison SQL are code, in this engine's dialect; the model is its parameters
        model = Linker(inputs, make_settings(), log_level=None).misc.save_model_to_json()
        model.pop("linker_uid", None)
        model["probability_two_random_records_match"] = lam
        with_parameters(model, stored["splink"])
        linker = Linker(inputs, model, log_level=None)
        source = {"sumber": "tersimpan", "berkas": str(path), "skala_lambda": round(ratio, 6)}
    else:
        linker = Linker(inputs, make_settings(), log_level=None)
        fit(linker)
        source = {"sumber": "dilatih"}
    doc = {
        "siks": {"version": MODEL_VERSION, "size": size, "name": name},
        "splink": linker.misc.save_model_to_json(),
    }
    text = json.dumps(doc, indent=1, default=str)
    (Path(ctx.work_dir) / f"model_{name}.json").write_text(text, encoding="utf-8")
    if not found and model_dir:
        Path(model_dir).mkdir(parents=True, exist_ok=True)
        (Path(model_dir) / f"{name}.json").write_text(text, encoding="utf-8")
    summary = model_summary(linker)
    summary["log2_lambda"] = round(math.log2(summary["probability_two_random_records_match"]), 3)
    ctx.stats["model"] = summary | source
    return linker
