"""The registry tables: ruta → keluarga → anggota, their pendataan answers, the audit trail and imports.

Why this shape:
- Every entity has an internal integer id and an external `ref` from the import file; NIK and KK are never
  keys (NIK duplicates exist in real data; KK numbers change on moves, deaths and marriages).
- The KK number is a versioned attribute (`family_kk`): the current one has `valid_to IS NULL`.
- Housing, asset and per-member answers live on a dated `Assessment`, so a household keeps its history.
- `version` is SQLAlchemy's optimistic lock: two editors cannot silently overwrite each other.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siks.store.answers import AnswersJson
from siks.store.base import Base, Json, utcnow

# Identifiers (refs, NIK, KK, wilayah codes) compare byte-wise on PostgreSQL: "C" collation makes their
# indexes several times cheaper to build and probe, and they have no linguistic order anyway.


def Code(length: int) -> String:  # noqa: N802 - a column type, named like one
    return String(length).with_variant(String(length, collation="C"), "postgresql")


STATUS_ACTIVE = "aktif"
STATUS_INACTIVE = "nonaktif"


class _Tracked:
    """Columns every registry entity shares: status, timestamps, optimistic lock.

    Server defaults too, so the bulk loader (COPY / executemany) can leave them out.
    """

    status: Mapped[str] = mapped_column(String(10), default=STATUS_ACTIVE, server_default=STATUS_ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))


class ImportBatch(Base):
    """One applied import file: who, when, what, and what it changed (warnings kept as JSON)."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    instrument: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list | None] = mapped_column(Json)
    counts: Mapped[dict | None] = mapped_column(Json)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Household(_Tracked, Base):
    """Rumah tangga (ruta): the people who live and eat together, at one address."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(Code(40), unique=True)
    desa_code: Mapped[str] = mapped_column(Code(13), index=True)
    dusun: Mapped[str | None] = mapped_column(Text)
    rw: Mapped[str | None] = mapped_column(String(3))
    rt: Mapped[str | None] = mapped_column(String(3))
    alamat: Mapped[str | None] = mapped_column(Text)
    created_by_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))

    families: Mapped[list[Family]] = relationship(back_populates="household")
    assessments: Mapped[list[Assessment]] = relationship(back_populates="household", order_by="Assessment.id")

    __mapper_args__ = {"version_id_col": _Tracked.version}  # noqa: RUF012


class Family(_Tracked, Base):
    """Keluarga: a family as on a Kartu Keluarga. Its KK number is in `family_kk`, never the key."""

    __tablename__ = "family"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(Code(40), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    created_by_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))

    household: Mapped[Household] = relationship(back_populates="families")
    members: Mapped[list[Member]] = relationship(back_populates="family", order_by="Member.no_urut")
    kk_history: Mapped[list[FamilyKK]] = relationship(back_populates="family", order_by="FamilyKK.id")

    __mapper_args__ = {"version_id_col": _Tracked.version}  # noqa: RUF012

    @property
    def kk_number(self) -> str | None:
        """The current KK number (the open `family_kk` row), if any."""
        current = [k for k in self.kk_history if k.valid_to is None]
        return current[-1].kk_number if current else None


class FamilyKK(Base):
    """One KK number a family held, and when: current = `valid_to IS NULL`."""

    __tablename__ = "family_kk"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    kk_number: Mapped[str] = mapped_column(Code(16), index=True)
    valid_from: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    valid_to: Mapped[dt.datetime | None] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(100))

    family: Mapped[Family] = relationship(back_populates="kk_history")


class Member(_Tracked, Base):
    """Anggota (ART). Keyed by an internal id; NIK is carried, indexed, and deliberately NOT unique."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(Code(50), unique=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    no_urut: Mapped[int] = mapped_column(Integer)
    nama: Mapped[str] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(Code(16), index=True)
    sex: Mapped[int] = mapped_column(Integer)
    tempat_lahir: Mapped[str | None] = mapped_column(Text)
    tanggal_lahir: Mapped[dt.date | None] = mapped_column(Date)
    status_kawin: Mapped[int | None] = mapped_column(Integer)
    hubungan_kk: Mapped[int | None] = mapped_column(Integer)
    keberadaan: Mapped[int | None] = mapped_column(Integer)
    created_by_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))

    family: Mapped[Family] = relationship(back_populates="members")

    __mapper_args__ = {"version_id_col": _Tracked.version}  # noqa: RUF012


class Assessment(Base):
    """One pendataan of a household: when, by whom, with which instrument, and the ruta-level answers.

    `answers` reads as {template column: value}; on disk it is compact (siks.store.answers).
    """

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(20))
    assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    assessed_by: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict] = mapped_column(AnswersJson)  # see siks.store.answers
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    household: Mapped[Household] = relationship(back_populates="assessments")
    members: Mapped[list[AssessmentMember]] = relationship(back_populates="assessment")


class AssessmentMember(Base):
    """The per-anggota answers of one assessment (education, work, disability, health insurance, …)."""

    __tablename__ = "assessment_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    answers: Mapped[dict] = mapped_column(AnswersJson)

    assessment: Mapped[Assessment] = relationship(back_populates="members")
    member: Mapped[Member] = relationship()


class AuditEntry(Base):
    """Append-only trail: who changed what, when, from what to what, and why. Never updated or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(Json)
    after: Mapped[dict | None] = mapped_column(Json)
    reason: Mapped[str | None] = mapped_column(Text)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    # who ran the command when the actor came from the command line (`--oleh` is not a login): os:user@host
    origin: Mapped[str | None] = mapped_column(String(120))
    # SHA-256 of the previous entry's hash + this entry (siks.domain.audit_chain); set by siks.audit.chain
    hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)


class AuditChain(Base):
    """The head of the audit hash chain (one row): the last sealed entry. Its row lock orders the writers."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


REGISTRY_TABLES = (
    "import_batch",
    "household",
    "family",
    "family_kk",
    "member",
    "assessment",
    "assessment_member",
    "audit_log",
)


class WebImport(Base):
    """A template file uploaded in the browser, from upload to outcome (siks.registry.web_import).

    The file's bytes are kept until it is written or cancelled (then emptied): the confirmation writes
    exactly the bytes that were checked and previewed. `issues` holds every error and warning of the
    last check or write, for the table and the downloadable report.
    """

    __tablename__ = "web_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    scope_code: Mapped[str | None] = mapped_column(Code(20), index=True)  # the uploader's wilayah
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    instrument: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict | None] = mapped_column(Json)  # counts of the preview / the write
    issues: Mapped[list | None] = mapped_column(Json)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )
