"""Registry summary per kecamatan: how much is registered and how much of it has NIK/KK faults.

The first thing a Dinas Sosial operator asks after an import. Counts come from SQL; the NIK/KK checks are
the domain's own rules (`check_nik`, `check_kk`), streamed over the rows so memory stays flat.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from siks.domain import wilayah
from siks.domain.kk import check_kk
from siks.domain.nik import check_nik
from siks.store.models.registry import Family, FamilyKK, Household, Member


@dataclass
class KecamatanSummary:
    code: str
    name: str
    households: int = 0
    families: int = 0
    members: int = 0
    nik_faults: int = 0  # members whose NIK is empty or breaks a structure/consistency rule
    kk_faults: int = 0  # families whose current KK number is empty or breaks a structure rule


def _kecamatan(desa_code: str) -> str:
    return desa_code[:8]  # "35.09.15.2001" -> "35.09.15"


def kecamatan_summary(engine: Engine, *, within: str | None = None) -> list[KecamatanSummary]:
    """One row per kecamatan (sorted by code), optionally only inside wilayah `within`."""
    rows: dict[str, KecamatanSummary] = {}

    def row(desa_code: str) -> KecamatanSummary:
        code = _kecamatan(desa_code)
        if code not in rows:
            found = wilayah.get(code)
            rows[code] = KecamatanSummary(code, found.name if found else "?")
        return rows[code]

    scope = [Household.desa_code.like(f"{within}%")] if within else []
    with engine.connect() as conn:
        counted = conn.execute(
            select(Household.desa_code, func.count(func.distinct(Household.id)),
                   func.count(func.distinct(Family.id)), func.count(Member.id))
            .join(Family, Family.household_id == Household.id)
            .join(Member, Member.family_id == Family.id)
            .where(*scope)
            .group_by(Household.desa_code)
        )  # fmt: skip
        per_desa: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for desa, households, families, members in counted:
            total = per_desa[desa]
            total[0] += households
            total[1] += families
            total[2] += members
        for desa, (households, families, members) in per_desa.items():
            r = row(desa)
            r.households += households
            r.families += families
            r.members += members

        people = conn.execution_options(yield_per=20_000).execute(
            select(Household.desa_code, Member.nik, Member.sex, Member.tanggal_lahir)
            .join(Family, Family.household_id == Household.id)
            .join(Member, Member.family_id == Family.id)
            .where(*scope)
        )
        for desa, nik, sex, born in people:
            if check_nik(nik, sex=sex, birth_date=born):
                row(desa).nik_faults += 1

        cards = conn.execution_options(yield_per=20_000).execute(
            select(Household.desa_code, FamilyKK.kk_number)
            .join(Family, Family.household_id == Household.id)
            .outerjoin(FamilyKK, (FamilyKK.family_id == Family.id) & FamilyKK.valid_to.is_(None))
            .where(*scope)
        )
        for desa, kk in cards:
            if check_kk(kk):
                row(desa).kk_faults += 1
    return [rows[k] for k in sorted(rows)]
