"""Sync on the web: the instance-to-instance API (`/api/v1/sync/…`) and the conflict pages (`/sinkronisasi`).

The API is a sub-application mounted under the main app: its requests are authenticated by the instance's
Ed25519 signature (`siks.sync.transport`), not by a login cookie, so the app-wide CSRF check does not
apply to it. The pages are ordinary logged-in pages.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy import select

from siks.accounts.masking import mask_numbers, sees_full_nik
from siks.accounts.roles import VIEW_AUDIT, VIEW_FULL_NIK, has_permission
from siks.accounts.scope import Scope
from siks.domain import wilayah
from siks.errors import Forbidden, NotFound, ServiceError
from siks.store.models.sync import SyncConflict, SyncPeer, SyncUpload, SyncUploadPart
from siks.sync import service, transport
from siks.web.deps import CurrentUser, Db
from siks.web.templating import NavItem, render

PREFIX = "/api/v1/sync"
router = APIRouter(include_in_schema=False)
NAV = [NavItem("Sinkronisasi", "/sinkronisasi", VIEW_AUDIT, order=85)]


def install(app: FastAPI) -> None:
    """Add the pages to `app` and mount the signed API under /api/v1/sync."""
    from siks.web import templating

    app.include_router(router)
    templating.NAV.extend(NAV)
    api = FastAPI(title="siks sync", openapi_url=None, docs_url=None, redoc_url=None)
    api.state.session_factory = app.state.session_factory
    api.include_router(_api)

    @api.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError):
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status)

    app.mount(PREFIX, api)


# --- instance-to-instance API -----------------------------------------------------------------------------

_api = APIRouter()


async def _authenticated(request: Request, session) -> tuple[SyncPeer, bytes]:
    body = await request.body()
    instance_id = request.headers.get("X-Siks-Instance", "")
    peer = session.scalar(select(SyncPeer).where(SyncPeer.instance_id == instance_id))
    if peer is None:
        raise Forbidden(f"Instansi {instance_id!r} belum disematkan di sini.")
    path = request.scope.get("raw_path", b"").decode() or request.url.path  # the full path, as signed
    if request.url.query:
        path += "?" + request.url.query
    why = transport.check(
        peer.public_key,
        request.method,
        path,
        request.headers.get("X-Siks-Time"),
        request.headers.get("X-Siks-Signature"),
        body,
    )
    if why:
        raise Forbidden(why)
    return peer, body


@_api.get("/identitas")
def identity_card(request: Request):
    with request.app.state.session_factory() as session:
        return service.card(service.identity(session))


@_api.get("/status")
async def peer_status(request: Request):
    """What this instance holds from the caller, and what it has pending for it."""
    with request.app.state.session_factory() as session:
        peer, _ = await _authenticated(request, session)
        return {
            "received_upto": peer.received_upto,
            "acked_upto": peer.acked_upto,
            "pending_for_you": service.outgoing_pending(session, peer.instance_id),
        }


def _upload(session, origin: str, set_id: str, total: int) -> SyncUpload:
    up = session.scalar(select(SyncUpload).where(SyncUpload.origin == origin, SyncUpload.set_id == set_id))
    if up is None:
        up = SyncUpload(origin=origin, set_id=set_id[:64], total=total, received=0)
        session.add(up)
        session.flush()
    return up


@_api.get("/unggah/{set_id}")
async def upload_state(request: Request, set_id: str, total: int):
    with request.app.state.session_factory() as session, session.begin():
        peer, _ = await _authenticated(request, session)
        up = _upload(session, peer.instance_id, set_id, total)
        return {"received": up.received, "total": up.total}


@_api.put("/unggah/{set_id}")
async def upload_piece(request: Request, set_id: str, offset: int, total: int):
    with request.app.state.session_factory() as session, session.begin():
        peer, body = await _authenticated(request, session)
        up = _upload(session, peer.instance_id, set_id, total)
        if up.total != total:
            raise Forbidden("Ukuran unggahan berubah di tengah jalan; kirim ulang dengan set baru.")
        if offset != up.received:
            return JSONResponse({"detail": "Posisi unggahan tidak cocok.", "received": up.received}, 409)
        if up.received + len(body) > up.total:
            raise Forbidden("Unggahan melebihi ukuran yang diumumkan.")
        if body:
            session.add(SyncUploadPart(upload_id=up.id, offset=offset, data=body))
            up.received += len(body)
        if up.received < up.total:
            return {"received": up.received, "selesai": False}
        parts = session.scalars(
            select(SyncUploadPart.data)
            .where(SyncUploadPart.upload_id == up.id)
            .order_by(SyncUploadPart.offset)
        )
        data = b"".join(parts)
        result = service.apply(session, data)
        if result.origin != peer.instance_id:
            raise Forbidden("Change set ini ditandatangani instansi lain daripada pengirimnya.")
        return {"received": up.received, "selesai": True, "hasil": result.as_dict()}


# --- pages ------------------------------------------------------------------------------------------------


def _visible(user, c: SyncConflict) -> bool:
    scope = Scope.of(user)
    desa = (c.incoming or {}).get("desa_code") or (c.local or {}).get("desa_code")
    return scope.is_national or (
        desa is not None and scope.code != "-" and wilayah.contains(scope.code, desa)
    )


def _shown(user, doc):
    if doc is None or sees_full_nik(user):
        return doc
    return json.loads(mask_numbers(json.dumps(doc, ensure_ascii=False)))


def _may_view(user) -> None:
    if not has_permission(user.role, VIEW_AUDIT):
        raise Forbidden("Peran Anda tidak dapat melihat sinkronisasi.")


def may_resolve(user) -> bool:
    """Deciding needs both versions in full: audit view and unmasked NIK (kabupaten, provinsi, pusat)."""
    return has_permission(user.role, VIEW_AUDIT) and has_permission(user.role, VIEW_FULL_NIK)


@router.get("/sinkronisasi")
def conflicts_page(request: Request, user: CurrentUser, db: Db, tampil: str = "terbuka"):
    _may_view(user)
    rows = service.conflicts(db, status=None if tampil == "semua" else service.OPEN)
    rows = [c for c in rows if _visible(user, c)]
    peers = service.status(db) if db.scalar(select(SyncPeer.id).limit(1)) else []
    return render(request, "sync/list.html", {"rows": rows, "peers": peers, "tampil": tampil})


@router.get("/sinkronisasi/konflik/{conflict_id}")
def conflict_page(request: Request, conflict_id: int, user: CurrentUser, db: Db):
    _may_view(user)
    c = db.get(SyncConflict, conflict_id)
    if c is None or not _visible(user, c):
        raise NotFound("Konflik tidak ditemukan.")
    fields = _compare(_shown(user, c.local), _shown(user, c.incoming))
    return render(request, "sync/detail.html", {"c": c, "fields": fields, "may_resolve": may_resolve(user)})


@router.post("/sinkronisasi/konflik/{conflict_id}")
def resolve_conflict(conflict_id: int, user: CurrentUser, db: Db, pilihan: str = Form(...)):
    _may_view(user)
    if not may_resolve(user):
        raise Forbidden("Peran Anda tidak dapat memutuskan konflik sinkronisasi.")
    c = db.get(SyncConflict, conflict_id)
    if c is None or not _visible(user, c):
        raise NotFound("Konflik tidak ditemukan.")
    service.resolve(db, conflict_id, pilihan, user)
    db.commit()
    return RedirectResponse(f"/sinkronisasi/konflik/{conflict_id}", status_code=303)


def _flatten(doc, prefix="") -> dict:
    """`{"families": [{"ref": "K1", "members": [...]}]}` → `{"keluarga K1 / anggota K1-1 / nama": …}`."""
    out: dict = {}
    if doc is None:
        return out
    for k, v in doc.items():
        if k == "families":
            for f in v:
                out.update(_flatten(f, f"{prefix}keluarga {f['ref']} / "))
        elif k == "members" and isinstance(v, list):
            for m in v:
                out.update(_flatten(m, f"{prefix}anggota {m['ref']} / "))
        elif k in ("assessment", "ref"):
            if k == "assessment":
                out[f"{prefix}pendataan"] = json.dumps(v, ensure_ascii=False, sort_keys=True) if v else None
        else:
            out[prefix + k] = v
    return out


def _compare(local, incoming) -> list[tuple[str, object, object, bool]]:
    a, b = _flatten(local), _flatten(incoming)
    return [(k, a.get(k), b.get(k), a.get(k) != b.get(k)) for k in dict.fromkeys([*a, *b])]
