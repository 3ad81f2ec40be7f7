"""`siks verval evaluate --truth DIR`: findings against the generator's ground truth (design.md §5).

Why per error kind: each kind has a different cost (a missed death pays a dead person, a missed duplicate
pays twice) and a different check that should catch it. A kind counts as found for a record when one of
its codes is on that record; a code's finding is a false positive when the record has none of the kinds
that explain it. Ganda is scored on pairs (two records in one cluster vs. the same person in the truth),
and repair suggestions on whether the top suggestion is the true NIK.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

#: error kind → finding codes that detect it
KIND_CODES: dict[str, tuple[str, ...]] = {
    # a typo can land on another person's NIK: then it is rightly a borrowed NIK, with the repair
    "nik_typo": ("PADAN_NIK_UNKNOWN", "PADAN_OTHER_PERSON"),
    "nik_transposed": ("PADAN_NIK_UNKNOWN", "PADAN_OTHER_PERSON"),
    "nik_other_person": ("PADAN_OTHER_PERSON",),
    "nik_missing": ("PADAN_NO_NIK", "NIK_EMPTY"),
    "kk_stale": ("KK_CHANGED",),
    "name_variant": ("PADAN_NAME_MISMATCH",),
    "deceased_active": ("DECEASED",),
    "asn_member": ("ASN",),
    "moved": ("MOVED",),
    "nik_sex_mismatch": ("NIK_SEX_MISMATCH",),
    "nik_birthdate_mismatch": ("NIK_BIRTHDATE_MISMATCH",),
}
#: kinds a ganda cluster member is explained by (pairs are scored separately)
DUPLICATE_KINDS = ("duplicate_same_desa", "duplicate_other_desa")
#: the unit a kind is a fault of: its findings and its truth rows are compared per that unit
KIND_UNIT: dict[str, str] = {"kk_stale": "keluarga", "moved": "ruta"}
#: other kinds that legitimately raise a code (a borrowed or mistyped NIK encodes another birth date/sex)
ALSO_EXPLAINED_BY: dict[str, tuple[str, ...]] = {
    "NIK_SEX_MISMATCH": ("nik_typo", "nik_transposed", "nik_other_person"),
    "NIK_BIRTHDATE_MISMATCH": ("nik_typo", "nik_transposed", "nik_other_person"),
}
#: SQL giving the unit key of a truth row (e) and of a finding (f)
_TRUTH_UNIT = {
    "anggota": "id_art",
    "keluarga": "regexp_extract(id_art, '^(.*)-[0-9]+$', 1)",
    "ruta": "id_ruta",
}
_FINDING_UNIT = {"anggota": "member_ref", "keluarga": "family_ref", "ruta": "household_ref"}


@dataclass
class Score:
    kind: str
    tp: int
    fp: int
    fn: int

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


@dataclass
class Evaluation:
    scores: list[Score]
    suggestion_top1: float | None  # share of typos/transpositions whose top suggestion is the true NIK
    suggestion_n: int

    def by_kind(self) -> dict[str, Score]:
        return {s.kind: s for s in self.scores}


def evaluate(findings: pa.Table, truth_dir: Path) -> Evaluation:
    con = duckdb.connect()
    cols = [
        c
        for c in ("code", "member_ref", "family_ref", "household_ref", "related_nik", "cluster_id", "rank")
        if c in findings.column_names
    ]
    con.register("f", findings.select(cols))
    t = Path(truth_dir)
    con.execute(f"CREATE TABLE e AS SELECT * FROM read_csv('{t / 'errors.csv'}', all_varchar = true)")
    con.execute(f"CREATE TABLE m AS SELECT * FROM read_csv('{t / 'members.csv'}', all_varchar = true)")
    scores: list[Score] = []
    kinds_present = {r[0] for r in con.execute("SELECT DISTINCT kind FROM e").fetchall()}
    for kind, codes in KIND_CODES.items():
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
        tp = con.execute(f"SELECT COUNT(*) FROM ({truth}) t WHERE u IN ({flagged})").fetchall()[0][0]
        fn = con.execute(f"SELECT COUNT(*) FROM ({truth}) t WHERE u NOT IN ({flagged})").fetchall()[0][0]
        fp = con.execute(f"SELECT COUNT(*) FROM ({flagged}) x WHERE u NOT IN ({explained})").fetchall()[0][0]
        scores.append(Score(kind, tp, fp, fn))
    scores.append(_ganda(con))
    top, n = _suggestions(con)
    con.close()
    return Evaluation(scores, top, n)


def _ganda(con: duckdb.DuckDBPyConnection) -> Score:
    """Pairwise: predicted pairs = two records in one DUP cluster; true pairs = one person_id."""
    con.execute(
        """CREATE TABLE tp AS SELECT a.id_art AS a, b.id_art AS b FROM m a JOIN m b
           ON a.person_id = b.person_id AND a.id_art < b.id_art"""
    )
    con.execute(
        """CREATE TABLE pp AS SELECT DISTINCT a.member_ref AS a, b.member_ref AS b
           FROM (SELECT DISTINCT member_ref, cluster_id FROM f WHERE code = 'DUP') a
           JOIN (SELECT DISTINCT member_ref, cluster_id FROM f WHERE code = 'DUP') b
           ON a.cluster_id = b.cluster_id AND a.member_ref < b.member_ref"""
    )
    tp = con.execute("SELECT COUNT(*) FROM pp JOIN tp USING (a, b)").fetchall()[0][0]
    n_pred = con.execute("SELECT COUNT(*) FROM pp").fetchall()[0][0]
    n_true = con.execute("SELECT COUNT(*) FROM tp").fetchall()[0][0]
    return Score("ganda (pasangan)", tp, n_pred - tp, n_true - tp)


def _suggestions(con: duckdb.DuckDBPyConnection) -> tuple[float | None, int]:
    rows = con.execute(
        """SELECT COUNT(*), COUNT(*) FILTER (WHERE s.related_nik = m.true_nik)
           FROM (SELECT DISTINCT id_art FROM e WHERE kind IN ('nik_typo', 'nik_transposed')) x
           JOIN m ON m.id_art = x.id_art
           LEFT JOIN (SELECT member_ref, related_nik FROM f WHERE code = 'NIK_SUGGESTION' AND rank = 1) s
             ON s.member_ref = x.id_art"""
    ).fetchall()[0]
    n, ok = rows
    return (ok / n if n else None), int(n)
