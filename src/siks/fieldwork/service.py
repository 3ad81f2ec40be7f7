"""Field verval: assign households to enumerators, record visits, and show progress per desa and kecamatan.

Why this shape:
- Assignment is by area (desa, optionally dusun/RW/RT), the way a Dinsos or TKSK splits the work; one open
  task per household, and assigning again moves an open task to the new enumerator.
- A visit writes the result codes, a new dated Assessment (previous answers carried over, changes on top,
  by whom) and, where it found someone dead, moved, missing or duplicated, a draft *nonaktif* usulan at the
  desa (channel `verval`). The registry itself changes only when that usulan is accepted.
- Progress reads per-desa counters (`field_progress`) that assign and record_visit keep in their own
  transaction: counting every task joined to its household took 0.2–0.7 s for a kabupaten at a million
  persons. A household never changes desa, and tasks are never deleted, so the counters stay exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from siks.audit import record_change, register_entity_scope
from siks.domain import wilayah
from siks.domain.fieldwork import (
    HOUSEHOLD_ANSWERED,
    HOUSEHOLD_NONAKTIF,
    MEMBER_NONAKTIF,
    MEMBER_SKIPS,
    check_visit,
    clean_answers,
    household_fields,
    member_fields,
)
from siks.domain.instruments import REGSOSEK2022_K
from siks.domain.status import TaskStatus
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.scope import Scope
from siks.store.base import utcnow
from siks.store.models.accounts import User
from siks.store.models.fieldwork import FieldMemberResult, FieldProgress, FieldTask
from siks.store.models.registry import STATUS_ACTIVE, Assessment, AssessmentMember, Family, Household, Member
from siks.usulan import service as usulan_service

ASSIGNER_ROLES = frozenset({"operator_kecamatan", "operator_kabupaten", "supervisor_kabupaten"})
VIEWER_ROLES = ASSIGNER_ROLES | {"pengesah_kabupaten", "operator_provinsi", "pusat", "auditor"}

register_entity_scope(
    "field_task",
    lambda: select(FieldTask.id, Household.desa_code).join(Household, FieldTask.household_id == Household.id),
)


def _rwrt(value: str | None) -> str | None:
    text = (value or "").strip()
    return text.zfill(3) if text else None


def enumerators(session: Session, user) -> list[User]:
    """Active enumerators inside the assigner's scope."""
    stmt = select(User).where(User.role == "enumerator", User.active.is_(True))
    stmt = stmt.where(Scope.of(user).where(User.wilayah_code))
    return list(session.scalars(stmt.order_by(User.wilayah_code, User.username)))


@dataclass(slots=True)
class AssignResult:
    created: int
    moved: int
    skipped_done: int


def _area(session: Session, desa_code: str, dusun: str | None, rw: str | None, rt: str | None):
    stmt = select(Household.id).where(Household.desa_code == desa_code, Household.status == STATUS_ACTIVE)
    if dusun:
        stmt = stmt.where(func.lower(Household.dusun) == dusun.strip().lower())
    if rw:
        stmt = stmt.where(Household.rw == _rwrt(rw))
    if rt:
        stmt = stmt.where(Household.rt == _rwrt(rt))
    return stmt


