"""Sync tables: this instance's identity, pinned peers, applied change sets, lineage, conflicts, uploads.

Why this shape:
- The change log itself is `audit_log` (one writer, `siks.audit.record_change` and the importer's bulk
  audit): sync keeps no second bookkeeping of changes, only *positions* in that log per peer.
- A record's global identity is its `ref` (the import's `id_ruta`), scoped by the wilayah of the
  kabupaten that owns it; `sync_lineage` holds every state hash a record has had here (ours or received),
  which is what tells a fast-forward from a stale replay from a real conflict.
- `sync_conflict` keeps both versions; nothing here is ever resolved by last-write-wins.
- The private key is a file (path in `sync_identity.key_path`), never a database value.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siks.store.base import Base, Json, utcnow


class SyncIdentity(Base):
    """Who this instance is: one row (instance id, level, wilayah, Ed25519 public key)."""

    __tablename__ = "sync_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(40), unique=True)
    level: Mapped[str] = mapped_column(String(10))  # kabupaten / provinsi / pusat
    wilayah_code: Mapped[str | None] = mapped_column(String(13))  # NULL = national (pusat)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the 32 raw bytes
    key_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SyncPeer(Base):
    """A pinned peer and where sync stands with it (positions in each side's audit_log)."""

    __tablename__ = "sync_peer"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(40), unique=True)
    level: Mapped[str] = mapped_column(String(10))
    wilayah_code: Mapped[str | None] = mapped_column(String(13))
    public_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    pinned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # our audit_log position the peer has acknowledged (it applied everything up to here)
    acked_upto: Mapped[int] = mapped_column(Integer, default=0)
    # the peer's audit_log position we have applied contiguously (sent back to it as our ack)
    received_upto: Mapped[int] = mapped_column(Integer, default=0)
    export_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_contact_at: Mapped[dt.datetime | None] = mapped_column()


class SyncApplied(Base):
    """One change set that was applied here (so applying it again changes nothing and says so)."""

    __tablename__ = "sync_applied"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(40))
    set_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    from_pos: Mapped[int] = mapped_column(Integer)
    upto: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict | None] = mapped_column(Json)
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("origin", "set_id", name="uq_sync_applied_origin_set"),)


class SyncLineage(Base):
    """Every state hash a record (`gid`) has had on this instance or on a peer it heard from."""

    __tablename__ = "sync_lineage"

    id: Mapped[int] = mapped_column(primary_key=True)
    gid: Mapped[str] = mapped_column(String(80))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("gid", "hash", name="uq_sync_lineage_gid_hash"),)


class SyncDocument(Base):
    """A document received by sync (a penetapan from above): its global id and the local row it became."""

    __tablename__ = "sync_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    gid: Mapped[str] = mapped_column(String(80), unique=True)
    entity: Mapped[str] = mapped_column(String(30))
    local_id: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_sync_document_local", "entity", "local_id", unique=True),)


class SyncConflict(Base):
    """A received change that was not applied: a conflict, a change from above awaiting approval, or refused.

    `kind`: `konflik` (both sides changed the record), `dari_atas` (a higher level's change to a desa's
    record, applied only when an operator accepts it), `ditolak` (outside the sender's authority).
    """

    __tablename__ = "sync_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    peer: Mapped[str] = mapped_column(String(40))
    gid: Mapped[str] = mapped_column(String(80), index=True)
    reason: Mapped[str] = mapped_column(Text)
    local: Mapped[dict | None] = mapped_column(Json)
    incoming: Mapped[dict] = mapped_column(Json)
    incoming_hash: Mapped[str] = mapped_column(String(64))
    lineage: Mapped[list] = mapped_column(Json)
    set_id: Mapped[str] = mapped_column(String(64))
    detected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="terbuka", index=True)  # terbuka / selesai
    resolution: Mapped[str | None] = mapped_column(String(10))  # kiriman / lokal
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("peer", "gid", "incoming_hash", name="uq_sync_conflict_peer_gid_hash"),
    )


class SyncUpload(Base):
    """A change set arriving over HTTP in pieces, so a cut link resumes where it stopped."""

    __tablename__ = "sync_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(40))
    set_id: Mapped[str] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("origin", "set_id", name="uq_sync_upload_origin_set"),)


class SyncUploadPart(Base):
    """One received piece of an upload, at its byte offset."""

    __tablename__ = "sync_upload_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("sync_upload.id"))
    offset: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_sync_upload_part_upload", "upload_id", "offset", unique=True),)
