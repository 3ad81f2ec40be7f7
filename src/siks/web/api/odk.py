"""The JSON API around ODK for operators: issue an enumerator's ODK credential (with the Collect settings QR
code), and work through the review queue of submissions that could not be applied.

The pages are in `siks/web/routes/odk.py`, the OpenRosa protocol itself in `siks/web/openrosa.py`.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from siks.errors import NotFound
from siks.odk import service
from siks.web.deps import CurrentUser, Db
from siks.web.openrosa import PREFIX

router = APIRouter(prefix="/api/v1/odk", tags=["ODK Collect"])


class CredentialIn(BaseModel):
    user_id: int


class CredentialOut(BaseModel):
    username: str
    password: str = Field(description="ditampilkan sekali; siks hanya menyimpan HA1 Digest-nya")
    server_url: str
    settings: str = Field(description="teks kode QR pengaturan ODK Collect (JSON, zlib, base64)")
    qr_svg: str


class AttachmentOut(BaseModel):
    name: str
    media_type: str
    size: int


class SubmissionOut(BaseModel):
    id: int
    instance_id: str | None
    form_id: str | None
    form_version: str | None
    user_id: int
    desa_code: str | None
    received_at: dt.datetime
    status: str
    reason: str | None
    message: str | None
    task_id: int | None
    usulan_id: int | None
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, s) -> SubmissionOut:
        return cls(
            id=s.id,
            instance_id=s.instance_id,
            form_id=s.form_id,
            form_version=s.form_version,
            user_id=s.user_id,
            desa_code=s.desa_code,
            received_at=s.received_at,
            status=s.status,
            reason=s.reason,
            message=s.message,
            task_id=s.task_id,
            usulan_id=s.usulan_id,
            attachments=[
                AttachmentOut(name=a.name, media_type=a.media_type, size=a.size) for a in s.attachments
            ],
        )


class DismissIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


@router.post("/credentials", response_model=CredentialOut)
def issue_credential(request: Request, body: CredentialIn, db: Db, user: CurrentUser):
    password = service.issue_credential(db, user, body.user_id)
    username = service.username_of(db, body.user_id)
    server = str(request.base_url).rstrip("/") + PREFIX
    text, svg = service.settings_qr(service.settings_payload(server, username, password))
    return CredentialOut(username=username, password=password, server_url=server, settings=text, qr_svg=svg)


@router.get("/submissions", response_model=list[SubmissionOut])
def queue(db: Db, user: CurrentUser, status: str | None = service.REVIEW):
    return [SubmissionOut.of(s) for s in service.review_queue(db, user, status or None)]


@router.get("/submissions/{submission_id:int}", response_model=SubmissionOut)
def one(submission_id: int, db: Db, user: CurrentUser):
    return SubmissionOut.of(service.get_submission(db, user, submission_id))


@router.get("/submissions/{submission_id:int}/attachments/{name}")
def attachment(submission_id: int, name: str, db: Db, user: CurrentUser):
    sub = service.get_submission(db, user, submission_id)
    for a in sub.attachments:
        if a.name == name:
            return Response(a.content, media_type=a.media_type)
    raise NotFound("Lampiran tidak ditemukan.")


@router.post("/submissions/{submission_id:int}/retry", response_model=SubmissionOut)
def retry(submission_id: int, db: Db, user: CurrentUser):
    return SubmissionOut.of(service.retry(db, user, submission_id))


@router.post("/submissions/{submission_id:int}/dismiss", response_model=SubmissionOut)
def dismiss(submission_id: int, body: DismissIn, db: Db, user: CurrentUser):
    return SubmissionOut.of(service.dismiss(db, user, submission_id, body.note))
