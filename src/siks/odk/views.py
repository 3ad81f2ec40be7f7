"""The JSON API around ODK for operators: issue an enumerator's ODK credential (with the Collect settings QR
code), and work through the review queue of submissions that could not be applied.

The OpenRosa protocol itself is in `siks.odk.api`; this router also carries its catch-all route, so the
app adds the whole area with one name in `ROUTERS`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData

from siks.accounts.roles import VIEW_REGISTRY
from siks.errors import Forbidden, NotFound, ServiceError
from siks.fieldwork.service import VIEWER_ROLES
from siks.odk import service
from siks.odk.api import PREFIX, ROUTE
from siks.web.deps import CurrentUser, Db
from siks.web.templating import NavItem, render

api = APIRouter(prefix="/api/v1/odk", tags=["ODK Collect"])
pages = APIRouter(include_in_schema=False)
router = APIRouter()
PAGE_ROLES = service.REVIEWER_ROLES | VIEWER_ROLES
NAV = [NavItem("ODK Collect", "/odk-collect", VIEW_REGISTRY, order=32, roles=PAGE_ROLES)]


async def _read_form(request: Request) -> FormData:
    return await request.form()  # already parsed by the CSRF check


Form = Annotated[FormData, Depends(_read_form)]


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


@api.post("/credentials", response_model=CredentialOut)
def issue_credential(request: Request, body: CredentialIn, db: Db, user: CurrentUser):
    from siks.store.models.accounts import User

    password = service.issue_credential(db, user, body.user_id)
    target = db.get(User, body.user_id)
    server = str(request.base_url).rstrip("/") + PREFIX
    text, svg = service.settings_qr(service.settings_payload(server, target.username, password))
    return CredentialOut(
        username=target.username, password=password, server_url=server, settings=text, qr_svg=svg
    )


@api.get("/submissions", response_model=list[SubmissionOut])
def queue(db: Db, user: CurrentUser, status: str | None = service.REVIEW):
    return [SubmissionOut.of(s) for s in service.review_queue(db, user, status or None)]


@api.get("/submissions/{submission_id:int}", response_model=SubmissionOut)
def one(submission_id: int, db: Db, user: CurrentUser):
    return SubmissionOut.of(service.get_submission(db, user, submission_id))


@api.get("/submissions/{submission_id:int}/attachments/{name}")
def attachment(submission_id: int, name: str, db: Db, user: CurrentUser):
    sub = service.get_submission(db, user, submission_id)
    for a in sub.attachments:
        if a.name == name:
            return Response(a.content, media_type=a.media_type)
    raise NotFound("Lampiran tidak ditemukan.")


@api.post("/submissions/{submission_id:int}/retry", response_model=SubmissionOut)
def retry(submission_id: int, db: Db, user: CurrentUser):
    return SubmissionOut.of(service.retry(db, user, submission_id))


@api.post("/submissions/{submission_id:int}/dismiss", response_model=SubmissionOut)
def dismiss(submission_id: int, body: DismissIn, db: Db, user: CurrentUser):
    return SubmissionOut.of(service.dismiss(db, user, submission_id, body.note))


# --- pages ------------------------------------------------------------------------------------------------


def _page(request: Request, db, user, status: str = service.REVIEW, code: int = 200, **extra):
    if user.role not in PAGE_ROLES:
        raise Forbidden("Halaman ODK Collect untuk operator desa ke atas.")
    status = status if status in service.STATUS_LABEL else service.REVIEW
    context = {
        "rows": service.review_queue(db, user, status),
        "status": status,
        "statuses": service.STATUS_LABEL,
        "status_label": service.STATUS_LABEL[status].lower(),
        "status_labels": service.STATUS_LABEL,
        "reasons": {k: v[1] for k, v in service.REASONS.items()},
        "users": service.odk_users(db, user),
        "can_review": user.role in service.REVIEWER_ROLES,
        "issued": None,
        "error": None,
        "done": None,
    }
    return render(request, "odk/index.html", context | extra, code)


@pages.get("/odk-collect")
def page(request: Request, db: Db, user: CurrentUser, status: str = service.REVIEW):
    return _page(request, db, user, status)


def _attempt(db, fn, *args):
    try:
        with db.begin_nested():
            return fn(*args), None
    except ServiceError as e:
        return None, e


@pages.post("/odk-collect/kredensial")
def issue_page(request: Request, db: Db, user: CurrentUser, form: Form):
    from siks.store.models.accounts import User

    try:
        user_id = int(str(form.get("pengguna") or ""))
    except ValueError:
        user_id = 0
    password, error = _attempt(db, service.issue_credential, db, user, user_id)
    if error is not None:
        return _page(request, db, user, code=error.status, error=error.message)
    target = db.get(User, user_id)
    server = str(request.base_url).rstrip("/") + PREFIX
    text, svg = service.settings_qr(service.settings_payload(server, target.username, password))
    issued = {"username": target.username, "password": password, "server_url": server, "qr_svg": svg}
    return _page(request, db, user, issued=issued)


@pages.post("/odk-collect/kiriman/{submission_id:int}/terapkan")
def retry_page(request: Request, submission_id: int, db: Db, user: CurrentUser):
    sub, error = _attempt(db, service.retry, db, user, submission_id)
    if error is not None:
        return _page(request, db, user, code=error.status, error=error.message)
    return _page(request, db, user, done=f"Kiriman #{sub.id} diterapkan.")


@pages.post("/odk-collect/kiriman/{submission_id:int}/tolak")
def dismiss_page(request: Request, submission_id: int, db: Db, user: CurrentUser, form: Form):
    note = str(form.get("catatan") or "")
    sub, error = _attempt(db, service.dismiss, db, user, submission_id, note)
    if error is not None:
        return _page(request, db, user, code=error.status, error=error.message)
    return _page(request, db, user, done=f"Kiriman #{sub.id} ditolak.")


router.include_router(pages)
router.include_router(api)
router.routes.append(ROUTE)
