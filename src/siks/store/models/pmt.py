"""Official BPS/DTSEN desil per keluarga, imported and versioned (docs/pmt-eligibility.md §7.5).

Why this shape:
- BPS re-ranks the whole population every quarter, so one import is one `official_desil_version` (its
  periode, file, sha256, who and when) and old versions stay: a verval run and a penetapan can say which
  ranking they used, and a later quarter never overwrites an earlier one.
- `official_desil` holds one row per keluarga per version, keyed by the internal family id (the file may
  name a keluarga by `id_keluarga` or by its current KK number; both are resolved on import).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siks.store.base import Base, utcnow
from siks.store.models.registry import Code


class OfficialDesilVersion(Base):
    """One imported BPS/DTSEN desil file: the periode it ranks (e.g. 2026-Q3) and where it came from."""

    __tablename__ = "official_desil_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    periode: Mapped[str] = mapped_column(String(20), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # the importing user's wilayah (None: national); every keluarga of the version lies inside it, and the
    # audit trail shows the import to users of that wilayah
    wilayah_code: Mapped[str | None] = mapped_column(Code(13))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OfficialDesil(Base):
    """The official desil (1–10) of one keluarga in one version."""

    __tablename__ = "official_desil"
    __table_args__ = (
        UniqueConstraint("version_id", "family_id", name="uq_official_desil_version_family"),
        CheckConstraint("desil BETWEEN 1 AND 10", name="desil_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("official_desil_version.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("family.id"), index=True)
    desil: Mapped[int] = mapped_column(SmallInteger)


OFFICIAL_DESIL_TABLES = ("official_desil_version", "official_desil")  # 0013_desil_bps
