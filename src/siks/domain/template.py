"""The import template: its columns, how one cell is read, and the rules a file must keep.

One source for the importer, the exporter, `siks template`, the synthetic generator and the docs
(docs/design.md §3). Everything here is pure: a row goes in as strings, comes out as Python values plus a
list of `Issue`s. Errors reject the file; warnings (NIK/KK structure faults, empty NIK/KK) are kept, because
a registry must be able to hold a person whose NIK is wrong. `strict=True` turns warnings into errors.

Row issues are `RowIssue`s (an `Issue` that also carries the row numbers) and every message starts with
"Baris N, kolom X:", so a flat list of messages is already a usable report.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from types import MappingProxyType

from siks.domain import kk as kk_rules
from siks.domain import nik as nik_rules
from siks.domain import wilayah
from siks.domain.cells import (  # noqa: F401 (FORMULA_PREFIXES, escape_for_export re-exported)
    BAD_CHARS,
    FORMULA_PREFIXES,
    INVISIBLE,
    escape_for_export,
    is_formula,
)
from siks.domain.instruments import (
    DEFAULT_INSTRUMENT,
    INSTRUMENTS,
    PBDT2015,
    REGSOSEK2022_K,
    YA_TIDAK,
    CodeError,
    CodeList,
    Field,
    decode_flags,
    encode_flags,
    yes_no_code,
    yes_no_value,
)
from siks.domain.instruments import pbdt2015 as P
from siks.domain.instruments import regsosek2022 as R
from siks.domain.issues import Issue, Severity

# --- columns ----------------------------------------------------------------------------------------------


def _code(key: str, var: str | None, label: str, codes: CodeList, level="anggota", required=False) -> Field:
    return Field(key, var, label, "code", codes, level=level, required=required)


def _yes_no(key: str, var: str | None, label: str, level="anggota", codes: CodeList = YA_TIDAK) -> Field:
    return Field(key, var, label, "yes_no", codes, level=level)


def _count(key: str, var: str | None, label: str, low: int, high: int, level="ruta", required=False) -> Field:
    return Field(key, var, label, "count", level=level, required=required, min_value=low, max_value=high)


# Identity and bookkeeping columns, the same in every instrument's template. `var` is set per instrument.
_SHARED: dict[str, Field] = {
    f.key: f
    for f in (
        Field("id_ruta", None, "ID rumah tangga", "text", level="ruta", required=True, max_length=40),
        Field("kode_desa", None, "Kode desa/kelurahan (Kemendagri)", "wilayah", level="ruta", required=True),
        Field("dusun", None, "Dusun/lingkungan", "text", level="ruta", max_length=100),
        Field("rw", None, "RW", "rt_rw", level="ruta"),
        Field("rt", None, "RT", "rt_rw", level="ruta"),
        Field("alamat", None, "Alamat", "text", level="ruta", max_length=255),
        Field("id_keluarga", None, "ID keluarga", "text", level="keluarga", required=True, max_length=40),
        Field("no_kk", None, "Nomor KK", "kk", level="keluarga"),
        _count("no_urut", None, "Nomor urut anggota keluarga", 1, 99, level="anggota", required=True),
        Field("nama", None, "Nama", "text", required=True, max_length=100),
        Field("nik", None, "NIK", "nik"),
        Field("tempat_lahir", None, "Tempat lahir", "text", max_length=100),
        Field("tanggal_lahir", None, "Tanggal lahir", "date", required=True),
        # Instrument and data-collection columns. The Regsosek form is filled per keluarga (Blok II), so
        # the date and the officer may differ between the families of one ruta.
        Field("instrumen", None, "Instrumen pendataan", "instrument", level="ruta"),
        Field("tanggal_pendataan", None, "Tanggal pendataan", "date", level="keluarga"),
        Field("petugas", None, "Nama/kode petugas pendataan", "text", level="keluarga", max_length=100),
    )
}


def _shared(key: str, var: str | None = None) -> Field:
    return replace(_SHARED[key], var=var) if var else _SHARED[key]


# The nine Washington-Group items of 428a–i, letter → column.
SULIT_COLUMNS = {
    "a": "sulit_melihat",
    "b": "sulit_mendengar",
    "c": "sulit_berjalan",
    "d": "sulit_tangan_jari",
    "e": "sulit_belajar",
    "f": "sulit_perilaku",
    "g": "sulit_bicara",
    "h": "sulit_mengurus_diri",
    "i": "sulit_konsentrasi",
}
# 502a–n, letter → column.
ASET_COLUMNS = {
    "a": "aset_tabung_gas",
    "b": "aset_lemari_es",
    "c": "aset_ac",
    "d": "aset_pemanas_air",
    "e": "aset_telepon_rumah",
    "f": "aset_tv_layar_datar",
    "g": "aset_emas",
    "h": "aset_komputer",
    "i": "aset_sepeda_motor",
    "j": "aset_sepeda",
    "k": "aset_mobil",
    "l": "aset_perahu",
    "m": "aset_kapal_motor",
    "n": "aset_smartphone",
}
TERNAK_COLUMNS = {
    "a": "ternak_sapi",
    "b": "ternak_kerbau",
    "c": "ternak_kuda",
    "d": "ternak_babi",
    "e": "ternak_kambing",
}

COLUMNS: tuple[Field, ...] = (
    _shared("id_ruta"),
    _shared("kode_desa"),
    _shared("dusun"),
    _shared("rw"),
    _shared("rt"),
    _shared("alamat", "107"),
    _shared("id_keluarga"),
    _shared("no_kk", "114"),
    _shared("no_urut", "401"),
    _shared("nama", "402"),
    _shared("nik", "403"),
    _code("keberadaan", "404", "Keterangan keberadaan anggota keluarga", R.KEBERADAAN, required=True),
    _code("jenis_kelamin", "405", "Jenis kelamin", R.JENIS_KELAMIN, required=True),
    _shared("tempat_lahir"),
    _shared("tanggal_lahir", "406"),
    _code("status_kawin", "408", "Status perkawinan", R.STATUS_KAWIN, required=True),
    _code("hubungan_kk", "409", "Hubungan dengan kepala keluarga", R.HUBUNGAN_KK, required=True),
    _yes_no("hamil", "410", "Sedang hamil"),
    Field(
        "kartu_identitas", "411", "Kepemilikan kartu identitas (jumlah kode)", "bitflags", R.KARTU_IDENTITAS
    ),
    _code("partisipasi_sekolah", "412", "Partisipasi sekolah", R.PARTISIPASI_SEKOLAH),
    _code("pendidikan", "413", "Jenjang pendidikan tertinggi", R.PENDIDIKAN),
    _yes_no("bekerja", "416a", "Bekerja/membantu bekerja selama seminggu yang lalu"),
    _code("lapangan_usaha", "417", "Lapangan usaha pekerjaan utama", R.LAPANGAN_USAHA),
    _code("status_pekerjaan", "418", "Status kedudukan dalam pekerjaan utama", R.STATUS_PEKERJAAN),
    *(_code(col, f"428{x}", R.KESULITAN_428[x], R.KESULITAN) for x, col in SULIT_COLUMNS.items()),
    _code("penyakit_kronis", "430", "Keluhan kesehatan kronis/menahun", R.PENYAKIT_KRONIS),
    Field(
        "jaminan_kesehatan",
        "431a",
        "Jaminan kesehatan setahun terakhir (jumlah kode)",
        "bitflags",
        R.JAMINAN_KESEHATAN,
    ),
    _code("status_bangunan", "301a", "Status penguasaan bangunan tempat tinggal", R.STATUS_BANGUNAN, "ruta"),
    _count("luas_lantai", "302", "Luas lantai (m²)", 1, 999),
    _code("jenis_lantai", "303", "Jenis lantai terluas", R.JENIS_LANTAI, "ruta"),
    _code("jenis_dinding", "304", "Jenis dinding terluas", R.JENIS_DINDING, "ruta"),
    _code("jenis_atap", "305", "Jenis atap terluas", R.JENIS_ATAP, "ruta"),
    _code("sumber_air_minum", "306a", "Sumber air minum utama", R.SUMBER_AIR_MINUM, "ruta"),
    _code("sumber_penerangan", "307a", "Sumber penerangan utama", R.SUMBER_PENERANGAN, "ruta"),
    _code("daya_listrik", "307b1", "Daya terpasang (meteran pertama)", R.DAYA_TERPASANG, "ruta"),
    _code(
        "bahan_bakar_memasak", "308", "Bahan bakar/energi utama untuk memasak", R.BAHAN_BAKAR_MEMASAK, "ruta"
    ),
    _code("fasilitas_bab", "309a", "Kepemilikan dan penggunaan fasilitas BAB", R.FASILITAS_BAB, "ruta"),
    _code("jenis_kloset", "309b", "Jenis kloset", R.JENIS_KLOSET, "ruta"),
    _code("pembuangan_tinja", "310", "Tempat pembuangan akhir tinja", R.PEMBUANGAN_TINJA, "ruta"),
    *(_yes_no(col, f"502{x}", R.ASET_502[x], "ruta") for x, col in ASET_COLUMNS.items()),
    _yes_no("lahan", "503a", R.ASET_503["a"], "ruta"),
    _yes_no("rumah_lain", "503b", R.ASET_503["b"], "ruta"),
    *(
        _count(col, f"504{x}", f"Jumlah ternak: {R.TERNAK_504[x]}", 0, 999)
        for x, col in TERNAK_COLUMNS.items()
    ),
    _code("internet", "505", "Akses internet utama sebulan terakhir", R.INTERNET, "ruta"),
    _code("rekening", "506", "Rekening aktif/dompet digital", R.REKENING, "ruta"),
    _shared("instrumen"),
    _shared("tanggal_pendataan", "201"),
    _shared("petugas", "202"),
)
"""The REGSOSEK2022.K template, in file order."""

# PBDT 2015 asset columns a–o; each has its own Ya/Tidak codes (the 1/2–3/4 quirk, pbdt2015.asset_codes).
PBDT_ASET_COLUMNS = {
    "a": "aset_tabung_gas",
    "b": "aset_lemari_es",
    "c": "aset_ac",
    "d": "aset_pemanas_air",
    "e": "aset_telepon_rumah",
    "f": "aset_televisi",
    "g": "aset_emas",
    "h": "aset_komputer",
    "i": "aset_sepeda",
    "j": "aset_sepeda_motor",
    "k": "aset_mobil",
    "l": "aset_perahu",
    "m": "aset_motor_tempel",
    "n": "aset_perahu_motor",
    "o": "aset_kapal",
}

PBDT_COLUMNS: tuple[Field, ...] = (
    *(_shared(k) for k in ("id_ruta", "kode_desa", "dusun", "rw", "rt", "alamat", "id_keluarga", "no_kk")),
    *(_shared(k) for k in ("no_urut", "nama", "nik")),
    _code("hubungan_krt", None, "Hubungan dengan kepala rumah tangga", P.HUBUNGAN_KRT, required=True),
    _code("hubungan_kk", None, "Hubungan dengan kepala keluarga", P.HUBUNGAN_KK, required=True),
    _code("jenis_kelamin", None, "Jenis kelamin", P.JENIS_KELAMIN, required=True),
    _shared("tempat_lahir"),
    _shared("tanggal_lahir"),
    _code("status_kawin", None, "Status perkawinan", P.STATUS_KAWIN, required=True),
    _code("akta_nikah", None, "Kepemilikan akta/buku nikah atau cerai", P.AKTA_NIKAH),
    _yes_no("tercantum_kk", None, "Tercantum dalam Kartu Keluarga"),
    Field(
        "kartu_identitas", None, "Kepemilikan kartu identitas (jumlah kode)", "bitflags", P.KARTU_IDENTITAS
    ),
    _yes_no("hamil", None, "Sedang hamil"),
    _code("jenis_cacat", None, "Jenis cacat", P.JENIS_CACAT),
    _code("penyakit_kronis", None, "Penyakit kronis/menahun", P.PENYAKIT_KRONIS),
    _code("partisipasi_sekolah", None, "Partisipasi sekolah", P.PARTISIPASI_SEKOLAH),
    _code("pendidikan", None, "Jenjang pendidikan tertinggi", P.PENDIDIKAN),
    _code("kelas_tertinggi", None, "Kelas tertinggi", P.KELAS_TERTINGGI),
    _code("ijazah", None, "Ijazah tertinggi", P.IJAZAH),
    _yes_no("bekerja", None, "Bekerja/membantu bekerja selama seminggu yang lalu"),
    _code("lapangan_usaha", None, "Lapangan usaha pekerjaan utama", P.LAPANGAN_USAHA),
    _code("status_pekerjaan", None, "Status kedudukan dalam pekerjaan utama", P.STATUS_PEKERJAAN),
    _code(
        "status_bangunan", "III.1a", "Status penguasaan bangunan tempat tinggal", P.STATUS_BANGUNAN, "ruta"
    ),
    _code("status_lahan", "III.1b", "Status lahan tempat tinggal", P.STATUS_LAHAN, "ruta"),
    _count("luas_lantai", "III.2", "Luas lantai (m²)", 1, 9999),
    _code("jenis_lantai", "III.3", "Jenis lantai terluas", P.JENIS_LANTAI, "ruta"),
    _code("jenis_dinding", "III.4a", "Jenis dinding terluas", P.JENIS_DINDING, "ruta"),
    _code("kondisi_dinding", "III.4b", "Kondisi dinding", P.KONDISI_DINDING, "ruta"),
    _code("jenis_atap", "III.5a", "Jenis atap terluas", P.JENIS_ATAP, "ruta"),
    _code("kondisi_atap", "III.5b", "Kondisi atap", P.KONDISI_ATAP, "ruta"),
    _count("jumlah_kamar", "III.6", "Jumlah kamar tidur", 0, 99),
    _code("sumber_air_minum", "III.7", "Sumber air minum", P.SUMBER_AIR_MINUM, "ruta"),
    _code("cara_memperoleh_air", "III.8", "Cara memperoleh air minum", P.CARA_MEMPEROLEH_AIR, "ruta"),
    _code("sumber_penerangan", "III.9a", "Sumber penerangan utama", P.SUMBER_PENERANGAN, "ruta"),
    _code("daya_listrik", "III.9b", "Daya terpasang", P.DAYA_TERPASANG, "ruta"),
    _code("bahan_bakar_memasak", "III.10", "Bahan bakar utama untuk memasak", P.BAHAN_BAKAR_MEMASAK, "ruta"),
    _code("fasilitas_bab", "III.11a", "Penggunaan fasilitas tempat buang air besar", P.FASILITAS_BAB, "ruta"),
    _code("jenis_kloset", "III.11b", "Jenis kloset", P.JENIS_KLOSET, "ruta"),
    _code("pembuangan_tinja", "III.12", "Tempat pembuangan akhir tinja", P.PEMBUANGAN_TINJA, "ruta"),
    *(
        _yes_no(col, f"V.1{x}", P.ASET_BERGERAK[x], "ruta", codes=P.asset_codes(x))
        for x, col in PBDT_ASET_COLUMNS.items()
    ),
    Field(
        "luas_lahan",
        "V.2a",
        "Luas lahan yang dimiliki (m²)",
        "number",
        level="ruta",
        min_value=0,
        max_value=100_000_000,
    ),
    _yes_no("rumah_lain", "V.2b", "Rumah/bangunan di tempat lain", "ruta"),
    *(_count(col, f"V.3{x}", f"Jumlah ternak: {P.TERNAK[x]}", 0, 9999) for x, col in TERNAK_COLUMNS.items()),
    _shared("instrumen"),
    _shared("tanggal_pendataan"),
    _shared("petugas"),
)
"""The PBDT 2015 template (`--instrumen PBDT2015`): the shared identity columns plus the PBDT lists."""

_BY_INSTRUMENT = {REGSOSEK2022_K: COLUMNS, PBDT2015: PBDT_COLUMNS}
# What operators write in the `instrumen` column → the canonical name.
_INSTRUMENT_ALIASES = {
    "REGSOSEK2022.K": REGSOSEK2022_K,
    "REGSOS-EK2022.K": REGSOSEK2022_K,
    "REGSOSEK2022": REGSOSEK2022_K,
    "PBDT2015": PBDT2015,
    "PBDT 2015": PBDT2015,
}


def columns_for(instrument: str = DEFAULT_INSTRUMENT) -> tuple[Field, ...]:
    """The template columns of an instrument, in file order."""
    try:
        return _BY_INSTRUMENT[instrument]
    except KeyError:
        raise ValueError(
            f"Instrumen '{instrument}' tidak dikenal; gunakan {' atau '.join(INSTRUMENTS)}."
        ) from None


@cache
def column_map(instrument: str = DEFAULT_INSTRUMENT) -> Mapping[str, Field]:
    """header → column, for look-ups by name (read-only: it is shared)."""
    return MappingProxyType({c.key: c for c in columns_for(instrument)})


def headers(instrument: str = DEFAULT_INSTRUMENT) -> list[str]:
    """The header row of the template file."""
    return [c.key for c in columns_for(instrument)]


def column_help(column: Field) -> str:
    """One Indonesian sentence for the template's header comment: what to write in this column."""
    what = {
        "text": f"Teks, paling banyak {column.max_length} karakter.",
        "date": "Tanggal: YYYY-MM-DD (juga DD-MM-YYYY atau DD/MM/YYYY).",
        "wilayah": "Kode desa/kelurahan Kemendagri, 10 digit: 3509152001 atau 35.09.15.2001.",
        "nik": "16 digit angka; format kolom sebagai Teks agar Excel tidak mengubahnya.",
        "kk": "Nomor KK 16 digit; format kolom sebagai Teks agar Excel tidak mengubahnya.",
        "rt_rw": "Angka 1–3 digit (disimpan 3 digit, mis. 003).",
        "instrument": f"Kosongkan atau isi {' / '.join(INSTRUMENTS)}.",
        "count": f"Bilangan bulat {column.min_value}–{column.max_value}.",
        "number": f"Angka {column.min_value}–{column.max_value} (desimal dengan titik atau koma).",
    }.get(column.kind)
    if column.kind in ("code", "yes_no"):
        what = f"Kode: {column.codes.describe(limit=30)}."  # type: ignore[union-attr]
    elif column.kind == "bitflags":
        what = f"Jumlahkan kode yang berlaku: {column.codes.describe(limit=30)}."  # type: ignore[union-attr]
    var = f" [{column.var}]" if column.var else ""
    return f"{column.label}{var}. {'Wajib diisi. ' if column.required else ''}{what}"


