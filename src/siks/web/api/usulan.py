"""JSON API for usulan: the same service calls as the pages, for other clients and channels.

Errors answer `{"detail": ..., "code": ...}`: 404 outside the wilayah (as if missing), 403 for a role of
another level, 409 `konflik` for a stale `version` and `transisi_tidak_sah` for a step the state does not
have, 422 for input to fix. Every change sends the `version` it read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from siks.dci import crvs
from siks.domain.masking import mask_numbers, sees_full_nik
from siks.domain.usulan_kinds import Kind
from siks.usulan import batches, config, present, service, sla
from siks.usulan.service import Target
from siks.web.deps import CurrentUser, Db

router = APIRouter(prefix="/api/v1", tags=["usulan"])


class EventOut(BaseModel):
    at: dt.datetime
    actor: str
    role: str | None
    action: str
    from_status: str | None
    to_status: str | None
    to_level: str | None
    note: str | None


class UsulanOut(BaseModel):
    id: int
    kind: str
    subkind: str
    label: str
    status: str
    status_label: str
    level: str | None = Field(description="tingkat yang harus bertindak; null = selesai")
    desa_code: str
    batch_id: int | None
    target_entity: str | None
    target_id: int | None
    subject_name: str | None
    subject_nik: str = Field(description="tersamar kecuali peran boleh melihat NIK lengkap")
    description: str | None
    channel: str
    payload: dict[str, Any]
    last_note: str | None
    version: int
    applied_at: dt.datetime | None
    actions: list[str] = Field(description="aksi yang boleh Anda lakukan sekarang")
    deadline: dt.datetime | None = Field(
        None,
        description="batas 14 hari untuk tindak lanjut kabupaten (usul warga dan sanggah); null: tanpa batas",
    )
    overdue: bool = Field(False, description="lewat batas tanpa tindakan kabupaten")


class PadanOut(BaseModel):
    """Online padan of one new person with the civil registry: padan, tidak_padan, tidak_ditemukan or
    tertunda (the registry could not be asked; the usulan is saved all the same)."""

    nik: str
    nama: str
    status: str
    status_label: str
    reasons: list[str]
    asked_at: dt.datetime


class UsulanDetailOut(UsulanOut):
    result: dict[str, Any] | None
    events: list[EventOut]
    padan: list[PadanOut] = Field(default_factory=list, description="padan online Dukcapil (usulan baru)")


class UsulanPageOut(BaseModel):
    page: int
    has_next: bool
    items: list[UsulanOut]


class UsulanIn(BaseModel):
    kind: Kind
    subkind: str
    target_entity: str | None = Field(
        None,
        description="household / family / member; ppks_person / ppks_kelompok / ppks_registration / psks",
    )
    target_id: int | None = None
    desa_code: str | None = Field(None, description="untuk usulan rumah tangga baru; bawaan: desa Anda")
    batch_id: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    note: str | None = Field(None, max_length=2000)


class UsulanPatch(BaseModel):
    payload: dict[str, Any]
    version: int
    note: str | None = Field(None, max_length=2000)


class ActionIn(BaseModel):
    action: str = Field(description="ajukan, verifikasi, sahkan, teruskan, terima, kembalikan, tolak")
    version: int
    note: str | None = Field(None, max_length=2000, description="wajib untuk kembalikan dan tolak")


class BatchIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    musdes_date: dt.date | None = None


class BatchAddIn(BaseModel):
    usulan_ids: list[int]


class VersionIn(BaseModel):
    version: int


class BatchOut(BaseModel):
    id: int
    desa_code: str
    title: str
    musdes_date: dt.date | None
    status: str
    version: int
    berita_acara: dict[str, Any] | None
    usulan_ids: list[int]
    bnba: list[dict[str, Any]] | None


class TransitionOut(BaseModel):
    action: str
    source: str
    level: str
    target: str
    target_level: str | None
    roles: list[str]
    note_required: bool
    applies: bool


def usulan_out(user, u, detail: bool = False, db=None):
    wf = config.workflow()
    data = dict(
        id=u.id,
        kind=u.kind,
        subkind=u.subkind,
        label=present.kind_label(u.kind, u.subkind),
        status=u.status,
        status_label=present.status_label(u.status, u.level),
        level=u.level,
        desa_code=u.desa_code,
        batch_id=u.batch_id,
        target_entity=u.target_entity,
        target_id=u.target_id,
        subject_name=u.subject_name,
        subject_nik=present.subject_nik(user, u.subject_nik),
        description=u.description,
        channel=u.channel,
        payload=u.payload if sees_full_nik(user) else _masked(user, u.payload),
        last_note=u.last_note,
        version=u.version,
        applied_at=u.applied_at,
        actions=[t.action.value for t in service.actions_for(user, u, wf)],
    )
    if (due := sla.deadline_of(u)) is not None:
        data |= {"deadline": due.due, "overdue": due.overdue}
    if not detail:
        return UsulanOut(**data)
    events = [
        EventOut(
            at=e.at,
            actor=e.actor,
            role=e.role,
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            to_level=e.to_level,
            note=e.note,
        )
        for e in u.events
    ]
    padan = []
    if db is not None:
        views = crvs.padan_views(crvs.padan_of(db, u.id), lambda nik: present.subject_nik(user, nik))
        padan = [PadanOut(**asdict(v)) for v in views]
    return UsulanDetailOut(**data, result=u.result, events=events, padan=padan)


def _masked(user, payload: dict) -> dict:
    return json.loads(mask_numbers(json.dumps(payload, ensure_ascii=False)))


def batch_out(user, b) -> BatchOut:
    doc = b.berita_acara
    rows = b.bnba
    if rows is not None:
        rows = [r | {"nik": present.subject_nik(user, r.get("nik"))} for r in rows]
    return BatchOut(
        id=b.id,
        desa_code=b.desa_code,
        title=b.title,
        musdes_date=b.musdes_date,
        status=b.status,
        version=b.version,
        usulan_ids=[u.id for u in b.usulan],
        bnba=rows,
        berita_acara={
            "id": doc.id,
            "sha256": doc.sha256,
            "media_type": doc.media_type,
            "size": doc.size,
            "file_name": doc.file_name,
            "url": f"/api/v1/usulan/documents/{doc.id}",
        }
        if doc
        else None,
    )


@router.get("/usulan/workflow", response_model=list[TransitionOut])
def workflow_table():
    """The state machine of this instance: every step, who may take it, whether a note is required."""
    wf = config.workflow()
    return [
        TransitionOut(
            action=t.action.value,
            source=t.source.value,
            level=t.level.value,
            target=t.target.value,
            target_level=t.target_level.value if t.target_level else None,
            roles=sorted(t.roles),
            note_required=t.note_required,
            applies=t.applies,
        )
        for t in wf.transitions
    ]


class DeadlineCountOut(BaseModel):
    wilayah_code: str
    name: str
    waiting: int = Field(description="usul/sanggah yang menunggu tindakan kabupaten")
    overdue: int = Field(description="di antaranya yang lewat batas 14 hari")


@router.get("/usulan/batas-waktu", response_model=list[DeadlineCountOut])
def deadline_counts(
    db: Db,
    user: CurrentUser,
    tingkat: Annotated[int, Query(ge=3, le=4, description="3 kecamatan, 4 desa")] = 4,
):
    """Usul and sanggah waiting for the kabupaten, and those past the 14-day deadline, per desa/kecamatan."""
    return [DeadlineCountOut(**asdict(c)) for c in sla.counts(db, user, depth=tingkat)]


@router.get("/usulan", response_model=UsulanPageOut)
def list_usulan(
    db: Db,
    user: CurrentUser,
    status: str | None = None,
    level: Annotated[str | None, Query(description="desa, kecamatan, kabupaten, provinsi, pusat")] = None,
    kind: str | None = None,
    desa_code: str | None = None,
    batch_id: int | None = None,
    to_act: bool = False,
    overdue: Annotated[bool, Query(description="hanya usul/sanggah yang lewat batas 14 hari")] = False,
    page: int = 1,
    per_page: int = 20,
):
    """Usulan in your wilayah, newest first; `to_act=true`: those waiting for a step your role takes."""
    p = service.search(
        db,
        user,
        status=status,
        level=level,
        kind=kind,
        desa_code=desa_code,
        batch_id=batch_id,
        to_act=to_act,
        overdue=overdue,
        page=page,
        per_page=per_page,
        workflow=config.workflow(),
    )
    return UsulanPageOut(page=p.page, has_next=p.has_next, items=[usulan_out(user, u) for u in p.items])


@router.post("/usulan", response_model=UsulanDetailOut, status_code=201)
def create_usulan(body: UsulanIn, db: Db, user: CurrentUser):
    """Draft an usulan in your desa (operator desa)."""
    target = Target(body.target_entity, body.target_id) if body.target_entity and body.target_id else None
    u = service.create(
        db,
        user,
        kind=body.kind.value,
        subkind=body.subkind,
        payload=body.payload,
        desa_code=body.desa_code,
        target=target,
        batch_id=body.batch_id,
        note=body.note,
    )
    crvs.padan_usulan(db, user, u, crvs.configured_client(crvs.ENTRY_TIMEOUT))
    return usulan_out(user, u, detail=True, db=db)


@router.get("/usulan/{usulan_id}", response_model=UsulanDetailOut)
def get_usulan(usulan_id: int, db: Db, user: CurrentUser):
    return usulan_out(user, service.get(db, user, usulan_id), detail=True, db=db)


@router.patch("/usulan/{usulan_id}", response_model=UsulanDetailOut)
def patch_usulan(usulan_id: int, body: UsulanPatch, db: Db, user: CurrentUser):
    """Edit a draft or an usulan returned to the desa."""
    return usulan_out(user, service.update(db, user, usulan_id, body.version, body.payload, body.note), True)


@router.post("/usulan/{usulan_id}/actions", response_model=UsulanDetailOut)
def act(usulan_id: int, body: ActionIn, db: Db, user: CurrentUser):
    """Take one workflow step on the version you read."""
    u = service.act(db, user, usulan_id, body.action, body.version, body.note, config.workflow())
    return usulan_out(user, u, detail=True)


@router.get("/usulan-batches", response_model=list[BatchOut])
def list_batches(db: Db, user: CurrentUser, page: int = 1):
    return [batch_out(user, b) for b in batches.list_batches(db, user, page=page).items]


@router.post("/usulan-batches", response_model=BatchOut, status_code=201)
def create_batch(body: BatchIn, db: Db, user: CurrentUser):
    return batch_out(user, batches.create_batch(db, user, body.title, body.musdes_date))


@router.get("/usulan-batches/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: int, db: Db, user: CurrentUser):
    return batch_out(user, batches.get_batch(db, user, batch_id))


@router.post("/usulan-batches/{batch_id}/usulan", response_model=BatchOut)
def add_to_batch(batch_id: int, body: BatchAddIn, db: Db, user: CurrentUser):
    return batch_out(user, batches.add_usulan(db, user, batch_id, body.usulan_ids))


async def _upload(file: UploadFile) -> tuple[str, bytes]:
    return file.filename or "", await file.read(config.max_upload_bytes() + 1)


@router.post("/usulan-batches/{batch_id}/berita-acara", response_model=BatchOut)
def upload_berita_acara(
    batch_id: int, db: Db, user: CurrentUser, upload: Annotated[tuple[str, bytes], Depends(_upload)]
):
    """Multipart field `file`: the signed Musdes berita acara (PDF, JPEG or PNG; checked by content)."""
    batches.attach_berita_acara(db, user, batch_id, upload[0], upload[1])
    return batch_out(user, batches.get_batch(db, user, batch_id))


@router.post("/usulan-batches/{batch_id}/submit", response_model=BatchOut)
def submit_batch(batch_id: int, body: VersionIn, db: Db, user: CurrentUser):
    """Send the batch up: every draft in it is `ajukan`-ed; the BNBA list is frozen."""
    return batch_out(user, batches.submit_batch(db, user, batch_id, body.version, config.workflow()))


@router.get("/usulan/documents/{document_id}", response_class=FileResponse)
def get_document(document_id: int, db: Db, user: CurrentUser):
    path, doc = batches.open_document(db, user, document_id)
    return FileResponse(
        path, media_type=doc.media_type, filename=doc.file_name, content_disposition_type="attachment"
    )
