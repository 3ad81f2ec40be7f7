"""The usulan workflow tables: proposals, their history, desa batches and the berita acara files.

Why this shape:
- `status` + `level` is the whole workflow position (siks.domain.usulan): `level` is who must act next,
  NULL once closed. Queues are `level = X` within a scope, hence the (level, desa_code) index.
- `version` is SQLAlchemy's optimistic lock; the form/API sends it back, so a stale view is a conflict.
- `usulan_event` is the usulan's own history (every step, who, with which note); changes to the registry
  go to `audit_log` when an accepted usulan is applied.
- A berita acara is stored once by content (sha256) in the data directory; the row says which desa it
  belongs to, so it is never served outside that desa's scope.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siks.domain.status import BatchStatus
from siks.store.base import Base, Json, utcnow


class UsulanDocument(Base):
    """An uploaded file (the Musdes berita acara): content hash, type found by magic bytes, where it lies."""

    __tablename__ = "usulan_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    desa_code: Mapped[str] = mapped_column(String(13), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(Text)
    storage_path: Mapped[str] = mapped_column(Text)  # relative to the data directory
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UsulanBatch(Base):
    """What a desa sends up after one Musdes: the usulan, the berita acara and the frozen BNBA list."""

    __tablename__ = "usulan_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    desa_code: Mapped[str] = mapped_column(String(13), index=True)
    title: Mapped[str] = mapped_column(Text)
    musdes_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=BatchStatus.DRAF.value)  # draf → diajukan
    berita_acara_id: Mapped[int | None] = mapped_column(ForeignKey("usulan_document.id"))
    bnba: Mapped[list | None] = mapped_column(Json)  # rows frozen when the batch is submitted
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    berita_acara: Mapped[UsulanDocument | None] = relationship()
    usulan: Mapped[list[Usulan]] = relationship(back_populates="batch", order_by="Usulan.id")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Usulan(Base):
    """One proposal: add, correct or deactivate a registry record, or a citizen's sanggah."""

    __tablename__ = "usulan"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    subkind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(14), index=True)
    level: Mapped[str | None] = mapped_column(String(10))  # who acts next; NULL = closed
    desa_code: Mapped[str] = mapped_column(String(13), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("usulan_batch.id"), index=True)
    target_entity: Mapped[str | None] = mapped_column(String(20))  # household … member, ppks_person … psks
    target_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(Json)
    subject_name: Mapped[str | None] = mapped_column(Text)  # for lists and the BNBA
    subject_nik: Mapped[str | None] = mapped_column(String(16))
    subject_address: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20), default="operator")  # operator / warga / verval / odk
    external_ref: Mapped[str | None] = mapped_column(String(64), index=True)  # id in the creating channel
    last_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    applied_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    result: Mapped[dict | None] = mapped_column(Json)  # what applying did (ids created, fields changed)
    version: Mapped[int] = mapped_column(Integer, default=1)

    batch: Mapped[UsulanBatch | None] = relationship(back_populates="usulan")
    events: Mapped[list[UsulanEvent]] = relationship(back_populates="usulan", order_by="UsulanEvent.id")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        Index("ix_usulan_level_desa", "level", "desa_code"),
        Index("ix_usulan_target", "target_entity", "target_id"),
    )


class UsulanEvent(Base):
    """One step in an usulan's life: created, edited, each workflow action, applied."""

    __tablename__ = "usulan_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    usulan_id: Mapped[int] = mapped_column(ForeignKey("usulan.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(14))
    to_status: Mapped[str | None] = mapped_column(String(14))
    from_level: Mapped[str | None] = mapped_column(String(10))
    to_level: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)

    usulan: Mapped[Usulan] = relationship(back_populates="events")


USULAN_TABLES = ("usulan_document", "usulan_batch", "usulan", "usulan_event")


class NikConflict(Base):
    """An usulan bringing a NIK that is already active, or proposed by another open usulan (#17.3).

    The usulan is kept but held: it cannot go up a level while its case is open. An operator decides: the
    same person (the usulan is closed, linked to the record that has the NIK) or different people (one of
    the two NIKs is wrong: the usulan goes back to the desa). Created with the usulan (migration
    0014_audit_chain carries the table).
    """

    __tablename__ = "nik_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    usulan_id: Mapped[int] = mapped_column(ForeignKey("usulan.id"), index=True)
    nik: Mapped[str] = mapped_column(String(16))
    other_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    other_usulan_id: Mapped[int | None] = mapped_column(ForeignKey("usulan.id"))
    desa_code: Mapped[str] = mapped_column(String(13), index=True)
    status: Mapped[str] = mapped_column(String(10), default="terbuka")  # terbuka / sama / berbeda
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
