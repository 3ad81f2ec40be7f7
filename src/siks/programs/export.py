"""Program lists as CSV and XLSX with the fields programs ask for (Pedum Program Sembako,
docs/domain-facts.md §2.4).

Fields the registry does not hold (No. KKS, no. rekening, nama ibu kandung, no. peserta PKH) are present and
empty, so the file drops into the program's own template; the bank and the program fill them. Cells that a
spreadsheet would run as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from siks.domain.cells import safe_cell, safe_row
from siks.domain.masking import mask_nik
from siks.domain.ppks import PLACES, kind_label
from siks.programs.service import Beneficiary, ProgramList

FAMILY_COLUMNS = (
    "kode_wilayah", "desa", "alamat", "rt", "rw", "id_ruta", "id_keluarga", "no_kk", "desil",
    "nama_kepala_keluarga", "anggota_lain", "program", "status_program", "komponen", "jumlah_komponen",
    "nominal_per_tahun", "nama_pengurus", "id_art_pengurus", "nik_pengurus", "tempat_lahir_pengurus",
    "tanggal_lahir_pengurus", "keterangan_pengurus", "nama_ibu_kandung", "no_kks", "no_rekening",
    "no_peserta_pkh",
)  # fmt: skip
PERSON_COLUMNS = (
    "kode_wilayah", "desa", "alamat", "id_ruta", "id_keluarga", "no_kk", "id_art", "nama", "nik",
    "jenis_kelamin", "tempat_lahir", "tanggal_lahir", "hubungan_kk", "desil", "program", "status_program",
)  # fmt: skip

#: unit ppks_orang: a PPKS person outside households (ATENSI LKS)
PPKS_COLUMNS = (
    "kode_wilayah", "desa", "lks_tempat", "id_ppks", "nama", "nik", "jenis_kelamin", "tanggal_lahir",
    "jenis_ppks", "program", "status_program",
)  # fmt: skip


def _desa_name(code: str | None) -> str:
    from siks.scope import wilayah_label

    return wilayah_label(code).split(",")[0] if code else ""


def _status(r: Beneficiary) -> str:
    return "Layak" if r.in_quota else "Di luar kuota (cadangan)"


def family_row(plist: ProgramList, r: Beneficiary) -> dict:
    fam, h = r.family, r.family.household
    head = fam.head
    holder = (
        r.pengurus.replacement
        if r.pengurus and r.pengurus.problems
        else (r.pengurus.member if r.pengurus else None)
    )
    return {
        "kode_wilayah": h.desa_code,
        "desa": _desa_name(h.desa_code),
        "alamat": h.alamat,
        "rt": h.rt,
        "rw": h.rw,
        "id_ruta": h.household_ref,
        "id_keluarga": fam.facts.ref,
        "no_kk": fam.kk_number,
        "desil": h.desil,
        "nama_kepala_keluarga": head.nama if head else "",
        "anggota_lain": "; ".join(m.nama for m in fam.members if m is not head and m.included),
        "program": plist.program.name,
        "status_program": _status(r),
        "komponen": "; ".join(g.label for g in r.entitlement.grants),
        "jumlah_komponen": len(r.entitlement.grants),
        "nominal_per_tahun": r.entitlement.amount_per_year,
        "nama_pengurus": holder.nama if holder else "",
        "id_art_pengurus": holder.member_ref if holder else "",
        "nik_pengurus": holder.nik if holder else "",
        "tempat_lahir_pengurus": holder.tempat_lahir if holder else "",
        "tanggal_lahir_pengurus": holder.tanggal_lahir.isoformat() if holder and holder.tanggal_lahir else "",
        "keterangan_pengurus": r.pengurus.note if r.pengurus else "",
        "nama_ibu_kandung": "",
        "no_kks": "",
        "no_rekening": "",
        "no_peserta_pkh": "",
    }


def person_row(plist: ProgramList, r: Beneficiary) -> dict:
    h, m = r.family.household, r.person
    return {
        "kode_wilayah": h.desa_code,
        "desa": _desa_name(h.desa_code),
        "alamat": h.alamat,
        "id_ruta": h.household_ref,
        "id_keluarga": m.family_ref,
        "no_kk": m.kk_number,
        "id_art": m.member_ref,
        "nama": m.nama,
        "nik": m.nik,
        "jenis_kelamin": {1: "L", 2: "P"}.get(m.sex, ""),
        "tempat_lahir": m.tempat_lahir,
        "tanggal_lahir": m.tanggal_lahir.isoformat() if m.tanggal_lahir else "",
        "hubungan_kk": m.hubungan_kk,
        "desil": h.desil,
        "program": plist.program.name,
        "status_program": _status(r),
    }


def ppks_row(plist: ProgramList, r: Beneficiary) -> dict:
    """One PPKS person outside households; NIK masked unless the viewer may see it in full."""
    person = r.ppks
    assert person is not None
    f = person.frozen
    if f.lks_ref:
        place = f"{f.lks_ref} {person.lks_nama}" if person.lks_nama else f.lks_ref
    else:
        place = PLACES.get(person.tempat or "", person.tempat or "")
    return {
        "kode_wilayah": f.desa_code,
        "desa": _desa_name(f.desa_code),
        "lks_tempat": place,
        "id_ppks": f.subject_ref,
        "nama": f.nama,
        "nik": (f.nik or "") if plist.full_nik else mask_nik(f.nik),
        "jenis_kelamin": {1: "L", 2: "P"}.get(person.sex or 0, ""),
        "tanggal_lahir": person.tanggal_lahir.isoformat() if person.tanggal_lahir else "",
        "jenis_ppks": "; ".join(kind_label(k) for k in f.jenis or ()),
        "program": plist.program.name,
        "status_program": _status(r),
    }


_LAYOUT = {"anggota": (PERSON_COLUMNS, person_row), "ppks_orang": (PPKS_COLUMNS, ppks_row)}

WARNING_COLUMN = "peringatan_desil"


def desil_warning(plist: ProgramList) -> str:
    """The audited override of issue #19.1, said on every list it produced: desil from a PMT model applied
    outside the wilayah it was calibrated on. Empty when the penetapan used no such model."""
    source = plist.penetapan.score_source or {}
    outside = source.get("model_di_luar_wilayah")
    if not outside:
        return ""
    return (
        f"Desil {outside} ruta dari model PMT di luar wilayah kalibrasinya; "
        f"diizinkan oleh {source.get('izin_di_luar_wilayah', '-')}"
    )


def columns(plist: ProgramList) -> tuple[str, ...]:
    """The program's columns, plus `peringatan_desil` when the penetapan's desil carry an override."""
    base = _LAYOUT.get(plist.program.unit, (FAMILY_COLUMNS, family_row))[0]
    return (*base, WARNING_COLUMN) if desil_warning(plist) else base


def rows(plist: ProgramList) -> Iterator[dict]:
    make = _LAYOUT.get(plist.program.unit, (FAMILY_COLUMNS, family_row))[1]
    warning = desil_warning(plist)
    for r in plist.rows:
        row = make(plist, r)
        if warning:
            row[WARNING_COLUMN] = warning
        yield {k: safe_cell(v) for k, v in row.items()}


def _sheet_title(name: str) -> str:
    """Excel refuses []:*?/\\ in a sheet title and more than 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Daftar"


def to_csv(plist: ProgramList) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns(plist), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(plist))
    return buf.getvalue()


def to_xlsx(plist: ProgramList) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(plist.program.name))
    cols = columns(plist)
    ws.append([safe_cell(f"{plist.program.name} — {plist.penetapan.title} (penetapan #{plist.penetapan.id}), "
               f"acuan umur {plist.on.isoformat()}, aturan {plist.program.key}")])  # fmt: skip
    if warning := desil_warning(plist):
        ws.append([safe_cell(f"PERHATIAN: {warning}.")])
    ws.append(safe_row(cols))
    for row in rows(plist):
        ws.append([row[c] for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
