"""siks registry rows as DCI Social Registry records: Group (ruta), Member (anggota), Person (SRPerson).

A client sees only the fields it was granted (`FIELDS`); a field it may not see is left out of the record,
never sent masked or empty. Mapping:

| DCI                                   | siks                                  | field          |
|---------------------------------------|---------------------------------------|----------------|
| Group.group_identifier HOUSEHOLD_ID   | household.ref (id ruta)               | always         |
| Group.location                        | household.desa_code (dotted)          | wilayah        |
| Group.place.address                   | alamat, RT/RW, dusun                  | alamat         |
| Group.poverty_score (+ desil)         | skor PMT, desil of the latest penetapan | skor_pmt, desil |
| Group.group_size                      | active anggota of the ruta            | jumlah_art     |
| Group.group_head_info, members        | Member records                        | —              |
| Member.member_identifier MEMBER_ID    | member.ref                            | always         |
| Member.relationship_head              | hubungan dengan kepala keluarga (code)| hubungan_kk    |
| Member.marital_status                 | status kawin (code)                   | status_kawin   |
| SRPerson.identifier NIK / KK          | member.nik, current KK number         | nik, kk        |
| SRPerson.name.given_name              | nama                                  | nama           |
| SRPerson.sex                          | 1 → male, 2 → female                  | jenis_kelamin  |
| SRPerson.birth_date                   | tanggal lahir                         | tanggal_lahir  |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

FIELDS: dict[str, str] = {
    "nik": "NIK anggota",
    "kk": "nomor KK",
    "nama": "nama anggota",
    "tanggal_lahir": "tanggal lahir (dan umur dalam kueri)",
    "jenis_kelamin": "jenis kelamin",
    "hubungan_kk": "hubungan dengan kepala keluarga",
    "status_kawin": "status perkawinan",
    "alamat": "alamat ruta (dusun, RW, RT, jalan)",
    "wilayah": "kode wilayah desa ruta",
    "desil": "desil kesejahteraan (penetapan terakhir)",
    "skor_pmt": "skor PMT (penetapan terakhir)",
    "jumlah_art": "jumlah anggota ruta",
}

RECORD_TYPES = ("Group", "Member", "Person")
SEX = {1: "male", 2: "female"}
HEAD = 1  # hubungan_kk: kepala keluarga


@dataclass
class Row:
    """One anggota with what its records need (a flat read; see service._rows)."""

    member_ref: str
    nik: str | None
    nama: str
    sex: int | None
    tanggal_lahir: dt.date | None
    hubungan_kk: int | None
    status_kawin: int | None
    member_created: dt.datetime | None
    kk_number: str | None
    household_ref: str
    desa_code: str
    dusun: str | None
    rw: str | None
    rt: str | None
    alamat: str | None
    household_created: dt.datetime | None
    household_updated: dt.datetime | None
    desil: int | None
    skor_pmt: float | None


def _ts(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def person(row: Row, fields: frozenset[str]) -> dict:
    record: dict = {"@type": "SRPerson"}
    identifiers = []
    if "nik" in fields and row.nik:
        identifiers.append({"@type": "Identifier", "identifier_type": "NIK", "identifier_value": row.nik})
    if "kk" in fields and row.kk_number:
        identifiers.append(
            {"@type": "Identifier", "identifier_type": "KK", "identifier_value": row.kk_number}
        )
    if identifiers:
        record["identifier"] = identifiers
    if "nama" in fields:
        record["name"] = {"@type": "Name", "given_name": row.nama}
    if "jenis_kelamin" in fields and row.sex in SEX:
        record["sex"] = SEX[row.sex]
    if "tanggal_lahir" in fields and row.tanggal_lahir:
        record["birth_date"] = row.tanggal_lahir.isoformat()
    if "alamat" in fields:
        record["address"] = _address(row)
    return record


def member(row: Row, fields: frozenset[str]) -> dict:
    record: dict = {
        "@type": "Member",
        "member_identifier": [
            {"@type": "Identifier", "identifier_type": "MEMBER_ID", "identifier_value": row.member_ref}
        ],
        "group_identifier": row.household_ref,
        "demographic_info": person(row, fields),
    }
    if "hubungan_kk" in fields and row.hubungan_kk is not None:
        record["relationship_head"] = str(row.hubungan_kk)
    if "status_kawin" in fields and row.status_kawin is not None:
        record["marital_status"] = str(row.status_kawin)
    if row.member_created:
        record["registration_date"] = _ts(row.member_created)
    return record


def _address(row: Row) -> dict:
    parts = [row.alamat, f"RT {row.rt}" if row.rt else None, f"RW {row.rw}" if row.rw else None, row.dusun]
    return {"@type": "Address", "street_address": ", ".join(p for p in parts if p), "country": "ID"}


def group(rows: list[Row], fields: frozenset[str]) -> dict:
    first = rows[0]
    record: dict = {
        "@type": "Group",
        "group_identifier": [
            {
                "@type": "Identifier",
                "identifier_type": "HOUSEHOLD_ID",
                "identifier_value": first.household_ref,
            }
        ],
        "group_type": "household",
    }
    if "wilayah" in fields:
        record["location"] = first.desa_code
    if "alamat" in fields:
        record["place"] = {"@type": "Place", "address": _address(first)["street_address"]}
    if "skor_pmt" in fields and first.skor_pmt is not None:
        record["poverty_score"] = first.skor_pmt
        record["poverty_score_type"] = "PMT"
    if "desil" in fields and first.desil is not None:
        record["desil"] = first.desil
    if "jumlah_art" in fields:
        record["group_size"] = len(rows)
    members = [member(r, fields) for r in rows]
    head = next((m for r, m in zip(rows, members, strict=True) if r.hubungan_kk == HEAD), None)
    if head is not None:
        record["group_head_info"] = head
    record["members"] = members
    record["registration_date"] = _ts(first.household_created)
    record["last_updated"] = _ts(first.household_updated)
    return record


def records(kind: str, rows: Iterable[Row], fields: frozenset[str], order: list[str]) -> list[dict]:
    """Records of `kind` in `order` (household refs for Group, member refs otherwise)."""
    rows = list(rows)
    if kind == "Group":
        by_household: dict[str, list[Row]] = {}
        for r in rows:
            by_household.setdefault(r.household_ref, []).append(r)
        return [group(by_household[ref], fields) for ref in order if ref in by_household]
    by_member = {r.member_ref: r for r in rows}
    build = member if kind == "Member" else person
    return [build(by_member[ref], fields) for ref in order if ref in by_member]
