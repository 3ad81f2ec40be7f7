"""siks's ODK forms: written as XLSForm from the instrument code lists, converted to XForm by pyxform.

Why generated: the questions, code lists and labels are the ones the import template and the web visit
form use (`siks.domain.template`, `siks.domain.fieldwork`), so a kabupaten never keeps a second copy that
drifts. Constraints repeat siks's own rules (NIK structure against sex and birth date, dates not in the
future, required answers, exactly one kepala keluarga), so the enumerator sees the error offline; the server
checks everything again when the submission arrives.

The version of a form is a hash of its definition: when siks's code lists change, the version changes, and
submissions made with the old form are kept for review instead of being applied (docs/odk.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from siks.domain.fieldwork import (
    HOUSEHOLD_ANSWERED,
    HOUSEHOLD_RESULTS,
    KEBERADAAN,
    MEMBER_SKIPS,
    household_fields,
    member_fields,
)
from siks.domain.instruments import PBDT2015, REGSOSEK2022_K
from siks.domain.instruments.fields import Field
from siks.domain.template import column_map
from siks.domain.usulan_kinds import CODES as USULAN_CODES

VERVAL = "siks_verval"
USULAN_BARU = "siks_usulan_baru"
USULAN_BARU_PBDT = "siks_usulan_baru_pbdt"

TASKS_CSV = "tugas.csv"  # the enumerator's open tasks: one row per household
MEMBERS_CSV = "anggota.csv"  # the members of those households

SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "constraint",
    "constraint_message",
    "relevant",
    "choice_filter",
    "appearance",
    "calculation",
    "default",
)
YA_TIDAK = {1: "Ya", 2: "Tidak"}
# NIK: 6 digits of wilayah, DDMMYY (DD + 40 for women), 4 digits of serial that are not 0000.
_DAY = "number(substr(., 6, 8))"
_BORN_DAY = "number(format-date(${tanggal_lahir}, '%e'))"
NIK_CONSTRAINT = (
    "regex(., '^[0-9]{16}$') and substr(., 12, 16) != '0000'"
    " and substr(., 8, 10) = format-date(${tanggal_lahir}, '%m')"
    " and substr(., 10, 12) = format-date(${tanggal_lahir}, '%y')"
    f" and ((${{jenis_kelamin}} = '1' and {_DAY} = {_BORN_DAY})"
    f" or (${{jenis_kelamin}} = '2' and {_DAY} = {_BORN_DAY} + 40))"
)
NIK_MESSAGE = (
    "NIK harus 16 angka: 6 angka wilayah, tanggal-bulan-tahun lahir (tanggal + 40 untuk perempuan) yang "
    "cocok dengan isian jenis kelamin dan tanggal lahir, lalu 4 angka urut yang bukan 0000."
)


@dataclass(frozen=True, slots=True)
class XLSForm:
    """The three sheets of an XLSForm as rows (dicts keyed by column header)."""

    form_id: str
    title: str
    survey: tuple[dict, ...]
    choices: tuple[dict, ...]
    settings: dict

    def to_xlsx(self) -> bytes:
        """The workbook as a person would edit it in a spreadsheet (and as pyxform reads it)."""
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "survey"
        ws.append(list(SURVEY_COLUMNS))
        for row in self.survey:
            ws.append([row.get(c, "") for c in SURVEY_COLUMNS])
        ws = wb.create_sheet("choices")
        ws.append(["list_name", "name", "label"])
        for row in self.choices:
            ws.append([row["list_name"], row["name"], row["label"]])
        ws = wb.create_sheet("settings")
        ws.append(list(self.settings))
        ws.append(list(self.settings.values()))
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()


class _Builder:
    def __init__(self) -> None:
        self.survey: list[dict] = []
        self.choices: dict[str, dict[int, str]] = {}

    def q(self, type_: str, name: str, label: str = "", **more) -> None:
        self.survey.append({"type": type_, "name": name, "label": label, **more})

    def choice_list(self, name: str, codes: dict[int, str]) -> str:
        """Register a list; two different lists under one name get distinct names."""
        codes = dict(codes)
        key, n = name, 2
        while key in self.choices and self.choices[key] != codes:
            key, n = f"{name}_{n}", n + 1
        self.choices[key] = codes
        return key

    def field(self, f: Field, relevant: str | None = None) -> None:
        """One template field as a question: code → select_one, yes_no → Ya/Tidak, count → integer."""
        label = f"{f.label} [{f.var}]" if f.var else f.label
        more = {"relevant": relevant} if relevant else {}
        if f.kind == "code":
            self.q(f"select_one {self.choice_list(f.codes.name, f.codes.codes)}", f.key, label, **more)
        elif f.kind == "yes_no":
            self.q(f"select_one {self.choice_list('ya_tidak', YA_TIDAK)}", f.key, label, **more)
        elif f.kind == "count":
            low, high = f.min_value or 0, f.max_value or 999
            self.q(
                "integer",
                f.key,
                label,
                constraint=f". >= {low} and . <= {high}",
                constraint_message=f"Isi angka {low} sampai {high}.",
                **more,
            )
        else:  # pragma: no cover - the visit form asks only the three kinds above
            raise ValueError(f"kind {f.kind} has no ODK question")

    def build(self, form_id: str, title: str) -> XLSForm:
        choices = tuple(
            {"list_name": name, "name": str(code), "label": label}
            for name, codes in self.choices.items()
            for code, label in codes.items()
        )
        body = json.dumps([self.survey, choices], sort_keys=True, ensure_ascii=False).encode()
        version = hashlib.sha256(body).hexdigest()[:10]
        settings = {"form_title": title, "form_id": form_id, "version": version, "default_language": "id"}
        return XLSForm(form_id, title, tuple(self.survey), choices, settings)


def _one_of(name: str, codes) -> str:
    return "(" + " or ".join(f"${{{name}}} = '{c}'" for c in sorted(codes)) + ")"


def verval_form() -> XLSForm:
    """Field verval: pick an assigned household, record the result, each member's keberadaan, new answers."""
    b = _Builder()
    b.q("start", "mulai")
    b.q("end", "selesai")
    b.q(
        f"select_one_from_file {TASKS_CSV}",
        "tugas",
        "Rumah tangga yang dikunjungi",
        required="yes",
        hint="Daftar rumah tangga yang ditugaskan kepada Anda (diperbarui saat mengambil formulir).",
        appearance="minimal",
    )
    b.q(
        f"select_one {b.choice_list('hasil_verivali', HOUSEHOLD_RESULTS)}",
        "hasil",
        "Hasil verivali rumah tangga",
        required="yes",
    )
    b.q(
        "date",
        "tanggal_kunjungan",
        "Tanggal kunjungan",
        required="yes",
        default="today()",
        constraint=". <= today()",
        constraint_message="Tanggal kunjungan tidak boleh di masa depan.",
    )
    answered = _one_of("hasil", HOUSEHOLD_ANSWERED)
    b.q("begin_repeat", "anggota", "Anggota rumah tangga", relevant=answered)
    b.q(
        f"select_one_from_file {MEMBERS_CSV}",
        "anggota_id",
        "Nama anggota",
        required="yes",
        choice_filter="tugas = ${tugas}",
    )
    b.q(
        f"select_one {b.choice_list('keberadaan', KEBERADAAN)}",
        "keberadaan",
        "Keberadaan anggota [404]",
        required="yes",
    )
    present = "not" + _one_of("keberadaan", MEMBER_SKIPS)
    for f in member_fields():
        b.field(f, present)
    b.q("end_repeat", "")
    b.q("begin_group", "rumah", "Keadaan rumah dan aset", relevant=answered)
    for f in household_fields():
        b.field(f)
    b.q("end_group", "")
    b.q("image", "foto", "Foto rumah (tampak depan)", appearance="new")
    b.q("text", "catatan", "Catatan")
    return b.build(VERVAL, "Verval lapangan DTKS")


