"""The receiving side of HTTP between instances: who is asking, and the resumable upload of a change set.

The web layer (`siks/web/syncapi.py`) reads the request and calls these; they hold the rules. A request is
authentic when its instance is pinned here and its Ed25519 signature over method, path, time and body
checks against the pinned key (`siks.sync.transport.check`). An upload is stored piece by piece
(`sync_upload`, `sync_upload_part`) so a cut link resumes from the last stored byte; the last piece and
the apply share the caller's transaction, so a receiver killed mid-apply has neither.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.errors import Conflict, Forbidden
from siks.store.models.sync import SyncPeer, SyncUpload, SyncUploadPart
from siks.sync import service, transport


def authenticate(
    session: Session,
    *,
    instance_id: str,
    method: str,
    path: str,
    stamp: str | None,
    signature: str | None,
    body: bytes,
) -> str:
    """The id of the pinned peer that signed this request; Forbidden (with the reason) otherwise."""
    peer = session.scalar(select(SyncPeer).where(SyncPeer.instance_id == instance_id))
    if peer is None:
        raise Forbidden(f"Instansi {instance_id!r} belum disematkan di sini.")
    why = transport.check(peer.public_key, method, path, stamp, signature, body)
    if why:
        raise Forbidden(why)
    return peer.instance_id


def card(session: Session) -> dict:
    """This instance's published identity card (what a peer pins)."""
    return service.card(service.identity(session))


def peer_report(session: Session, origin: str) -> dict:
    """What this instance holds from `origin`, and what it has pending for it."""
    peer = service.peer(session, origin)
    return {
        "received_upto": peer.received_upto,
        "acked_upto": peer.acked_upto,
        "pending_for_you": (by_kind := service.outgoing_by_kind(session, origin))["registry"],
        "pending_by_kind": by_kind,
    }


def _upload(session: Session, origin: str, set_id: str, total: int) -> SyncUpload:
    up = session.scalar(select(SyncUpload).where(SyncUpload.origin == origin, SyncUpload.set_id == set_id))
    if up is None:
        up = SyncUpload(origin=origin, set_id=set_id[:64], total=total, received=0)
        session.add(up)
        session.flush()
    return up


def upload_state(session: Session, origin: str, set_id: str, total: int) -> dict:
    """How many bytes of this set are stored here (a new upload starts at 0)."""
    up = _upload(session, origin, set_id, total)
    return {"received": up.received, "total": up.total}


def receive_piece(session: Session, origin: str, set_id: str, offset: int, total: int, body: bytes) -> dict:
    """Store one piece; with the last one, verify and apply the whole set in the same transaction."""
    up = _upload(session, origin, set_id, total)
    if up.total != total:
        raise Forbidden("Ukuran unggahan berubah di tengah jalan; kirim ulang dengan set baru.")
    if offset != up.received:
        raise Conflict(f"Posisi unggahan tidak cocok: di sini sudah diterima {up.received} bita.")
    if up.received + len(body) > up.total:
        raise Forbidden("Unggahan melebihi ukuran yang diumumkan.")
    if body:
        session.add(SyncUploadPart(upload_id=up.id, offset=offset, data=body))
        up.received += len(body)
    if up.received < up.total:
        return {"received": up.received, "selesai": False}
    parts = session.scalars(
        select(SyncUploadPart.data).where(SyncUploadPart.upload_id == up.id).order_by(SyncUploadPart.offset)
    )
    result = service.apply(session, b"".join(parts))
    if result.origin != origin:
        raise Forbidden("Change set ini ditandatangani instansi lain daripada pengirimnya.")
    return {"received": up.received, "selesai": True, "hasil": result.as_dict()}
