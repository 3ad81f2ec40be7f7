"""Sync conflict pages (`/sinkronisasi`): the peers with what is pending, and each conflict's two versions.

The rules (who may read, who may decide, which wilayah) are in `siks.sync.service`; the signed
instance-to-instance API is a separate sub-app, `siks/web/syncapi.py`.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from siks.domain.masking import mask_numbers, sees_full_nik
from siks.domain.roles import VIEW_AUDIT
from siks.sync import service
from siks.web.deps import CurrentUser, Db
from siks.web.forms import Form
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Sinkronisasi", "/sinkronisasi", VIEW_AUDIT, order=85)]


def _shown(user, doc):
    """A version as this user may see it: NIK and KK numbers masked unless the role sees them in full."""
    if doc is None or sees_full_nik(user):
        return doc
    return json.loads(mask_numbers(json.dumps(doc, ensure_ascii=False)))


@router.get("/sinkronisasi")
def conflicts_page(request: Request, user: CurrentUser, db: Db, tampil: str = "terbuka"):
    rows = service.conflicts_for(db, user, status=None if tampil == "semua" else service.OPEN)
    peers = service.overview(db)
    return render(request, "sync/list.html", {"rows": rows, "peers": peers, "tampil": tampil})


@router.get("/sinkronisasi/konflik/{conflict_id}")
def conflict_page(request: Request, conflict_id: int, user: CurrentUser, db: Db):
    c = service.conflict_for(db, user, conflict_id)
    fields = service.compare(_shown(user, c.local), _shown(user, c.incoming))
    context = {"c": c, "fields": fields, "may_resolve": service.may_resolve(user)}
    return render(request, "sync/detail.html", context)


@router.post("/sinkronisasi/konflik/{conflict_id}")
def resolve_conflict(conflict_id: int, user: CurrentUser, db: Db, form: Form):
    service.resolve_as(db, user, conflict_id, str(form.get("pilihan", "")))
    db.commit()
    return RedirectResponse(f"/sinkronisasi/konflik/{conflict_id}", status_code=303)