# --- one row ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowIssue(Issue):
    """An `Issue` found in a file, with the row numbers it concerns (one for a cell, several across rows)."""

    rows: tuple[int, ...] = ()

    @property
    def row(self) -> int | None:
        return self.rows[0] if self.rows else None


@dataclass(frozen=True)
class ParsedRow:
    """One row, normalised: column → value (None when empty or invalid). Treat `values` as read-only.

    Values by kind: code/count → int, number → float, yes_no → bool, bitflags → frozenset[int],
    date → date, rt/rw → "003", kode_desa → "35.09.15.2001", nik/no_kk → 16 digits, text → str.
    `invalid` names the columns that had an error, so cross-row checks do not report them twice.
    """

    row_number: int
    instrument: str
    values: dict[str, object]
    invalid: frozenset[str] = field(default_factory=frozenset)

    def __getitem__(self, key: str) -> object:
        return self.values[key]

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    @property
    def member_ref(self) -> str | None:
        """The member's external reference, `id_keluarga-no_urut` (design.md §2)."""
        fam, no = self.values.get("id_keluarga"), self.values.get("no_urut")
        return f"{fam}-{no}" if fam is not None and no is not None else None


class InvalidCell(Exception):
    """Raised by a cell parser: `code` is the issue code, `rule` the Indonesian explanation."""

    def __init__(self, code: str, rule: str) -> None:
        super().__init__(code, rule)
        self.code, self.rule = code, rule