def usulan_form(instrument: str = REGSOSEK2022_K) -> XLSForm:
    """A new household (usulan baru ruta), with its members; codes from the chosen instrument."""
    columns = column_map(instrument)
    b = _Builder()

    def coded(key: str, usulan_key: str, label: str) -> None:
        f = columns[key]
        allowed = {c: t for c, t in f.codes.codes.items() if c in USULAN_CODES[usulan_key]}
        b.q(
            f"select_one {b.choice_list(f.codes.name, allowed)}",
            key,
            f"{label} [{f.var}]" if f.var else label,
            required="yes",
        )

    b.q("start", "mulai")
    b.q("end", "selesai")
    b.q("text", "dusun", "Dusun/lingkungan")
    rwrt = {"constraint": "regex(., '^[0-9]{1,3}$')", "constraint_message": "Isi 1–3 angka."}
    b.q("text", "rw", "RW", **rwrt)
    b.q("text", "rt", "RT", **rwrt)
    b.q("text", "alamat", "Alamat", required="yes")
    b.q(
        "text",
        "no_kk",
        "Nomor KK (bila ada)",
        constraint="regex(., '^[0-9]{16}$')",
        constraint_message="Nomor KK harus 16 angka.",
    )
    b.q("begin_repeat", "anggota", "Anggota rumah tangga")
    b.q("text", "nama", "Nama lengkap", required="yes")
    coded("jenis_kelamin", "sex", "Jenis kelamin")
    b.q(
        "date",
        "tanggal_lahir",
        "Tanggal lahir",
        required="yes",
        constraint=". <= today() and . >= date('1900-01-01')",
        constraint_message="Tanggal lahir tidak boleh di masa depan atau sebelum 1900.",
    )
    b.q("text", "nik", "NIK", required="yes", constraint=NIK_CONSTRAINT, constraint_message=NIK_MESSAGE)
    b.q("text", "tempat_lahir", "Tempat lahir")
    coded("status_kawin", "status_kawin", "Status perkawinan")
    coded("hubungan_kk", "hubungan_kk", "Hubungan dengan kepala keluarga")
    b.q("calculate", "kepala", calculation="if(${hubungan_kk} = '1', 1, 0)")
    b.q("end_repeat", "")
    b.q("calculate", "jumlah_kepala", calculation="sum(${kepala})")
    b.q(
        "acknowledge",
        "periksa",
        "Data anggota sudah diperiksa",
        required="yes",
        constraint="${jumlah_kepala} = 1",
        constraint_message="Harus ada tepat satu kepala keluarga (hubungan 1) di antara anggota.",
    )
    b.q("image", "foto_kk", "Foto Kartu Keluarga (bila ada)", appearance="new")
    b.q("text", "catatan", "Catatan")
    if instrument == PBDT2015:
        return b.build(USULAN_BARU_PBDT, "Usulan rumah tangga baru (PBDT 2015)")
    return b.build(USULAN_BARU, "Usulan rumah tangga baru")


