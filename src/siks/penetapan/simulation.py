"""Simulate a candidate rule set before a penetapan: who would enter and leave, per wilayah, and how wrong.

Why: a threshold or an exclusion changes who gets aid; the kabupaten should see the effect before it is frozen
(OpenSPP's `spp_simulation`, docs/sources.md §2.3). The simulation runs the same decision as `create` over the
current registry, compares it with the last penetapan of the wilayah (masuk/keluar), and with a "truth" to
estimate errors:
- inclusion error: in DTKS under the candidate, but the truth says the ruta should not be (true desil above
  the threshold, or the field visit found it gone);
- exclusion error: the truth says it belongs (true desil within the threshold), the candidate leaves it out.
Truth is either the latest field verval (hasil verivali and a PMT re-score of the visit's answers) or a
file of true desil per ruta (the generator's `truth/households.csv`). Only aggregates are stored.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siks.domain import pmt, pmt_features, wilayah
from siks.domain import programs as rules
from siks.domain.penetapan import Criteria, age, criteria_to_dict, decide, member_status
from siks.domain.status import TaskStatus
from siks.errors import Forbidden, Invalid
from siks.penetapan import service, sources
from siks.penetapan.sources import ScoreTable
from siks.scope import Scope
from siks.store import verval_runs
from siks.store.models.fieldwork import FieldTask
from siks.store.models.penetapan import PenetapanHousehold, Simulation
from siks.store.models.registry import Assessment, AssessmentMember, Member

SIMULATE_ROLES = service.CREATE_ROLES | {"operator_kabupaten"}
# Fairness (issue #18.5): the same tallies per kind of household, so a Dinsos sees whom a rule change hurts.
GROUPS = {
    "kepala_ruta": "Jenis kelamin kepala ruta",
    "disabilitas": "Anggota penyandang disabilitas",
    "lansia": "Anggota lansia (60 tahun ke atas)",
    "balita": "Anak balita (di bawah 5 tahun)",
    "kecamatan": "Kecamatan",
}
GROUP_VALUE_LABEL = {
    ("kepala_ruta", "perempuan"): "Kepala perempuan",
    ("kepala_ruta", "laki-laki"): "Kepala laki-laki",
    ("kepala_ruta", "tidak diketahui"): "Kepala tidak diketahui",
    ("disabilitas", "ada"): "Ada disabilitas",
    ("disabilitas", "tidak ada"): "Tanpa disabilitas",
    ("lansia", "ada"): "Ada lansia",
    ("lansia", "tidak ada"): "Tanpa lansia",
    ("balita", "ada"): "Ada balita",
    ("balita", "tidak ada"): "Tanpa balita",
}
ELDERLY_AGE = 60  # lansia (UU 13/1998)
UNDER_FIVE = 5  # balita
GONE = 99  # truth "desil" of a ruta the field found gone (not found, moved, ganda): never eligible
LEVEL_DIGITS = {2: "kabupaten", 3: "kecamatan", 4: "desa"}


@dataclass
class Truth:
    """True desil per ruta ref (GONE: should not be in DTKS), and where it came from."""

    desil: dict[str, int] = field(default_factory=dict)
    source: str = ""


def truth_from_file(path: str | Path) -> Truth:
    """`id_ruta`/`household_ref` and `desil` columns (the synthetic generator's truth file)."""
    out: dict[str, int] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            ref = row.get("id_ruta") or row.get("household_ref")
            try:
                out[str(ref)] = int(float(row["desil"]))
            except (KeyError, TypeError, ValueError):
                continue
    return Truth(out, f"berkas:{Path(path).name}")


def _cutoffs(scores: ScoreTable) -> list[float]:
    """Score cut-offs between desil 1..10 of the current ranking (lowest score of each desil from 2)."""
    lowest: dict[int, float] = {}
    for s in scores.scores.values():
        if s.desil and s.skor is not None:
            lowest[s.desil] = min(lowest.get(s.desil, s.skor), s.skor)
    cuts = [lowest.get(d) for d in range(2, 11)]
    return [c for c in cuts if c is not None] if all(c is not None for c in cuts) else []


def truth_from_fieldwork(session: Session, scope: Scope, scores: ScoreTable) -> Truth:
    """The latest completed field visit per ruta: gone → GONE; visited → desil of the visit's answers
    scored with the shipped PMT model against the current ranking's cut-offs (when scores carry them)."""
    from siks.store.models.registry import Household

    latest = (
        select(func.max(FieldTask.id))
        .join(Household, Household.id == FieldTask.household_id)
        .where(FieldTask.status == TaskStatus.SELESAI, scope.where(Household.desa_code))
        .group_by(FieldTask.household_id)
    )
    tasks = session.execute(
        select(FieldTask, Household)
        .join(Household, Household.id == FieldTask.household_id)
        .where(FieldTask.id.in_(latest))
    ).all()
    model, cuts = pmt.default_model(), _cutoffs(scores)
    out: dict[str, int] = {}
    for task, house in tasks:
        if task.result in (2, 3, 5):
            out[house.ref] = GONE
        elif task.result in (1, 4) and task.assessment_id and cuts:
            desil = _field_desil(session, task, house, model, cuts)
            if desil is not None:
                out[house.ref] = desil
    return Truth(out, "verval lapangan")


def _field_desil(session: Session, task: FieldTask, house, model, cuts: list[float]) -> int | None:
    a = session.get(Assessment, task.assessment_id)
    if a is None:
        return None
    rows = session.execute(
        select(Member, AssessmentMember.answers)
        .join(AssessmentMember, AssessmentMember.member_id == Member.id)
        .where(AssessmentMember.assessment_id == a.id)
    ).all()
    members = [
        {"jenis_kelamin": m.sex, "tanggal_lahir": m.tanggal_lahir, "hubungan_kk": m.hubungan_kk,
         "keberadaan": m.keberadaan, **(answers or {})}
        for m, answers in rows
    ]  # fmt: skip
    on = task.visited_on or dt.date.today()
    features = pmt_features.household_features(a.answers or {}, members, on)
    value = pmt.score(model, features, house.desa_code.replace(".", "")).value
    return pmt.desil_from_cutoffs(value, cuts)


@dataclass
class Tally:
    baseline: int = 0
    candidate: int = 0
    masuk: int = 0
    keluar: int = 0
    truth: int = 0
    truly_eligible: int = 0
    inclusion_error: int = 0
    exclusion_error: int = 0
    # Expected errors from each ruta's P(true desil ≤ threshold) (the PMT prediction interval; an official
    # desil counts as certain): no truth needed, so a kabupaten sees them before any field visit.
    harapan_ruta: int = 0  # ruta with a probability
    harapan_layak: float = 0.0  # expected number truly within the threshold
    harapan_inclusion: float = 0.0
    harapan_exclusion: float = 0.0
    harapan_candidate: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        included_known = self.candidate_known
        d["tingkat_inclusion_error"] = (
            round(self.inclusion_error / included_known, 4) if included_known else None
        )
        d["tingkat_exclusion_error"] = (
            round(self.exclusion_error / self.truly_eligible, 4) if self.truly_eligible else None
        )
        for name in ("harapan_layak", "harapan_inclusion", "harapan_exclusion"):
            d[name] = round(d[name], 2)
        d["harapan_tingkat_inclusion_error"] = (
            round(self.harapan_inclusion / self.harapan_candidate, 4) if self.harapan_candidate else None
        )
        d["harapan_tingkat_exclusion_error"] = (
            round(self.harapan_exclusion / self.harapan_layak, 4) if self.harapan_layak else None
        )
        return d

    candidate_known: int = 0  # candidate-included ruta that have a truth value


def household_groups(members: list[dict], desa_code: str | None, on: dt.date) -> dict[str, str]:
    """The groups a ruta belongs to, from the anggota living there: sex of the kepala ruta (the first
    kepala keluarga), anyone with a disability, anyone aged 60+, any child under five, and its kecamatan."""
    present = [
        m for m in members if m.get("keberadaan") in (None, 1, 5) and m.get("status", "aktif") == "aktif"
    ]
    head = next((m for m in present if m.get("hubungan_kk") == 1), None)
    sex = {1: "laki-laki", 2: "perempuan"}.get(head.get("sex") if head else None, "tidak diketahui")
    ages = [a for a in (age(_born(m.get("tanggal_lahir")), on) for m in present) if a is not None]
    disabled = any((m.get("answers") or {}).get("disabilitas") is True for m in present)
    return {
        "kepala_ruta": sex,
        "disabilitas": "ada" if disabled else "tidak ada",
        "lansia": "ada" if any(a >= ELDERLY_AGE for a in ages) else "tidak ada",
        "balita": "ada" if any(a < UNDER_FIVE for a in ages) else "tidak ada",
        "kecamatan": _group(desa_code, 3),
    }


def _born(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _check(session: Session, user, wilayah_code: str | None) -> str | None:
    if getattr(user, "role", None) not in SIMULATE_ROLES:
        raise Forbidden("Simulasi kriteria untuk Dinas Sosial kabupaten/kota ke atas.")
    scope = Scope.of(user)
    code = wilayah.normalize(wilayah_code) if wilayah_code else scope.code
    if code is not None:
        if wilayah.get(code) is None or wilayah.level(code) > 2:
            raise Invalid("Simulasi dijalankan untuk satu kabupaten/kota atau wilayah yang lebih luas.")
        scope.check(code)
    elif not scope.is_national:
        raise Forbidden()
    return code


def simulate(
    session: Session,
    user,
    criteria: Criteria,
    *,
    title: str = "Simulasi",
    wilayah_code: str | None = None,
    scores: ScoreTable | None = None,
    verval_run_id: str | None = None,
    truth: Truth | None = None,
    programs: list[rules.Program] | None = None,
    level: int = 3,
    on: dt.date | None = None,
    save: bool = True,
) -> Simulation:
    """Run `criteria` over the current registry of the wilayah; return (and keep) the aggregates."""
    code = _check(session, user, wilayah_code)
    on = on or dt.date.today()
    if level not in LEVEL_DIGITS:
        raise Invalid("Tingkat rincian harus 2 (kabupaten), 3 (kecamatan) atau 4 (desa).")
    run = verval_runs.finished_run(session, verval_run_id)
    scores = scores if scores is not None else sources.scores_for_run(run)
    if truth is None:
        truth = truth_from_fieldwork(session, Scope(code), scores)
    baseline_p = service.previous_of(session, code, on)
    baseline: dict[str, bool] = {}
    if baseline_p is not None:
        baseline = dict(
            session.execute(
                select(PenetapanHousehold.household_ref, PenetapanHousehold.included).where(
                    PenetapanHousehold.penetapan_id == baseline_p.id
                )
            ).all()
        )
    tallies: dict[str, Tally] = defaultdict(Tally)
    groups: dict[str, dict[str, Tally]] = {d: defaultdict(Tally) for d in GROUPS}
    program_totals = {p.code: {"nama": p.name, "penerima": 0, "nominal_per_tahun": 0} for p in programs or []}
    for frozen in sources.read_registry(session, Scope(code), scores, run.id if run else None, on):
        verdict = decide(criteria, frozen.facts)
        key = _group(frozen.household["desa_code"], level)
        one = Tally()
        was, now = bool(baseline.get(frozen.facts.ref)), verdict.included
        one.baseline += was
        one.candidate += now
        one.masuk += now and not was
        one.keluar += was and not now
        chance = scores.get(frozen.facts.ref).prob_at_most(criteria.desil_max)
        if chance is not None:
            one.harapan_ruta += 1
            one.harapan_layak += chance
            one.harapan_candidate += now
            one.harapan_inclusion += (1.0 - chance) if now else 0.0
            one.harapan_exclusion += 0.0 if now else chance
        true_desil = truth.desil.get(frozen.facts.ref)
        if true_desil is not None:
            should = true_desil <= criteria.desil_max
            one.truth += 1
            one.truly_eligible += should
            one.candidate_known += now
            one.inclusion_error += now and not should
            one.exclusion_error += should and not now
        tallies[key].add(one)
        for dimension, value in household_groups(frozen.members, frozen.household["desa_code"], on).items():
            groups[dimension][value].add(one)
        if programs and now:
            _programs(programs, program_totals, frozen, verdict.included, on)
    rows = [{"wilayah": k, "nama": _name(k), **v.as_dict()} for k, v in sorted(tallies.items())]
    total = Tally()
    for v in tallies.values():
        total.add(v)
    totals = total.as_dict() | {
        "kelompok": {
            d: [
                {"kelompok": v, "nama": _group_label(d, v), **t.as_dict()}
                for v, t in sorted(groups[d].items())
            ]
            for d in GROUPS
        },
        "program": program_totals,
        "baseline_penetapan": baseline_p.title if baseline_p else None,
    }
    sim = Simulation(
        title=title, wilayah_code=code, criteria=criteria_to_dict(criteria),
        programs={p.code: {"versi": p.key, "params": dict(p.params)} for p in programs or []},
        baseline_penetapan_id=baseline_p.id if baseline_p else None, truth_source=truth.source or None,
        totals=totals, rows=rows, created_by=getattr(user, "username", str(user))[:100],
    )  # fmt: skip
    if save:
        session.add(sim)
        session.flush()
    return sim


def _programs(programs, totals: dict, frozen, included: bool, on: dt.date) -> None:
    members = []
    for row in frozen.members:
        inside, _ = member_status(row, included)
        members.append(row | {"included": inside})
    house = frozen.household | {"included": included}
    for fam in rules.facts_from_rows(house, members, on):
        for prog in programs:
            if prog.unit == "ppks_orang":  # not a household unit: the simulation has no PPKS list
                continue
            if prog.unit == "anggota":
                n = sum(e.eligible for e in rules.evaluate_people(prog, fam))
                totals[prog.code]["penerima"] += n
                totals[prog.code]["nominal_per_tahun"] += n * (prog.amount_per_year or 0)
            else:
                ent = rules.evaluate_family(prog, fam)
                totals[prog.code]["penerima"] += ent.eligible
                totals[prog.code]["nominal_per_tahun"] += ent.amount_per_year if ent.eligible else 0


def _group(desa_code: str | None, level: int) -> str:
    if not desa_code:
        return "-"
    return ".".join(desa_code.split(".")[:level])


def _group_label(dimension: str, value: str) -> str:
    return GROUP_VALUE_LABEL.get((dimension, value)) or _name(value)


def _name(code: str) -> str:
    w = wilayah.get(code) if code != "-" else None
    return w.name if w else code


def listing(session: Session, user) -> list[Simulation]:
    scope = Scope.of(user)
    rows = session.scalars(select(Simulation).order_by(Simulation.id.desc()).limit(50))
    return [s for s in rows if scope.overlaps(s.wilayah_code)]