_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_INTEGER = re.compile(r"[+-]?\d+(?:\.0+)?")  # "3.0" is what a spreadsheet makes of the number 3
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_DMY_DATE = re.compile(r"(\d{1,2})([-/])(\d{1,2})\2(\d{4})")
_DESA_CODE = re.compile(r"\d{10}|\d{2}\.\d{2}\.\d{2}\.\d{4}")
_BAD_CHARS, _INVISIBLE = BAD_CHARS, INVISIBLE  # one definition, shared with the typed inputs
_SPACES = re.compile(r"\s+")
_EMPTY_MARKS = frozenset({"", "-"})  # a lone "-" is how many spreadsheets say "nothing here"


def _parse_date(text: str) -> date | None:
    if m := _ISO_DATE.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY_DATE.fullmatch(text):
        d, mo, y = int(m[1]), int(m[3]), int(m[4])
    else:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _show(text: str) -> str:
    text = text.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")
    return f"'{text[:60]}…'" if len(text) > 60 else f"'{text}'"


def _to_int(text: str) -> int | None:
    return int(text.split(".")[0]) if _INTEGER.fullmatch(text) else None


def _codes_rule(column: Field, text: str) -> str:
    return (
        f"{_show(text)} bukan kode yang berlaku untuk {column.label}; "
        f"gunakan {column.codes.describe()}."  # type: ignore[union-attr]
    )


