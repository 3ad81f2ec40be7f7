"""What a penetapan reads: the registry (in chunks), the verval run's findings, and the desil per ruta.

Why separate from the service: the simulation reads the same facts without writing anything, and the
tests feed scores directly. Desil comes from the PMT step's `household_pmt` table, which the verval run
keeps as Parquet in its run directory; `--skor FILE` (Parquet or CSV with `household_ref`/`id_ruta`,
`desil`, optionally `score`/`skor_pmt` and `model`) names another file, e.g. the generator's truth.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siks.domain.penetapan import HouseholdFacts, age
from siks.scope import Scope
from siks.store import verval_runs
from siks.store.models.registry import Assessment, AssessmentMember, Family, FamilyKK, Household, Member
from siks.store.models.verval import VervalFinding, VervalRun

CHUNK = 2000
SULIT_KEYS = (
    "sulit_melihat", "sulit_mendengar", "sulit_berjalan", "sulit_tangan_jari", "sulit_belajar",
    "sulit_perilaku", "sulit_bicara", "sulit_mengurus_diri", "sulit_konsentrasi",
)  # fmt: skip
# Per-anggota answers frozen with a penetapan: what program rules and exclusions read.
MEMBER_ANSWERS = (
    "hamil", "partisipasi_sekolah", "pendidikan", "bekerja", "status_pekerjaan", "lapangan_usaha",
    "penyakit_kronis", "kartu_identitas", "jaminan_kesehatan",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Score:
    desil: int | None
    skor: float | None = None
    model: str | None = None
    # P(true desil ≤ k), k = 1…9, from the PMT step's prediction interval (empty when unknown); an official
    # BPS/DTSEN desil is certain.
    peluang: tuple[float, ...] = ()
    resmi: bool = False

    def prob_at_most(self, k: int) -> float | None:
        """The chance this ruta's true desil is ≤ k: 0/1 for an official desil, else the PMT interval's."""
        if self.desil is None:
            return None
        if self.resmi or k >= 10:
            return 1.0 if self.desil <= k else 0.0
        return self.peluang[k - 1] if len(self.peluang) == 9 and k >= 1 else None


@dataclass
class ScoreTable:
    """Desil per household ref, and where it came from (copied into the penetapan)."""

    scores: dict[str, Score] = field(default_factory=dict)
    source: dict[str, object] = field(default_factory=dict)

    def get(self, ref: str) -> Score:
        return self.scores.get(ref) or Score(None)


def _int(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _float(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def read_scores(path: str | Path, kind: str = "berkas") -> ScoreTable:
    """Desil per ruta from a Parquet or CSV file (PMT step output, or a generator's truth file)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    else:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    table: dict[str, Score] = {}
    models: set[str] = set()
    outside = 0
    for r in rows:
        ref = r.get("household_ref") or r.get("id_ruta")
        if not ref:
            continue
        model = r.get("model") or None
        if model:
            models.add(str(model))
        outside += str(r.get("model_di_luar_wilayah")).lower() in ("true", "1")
        chances = tuple(_float(r.get(f"p_desil_{k}")) for k in range(1, 10))
        table[str(ref)] = Score(
            _int(r.get("desil")),
            _float(r.get("score", r.get("skor_pmt"))),
            model,
            peluang=chances if all(c is not None for c in chances) else (),  # type: ignore[arg-type]
            resmi=r.get("sumber_desil") == "resmi",
        )
    source = {"kind": kind, "path": str(path), "sha256": _sha256(path), "rows": len(table)}
    source["models"] = sorted(models)
    official = [r for r in rows if r.get("sumber_desil") == "resmi"]
    if official:  # how many ruta took an official BPS/DTSEN desil, and of which periode(s)
        source["desil_resmi"] = len(official)
        source["periode_desil_resmi"] = sorted({str(r.get("periode_desil_resmi") or "-") for r in official})
    if outside:  # the verval run was told to use a model outside its wilayah: penetapan must say so
        source["model_di_luar_wilayah"] = outside
    return ScoreTable(table, source)


def scores_for_run(run: VervalRun | None) -> ScoreTable:
    """The PMT step's `household_pmt.parquet` of a run, if it can be found; else an empty table."""
    if run is None:
        return ScoreTable(source={"kind": "kosong"})
    path = verval_runs.household_pmt_file(run)
    if path is not None:
        return read_scores(path, kind=f"verval:{run.id}")
    return ScoreTable(source={"kind": "kosong", "run": run.id})


def run_summary(run: VervalRun | None) -> dict | None:
    """The facts about the run copied into the penetapan (the run row is not referenced)."""
    if run is None:
        return None
    return {
        "id": run.id,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "versions": run.versions,
        "finding_count": run.finding_count,
    }


# -- the registry, in chunks ------------------------------------------------------------------------------


@dataclass
class FrozenHousehold:
    """One ruta read from the registry: its row values, its members' frozen rows, and the decision facts."""

    household: dict
    members: list[dict]
    facts: HouseholdFacts


def _answers(raw: Mapping | None) -> dict:
    raw = raw or {}
    out = {k: raw.get(k) for k in MEMBER_ANSWERS if raw.get(k) not in (None, "")}
    hamil = out.get("hamil")
    if isinstance(hamil, bool):
        out["hamil"] = 1 if hamil else 2
    sulit = [raw.get(k) for k in SULIT_KEYS if raw.get(k) not in (None, "")]
    if sulit:
        out["disabilitas"] = any(_int(v) in (1, 2) for v in sulit)
    return out


def _latest_member_answers(session: Session, household_ids: list[int]) -> dict[int, dict]:
    latest = (
        select(func.max(Assessment.id))
        .where(Assessment.household_id.in_(household_ids))
        .group_by(Assessment.household_id)
    )
    rows = session.execute(
        select(AssessmentMember.member_id, AssessmentMember.answers).where(
            AssessmentMember.assessment_id.in_(latest)
        )
    )
    return {mid: answers or {} for mid, answers in rows}


def _findings(session: Session, run_id: str | None, refs: list[str]) -> tuple[dict, dict]:
    """Finding codes per household ref (anyone in it) and per member ref, from one run."""
    by_house: dict[str, set[str]] = defaultdict(set)
    by_member: dict[str, set[str]] = defaultdict(set)
    if run_id is None or not refs:
        return by_house, by_member
    rows = session.execute(
        select(VervalFinding.household_ref, VervalFinding.member_ref, VervalFinding.code).where(
            VervalFinding.run_id == run_id, VervalFinding.household_ref.in_(refs)
        )
    )
    for house, member, code in rows:
        by_house[house].add(code)
        if member:
            by_member[member].add(code)
    return by_house, by_member


def read_registry(
    session: Session, scope: Scope, scores: ScoreTable, run_id: str | None, on: dt.date, chunk: int = CHUNK
) -> Iterator[FrozenHousehold]:
    """Every ruta in the scope (active or not), chunk by chunk, with what a penetapan freezes of it;
    ages for the rules are taken on `on` (the date the penetapan takes effect)."""
    last = 0
    while True:
        houses = list(
            session.scalars(
                select(Household)
                .where(scope.where(Household.desa_code), Household.id > last)
                .order_by(Household.id)
                .limit(chunk)
            )
        )
        if not houses:
            return
        last = houses[-1].id
        ids = [h.id for h in houses]
        families = list(
            session.scalars(select(Family).where(Family.household_id.in_(ids)).order_by(Family.id))
        )
        fam_ids = [f.id for f in families]
        kk = dict(
            session.execute(
                select(FamilyKK.family_id, FamilyKK.kk_number).where(
                    FamilyKK.family_id.in_(fam_ids), FamilyKK.valid_to.is_(None)
                )
            ).all()
        )
        members = list(
            session.scalars(
                select(Member).where(Member.family_id.in_(fam_ids)).order_by(Member.family_id, Member.no_urut)
            )
        )
        answers = _latest_member_answers(session, ids)
        assessed = set(
            session.scalars(
                select(Assessment.household_id).where(Assessment.household_id.in_(ids)).distinct()
            )
        )
        f_house, f_member = _findings(session, run_id, [h.ref for h in houses])
        fam_by_house: dict[int, list[Family]] = defaultdict(list)
        for f in families:
            fam_by_house[f.household_id].append(f)
        mem_by_family: dict[int, list[Member]] = defaultdict(list)
        for m in members:
            mem_by_family[m.family_id].append(m)
        for h in houses:
            yield _freeze(
                h, fam_by_house[h.id], mem_by_family, kk, answers, f_house, f_member, scores, on,
                assessed=h.id in assessed,
            )  # fmt: skip
        # no expunge: the identity map holds clean objects weakly, and the caller's own objects stay attached


def _freeze(
    h, families, mem_by_family, kk, answers, f_house, f_member, scores: ScoreTable, on, assessed: bool = True
) -> FrozenHousehold:
    """A ruta without any pendataan (a new one from an usulan baru) gets no desil, whatever a score file
    says: it waits for verval (issue #18)."""
    score = scores.get(h.ref) if assessed else Score(None)
    rows: list[dict] = []
    for f in families:
        for m in mem_by_family[f.id]:
            rows.append(
                {
                    "household_ref": h.ref,
                    "family_ref": f.ref,
                    "member_ref": m.ref,
                    "member_id": m.id,
                    "kk_number": kk.get(f.id),
                    "no_urut": m.no_urut,
                    "nama": m.nama,
                    "nik": m.nik,
                    "sex": m.sex,
                    "tempat_lahir": m.tempat_lahir,
                    "tanggal_lahir": m.tanggal_lahir,
                    "hubungan_kk": m.hubungan_kk,
                    "keberadaan": m.keberadaan,
                    "status": m.status if f.status == "aktif" else f.status,
                    "answers": _answers(answers.get(m.id)),
                    "findings": sorted(f_member.get(m.ref, ())),
                }
            )
    facts = HouseholdFacts(
        ref=h.ref,
        active=h.status == "aktif",
        desa_code=h.desa_code,
        desil=score.desil,
        skor_pmt=score.skor,
        status_reason=h.status_reason,
        members=[rule_record(r, on) for r in rows],
        findings=frozenset(f_house.get(h.ref, ())),
        assessed=assessed,
    )
    household = {
        "household_ref": h.ref,
        "household_id": h.id,
        "desa_code": h.desa_code,
        "dusun": h.dusun,
        "rw": h.rw,
        "rt": h.rt,
        "alamat": h.alamat,
        "desil": score.desil,
        "skor_pmt": score.skor,
        "pmt_model": score.model,
        "findings": sorted(facts.findings),
    }
    return FrozenHousehold(household, rows, facts)


def rule_record(row: Mapping, on: dt.date) -> dict:
    """A frozen member row as the rule language sees it (eligibility FIELDS names), ages taken on `on`."""
    answers = row.get("answers") or {}
    born = row.get("tanggal_lahir")
    if isinstance(born, str):
        born = dt.date.fromisoformat(born)
    return {
        "umur": age(born, on),
        "nik": row.get("nik") if row.get("nik") and len(str(row.get("nik"))) == 16 else None,
        "jenis_kelamin": row.get("sex"),
        "hubungan_kk": row.get("hubungan_kk"),
        "keberadaan": row.get("keberadaan"),
        "status": row.get("status", "aktif"),
        "tanggal_lahir": row.get("tanggal_lahir"),
        **{k: answers.get(k) for k in MEMBER_ANSWERS},
        "disabilitas": answers.get("disabilitas"),
    }