def assign(
    session: Session,
    user,
    enumerator_id: int,
    desa_code: str,
    *,
    dusun: str | None = None,
    rw: str | None = None,
    rt: str | None = None,
) -> AssignResult:
    """Give every active household of the area to the enumerator (moving open tasks; visited ones stay)."""
    if user.role not in ASSIGNER_ROLES:
        raise Forbidden("Penugasan verval lapangan dilakukan oleh operator kecamatan atau kabupaten.")
    desa_code = wilayah.normalize(desa_code)
    scope = Scope.of(user)
    scope.check(desa_code)
    enum = session.get(User, enumerator_id)
    if enum is None or enum.role != "enumerator" or not enum.active or not scope.covers(enum.wilayah_code):
        raise NotFound("Enumerator tidak ditemukan di wilayah Anda.")
    if not Scope.of(enum).covers(desa_code):
        raise Invalid(f"Enumerator {enum.username} bertugas di wilayah lain; pilih enumerator desa ini.")
    ids = list(session.scalars(_area(session, desa_code, dusun, rw, rt)))
    if not ids:
        raise Invalid("Tidak ada rumah tangga aktif di wilayah yang dipilih.")
    tasks = session.scalars(select(FieldTask).where(FieldTask.household_id.in_(ids))).all()
    open_by_household = {t.household_id: t for t in tasks if t.status == TaskStatus.DITUGASKAN}
    done = {t.household_id for t in tasks if t.status == TaskStatus.SELESAI}
    created = moved = 0
    for hid in ids:
        task = open_by_household.get(hid)
        if task is not None:
            if task.enumerator_id != enum.id:
                task.enumerator_id, task.assigned_by_id, task.assigned_at = enum.id, user.id, utcnow()
                moved += 1
        elif hid not in done:
            session.add(FieldTask(household_id=hid, enumerator_id=enum.id, assigned_by_id=user.id))
            created += 1
    session.flush()
    _count(session, desa_code, total=created)
    where = ", ".join(
        x for x in (desa_code, dusun and f"dusun {dusun}", rw and f"RW {rw}", rt and f"RT {rt}") if x
    )
    record_change(
        session, user, "user", enum.id, None, {"tugas_baru": created, "dipindah": moved, "wilayah": where},
        f"Penugasan verval lapangan: {where}", action="tugaskan",
    )  # fmt: skip
    return AssignResult(created, moved, len(done & set(ids)))


# --- the enumerator's side --------------------------------------------------------------------------------


@dataclass(slots=True)
class TaskRow:
    task: FieldTask
    household: Household
    head: str | None


def _heads(session: Session, household_ids: list[int]) -> dict[int, str]:
    if not household_ids:
        return {}
    rows = session.execute(
        select(Family.household_id, Member.nama)
        .join(Member, Member.family_id == Family.id)
        .where(Family.household_id.in_(household_ids), Member.hubungan_kk == 1)
        .order_by(Member.id)
    )
    heads: dict[int, str] = {}
    for hid, nama in rows:
        heads.setdefault(hid, nama)
    return heads


def my_tasks(
    session: Session, user, status: str | None = TaskStatus.DITUGASKAN, limit: int = 200
) -> list[TaskRow]:
    """The enumerator's households, in walking order (dusun, RW, RT, address)."""
    stmt = (
        select(FieldTask, Household)
        .join(Household, FieldTask.household_id == Household.id)
        .where(FieldTask.enumerator_id == user.id)
    )
    if status:
        stmt = stmt.where(FieldTask.status == status)
    rows = session.execute(
        stmt.order_by(Household.dusun, Household.rw, Household.rt, Household.alamat, Household.id).limit(
            limit
        )
    ).all()
    heads = _heads(session, [h.id for _, h in rows])
    return [TaskRow(t, h, heads.get(h.id)) for t, h in rows]


def get_task(session: Session, user, task_id: int) -> tuple[FieldTask, Household]:
    """A task for its enumerator, or for a viewer whose scope holds the household."""
    task = session.get(FieldTask, task_id)
    if task is None:
        raise NotFound()
    household = session.get(Household, task.household_id)
    if task.enumerator_id != user.id:
        if user.role not in VIEWER_ROLES:
            raise NotFound()
        Scope.of(user).check(household.desa_code)
    return task, household


def latest_assessment(session: Session, household_id: int) -> Assessment | None:
    return session.scalars(
        select(Assessment)
        .where(Assessment.household_id == household_id)
        .order_by(Assessment.id.desc())
        .limit(1)
    ).first()


def _previous_member_answers(session: Session, assessment: Assessment | None) -> dict[int, dict]:
    if assessment is None:
        return {}
    rows = session.scalars(select(AssessmentMember).where(AssessmentMember.assessment_id == assessment.id))
    return {r.member_id: dict(r.answers or {}) for r in rows}