def _parse_code(column: Field, text: str) -> int:
    number = _to_int(text)
    if number is None or number not in column.codes:  # type: ignore[operator]
        raise InvalidCell("CODE_UNKNOWN", _codes_rule(column, text))
    return number


def _parse_yes_no(column: Field, text: str) -> bool:
    return yes_no_value(column, _parse_code(column, text))


def _parse_flags(column: Field, text: str) -> frozenset[int]:
    number = _to_int(text)
    try:
        if number is None:
            raise CodeError("bukan angka")
        return decode_flags(column, number)
    except CodeError:
        codes = column.codes
        flags = " + ".join(f"{c} {codes.codes[c]}" for c in codes.flags)  # type: ignore[union-attr]
        alone = "".join(f"; atau {s} {codes.codes[s]} saja" for s in codes.specials)  # type: ignore[union-attr]
        raise InvalidCell(
            "FLAGS_INVALID",
            f"{_show(text)} bukan jumlah kode yang mungkin untuk {column.label}; jumlahkan kode yang berlaku "
            f"({flags}), 0 bila tidak ada{alone}.",
        ) from None


def _check_range(column: Field, number: float, text: str) -> None:
    low, high = column.min_value, column.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidCell("NUMBER_RANGE", f"{_show(text)} di luar batas {low}–{high} untuk {column.label}.")


