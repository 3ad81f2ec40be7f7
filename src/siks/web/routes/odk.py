"""ODK Collect pages for operators: issue an enumerator's credential (with its QR code), the review queue.

This router also carries the OpenRosa server's catch-all route (`siks/web/openrosa.py`), so the app adds
the pages and the protocol with one name in `ROUTERS`; the JSON API is in `siks/web/api/odk.py`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from siks.domain.roles import VIEW_REGISTRY
from siks.errors import Forbidden, ServiceError
from siks.fieldwork.service import VIEWER_ROLES
from siks.odk import service
from siks.web.deps import CurrentUser, Db
from siks.web.forms import Form
from siks.web.openrosa import PREFIX, ROUTE
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
PAGE_ROLES = service.REVIEWER_ROLES | VIEWER_ROLES
NAV = [NavItem("ODK Collect", "/odk-collect", VIEW_REGISTRY, order=32, roles=PAGE_ROLES)]


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


@router.get("/odk-collect")
def page(request: Request, db: Db, user: CurrentUser, status: str = service.REVIEW):
    return _page(request, db, user, status)


def _attempt(db, fn, *args):
    try:
        with db.begin_nested():
            return fn(*args), None
    except ServiceError as e:
        return None, e


@router.post("/odk-collect/kredensial")
def issue_page(request: Request, db: Db, user: CurrentUser, form: Form):
    try:
        user_id = int(str(form.get("pengguna") or ""))
    except ValueError:
        user_id = 0
    password, error = _attempt(db, service.issue_credential, db, user, user_id)
    if error is not None:
        return _page(request, db, user, code=error.status, error=error.message)
    username = service.username_of(db, user_id)
    server = str(request.base_url).rstrip("/") + PREFIX
    text, svg = service.settings_qr(service.settings_payload(server, username, password))
    issued = {"username": username, "password": password, "server_url": server, "qr_svg": svg}
    return _page(request, db, user, issued=issued)


@router.post("/odk-collect/kiriman/{submission_id:int}/terapkan")
def retry_page(request: Request, submission_id: int, db: Db, user: CurrentUser):
    sub, error = _attempt(db, service.retry, db, user, submission_id)
    if error is not None:
        return _page(request, db, user, code=error.status, error=error.message)
    return _page(request, db, user, done=f"Kiriman #{sub.id} diterapkan.")


@router.post("/odk-collect/kiriman/{submission_id:int}/tolak")
def dismiss_page(request: Request, submission_id: int, db: Db, user: CurrentUser, form: Form):
    note = str(form.get("catatan") or "")
    sub, error = _attempt(db, service.dismiss, db, user, submission_id, note)
    if error is not None:
        return _page(request, db, user, code=error.status, error=error.message)
    return _page(request, db, user, done=f"Kiriman #{sub.id} ditolak.")


router.routes.append(ROUTE)  # the OpenRosa server's catch-all under /odk