def active_members(household: Household) -> list[Member]:
    return [m for f in household.families for m in f.members if m.status == STATUS_ACTIVE]


def visit_form(session: Session, user, task_id: int) -> dict:
    """What the visit page shows: the task, household, members, and the current answers to start from."""
    task, household = get_task(session, user, task_id)
    latest = latest_assessment(session, household.id)
    same = latest is not None and latest.instrument == REGSOSEK2022_K
    return {
        "task": task,
        "household": household,
        "members": active_members(household),
        "answers": dict(latest.answers or {}) if same else {},
        "member_answers": _previous_member_answers(session, latest) if same else {},
        "household_fields": household_fields(),
        "member_fields": member_fields(),
    }


@dataclass(slots=True)
class VisitResult:
    task: FieldTask
    assessment_id: int | None
    usulan_ids: list[int]


def record_visit(
    session: Session,
    user,
    task_id: int,
    version: int | None,
    *,
    result: int,
    keberadaan: dict[int, int],
    answers: dict | None = None,
    member_answers: dict[int, dict] | None = None,
    visited_on: dt.date | None = None,
    note: str | None = None,
) -> VisitResult:
    """The enumerator's record of one visit (see the module docstring for what it writes)."""
    task = session.get(FieldTask, task_id)
    if task is None or task.enumerator_id != user.id:
        raise NotFound()
    if version is None or int(version) != task.version:
        raise Conflict()
    if task.status != TaskStatus.DITUGASKAN:
        raise Invalid("Kunjungan rumah tangga ini sudah dicatat.")
    household = session.get(Household, task.household_id)
    members = {m.id: m for m in active_members(household)}
    result = int(result)
    keberadaan = {int(k): int(v) for k, v in (keberadaan or {}).items()}
    problems = check_visit(result, keberadaan)
    if set(keberadaan) - set(members):
        problems.append("Ada anggota yang bukan anggota rumah tangga ini.")
    if result in HOUSEHOLD_ANSWERED and set(members) - set(keberadaan):
        problems.append("Isi keberadaan setiap anggota rumah tangga.")
    clean, more = clean_answers(household_fields(), answers or {})
    problems += more
    clean_members: dict[int, dict] = {}
    for mid, raw in (member_answers or {}).items():
        values, more = clean_answers(member_fields(), raw)
        problems += [f"{members[int(mid)].nama if int(mid) in members else mid}: {p}" for p in more]
        clean_members[int(mid)] = values
    visited_on = visited_on or dt.date.today()
    if visited_on > dt.date.today():
        problems.append("Tanggal kunjungan tidak boleh di masa depan.")
    if problems:
        raise Invalid("Catatan kunjungan belum benar: " + "; ".join(problems))

    for mid, code in keberadaan.items():
        session.add(FieldMemberResult(task_id=task.id, member_id=mid, keberadaan=code))
    assessment_id = None
    if result in HOUSEHOLD_ANSWERED:
        assessment_id = _new_assessment(
            session, user, task, household, clean, clean_members, keberadaan, visited_on
        )
    before = {"status": task.status, "result": task.result}
    task.status, task.result, task.visited_on, task.note = TaskStatus.SELESAI, result, visited_on, note
    task.completed_at, task.assessment_id = utcnow(), assessment_id
    try:
        session.flush()
    except StaleDataError:
        raise Conflict() from None
    record_change(
        session, user, "field_task", task.id, before, {"status": task.status, "result": result}, note,
        action="kunjungan",
    )  # fmt: skip
    _count(session, household.desa_code, done=1)
    usulan_ids = _propose(session, user, task, household, result, keberadaan)
    return VisitResult(task, assessment_id, usulan_ids)


def _new_assessment(session, user, task, household, answers, member_answers, keberadaan, visited_on) -> int:
    latest = latest_assessment(session, household.id)
    same = latest is not None and latest.instrument == REGSOSEK2022_K
    base = dict(latest.answers or {}) if same else {}
    previous_members = _previous_member_answers(session, latest) if same else {}
    a = Assessment(
        household_id=household.id, instrument=REGSOSEK2022_K, assessed_on=visited_on,
        assessed_by=user.username, answers=base | answers,
    )  # fmt: skip
    session.add(a)
    session.flush()
    for mid, code in keberadaan.items():
        if code in MEMBER_SKIPS:
            continue
        values = previous_members.get(mid, {}) | member_answers.get(mid, {}) | {"keberadaan": code}
        session.add(AssessmentMember(assessment_id=a.id, member_id=mid, answers=values))
    session.flush()
    changed = sorted(k for k in answers if base.get(k) != answers[k])
    record_change(
        session, user, "household", household.id, None,
        {"assessment_id": a.id, "assessed_on": visited_on, "changed": changed},
        f"Verval lapangan (tugas #{task.id}): pendataan baru", action="pendataan",
    )  # fmt: skip
    return a.id


def _propose(session, user, task, household, result, keberadaan) -> list[int]:
    """Draft nonaktif usulan for what the visit found; an open one on the same record is left as it is."""
    wanted = []
    if result in HOUSEHOLD_NONAKTIF:
        wanted.append(("household", household.id, HOUSEHOLD_NONAKTIF[result]))
    else:
        wanted += [
            ("member", mid, MEMBER_NONAKTIF[c]) for mid, c in keberadaan.items() if c in MEMBER_NONAKTIF
        ]
    ids = []
    for entity, rid, reason in wanted:
        try:
            with session.begin_nested():
                u = usulan_service.create_from_channel(
                    session, channel="verval", actor_name=user.username, kind="nonaktif", subkind=reason,
                    target=usulan_service.Target(entity, rid), desa_code=household.desa_code,
                    external_ref=f"tugas{task.id}-{entity}{rid}", payload={},
                    note=f"Hasil verval lapangan tugas #{task.id}",
                )  # fmt: skip
            ids.append(u.id)
        except Invalid:
            continue  # e.g. an usulan is already open for this record
    return ids


# --- progress ---------------------------------------------------------------------------------------------


def _count(session: Session, desa_code: str, *, total: int = 0, done: int = 0) -> None:
    """Add to a desa's counters in the current transaction (the row is created on first use).

    One atomic statement per call: concurrent assigns and visits in one desa queue on its row, none is lost.
    """
    if not (total or done):
        return
    table = FieldProgress.__table__
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(table).values(desa_code=desa_code, total=total, done=done)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.desa_code],
                set_={"total": table.c.total + total, "done": table.c.done + done},
            )
        )
        return
    changed = session.execute(  # pragma: no cover - other databases are not supported, but stay correct
        update(table)
        .where(table.c.desa_code == desa_code)
        .values(total=table.c.total + total, done=table.c.done + done)
    ).rowcount
    if not changed:  # pragma: no cover
        session.execute(table.insert().values(desa_code=desa_code, total=total, done=done))


@dataclass(slots=True)
class Progress:
    code: str
    name: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def progress(session: Session, user) -> dict[str, list[Progress]]:
    """Done/total tasks per desa and per kecamatan within the user's scope."""
    if user.role not in VIEWER_ROLES:
        raise Forbidden("Halaman kemajuan verval untuk operator kecamatan ke atas.")
    rows = session.execute(
        select(FieldProgress.desa_code, FieldProgress.done, FieldProgress.total)
        .where(Scope.of(user).where(FieldProgress.desa_code), FieldProgress.total > 0)
        .order_by(FieldProgress.desa_code)
    ).all()
    desa = [Progress(code, _name(code), int(d or 0), int(t)) for code, d, t in rows]
    kec: dict[str, Progress] = {}
    for p in desa:
        code = p.code.rsplit(".", 1)[0]
        k = kec.setdefault(code, Progress(code, _name(code), 0, 0))
        k.done += p.done
        k.total += p.total
    return {"kecamatan": list(kec.values()), "desa": desa}


def _name(code: str) -> str:
    w = wilayah.get(code)
    return w.name if w else code
