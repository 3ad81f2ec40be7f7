"""`siks verval evaluate --kebenaran DIR`: findings against the generator's ground truth (design.md §5).

Why per error kind: each kind has a different cost (a missed death pays a dead person, a missed duplicate
pays twice) and a different check that should catch it. A kind counts as found for a record when one of
its codes is on that record; a code's finding is a false positive when the record has none of the kinds
that explain it. Ganda is scored on pairs (two records in one cluster vs. the same person in the truth),
and repair suggestions on whether the top suggestion is the true NIK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from siks.verval.engines import BatchEngine, open_engine

#: error kind → finding codes that detect it
KIND_CODES: dict[str, tuple[str, ...]] = {
    # a typo can land on another person's NIK: then it is rightly a borrowed NIK, with the repair
    "nik_typo": ("PADAN_NIK_UNKNOWN", "PADAN_OTHER_PERSON"),
    "nik_transposed": ("PADAN_NIK_UNKNOWN", "PADAN_OTHER_PERSON"),
    "nik_other_person": ("PADAN_OTHER_PERSON",),
    "nik_missing": ("PADAN_NO_NIK", "NIK_EMPTY"),
    "kk_stale": ("KK_CHANGED",),
    # on a record resolved through a suggestion the name is compared with the identity found (point 4)
    "name_variant": ("PADAN_NAME_MISMATCH", "PADAN_RESOLVED_NAME"),
    "birthdate_default": ("PADAN_RESOLVED_BIRTHDATE",),
    "deceased_active": ("DECEASED",),
    "asn_member": ("ASN",),
    "moved": ("MOVED",),
    "domisili": ("DOMISILI_BERBEDA",),
    "nik_sex_mismatch": ("NIK_SEX_MISMATCH",),
    "nik_birthdate_mismatch": ("NIK_BIRTHDATE_MISMATCH",),
}
#: a kind scored once more with the candidates sent to a person counted as found (label → kind, codes):
#: how many a person gets to see, beside what siks decides alone
WITH_CANDIDATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "deceased_active + kandidat": ("deceased_active", ("DECEASED", "DECEASED_POSSIBLE")),
    "asn_member + kandidat": ("asn_member", ("ASN", "ASN_POSSIBLE")),
}
#: kinds a ganda cluster member is explained by (pairs are scored separately)
DUPLICATE_KINDS = ("duplicate_same_desa", "duplicate_other_desa")
#: the unit a kind is a fault of: its findings and its truth rows are compared per that unit
KIND_UNIT: dict[str, str] = {"kk_stale": "keluarga", "moved": "ruta", "domisili": "ruta"}
#: other kinds that legitimately raise a code (a borrowed or mistyped NIK encodes another birth date/sex)
ALSO_EXPLAINED_BY: dict[str, tuple[str, ...]] = {
    "NIK_SEX_MISMATCH": ("nik_typo", "nik_transposed", "nik_other_person"),
    "NIK_BIRTHDATE_MISMATCH": ("nik_typo", "nik_transposed", "nik_other_person"),
    "PADAN_RESOLVED_BIRTHDATE": ("nik_birthdate_mismatch",),
    "PADAN_RESOLVED_SEX": ("nik_sex_mismatch",),
}
#: SQL giving the unit key of a truth row (e) and of a finding (f)
_TRUTH_UNIT = {
    "anggota": "id_art",
    "keluarga": "REGEXP_REPLACE(id_art, '-[0-9]+$', '')",  # the id_keluarga before '-no_urut'
    "ruta": "id_ruta",
}
_FINDING_UNIT = {"anggota": "member_ref", "keluarga": "family_ref", "ruta": "household_ref"}


@dataclass
class Score:
    kind: str
    tp: int
    fp: int
    fn: int
    skipped: str | None = None  # the reference whose absence skipped every check of this kind

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


#: hard negatives (issue #16 point 7): records that look like a fault or a duplicate and are not one; a
#: false positive on one of them is listed by `siks verval evaluate`. Category → Indonesian label.
HARD_NEGATIVES: dict[str, str] = {
    "kembar": "kembar (satu keluarga, tanggal lahir sama)",
    "senama_serumah": "ayah dan anak (atau kerabat) serumah dengan nama sama",
    "nama_umum": "nama umum (dipakai ≥ 10 orang sekabupaten)",
    "senama_meninggal": "senama (dan sejenis kelamin) dengan orang yang sudah meninggal",
    "etnis_lain": "nama tradisi lain (Sunda, Batak, Bugis, Minang, Bali, Tionghoa, Arab)",
    "keberadaan_pergi": "anggota yang merantau (keberadaan 3/4), masih di KK keluarga",
    "gelar": "nama bergelar di DTKS (DRS., H., S.Pd), tanpa gelar di Dukcapil",
    "pbdt2015": "ruta berinstrumen PBDT 2015 (tanpa keberadaan dan jawaban Regsosek)",
}
#: the categories truth/patterns.csv lists itself (synth/patterns.py, synth/pbdt.py)
_PATTERN_CATEGORIES = ("etnis_lain", "gelar", "pbdt2015")
COMMON_NAME_MIN = 10
#: person_id → category, from truth/population.parquet (p); names compared upper-cased and trimmed
_HARD_NEGATIVE_SQL = {
    "kembar": """SELECT DISTINCT a.person_id FROM p AS a JOIN p AS b ON a.id_keluarga = b.id_keluarga
                 AND a.tanggal_lahir = b.tanggal_lahir AND a.person_id <> b.person_id""",
    "senama_serumah": """SELECT DISTINCT a.person_id FROM p AS a JOIN p AS b ON a.id_ruta = b.id_ruta
                         AND a.nama_u = b.nama_u AND a.person_id <> b.person_id""",
    "nama_umum": f"""SELECT a.person_id FROM p AS a JOIN (SELECT nama_u FROM p GROUP BY nama_u
                     HAVING COUNT(*) >= {COMMON_NAME_MIN}) AS c ON c.nama_u = a.nama_u""",
    "senama_meninggal": """SELECT DISTINCT a.person_id FROM p AS a JOIN p AS b ON a.nama_u = b.nama_u
                           AND a.jenis_kelamin = b.jenis_kelamin AND a.person_id <> b.person_id
                           AND b.status_hidup = 'MATI'""",
}


@dataclass
class HardNegative:
    """A false positive on a hard negative: which kind flagged it, on which record(s), why it is hard."""

    category: str
    kind: str  # the kinds whose findings it is a false positive of, joined by '/'
    member_ref: str
    related_ref: str | None = None


@dataclass
class Evaluation:
    scores: list[Score]
    suggestion_top1: float | None  # share of typos/transpositions whose top suggestion is the true NIK
    suggestion_n: int
    # DTKS records per hard-negative category (so an empty list below means something), and the false
    # positives that fell on them
    hard_negative_n: dict[str, int] = field(default_factory=dict)
    hard_negative_fp: list[HardNegative] = field(default_factory=list)

    def by_kind(self) -> dict[str, Score]:
        return {s.kind: s for s in self.scores}


def evaluate(findings: pa.Table, truth_dir: Path, skipped: Mapping[str, str] | None = None) -> Evaluation:
    """Scores per error kind; `skipped` (code → missing reference, `pipeline.skipped_checks` of the run)
    marks the kinds whose every detecting check was skipped, so a recall of 0 is not read as a result."""
    engine = open_engine(ordered=True)
    try:
        return _evaluate(engine, findings, Path(truth_dir), skipped or {})
    finally:
        engine.close()


def _evaluate(engine: BatchEngine, findings: pa.Table, t: Path, skipped: Mapping[str, str]) -> Evaluation:
    cols = [
        c
        for c in ("code", "member_ref", "family_ref", "household_ref", "related_nik", "cluster_id", "rank")
        if c in findings.column_names
    ]
    engine.register_arrow("f", findings.select(cols))
    engine.register_csv("e", t / "errors.csv")
    engine.register_csv("m", t / "members.csv")
    scores: list[Score] = []
    false_pos: list[str] = []  # SELECTs of (kind, a, b): false positives per record, false ganda pairs
    kinds_present = {r["kind"] for r in engine.query("SELECT DISTINCT kind FROM e").to_pylist()}
    views = [(k, k, c) for k, c in KIND_CODES.items()]
    views += [(label, k, c) for label, (k, c) in WITH_CANDIDATES.items()]
    for label, kind, codes in views:
        if kind not in kinds_present:
            continue
        unit = KIND_UNIT.get(kind, "anggota")
        tu, fu = _TRUTH_UNIT[unit], _FINDING_UNIT[unit]
        code_list = ", ".join(f"'{c}'" for c in codes)
        explaining = {k for k, cs in KIND_CODES.items() if set(cs) & set(codes)}
        for c in codes:
            explaining.update(ALSO_EXPLAINED_BY.get(c, ()))
        kinds_list = ", ".join(f"'{k}'" for k in sorted(explaining))
        flagged = f"SELECT DISTINCT {fu} AS u FROM f WHERE code IN ({code_list}) AND {fu} IS NOT NULL"
        truth = f"SELECT DISTINCT {tu} AS u FROM e WHERE kind = '{kind}'"
        explained = f"SELECT DISTINCT {tu} AS u FROM e WHERE kind IN ({kinds_list}) AND {tu} IS NOT NULL"
        tp = int(engine.scalar(f"SELECT COUNT(*) FROM ({truth}) AS t WHERE u IN ({flagged})"))
        fn = int(engine.scalar(f"SELECT COUNT(*) FROM ({truth}) AS t WHERE u NOT IN ({flagged})"))
        fp = int(engine.scalar(f"SELECT COUNT(*) FROM ({flagged}) AS x WHERE u NOT IN ({explained})"))
        why = sorted({skipped[c] for c in codes if c in skipped}) if set(codes) <= set(skipped) else []
        scores.append(Score(label, tp, fp, fn, "; ".join(why) or None))
        if unit == "anggota" and fp and label == kind:
            false_pos.append(
                f"SELECT '{kind}' AS kind, u AS a, CAST(NULL AS VARCHAR) AS b FROM ({flagged}) AS x "
                f"WHERE u NOT IN ({explained})"
            )
    scores.append(_ganda(engine))
    false_pos.append(
        "SELECT 'ganda' AS kind, pp.a, pp.b FROM pp LEFT JOIN tp ON pp.a = tp.a AND pp.b = tp.b "
        "WHERE tp.a IS NULL"
    )
    if (t / "ppks.csv").exists():
        scores.extend(_ppks(engine, t / "ppks.csv"))
    top, n = _suggestions(engine)
    ev = Evaluation(scores, top, n)
    if (t / "population.parquet").exists():
        _hard_negatives(engine, t / "population.parquet", false_pos, ev)
    return ev


def _hard_negatives(engine: BatchEngine, population: Path, false_pos: list[str], ev: Evaluation) -> None:
    """Count the DTKS records of each hard-negative category and list the false positives on them.

    A per-record false positive is listed under every category its person belongs to; a false ganda pair
    under the categories both its persons belong to (a pair of twins, of namesakes)."""
    engine.register_parquet("p_raw", population)
    engine.create_table(
        "p",
        """SELECT person_id, TRIM(UPPER(nama)) AS nama_u, tanggal_lahir, jenis_kelamin,
                  UPPER(status_hidup) AS status_hidup, id_keluarga, id_ruta FROM p_raw""",
    )
    parts = [f"SELECT person_id, '{c}' AS category FROM ({q}) AS h" for c, q in _HARD_NEGATIVE_SQL.items()]
    if (population.parent / "patterns.csv").exists():  # the generator's own list (synth/patterns.py)
        engine.register_csv("pat", population.parent / "patterns.csv")
        parts.append(
            "SELECT CAST(person_id AS BIGINT) AS person_id, pola AS category FROM pat "
            f"WHERE pola IN ({', '.join(repr(c) for c in _PATTERN_CATEGORIES)})"
        )
    # members recorded away (keberadaan 3/4): their own rows, keyed by id_art in errors.csv (e)
    parts.append(
        "SELECT CAST(m.person_id AS BIGINT) AS person_id, 'keberadaan_pergi' AS category FROM e "
        "JOIN m ON m.id_art = e.id_art WHERE e.kind = 'keberadaan_pergi'"
    )
    engine.create_table("hn", " UNION ALL ".join(parts))
    engine.create_table(
        "hn_art",
        "SELECT DISTINCT m.id_art, hn.category FROM m "
        "JOIN hn ON CAST(hn.person_id AS VARCHAR) = CAST(m.person_id AS VARCHAR)",
    )
    ev.hard_negative_n = {
        r["category"]: int(r["n"])
        for r in engine.query("SELECT category, COUNT(*) AS n FROM hn_art GROUP BY category").to_pylist()
    }
    engine.create_table("fpx", " UNION ALL ".join(false_pos))
    rows = engine.query(
        """SELECT DISTINCT x.kind, x.a, x.b, ha.category FROM fpx AS x
           JOIN hn_art AS ha ON ha.id_art = x.a
           LEFT JOIN hn_art AS hb ON hb.id_art = x.b AND hb.category = ha.category
           WHERE x.b IS NULL OR hb.id_art IS NOT NULL
           ORDER BY ha.category, x.kind, x.a, x.b"""
    ).to_pylist()
    grouped: dict[tuple[str, str, str | None], list[str]] = {}
    for r in rows:
        grouped.setdefault((r["category"], r["a"], r["b"]), []).append(r["kind"])
    ev.hard_negative_fp = [HardNegative(c, "/".join(k), a, b) for (c, a, b), k in grouped.items()]


#: PPKS outside households (truth/ppks.csv `fault`) → the codes of step `ppks` that detect it
PPKS_FAULT_CODES: dict[str, str] = {
    "ppks_ganda": "PPKS_GANDA_ART",
    "ppks_meninggal": "PPKS_MENINGGAL",
    "ppks_nik_typo": "PPKS_TIDAK_PADAN",
}


def _ppks(engine: BatchEngine, path: Path) -> list[Score]:
    """Per planted fault of PPKS outside households, keyed by their `ref` (the findings' member_ref)."""
    engine.register_csv("pt", path)
    scores = []
    for fault, code in PPKS_FAULT_CODES.items():
        flagged = f"SELECT DISTINCT member_ref AS u FROM f WHERE code = '{code}'"
        truth = f"SELECT DISTINCT CAST(ref AS VARCHAR) AS u FROM pt WHERE fault = '{fault}'"
        tp = int(engine.scalar(f"SELECT COUNT(*) FROM ({truth}) AS t WHERE u IN ({flagged})"))
        fn = int(engine.scalar(f"SELECT COUNT(*) FROM ({truth}) AS t WHERE u NOT IN ({flagged})"))
        fp = int(engine.scalar(f"SELECT COUNT(*) FROM ({flagged}) AS x WHERE u NOT IN ({truth})"))
        scores.append(Score(fault, tp, fp, fn))
    return scores


def _ganda(engine: BatchEngine) -> Score:
    """Pairwise: predicted pairs = two records in one DUP cluster; true pairs = one person_id."""
    n_true = engine.create_table(
        "tp",
        """SELECT a.id_art AS a, b.id_art AS b FROM m AS a JOIN m AS b
           ON a.person_id = b.person_id AND a.id_art < b.id_art""",
    )
    n_pred = engine.create_table(
        "pp",
        """SELECT DISTINCT a.member_ref AS a, b.member_ref AS b
           FROM (SELECT DISTINCT member_ref, cluster_id FROM f WHERE code = 'DUP') AS a
           JOIN (SELECT DISTINCT member_ref, cluster_id FROM f WHERE code = 'DUP') AS b
           ON a.cluster_id = b.cluster_id AND a.member_ref < b.member_ref""",
    )
    tp = int(engine.scalar("SELECT COUNT(*) FROM pp JOIN tp ON pp.a = tp.a AND pp.b = tp.b"))
    return Score("ganda (pasangan)", tp, n_pred - tp, n_true - tp)


def _suggestions(engine: BatchEngine) -> tuple[float | None, int]:
    row = engine.query(
        """SELECT COUNT(*) AS n, SUM(CASE WHEN s.related_nik = m.true_nik THEN 1 ELSE 0 END) AS ok
           FROM (SELECT DISTINCT id_art FROM e WHERE kind IN ('nik_typo', 'nik_transposed')) AS x
           JOIN m ON m.id_art = x.id_art
           LEFT JOIN (SELECT member_ref, related_nik FROM f WHERE code = 'NIK_SUGGESTION' AND rank = 1) AS s
             ON s.member_ref = x.id_art"""
    ).to_pylist()[0]
    n, ok = int(row["n"]), int(row["ok"] or 0)
    return (ok / n if n else None), n