def _parse_count(column: Field, text: str) -> int:
    number = _to_int(text)
    if number is None:
        raise InvalidCell("NUMBER_INVALID", f"{_show(text)} bukan bilangan bulat (untuk {column.label}).")
    _check_range(column, number, text)
    return number


def _parse_number(column: Field, text: str) -> float:
    if not _PLAIN_NUMBER.fullmatch(text):
        raise InvalidCell(
            "NUMBER_INVALID", f"{_show(text)} bukan angka (untuk {column.label}; desimal pakai titik/koma)."
        )
    number = float(text.replace(",", "."))
    _check_range(column, number, text)
    return number


def _parse_text(column: Field, text: str) -> str:
    if column.max_length is not None and len(text) > column.max_length:
        raise InvalidCell(
            "TEXT_TOO_LONG",
            f"{_show(text)} terlalu panjang: {len(text)} karakter, paling banyak {column.max_length}.",
        )
    return text


def _parse_rt_rw(column: Field, text: str) -> str:
    number = _to_int(text)
    if number is None or not 0 <= number <= 999:
        raise InvalidCell(
            "NUMBER_INVALID", f"{_show(text)} bukan nomor {column.label} yang valid (angka 1–3 digit)."
        )
    return f"{number:03d}"


def _parse_desa(column: Field, text: str) -> str:
    if not _DESA_CODE.fullmatch(text):
        raise InvalidCell(
            "DESA_FORMAT",
            f"{_show(text)} bukan kode desa/kelurahan: tulis 10 digit (3509152001) atau 35.09.15.2001.",
        )
    code = wilayah.normalize(text)
    found = wilayah.get(code)
    if found is None or found.level != 4:
        raise InvalidCell(
            "DESA_UNKNOWN",
            f"kode desa/kelurahan {code} tidak ada dalam daftar wilayah Kemendagri yang berlaku.",
        )
    return found.code


_TEXT_KINDS = frozenset({"text", "nik", "kk"})


def parse_cell(column: Field, value: str, instrument: str, today: date) -> object:
    """One cell → its value, or InvalidCell. NIK and KK come back as text; `check_identity` checks them."""
    if is_formula(value) and value.strip() not in _EMPTY_MARKS:
        raise InvalidCell(
            "FORMULA",
            f"{_show(value)} diawali '=', '+', '-', '@', tab atau CR dan bukan angka atau tanggal; "
            "rumus spreadsheet tidak diterima, tulis nilainya saja.",
        )
    text = _SPACES.sub(" ", value).strip()
    if text in _EMPTY_MARKS:
        if column.kind == "instrument":
            return instrument
        if column.required:
            raise InvalidCell("REQUIRED", f"wajib diisi ({column.label}).")
        return None
    if _BAD_CHARS.search(text):
        raise InvalidCell(
            "TEXT_INVALID",
            f"{_show(text)} berisi karakter kontrol atau karakter yang gagal dibaca (encoding salah?); "
            "simpan berkas sebagai UTF-8.",
        )
    if hidden := _INVISIBLE.search(text):
        raise InvalidCell(
            "TEXT_INVALID",
            f"{_show(text)} berisi karakter tak terlihat U+{ord(hidden.group()):04X} (lebar nol atau "
            f"pembalik arah teks) di posisi {hidden.start() + 1}; hapus karakter itu (biasanya terbawa saat "
            "menyalin).",
        )
    kind = column.kind
    if kind in _TEXT_KINDS:
        return _parse_text(column, text)
    if kind == "code":
        return _parse_code(column, text)
    if kind == "yes_no":
        return _parse_yes_no(column, text)
    if kind == "bitflags":
        return _parse_flags(column, text)
    if kind == "count":
        return _parse_count(column, text)
    if kind == "number":
        return _parse_number(column, text)
    if kind == "rt_rw":
        return _parse_rt_rw(column, text)
    if kind == "wilayah":
        return _parse_desa(column, text)
    if kind == "date":
        return _parse_date_cell(column, text, today)
    if kind == "instrument":
        return _parse_instrument(text, instrument)
    raise AssertionError(f"unhandled kind {kind}")


