"""ODK (OpenRosa) tables: enumerators' ODK credentials, every submission received, and its attachments.

Why this shape:
- `OdkCredential` keeps HA1 = MD5(username:realm:password) of a separate ODK password, because HTTP Digest
  (what ODK Collect speaks) needs a value the server can recompute; the argon2 login password cannot serve
  (docs/odk.md, "Autentikasi").
- `OdkSubmission` keeps every submission as received (the XML instance), whatever became of it: applied
  (`diterapkan`), waiting in the review queue (`ditinjau`), replaced by an edit (`diganti`) or dismissed by
  an operator (`ditolak`). `instance_id` is unique, so a resubmission is recognised, never applied twice.
- Attachments (photos) are stored in the database, in the same transaction as their submission: nothing
  arrives half.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siks.store.base import Base, utcnow
from siks.store.models.registry import Code


class OdkCredential(Base):
    """One user's ODK password, as the HA1 of HTTP Digest. Issuing a new one replaces the old one."""

    __tablename__ = "odk_credential"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    ha1: Mapped[str] = mapped_column(String(32))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OdkSubmission(Base):
    """One submission as ODK Collect sent it, and what siks made of it."""

    __tablename__ = "odk_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    deprecated_id: Mapped[str | None] = mapped_column(String(100))
    form_id: Mapped[str | None] = mapped_column(String(100))
    form_version: Mapped[str | None] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    desa_code: Mapped[str | None] = mapped_column(Code(13), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    xml: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("field_task.id"))
    usulan_id: Mapped[int | None] = mapped_column(ForeignKey("usulan.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    resolution_note: Mapped[str | None] = mapped_column(Text)

    attachments: Mapped[list[OdkAttachment]] = relationship(
        back_populates="submission", order_by="OdkAttachment.id", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_odk_submission_status_desa", "status", "desa_code"),)


class OdkAttachment(Base):
    """A file sent with a submission (a photo of the house), by the name the instance refers to it."""

    __tablename__ = "odk_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("odk_submission.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    submission: Mapped[OdkSubmission] = relationship(back_populates="attachments")


ODK_TABLES = ("odk_credential", "odk_submission", "odk_attachment")  # 0007_odk
