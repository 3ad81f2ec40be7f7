"""The JSON API for verval lapangan: the enumerator's tasks, visits, assignment and progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from siks.domain.status import TaskStatus
from siks.fieldwork import service
from siks.web.deps import CurrentUser, Db

router = APIRouter(prefix="/api/v1/fieldwork", tags=["verval lapangan"])


class TaskOut(BaseModel):
    id: int
    household_id: int
    household_ref: str
    desa_code: str
    dusun: str | None
    rw: str | None
    rt: str | None
    alamat: str | None
    head: str | None
    status: str
    result: int | None
    visited_on: dt.date | None
    version: int


class TaskMemberOut(BaseModel):
    """An active anggota of the task's ruta; `id` keys `keberadaan` and `member_answers` in a visit."""

    id: int
    ref: str
    family_ref: str
    no_urut: int
    nama: str
    hubungan_kk: int | None
    keberadaan: int | None


class TaskDetailOut(TaskOut):
    members: list[TaskMemberOut]


class VisitIn(BaseModel):
    version: int
    result: int = Field(description="hasil verivali per ruta: 1–6 (docs/usulan.md §5)")
    keberadaan: dict[int, int] = Field(default_factory=dict, description="member_id → kode keberadaan 404")
    answers: dict[str, Any] = Field(default_factory=dict, description="jawaban ruta, kunci kolom templat")
    member_answers: dict[int, dict[str, Any]] = Field(default_factory=dict)
    visited_on: dt.date | None = None
    note: str | None = Field(None, max_length=2000)


class VisitOut(BaseModel):
    task: TaskOut
    assessment_id: int | None
    usulan_ids: list[int]


class AssignIn(BaseModel):
    enumerator_id: int
    desa_code: str
    dusun: str | None = None
    rw: str | None = None
    rt: str | None = None


class AssignOut(BaseModel):
    created: int
    moved: int
    skipped_done: int


class ProgressOut(BaseModel):
    code: str
    name: str
    done: int
    total: int


def task_out(task, household, head=None) -> TaskOut:
    return TaskOut(
        id=task.id,
        household_id=household.id,
        household_ref=household.ref,
        desa_code=household.desa_code,
        dusun=household.dusun,
        rw=household.rw,
        rt=household.rt,
        alamat=household.alamat,
        head=head,
        status=task.status,
        result=task.result,
        visited_on=task.visited_on,
        version=task.version,
    )


@router.get("/tasks", response_model=list[TaskOut])
def my_tasks(db: Db, user: CurrentUser, status: str | None = TaskStatus.DITUGASKAN):
    """Your own tasks (enumerator), in walking order."""
    return [task_out(r.task, r.household, r.head) for r in service.my_tasks(db, user, status)]


@router.get("/tasks/{task_id}", response_model=TaskDetailOut)
def get_task(task_id: int, db: Db, user: CurrentUser):
    """One task with the ruta's active anggota: a visit needs each one's keberadaan (404)."""
    task, household = service.get_task(db, user, task_id)
    members = [
        TaskMemberOut(
            id=m.id,
            ref=m.ref,
            family_ref=m.family.ref,
            no_urut=m.no_urut,
            nama=m.nama,
            hubungan_kk=m.hubungan_kk,
            keberadaan=m.keberadaan,
        )  # fmt: skip
        for m in service.active_members(household)
    ]
    return TaskDetailOut(**task_out(task, household).model_dump(), members=members)


@router.post("/tasks/{task_id}/visit", response_model=VisitOut)
def visit(task_id: int, body: VisitIn, db: Db, user: CurrentUser):
    """Record one visit: result, keberadaan per member, updated answers (a new dated assessment)."""
    out = service.record_visit(
        db,
        user,
        task_id,
        body.version,
        result=body.result,
        keberadaan=body.keberadaan,
        answers=body.answers,
        member_answers=body.member_answers,
        visited_on=body.visited_on,
        note=body.note,
    )
    task, household = service.get_task(db, user, task_id)
    return VisitOut(
        task=task_out(task, household), assessment_id=out.assessment_id, usulan_ids=out.usulan_ids
    )


@router.post("/assignments", response_model=AssignOut)
def assign(body: AssignIn, db: Db, user: CurrentUser):
    r = service.assign(db, user, body.enumerator_id, body.desa_code, dusun=body.dusun, rw=body.rw, rt=body.rt)
    return AssignOut(created=r.created, moved=r.moved, skipped_done=r.skipped_done)


@router.get("/progress", response_model=dict[str, list[ProgressOut]])
def progress(db: Db, user: CurrentUser):
    """Done/total per kecamatan and per desa in your wilayah."""
    data = service.progress(db, user)
    return {
        k: [ProgressOut(code=p.code, name=p.name, done=p.done, total=p.total) for p in v]
        for k, v in data.items()
    }