def _parse_date_cell(column: Field, text: str, today: date) -> date:
    found = _parse_date(text)
    if found is None or found.year < 1900:
        raise InvalidCell(
            "DATE_INVALID",
            f"{_show(text)} bukan tanggal yang valid; tulis YYYY-MM-DD, DD-MM-YYYY atau DD/MM/YYYY "
            "(tahun 1900 atau sesudahnya).",
        )
    if found > today:
        code = "BIRTHDATE_FUTURE" if column.key == "tanggal_lahir" else "DATE_FUTURE"
        raise InvalidCell(code, f"{_show(text)}: {column.label} tidak boleh sesudah {today:%d-%m-%Y}.")
    return found


def _parse_instrument(text: str, instrument: str) -> str:
    named = _INSTRUMENT_ALIASES.get(text.upper())
    if named is None:
        raise InvalidCell(
            "INSTRUMENT_UNKNOWN",
            f"{_show(text)} bukan instrumen yang dikenal; gunakan {' atau '.join(INSTRUMENTS)}.",
        )
    if named != instrument:
        raise InvalidCell(
            "INSTRUMENT_MISMATCH",
            f"baris ini berinstrumen {named}, tetapi berkas diimpor sebagai {instrument}; "
            "pisahkan berkas per instrumen.",
        )
    return named


def _row_issue(
    code: str, row: int, key: str, message: str, value: str | None, severity: Severity = "error"
) -> RowIssue:
    return RowIssue(code, f"Baris {row}, kolom {key}: {message}", key, value, severity, rows=(row,))


def _identity_issues(key: str, text: str | None, values: dict[str, object], today: date) -> list[Issue]:
    if key == "nik":
        sex = values.get("jenis_kelamin")
        born = values.get("tanggal_lahir")
        return nik_rules.check_nik(
            text,
            sex=sex if isinstance(sex, int) else None,
            birth_date=born if isinstance(born, date) else None,
            reference_date=today,
        )
    return kk_rules.check_kk(text, reference_date=today)


def check_identity(values: dict[str, object], invalid: set[str], row: int, today: date) -> list[Issue]:
    """NIK and KK: the rules live in siks.domain.nik / .kk; a wrong format is an error, the rest warnings."""
    issues: list[Issue] = []
    for key in ("nik", "no_kk"):
        if key not in values or key in invalid:
            continue
        text = values[key]
        assert text is None or isinstance(text, str)
        found = _identity_issues(key, text, values, today)
        for i in found:
            value = i.value if i.value is not None else text
            issues.append(_row_issue(i.code, row, key, i.message, value, i.severity))
        if any(i.is_error for i in found):
            values[key] = None
            invalid.add(key)
        elif text is not None:
            values[key] = nik_rules.structure_digits(text)[0]  # "3509 1520 …" → the 16 digits
    return issues


KEPALA_MIN_AGE = 10  # a kepala keluarga younger than this (at pendataan) is an error
KEPALA_YOUNG_AGE = 15  # younger than this: a warning (child-headed families exist, and are worth a look)


