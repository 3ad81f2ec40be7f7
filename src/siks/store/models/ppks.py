"""PPKS and PSKS tables: DTKS beyond households (docs/ppks-psks.md).

Why this shape:
- `psks` holds persons (TKSK, PSM, pekerja sosial, penyuluh) and organisations (LKS, Karang Taruna, LK3,
  WKSBM) in one table: both are registered, scoped by the wilayah where they work, and deactivated the same
  way; `form` says which. A TKSK's login account links here through `user_id` (unique).
- `ppks_person` is a person *outside any household*: an LKS resident (`lks_id`) or someone found at a place
  (`tempat`), with or without NIK. People inside households stay `member` rows; nobody is copied.
- `ppks_kelompok` is a kelompok or komunitas (komunitas adat terpencil).
- `ppks_registration` is one dated PPKS kind for exactly one subject: a member, a ppks_person, a family or a
  kelompok. `desa_code` is copied from the subject so scope, dashboards and lists need no four-way join.
  Ending a registration keeps the row (`ended_on`): the history is the point.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siks.store.base import Base, Json, utcnow
from siks.store.models.registry import Code, _Tracked


class Psks(_Tracked, Base):
    """A PSKS: a person or an organisation that provides social-welfare services, and where it works."""

    __tablename__ = "psks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(Code(40), unique=True)
    jenis: Mapped[str] = mapped_column(String(30), index=True)
    form: Mapped[str] = mapped_column(String(10))
    nama: Mapped[str] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(Code(16), index=True)
    sex: Mapped[int | None] = mapped_column(Integer)
    wilayah_code: Mapped[str] = mapped_column(Code(13), index=True)
    alamat: Mapped[str | None] = mapped_column(Text)
    nomor_tanda_daftar: Mapped[str | None] = mapped_column(String(100))
    akreditasi: Mapped[str | None] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), unique=True)

    residents: Mapped[list[PpksPerson]] = relationship(back_populates="lks", order_by="PpksPerson.id")

    __mapper_args__ = {"version_id_col": _Tracked.version}  # noqa: RUF012


class PpksPerson(_Tracked, Base):
    """A PPKS person outside any household: resident of an LKS, or found at a place."""

    __tablename__ = "ppks_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(Code(40), unique=True)
    nama: Mapped[str] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(Code(16), index=True)
    sex: Mapped[int] = mapped_column(Integer)
    tempat_lahir: Mapped[str | None] = mapped_column(Text)
    tanggal_lahir: Mapped[dt.date | None] = mapped_column(Date)
    lks_id: Mapped[int | None] = mapped_column(ForeignKey("psks.id"), index=True)
    tempat: Mapped[str | None] = mapped_column(String(20))
    alamat: Mapped[str | None] = mapped_column(Text)
    desa_code: Mapped[str] = mapped_column(Code(13), index=True)

    lks: Mapped[Psks | None] = relationship(back_populates="residents")

    __mapper_args__ = {"version_id_col": _Tracked.version}  # noqa: RUF012
    __table_args__ = (CheckConstraint("(lks_id IS NULL) <> (tempat IS NULL)", name="lks_or_tempat"),)


class PpksKelompok(_Tracked, Base):
    """A kelompok or komunitas registered as PPKS (komunitas adat terpencil, kelompok minoritas)."""

    __tablename__ = "ppks_kelompok"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(Code(40), unique=True)
    nama: Mapped[str] = mapped_column(Text)
    desa_code: Mapped[str] = mapped_column(Code(13), index=True)
    jumlah_kk: Mapped[int | None] = mapped_column(Integer)
    keterangan: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": _Tracked.version}  # noqa: RUF012


# exactly one of the four subject columns is set
ONE_SUBJECT = (
    " + ".join(
        f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)"
        for c in ("member_id", "person_id", "family_id", "kelompok_id")
    )
    + " = 1"
)


class PpksRegistration(Base):
    """One PPKS kind for one subject, dated, with who recorded it and the evidence."""

    __tablename__ = "ppks_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    jenis: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("ppks_person.id"), index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("family.id"), index=True)
    kelompok_id: Mapped[int | None] = mapped_column(ForeignKey("ppks_kelompok.id"), index=True)
    desa_code: Mapped[str] = mapped_column(Code(13))
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    evidence: Mapped[str] = mapped_column(Text)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        CheckConstraint(
            ONE_SUBJECT,
            name="one_subject",
        ),
        Index("ix_ppks_registration_desa_jenis", "desa_code", "jenis"),
    )


class PenetapanPpks(Base):
    """A PPKS subject as a penetapan froze it: its open kinds on `berlaku_mulai`, in the penetapan's own list.

    Households are frozen in `penetapan_household`/`penetapan_member`; PPKS outside households, families and
    kelompok with PPKS kinds are frozen here, so a penetapan lists them too and the public cek status can
    answer for an LKS resident. Written once with its penetapan and never changed.
    """

    __tablename__ = "penetapan_ppks"

    id: Mapped[int] = mapped_column(primary_key=True)
    penetapan_id: Mapped[int] = mapped_column(ForeignKey("penetapan.id"), index=True)
    subject: Mapped[str] = mapped_column(String(10))  # anggota, ppks, keluarga, kelompok
    subject_id: Mapped[int] = mapped_column(Integer)  # registry id, for links only
    subject_ref: Mapped[str] = mapped_column(String(50))
    nama: Mapped[str] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(String(16))
    desa_code: Mapped[str] = mapped_column(String(13))
    lks_ref: Mapped[str | None] = mapped_column(String(40))
    jenis: Mapped[list] = mapped_column(Json)

    __table_args__ = (Index("ix_penetapan_ppks_penetapan_desa", "penetapan_id", "desa_code"),)


PPKS_TABLES = ("psks", "ppks_person", "ppks_kelompok", "ppks_registration", "penetapan_ppks")  # 0012_ppks
