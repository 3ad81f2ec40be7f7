"""Official BPS/DTSEN desil as every reader sees it: the versions, the one a run uses, a keluarga's history.

Why in the store: the snapshot writer (registry), the household page (registry) and the importer (pmt) all
read these; one definition of "the version a run uses" (the newest import, or one chosen by number or
periode) keeps a verval run, the household page and `siks pmt desil-resmi daftar` naming the same one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.errors import NotFound
from siks.store.models.pmt import OfficialDesil, OfficialDesilVersion
from siks.store.models.registry import Family

SNAPSHOT_FILE = "desil_resmi.parquet"
SNAPSHOT_SCHEMA = pa.schema(
    [("id_keluarga", pa.string()), ("desil", pa.int32()), ("periode", pa.string()), ("versi", pa.int64())]
)


@dataclass(frozen=True)
class VersionView:
    id: int
    periode: str
    file_name: str
    sha256: str
    rows: int
    actor: str
    at: object
    note: str | None = None


def view(v: OfficialDesilVersion) -> VersionView:
    return VersionView(v.id, v.periode, v.file_name, v.sha256, v.rows, v.actor, v.at, v.note)


def versions(session: Session) -> list[VersionView]:
    """Every imported version, newest first."""
    stmt = select(OfficialDesilVersion).order_by(OfficialDesilVersion.id.desc())
    return [view(v) for v in session.scalars(stmt)]


def choose(session: Session, which: str | None = None) -> VersionView | None:
    """The version a run uses: `which` is a version number or a periode (its latest import); None = the
    newest import. None when nothing was imported; NotFound for a version that does not exist."""
    stmt = select(OfficialDesilVersion).order_by(OfficialDesilVersion.id.desc()).limit(1)
    which = (which or "").strip()
    if which.isdigit():
        stmt = select(OfficialDesilVersion).where(OfficialDesilVersion.id == int(which))
    elif which:
        stmt = stmt.where(OfficialDesilVersion.periode == which)
    version = session.scalars(stmt).first()
    if version is None and which:
        raise NotFound(f"Versi desil resmi '{which}' tidak ada (lihat `siks pmt desil-resmi daftar`).")
    return view(version) if version else None


def table_for(session: Session, version: VersionView | None) -> pa.Table:
    """id_keluarga (the keluarga's registry id, as in the snapshot), desil, periode, versi."""
    if version is None:
        return SNAPSHOT_SCHEMA.empty_table()
    stmt = (
        select(Family.ref, OfficialDesil.desil)
        .join(Family, Family.id == OfficialDesil.family_id)
        .where(OfficialDesil.version_id == version.id)
        .order_by(Family.ref)
    )
    got = session.execute(stmt).all()
    return pa.table(
        {
            "id_keluarga": pa.array([r[0] for r in got], pa.string()),
            "desil": pa.array([int(r[1]) for r in got], pa.int32()),
            "periode": pa.array([version.periode] * len(got), pa.string()),
            "versi": pa.array([version.id] * len(got), pa.int64()),
        },
        schema=SNAPSHOT_SCHEMA,
    )


def for_families(session: Session, family_ids: list[int]) -> dict[int, list[tuple[str, int, int]]]:
    """Per keluarga, its official desil in every version, newest first: (periode, desil, version id)."""
    out: dict[int, list[tuple[str, int, int]]] = {}
    if not family_ids:
        return out
    stmt = (
        select(
            OfficialDesil.family_id,
            OfficialDesilVersion.periode,
            OfficialDesil.desil,
            OfficialDesilVersion.id,
        )
        .join(OfficialDesilVersion, OfficialDesilVersion.id == OfficialDesil.version_id)
        .where(OfficialDesil.family_id.in_(family_ids))
        .order_by(OfficialDesilVersion.id.desc())
    )
    for fid, periode, desil, vid in session.execute(stmt):
        out.setdefault(fid, []).append((periode, int(desil), int(vid)))
    return out