def age_on(born: date, on: date) -> int:
    """Whole years between a birth date and a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _check_life(values: dict[str, object], invalid: set[str], row: int, today: date) -> list[Issue]:
    """Birth after the pendataan, and a kepala keluarga too young to be one (age at pendataan, else today)."""
    born, on = values.get("tanggal_lahir"), values.get("tanggal_pendataan")
    if not isinstance(born, date):
        return []
    issues: list[Issue] = []
    if isinstance(on, date) and born > on:
        issues.append(
            _row_issue(
                "BIRTH_AFTER_PENDATAAN",
                row,
                "tanggal_lahir",
                f"lahir {born:%d-%m-%Y}, sesudah tanggal pendataan {on:%d-%m-%Y}: orang yang belum lahir "
                "tidak dapat didata.",
                born.isoformat(),
            )
        )
        values["tanggal_lahir"] = None
        invalid.add("tanggal_lahir")
        return issues
    if values.get("hubungan_kk") == R.KEPALA_KELUARGA:
        age = age_on(born, on if isinstance(on, date) else today)
        if age < KEPALA_YOUNG_AGE:
            error = age < KEPALA_MIN_AGE  # the value stays valid: the family keeps its (one) kepala
            issues.append(
                _row_issue(
                    "KEPALA_AGE" if error else "KEPALA_YOUNG",
                    row,
                    "hubungan_kk",
                    f"kepala keluarga berumur {age} tahun saat pendataan"
                    + (
                        f" (kurang dari {KEPALA_MIN_AGE}): periksa hubungan_kk dan tanggal_lahir."
                        if error
                        else f" (kurang dari {KEPALA_YOUNG_AGE}); periksa apakah benar."
                    ),
                    str(age),
                    "error" if error else "warning",
                )
            )
    return issues


def parse_row(
    raw: Mapping[str, str | None],
    row_number: int,
    *,
    instrument: str = DEFAULT_INSTRUMENT,
    strict: bool = False,
    reference_date: date | None = None,
) -> tuple[ParsedRow, list[Issue]]:
    """Normalise and check one row of the template. Pure: nothing is looked up but the wilayah tables.

    `raw` maps header → cell text (headers are matched ignoring case and surrounding spaces; unknown
    headers are ignored). `row_number` is the row in the file, for messages. `reference_date` (default
    today) is "now" for the no-future-dates rules. `strict` turns every warning into an error.
    """
    today = reference_date or date.today()
    cells = {str(k).strip().lower(): "" if v is None else str(v) for k, v in raw.items() if k is not None}
    values: dict[str, object] = {}
    invalid: set[str] = set()
    issues: list[Issue] = []
    for column in columns_for(instrument):
        text = cells.get(column.key, "")
        try:
            values[column.key] = parse_cell(column, text, instrument, today)
        except InvalidCell as bad:
            values[column.key] = None
            invalid.add(column.key)
            shown = escape_for_export(text) if bad.code == "FORMULA" else text
            issues.append(_row_issue(bad.code, row_number, column.key, bad.rule, shown))
    issues += check_identity(values, invalid, row_number, today)
    issues += _check_life(values, invalid, row_number, today)
    if strict:
        issues = [replace(i, severity="error") if not i.is_error else i for i in issues]
    return ParsedRow(row_number, instrument, values, frozenset(invalid)), issues


def format_cell(column: Field, value: object) -> str:
    """The inverse of parsing one cell: a stored value → the text the template expects.

    For exporters and the synthetic generator, so an exported file imports again unchanged. Text goes
    through `escape_for_export`.
    """
    if value is None:
        return ""
    if column.kind == "bitflags":
        return str(encode_flags(column, value))  # type: ignore[arg-type]
    if column.kind == "yes_no":
        return str(yes_no_code(column, bool(value)))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if column.kind == "text":
        return escape_for_export(str(value))
    return str(value)


# --- across rows ------------------------------------------------------------------------------------------


def _rows_text(rows: Iterable[int]) -> str:
    ordered = sorted(set(rows))
    shown = ", ".join(str(r) for r in ordered[:10])
    return shown + (f", … ({len(ordered)} baris)" if len(ordered) > 10 else "")


def _group_issue(code: str, rows: Iterable[int], key: str, value: str | None, message: str) -> RowIssue:
    ordered = tuple(sorted(set(rows)))
    return RowIssue(code, f"Baris {_rows_text(ordered)}: {message}", key, value, "error", rows=ordered)


def _valid(row: ParsedRow, key: str) -> bool:
    """The row has this column and it parsed (a None from an empty optional cell counts as a value)."""
    return key in row.values and key not in row.invalid


def _groups(rows: list[ParsedRow], key: str) -> dict[object, list[ParsedRow]]:
    out: dict[object, list[ParsedRow]] = defaultdict(list)
    for r in rows:
        if _valid(r, key) and r.values[key] is not None:
            out[r.values[key]].append(r)
    return out


def _duplicate_keys(rows: list[ParsedRow]) -> list[Issue]:
    seen: dict[tuple[object, object], list[int]] = defaultdict(list)
    for r in rows:
        if _valid(r, "id_keluarga") and _valid(r, "no_urut") and r.member_ref is not None:
            seen[(r.values["id_keluarga"], r.values["no_urut"])].append(r.row_number)
    return [
        _group_issue(
            "DUPLICATE_ROW",
            where,
            "no_urut",
            f"{fam}-{no}",
            f"id_keluarga '{fam}' dengan no_urut {no} muncul {len(where)} kali; "
            "pasangan id_keluarga + no_urut harus unik.",
        )
        for (fam, no), where in seen.items()
        if len(where) > 1
    ]


def _disagreements(rows: list[ParsedRow], level: str, group_key: str, code: str) -> list[Issue]:
    """Columns of `level` must hold one value in every row of the same `group_key` (id_ruta/id_keluarga)."""
    issues: list[Issue] = []
    what = "rumah tangga" if level == "ruta" else "keluarga"
    for ref, members in _groups(rows, group_key).items():
        columns = [c for c in columns_for(members[0].instrument) if c.level == level and c.key != group_key]
        for column in columns:
            by_value: dict[str, list[int]] = defaultdict(list)
            for r in members:
                if _valid(r, column.key):
                    by_value[format_cell(column, r.values[column.key])].append(r.row_number)
            if len(by_value) > 1:
                listed = "; ".join(
                    f"{_show(v) if v else 'kosong'} di baris {_rows_text(w)}" for v, w in by_value.items()
                )
                issues.append(
                    _group_issue(
                        code,
                        (n for w in by_value.values() for n in w),
                        column.key,
                        None,
                        f"kolom {column.key} berbeda dalam satu {what} ({group_key} '{ref}'): {listed}. "
                        f"Kolom {what} harus diisi sama di setiap baris {what} itu.",
                    )
                )
    return issues


def _keluarga_in_two_ruta(rows: list[ParsedRow]) -> list[Issue]:
    issues: list[Issue] = []
    for fam, members in _groups(rows, "id_keluarga").items():
        ruta = {
            r.values["id_ruta"] for r in members if _valid(r, "id_ruta") and r.values["id_ruta"] is not None
        }
        if len(ruta) > 1:
            issues.append(
                _group_issue(
                    "KELUARGA_MULTI_RUTA",
                    (r.row_number for r in members),
                    "id_keluarga",
                    str(fam),
                    f"keluarga '{fam}' tercatat di lebih dari satu rumah tangga "
                    f"({', '.join(sorted(map(str, ruta)))}); satu keluarga hanya boleh di satu id_ruta.",
                )
            )
    return issues


def _exactly_one(
    rows: list[ParsedRow], group_key: str, key: str, head: int, missing: str, multiple: str, who: str
) -> list[Issue]:
    """Exactly one row per group has `key == head` (one kepala keluarga per keluarga, one KRT per ruta)."""
    issues: list[Issue] = []
    for ref, group in _groups(rows, group_key).items():
        members = [r for r in group if key in r.values]  # PBDT has hubungan_krt, Regsosek does not
        if not members:
            continue
        heads = [r.row_number for r in members if _valid(r, key) and r.values[key] == head]
        unknown = any(key in r.invalid for r in members)
        if len(heads) > 1:
            issues.append(
                _group_issue(
                    multiple,
                    heads,
                    key,
                    str(ref),
                    f"{group_key} '{ref}' punya {len(heads)} {who} ({key} = {head}); harus tepat satu.",
                )
            )
        elif not heads and not unknown:
            issues.append(
                _group_issue(
                    missing,
                    (r.row_number for r in members),
                    key,
                    str(ref),
                    f"{group_key} '{ref}' tidak punya {who} ({key} = {head}); harus tepat satu.",
                )
            )
    return issues


def check_rows(rows: Iterable[ParsedRow]) -> list[Issue]:
    """The rules across rows of one file (all errors), in row order:

    DUPLICATE_ROW (id_keluarga + no_urut twice), RUTA_MISMATCH (household columns disagree within an
    id_ruta), KELUARGA_MISMATCH (family columns disagree within an id_keluarga), KELUARGA_MULTI_RUTA (one
    keluarga in two households), KEPALA_MISSING / KEPALA_MULTIPLE (not exactly one hubungan_kk = 1 per
    keluarga) and, for PBDT, KRT_MISSING / KRT_MULTIPLE (not exactly one hubungan_krt = 1 per ruta).
    """
    rows = list(rows)
    issues = [
        *_duplicate_keys(rows),
        *_disagreements(rows, "ruta", "id_ruta", "RUTA_MISMATCH"),
        *_disagreements(rows, "keluarga", "id_keluarga", "KELUARGA_MISMATCH"),
        *_keluarga_in_two_ruta(rows),
        *_exactly_one(
            rows,
            "id_keluarga",
            "hubungan_kk",
            R.KEPALA_KELUARGA,
            "KEPALA_MISSING",
            "KEPALA_MULTIPLE",
            "kepala keluarga",
        ),
        *_exactly_one(
            rows,
            "id_ruta",
            "hubungan_krt",
            P.KEPALA_RUMAH_TANGGA,
            "KRT_MISSING",
            "KRT_MULTIPLE",
            "kepala rumah tangga",
        ),
    ]
    return sorted(issues, key=lambda i: (i.rows, i.code))  # type: ignore[attr-defined]


#: Every issue code parse_row/check_rows can produce (with nik/kk), and its severity. See docs/instruments.md.
ISSUE_CODES: dict[str, Severity] = {
    "REQUIRED": "error",
    "CODE_UNKNOWN": "error",
    "FLAGS_INVALID": "error",
    "NUMBER_INVALID": "error",
    "NUMBER_RANGE": "error",
    "TEXT_TOO_LONG": "error",
    "TEXT_INVALID": "error",
    "DATE_INVALID": "error",
    "DATE_FUTURE": "error",
    "BIRTHDATE_FUTURE": "error",
    "DESA_FORMAT": "error",
    "DESA_UNKNOWN": "error",
    "INSTRUMENT_UNKNOWN": "error",
    "INSTRUMENT_MISMATCH": "error",
    "FORMULA": "error",
    "DUPLICATE_ROW": "error",
    "RUTA_MISMATCH": "error",
    "KELUARGA_MISMATCH": "error",
    "KELUARGA_MULTI_RUTA": "error",
    "KEPALA_MISSING": "error",
    "KEPALA_MULTIPLE": "error",
    "KRT_MISSING": "error",
    "KRT_MULTIPLE": "error",
    "BIRTH_AFTER_PENDATAAN": "error",
    "KEPALA_AGE": "error",
    "KEPALA_YOUNG": "warning",
    **{code: severity for code, (severity, _) in nik_rules.RULES.items()},  # type: ignore[misc]
    **{code: severity for code, (severity, _) in kk_rules.RULES.items()},  # type: ignore[misc]
}