@dataclass(frozen=True, slots=True)
class ODKForm:
    """A form as served: its XLSForm, the XForm XML pyxform made of it, and the XML's md5 (for formList)."""

    form_id: str
    title: str
    version: str
    xlsform: XLSForm
    xml: str

    @property
    def md5(self) -> str:
        return hashlib.md5(self.xml.encode()).hexdigest()

    @property
    def media(self) -> tuple[str, ...]:
        return (TASKS_CSV, MEMBERS_CSV) if self.form_id == VERVAL else ()


def convert(xlsform: XLSForm) -> str:
    """XLSForm workbook → XForm XML through pyxform (reading the .xlsx, as it would read a person's file)."""
    from pyxform.xls2xform import convert as pyxform_convert

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{xlsform.form_id}.xlsx"
        path.write_bytes(xlsform.to_xlsx())
        return pyxform_convert(xlsform=str(path), validate=False, pretty_print=True).xform


def validate(xml: str) -> list[str]:
    """Run ODK Validate (the jar pyxform ships, on the JRE) over the XForm; raises on an invalid form."""
    from pyxform.validators import odk_validate

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "form.xml"
        path.write_text(xml, encoding="utf-8")
        return odk_validate.check_xform(str(path))


@cache
def catalog() -> dict[str, ODKForm]:
    """The forms siks serves, built once per process (pyxform takes a second or so)."""
    out = {}
    for xf in (verval_form(), usulan_form(REGSOSEK2022_K), usulan_form(PBDT2015)):
        out[xf.form_id] = ODKForm(xf.form_id, xf.title, xf.settings["version"], xf, convert(xf))
    return out
