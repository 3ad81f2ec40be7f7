"""The roles and what each may do: one table that pages, API and services all ask.

A role fixes the level of the user's wilayah (a desa operator is bound to one desa, a kabupaten role to one
kabupaten). The auditor is the exception: read-only, at whatever level they are appointed. Approvals in the
usulan workflow are decided by `siks.domain.usulan` (who may `ajukan`, `sahkan`, …); this table covers the
registry, the audit trail and the accounts themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

# Permissions (stable strings; tests and templates use them).
VIEW_REGISTRY = "registry.view"  # search and open households in scope
VIEW_FULL_NIK = "registry.view_nik"  # unmasked NIK on the household page
EDIT_REGISTRY = "registry.edit"  # small direct corrections (address); the rest goes through usulan
VIEW_AUDIT = "audit.view"  # browse the audit trail of the whole scope
EXPORT_AUDIT = "audit.export"  # download it as CSV

_READ = frozenset({VIEW_REGISTRY})
_OPERATOR = frozenset({VIEW_REGISTRY, VIEW_FULL_NIK, EDIT_REGISTRY})
_KAB_READ = frozenset({VIEW_REGISTRY, VIEW_FULL_NIK, VIEW_AUDIT, EXPORT_AUDIT})


@dataclass(frozen=True, slots=True)
class Role:
    code: str
    label: str  # Indonesian, for the UI
    level: int | None  # wilayah level the user must be bound to: 1 prov … 4 desa, 0 nasional; None = any
    permissions: frozenset[str]
    description: str


ROLES: dict[str, Role] = {
    r.code: r
    for r in (
        Role("operator_desa", "Operator desa/kelurahan", 4, _OPERATOR,
             "Mencari dan membuka data di desanya, memperbaiki alamat, menyusun usulan."),
        Role("enumerator", "Enumerator (petugas lapangan)", 4, frozenset({VIEW_REGISTRY, VIEW_FULL_NIK}),
             "Membaca data di desanya untuk verval lapangan."),
        Role("operator_kecamatan", "Operator kecamatan (TKSK)", 3, _OPERATOR,
             "Membaca dan memperbaiki data di kecamatannya, memverifikasi usulan desa."),
        Role("operator_kabupaten", "Operator Dinas Sosial kabupaten/kota", 2, _OPERATOR | _KAB_READ,
             "Mengelola data seluruh desa di kabupatennya, melihat dan mengekspor jejak audit."),
        Role("supervisor_kabupaten", "Supervisor Dinas Sosial kabupaten/kota", 2, _KAB_READ,
             "Mengawasi kualitas data kabupaten, mengembalikan atau menolak usulan."),
        Role("pengesah_kabupaten", "Pengesah (Bupati/Walikota)", 2, _KAB_READ - {VIEW_FULL_NIK},
             "Mengesahkan usulan kabupaten; NIK tampil tersamar."),
        Role("operator_provinsi", "Operator Dinas Sosial provinsi", 1, _KAB_READ,
             "Membaca data provinsinya dan meneruskan usulan ke pusat."),
        Role("pusat", "Pusdatin Kemensos (pusat)", 0, _KAB_READ,
             "Membaca seluruh data nasional dan menerima usulan."),
        Role("auditor", "Auditor (hanya baca)", None, _READ | {VIEW_AUDIT, EXPORT_AUDIT},
             "Membaca data dan jejak audit di wilayahnya; tidak dapat mengubah apa pun; NIK tersamar."),
    )
}  # fmt: skip

ROLE_CODES: tuple[str, ...] = tuple(ROLES)


def get_role(code: str) -> Role:
    try:
        return ROLES[code]
    except KeyError:
        raise ValueError(f"Peran '{code}' tidak dikenal. Pilihan: {', '.join(ROLE_CODES)}.") from None


def has_permission(role: str, permission: str) -> bool:
    r = ROLES.get(role)
    return r is not None and permission in r.permissions


LEVEL_LABEL = {0: "nasional", 1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}
