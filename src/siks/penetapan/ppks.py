"""PPKS in a penetapan: the subjects with PPKS kinds open on `berlaku_mulai`, frozen in the penetapan's
own list (`penetapan_ppks`), and read back for the list pages, the API and the public cek status.

Why a separate list: a penetapan freezes households (`penetapan_household`/`penetapan_member`); an LKS
resident or a street child has no household, and a family's or a kelompok's kind is not a person's. One
row per subject carries all its open kinds, so a program that targets a kind reads one table.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from siks.scope import Scope
from siks.store.models.ppks import PenetapanPpks, PpksKelompok, PpksPerson, PpksRegistration, Psks
from siks.store.models.registry import STATUS_ACTIVE, Family, FamilyKK, Household, Member

COLUMNS = {"anggota": "member_id", "ppks": "person_id", "keluarga": "family_id", "kelompok": "kelompok_id"}


def _open_kinds(session: Session, p) -> dict[tuple[str, int], list[str]]:
    on = p.berlaku_mulai
    stmt = select(PpksRegistration).where(
        Scope(p.wilayah_code).where(PpksRegistration.desa_code),
        PpksRegistration.recorded_on <= on,
        or_(PpksRegistration.ended_on.is_(None), PpksRegistration.ended_on > on),
    )
    kinds: dict[tuple[str, int], list[str]] = defaultdict(list)
    for r in session.scalars(stmt.order_by(PpksRegistration.id)):
        for subject, column in COLUMNS.items():
            if getattr(r, column) is not None:
                kinds[(subject, getattr(r, column))].append(r.jenis)
    return kinds


def freeze(session: Session, p) -> int:
    """Write the penetapan's PPKS list; returns how many subjects it holds (active subjects only)."""
    kinds = _open_kinds(session, p)
    ids: dict[str, list[int]] = defaultdict(list)
    for subject, sid in kinds:
        ids[subject].append(sid)
    rows = []

    def add(subject, sid, ref, nama, nik, desa, lks_ref=None):
        rows.append({"penetapan_id": p.id, "subject": subject, "subject_id": sid, "subject_ref": ref,
                     "nama": nama, "nik": nik, "desa_code": desa, "lks_ref": lks_ref,
                     "jenis": sorted(set(kinds[(subject, sid)]))})  # fmt: skip

    if ids["ppks"]:
        stmt = (
            select(PpksPerson, Psks.ref)
            .outerjoin(Psks, Psks.id == PpksPerson.lks_id)
            .where(PpksPerson.id.in_(ids["ppks"]), PpksPerson.status == STATUS_ACTIVE)
        )
        for person, lks_ref in session.execute(stmt):
            add("ppks", person.id, person.ref, person.nama, person.nik, person.desa_code, lks_ref)
    if ids["anggota"]:
        stmt = (
            select(Member, Household.desa_code)
            .join(Family, Member.family_id == Family.id)
            .join(Household, Family.household_id == Household.id)
            .where(Member.id.in_(ids["anggota"]), Member.status == STATUS_ACTIVE)
        )
        for m, desa in session.execute(stmt):
            add("anggota", m.id, m.ref, m.nama, m.nik, desa)
    if ids["keluarga"]:
        stmt = (
            select(Family.id, Family.ref, Household.desa_code, FamilyKK.kk_number)
            .join(Household, Family.household_id == Household.id)
            .outerjoin(FamilyKK, (FamilyKK.family_id == Family.id) & FamilyKK.valid_to.is_(None))
            .where(Family.id.in_(ids["keluarga"]), Family.status == STATUS_ACTIVE)
        )
        for fid, ref, desa, kk in session.execute(stmt):
            add("keluarga", fid, ref, f"Keluarga {ref}", kk, desa)
    if ids["kelompok"]:
        stmt = select(PpksKelompok).where(
            PpksKelompok.id.in_(ids["kelompok"]), PpksKelompok.status == STATUS_ACTIVE
        )
        for k in session.scalars(stmt):
            add("kelompok", k.id, k.ref, k.nama, None, k.desa_code)
    rows.sort(key=lambda r: (r["desa_code"], r["subject"], r["subject_ref"]))
    if rows:
        session.execute(insert(PenetapanPpks), rows)
    return len(rows)


def listing(session: Session, user, penetapan_id: int, *, jenis: str | None = None) -> list[PenetapanPpks]:
    """The PPKS list of a penetapan, within the user's scope; `jenis` keeps subjects with that kind."""
    from siks.penetapan import service as penetapan

    p = penetapan.get(session, user, penetapan_id)
    stmt = select(PenetapanPpks).where(
        PenetapanPpks.penetapan_id == p.id, Scope.of(user).where(PenetapanPpks.desa_code)
    )
    rows = list(session.scalars(stmt.order_by(PenetapanPpks.desa_code, PenetapanPpks.id)))
    return [r for r in rows if jenis is None or jenis in r.jenis]


def persons_in_desa(session: Session, penetapan_id: int, desa_code: str) -> list[PenetapanPpks]:
    """Persons outside households frozen for one desa (the public cek status reads this)."""
    return list(
        session.scalars(
            select(PenetapanPpks).where(
                PenetapanPpks.penetapan_id == penetapan_id,
                PenetapanPpks.desa_code == desa_code,
                PenetapanPpks.subject == "ppks",
            )
        )
    )
