"""The levels of government and the roles, with what each may do: one table that pages, API and services ask.

A role fixes the level of the user's wilayah (a desa operator is bound to one desa, a kabupaten role to one
kabupaten). The auditor is the exception: read-only, at whatever level they are appointed. Approvals in the
usulan workflow are decided by `siks.domain.usulan` (who may `ajukan`, `sahkan`, …) over the same levels;
this table covers the registry, the audit trail and the accounts themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """A level of government, from the desa up. Stored as its value (usulan.level)."""

    DESA = "desa"
    KECAMATAN = "kecamatan"
    KABUPATEN = "kabupaten"
    PROVINSI = "provinsi"
    PUSAT = "pusat"


LEVELS: tuple[Level, ...] = tuple(Level)
LEVEL_LABEL = {
    Level.DESA: "Desa/Kelurahan",
    Level.KECAMATAN: "Kecamatan",
    Level.KABUPATEN: "Kabupaten/Kota",
    Level.PROVINSI: "Provinsi",
    Level.PUSAT: "Pusat (Kemensos)",
}
# The level's depth in the Kemendagri code (`siks.domain.wilayah`: 1 provinsi … 4 desa); pusat has no code.
DEPTH: dict[Level, int] = {
    Level.PUSAT: 0, Level.PROVINSI: 1, Level.KABUPATEN: 2, Level.KECAMATAN: 3, Level.DESA: 4
}  # fmt: skip


def level_at(depth: int) -> Level:
    """The level of a wilayah code with `depth` parts (0 = pusat)."""
    return next(level for level, d in DEPTH.items() if d == depth)


# Permissions (stable strings; tests and templates use them).
VIEW_REGISTRY = "registry.view"  # search and open households in scope
VIEW_FULL_NIK = "registry.view_nik"  # unmasked NIK on the household page
EDIT_REGISTRY = "registry.edit"  # small direct corrections (address); the rest goes through usulan
VIEW_AUDIT = "audit.view"  # browse the audit trail of the whole scope
EXPORT_AUDIT = "audit.export"  # download it as CSV
IMPORT_REGISTRY = "registry.import"  # upload the import template in the browser (rows of their wilayah only)

_READ = frozenset({VIEW_REGISTRY})
_OPERATOR = frozenset({VIEW_REGISTRY, VIEW_FULL_NIK, EDIT_REGISTRY})
_KAB_READ = frozenset({VIEW_REGISTRY, VIEW_FULL_NIK, VIEW_AUDIT, EXPORT_AUDIT})
_FIELD = frozenset({VIEW_REGISTRY, VIEW_FULL_NIK})


@dataclass(frozen=True, slots=True)
class Role:
    code: str
    label: str  # Indonesian, for the UI
    level: Level | None  # the level of the wilayah the user must be bound to; None = any
    permissions: frozenset[str]
    description: str


ROLES: dict[str, Role] = {
    r.code: r
    for r in (
        Role("operator_desa", "Operator desa/kelurahan", Level.DESA, _OPERATOR | {IMPORT_REGISTRY},
             "Mencari dan membuka data di desanya, memperbaiki alamat, menyusun usulan, mengimpor berkas "
             "template desanya."),
        Role("enumerator", "Enumerator (petugas lapangan)", Level.DESA, _FIELD,
             "Membaca data di desanya untuk verval lapangan."),
        Role("operator_kecamatan", "Operator kecamatan (TKSK)", Level.KECAMATAN, _OPERATOR,
             "Membaca dan memperbaiki data di kecamatannya, memverifikasi usulan desa."),
        Role("operator_kabupaten", "Operator Dinas Sosial kabupaten/kota", Level.KABUPATEN,
             _OPERATOR | _KAB_READ | {IMPORT_REGISTRY},
             "Mengelola data seluruh desa di kabupatennya (termasuk impor berkas template), melihat dan "
             "mengekspor jejak audit."),
        Role("supervisor_kabupaten", "Supervisor Dinas Sosial kabupaten/kota", Level.KABUPATEN, _KAB_READ,
             "Mengawasi kualitas data kabupaten, mengembalikan atau menolak usulan."),
        Role("pengesah_kabupaten", "Pengesah (Bupati/Walikota)", Level.KABUPATEN, _KAB_READ - {VIEW_FULL_NIK},
             "Mengesahkan usulan kabupaten; NIK tampil tersamar."),
        Role("operator_provinsi", "Operator Dinas Sosial provinsi", Level.PROVINSI, _KAB_READ,
             "Membaca data provinsinya dan meneruskan usulan ke pusat."),
        Role("pusat", "Pusdatin Kemensos (pusat)", Level.PUSAT, _KAB_READ,
             "Membaca seluruh data nasional dan menerima usulan."),
        Role("auditor", "Auditor (hanya baca)", None, _READ | {VIEW_AUDIT, EXPORT_AUDIT},
             "Membaca data dan jejak audit di wilayahnya; tidak dapat mengubah apa pun; NIK tersamar."),
    )
}  # fmt: skip

ROLE_CODES: tuple[str, ...] = tuple(ROLES)
ROLE_LEVEL: dict[str, Level | None] = {r.code: r.level for r in ROLES.values()}


def get_role(code: str) -> Role:
    try:
        return ROLES[code]
    except KeyError:
        raise ValueError(f"Peran '{code}' tidak dikenal. Pilihan: {', '.join(ROLE_CODES)}.") from None


def has_permission(role: str, permission: str) -> bool:
    r = ROLES.get(role)
    return r is not None and permission in r.permissions
