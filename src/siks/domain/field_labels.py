"""Stored field names and values as a person reads them in the audit trail (#18.6): `wilayah_code` →
"Kode wilayah", `True` → "Ya", `sex` 2 → "Perempuan", `2025-08-17` → "17 Agustus 2025", 1234 → "1.234".

The audit log keeps the stored names and values (machines and `siks audit verify` read them); only pages
and reports translate them, here, in one place. Wilayah names need the wilayah table, so the web adds them.
"""

from __future__ import annotations

import datetime as dt
import re

from siks.domain import formats
from siks.domain.instruments import regsosek2022 as R
from siks.domain.roles import ROLES
from siks.domain.template import column_map

# Database columns that are not template columns, or are named differently there.
LABELS: dict[str, str] = {
    "active": "Aktif",
    "alamat": "Alamat",
    "assessed_by": "Petugas pendataan",
    "assessed_on": "Tanggal pendataan",
    "desa_code": "Kode desa",
    "disabled": "Nonaktif",
    "dusun": "Dusun",
    "full_name": "Nama lengkap",
    "hubungan_kk": "Hubungan dengan kepala keluarga",
    "keberadaan": "Keberadaan",
    "kk_number": "Nomor KK",
    "locked_until": "Terkunci sampai",
    "nama": "Nama",
    "nik": "NIK",
    "no_urut": "Nomor urut",
    "reason": "Alasan",
    "role": "Peran",
    "rt": "RT",
    "rw": "RW",
    "sex": "Jenis kelamin",
    "status": "Status",
    "status_kawin": "Status perkawinan",
    "tanggal_lahir": "Tanggal lahir",
    "tempat_lahir": "Tempat lahir",
    "username": "Nama pengguna",
    "version": "Versi",
    "wilayah_code": "Kode wilayah",
}
CODES = {
    "sex": R.JENIS_KELAMIN,
    "hubungan_kk": R.HUBUNGAN_KK,
    "status_kawin": R.STATUS_KAWIN,
    "keberadaan": R.KEBERADAAN,
}
STATUS = {"aktif": "Aktif", "nonaktif": "Nonaktif"}
WILAYAH_FIELDS = frozenset({"desa_code", "wilayah_code", "kode_desa", "kode_wilayah"})
# Identifiers and years stay as typed: no thousands separator in a NIK, a KK number, an RT or 2025.
_VERBATIM = re.compile(
    r"(^|_)(nik|kk|number|rt|rw|id|ref|code|kode|nip|nomor|no|tahun|year|versi|version)($|_)"
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def field_label(key: str) -> str:
    """The Indonesian label of a stored field; an unknown one as words (`luas_lantai` → "Luas lantai")."""
    if key in LABELS:
        return LABELS[key]
    column = column_map().get(key)
    if column is not None:
        return column.label
    return key.replace("_", " ").capitalize()


def field_value(key: str, value: object) -> str:
    """A stored value for a person: codes as their label, booleans Ya/Tidak, dates and numbers Indonesian."""
    if value is None or value == "":
        return "kosong"
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if key == "role" and isinstance(value, str) and value in ROLES:
        return ROLES[value].label
    if key == "status" and isinstance(value, str):
        return STATUS.get(value, value)
    codes = CODES.get(key)
    if codes is None:
        column = column_map().get(key)
        codes = getattr(column, "codes", None) if column is not None else None
    if codes is not None and isinstance(value, int) and value in codes:
        return codes.label(value)
    if isinstance(value, dt.date | dt.datetime):
        return formats.waktu(value) if isinstance(value, dt.datetime) else formats.tanggal(value)
    if isinstance(value, str) and _ISO_DAY.fullmatch(value[:10]) and (len(value) == 10 or value[10] in "T "):
        return formats.tanggal(value) if len(value) == 10 else formats.waktu(value)
    if isinstance(value, int | float) and not _VERBATIM.search(key):
        return formats.angka(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(field_value(key, v) for v in value) or "kosong"
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)}: {field_value(k, v)}" for k, v in value.items()) or "kosong"
    return str(value)
