"""PPKS and PSKS: the code lists and the checks on a registration (pure, no database).

Why here: DTKS covers more than households (Permensos 5/2019 Pasal 2 ayat 2; docs/domain-facts.md §8):
PPKS (pemerlu pelayanan kesejahteraan sosial), who may live in a household *or outside one* (an LKS
resident, a street child), and PSKS (potensi dan sumber kesejahteraan sosial), persons and organisations
such as TKSK and LKS. The import file, the JSON API, the web form and the usulan all check a record with the
same functions, so the rules live once, here.

Codes are stable snake-case strings (the numbers of local applications differ); labels are Indonesian.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from siks.domain import wilayah
from siks.domain.issues import Issue
from siks.domain.nik import check_nik


class Subject(StrEnum):
    """Who a PPKS kind attaches to (UU 11/2009 and 13/2011: perseorangan, keluarga, kelompok)."""

    PERSEORANGAN = "perseorangan"
    KELUARGA = "keluarga"
    KELOMPOK = "kelompok"


SUBJECT_LABEL = {
    Subject.PERSEORANGAN: "Perseorangan",
    Subject.KELUARGA: "Keluarga",
    Subject.KELOMPOK: "Kelompok/komunitas",
}

_P = frozenset({Subject.PERSEORANGAN})
_PK = frozenset({Subject.PERSEORANGAN, Subject.KELUARGA})


@dataclass(frozen=True, slots=True)
class PpksKind:
    code: str
    label: str
    subjects: frozenset[Subject]


# The 26 PPKS kinds (Permensos 08/2012, kept by Permensos 5/2019; docs/domain-facts.md §8), in that order.
PPKS_KINDS: dict[str, PpksKind] = {
    k.code: k
    for k in (
        PpksKind("anak_balita_terlantar", "Anak balita terlantar", _P),
        PpksKind("anak_terlantar", "Anak terlantar", _P),
        PpksKind("anak_berhadapan_hukum", "Anak yang berhadapan dengan hukum", _P),
        PpksKind("anak_jalanan", "Anak jalanan", _P),
        PpksKind("anak_disabilitas", "Anak dengan kedisabilitasan", _P),
        PpksKind("anak_korban_kekerasan", "Anak korban tindak kekerasan atau diperlakukan salah", _P),
        PpksKind("anak_perlindungan_khusus", "Anak yang memerlukan perlindungan khusus", _P),
        PpksKind("lansia_terlantar", "Lanjut usia terlantar", _P),
        PpksKind("penyandang_disabilitas", "Penyandang disabilitas", _P),
        PpksKind("tuna_susila", "Tuna susila", _P),
        PpksKind("gelandangan", "Gelandangan", _P),
        PpksKind("pengemis", "Pengemis", _P),
        PpksKind("pemulung", "Pemulung", _P),
        PpksKind(
            "kelompok_minoritas", "Kelompok minoritas", frozenset({Subject.PERSEORANGAN, Subject.KELOMPOK})
        ),
        PpksKind("bekas_warga_binaan", "Bekas warga binaan lembaga pemasyarakatan", _P),
        PpksKind("odha", "Orang dengan HIV/AIDS", _P),
        PpksKind("korban_napza", "Korban penyalahgunaan NAPZA", _P),
        PpksKind("korban_trafficking", "Korban trafficking", _P),
        PpksKind("korban_kekerasan", "Korban tindak kekerasan", _P),
        PpksKind("pekerja_migran_bermasalah", "Pekerja migran bermasalah sosial", _P),
        PpksKind("korban_bencana_alam", "Korban bencana alam", _PK),
        PpksKind("korban_bencana_sosial", "Korban bencana sosial", _PK),
        PpksKind("perempuan_rawan_sosial_ekonomi", "Perempuan rawan sosial ekonomi", _P),
        PpksKind("fakir_miskin", "Fakir miskin", _PK),
        PpksKind(
            "keluarga_bermasalah_psikologis",
            "Keluarga bermasalah sosial psikologis",
            frozenset({Subject.KELUARGA}),
        ),
        PpksKind("komunitas_adat_terpencil", "Komunitas adat terpencil", frozenset({Subject.KELOMPOK})),
    )
}
assert len(PPKS_KINDS) == 26


class Form(StrEnum):
    """What a PSKS record is: a person, or an organisation (lembaga, komunitas, badan usaha)."""

    ORANG = "orang"
    LEMBAGA = "lembaga"


@dataclass(frozen=True, slots=True)
class PsksKind:
    code: str
    label: str
    form: Form


# The 12 PSKS kinds (Permensos 08/2012; docs/domain-facts.md §8). Keluarga pioner is recorded under the
# name of the family's head, as an `orang`.
PSKS_KINDS: dict[str, PsksKind] = {
    k.code: k
    for k in (
        PsksKind("pekerja_sosial", "Pekerja sosial profesional", Form.ORANG),
        PsksKind("psm", "Pekerja sosial masyarakat (PSM)", Form.ORANG),
        PsksKind("tagana", "Taruna Siaga Bencana (Tagana)", Form.ORANG),
        PsksKind("lks", "Lembaga kesejahteraan sosial (LKS)", Form.LEMBAGA),
        PsksKind("karang_taruna", "Karang Taruna", Form.LEMBAGA),
        PsksKind("lk3", "Lembaga konsultasi kesejahteraan keluarga (LK3)", Form.LEMBAGA),
        PsksKind("keluarga_pioner", "Keluarga pioner", Form.ORANG),
        PsksKind("wksbm", "Wahana kesejahteraan sosial keluarga berbasis masyarakat (WKSBM)", Form.LEMBAGA),
        PsksKind("wpks", "Wanita pemimpin kesejahteraan sosial (WPKS)", Form.ORANG),
        PsksKind("penyuluh_sosial", "Penyuluh sosial", Form.ORANG),
        PsksKind("tksk", "Tenaga kesejahteraan sosial kecamatan (TKSK)", Form.ORANG),
        PsksKind("dunia_usaha", "Dunia usaha", Form.LEMBAGA),
    )
}
assert len(PSKS_KINDS) == 12

# LKS accreditation grades (akreditasi LKS: A sangat baik, B baik, C cukup); "belum" = not accredited.
ACCREDITATION = {"A": "A (sangat baik)", "B": "B (baik)", "C": "C (cukup)", "belum": "Belum terakreditasi"}

# Where a person outside any household is found; an LKS resident points at the LKS instead.
PLACES = {
    "jalanan": "Jalanan/ruang publik",
    "kolong": "Kolong jembatan/bangunan kosong",
    "pengungsian": "Tempat pengungsian",
    "rumah_singgah": "Rumah singgah",
    "lainnya": "Tempat lain",
}

# Why a PPKS registration ends.
END_REASONS = {
    "pulih": "Sudah tidak membutuhkan pelayanan (pulih/mandiri)",
    "meninggal": "Meninggal",
    "pindah": "Pindah/keluar dari LKS",
    "salah_data": "Salah pencatatan",
}

_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")


def _err(code: str, message: str, field: str | None = None, value=None) -> Issue:
    return Issue(code, message, field, None if value is None else str(value))


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _date(value, field: str, issues: list[Issue], today: dt.date, required: bool = False) -> dt.date | None:
    if value in (None, ""):
        if required:
            issues.append(_err("PPKS_DATE", f"{field}: tanggal wajib diisi.", field))
        return None
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        issues.append(
            _err("PPKS_DATE", f"{field}: tanggal '{value}' tidak valid (YYYY-MM-DD).", field, value)
        )
        return None
    if day > today:
        issues.append(_err("PPKS_DATE_FUTURE", f"{field}: tanggal {day} di masa depan.", field, value))
    return day


def _desa(value, field: str, issues: list[Issue], levels: tuple[int, ...] = (4,)) -> str | None:
    text = _text(value)
    if text is None:
        issues.append(_err("PPKS_WILAYAH", f"{field}: kode wilayah wajib diisi.", field))
        return None
    try:
        code = wilayah.normalize(text)
    except ValueError as exc:
        issues.append(_err("PPKS_WILAYAH", str(exc), field, value))
        return None
    if wilayah.level(code) not in levels or wilayah.get(code) is None:
        want = " atau ".join(
            {1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa"}[n] for n in levels
        )
        issues.append(
            _err("PPKS_WILAYAH", f"{field}: '{text}' bukan kode {want} yang dikenal.", field, value)
        )
        return None
    return code


def _nik(value, sex, born, issues: list[Issue], today: dt.date, required: bool) -> str | None:
    """A NIK is optional outside households; when given, a malformed one is refused, other faults warn."""
    text = _text(value)
    if text is None:
        if required:
            issues.append(_err("PPKS_NIK_REQUIRED", "NIK wajib diisi.", "nik"))
        return None
    found = check_nik(text, sex=sex, birth_date=born, reference_date=today)
    issues.extend(found)
    return None if any(i.is_error for i in found) else re.sub(r"\D", "", text)


def _sex(value, issues: list[Issue], required: bool = True) -> int | None:
    if value in (None, ""):
        if required:
            issues.append(_err("PPKS_SEX", "Jenis kelamin wajib diisi (1 laki-laki, 2 perempuan).", "sex"))
        return None
    try:
        sex = int(value)
    except (TypeError, ValueError):
        sex = None
    if sex not in (1, 2):
        issues.append(_err("PPKS_SEX", f"Jenis kelamin '{value}' tidak dikenal (1 atau 2).", "sex", value))
        return None
    return sex


def _ref(value, issues: list[Issue]) -> str | None:
    text = _text(value)
    if text is not None and not _REF.fullmatch(text):
        issues.append(
            _err("PPKS_REF", "ref: 1–40 huruf, angka, titik, garis miring atau tanda hubung.", "ref", value)
        )
        return None
    return text


def clean_person(raw: dict, today: dt.date) -> tuple[dict, list[Issue]]:
    """A PPKS person outside any household: an LKS resident (`lks_ref`/`lks_id`) or found at a place.

    Exactly one of the two. Name, sex and the desa where the person is found are required; the NIK and birth
    date are not (a street child often has neither), but a NIK that is given must be well formed.
    """
    issues: list[Issue] = []
    nama = _text(raw.get("nama"))
    if nama is None:
        issues.append(
            _err("PPKS_NAMA", "Nama wajib diisi (nama panggilan bila nama lengkap tidak diketahui).", "nama")
        )
    sex = _sex(raw.get("sex"), issues)
    born = _date(raw.get("tanggal_lahir"), "tanggal_lahir", issues, today)
    nik = _nik(raw.get("nik"), sex, born, issues, today, required=False)
    lks = raw.get("lks_id") or _text(raw.get("lks_ref"))
    place = _text(raw.get("tempat"))
    if bool(lks) == bool(place):
        issues.append(
            _err(
                "PPKS_TEMPAT",
                "Isi salah satu: LKS tempat tinggal (lks_ref) atau tempat ditemukan (tempat).",
                "tempat",
            )
        )
    if place is not None and place not in PLACES:
        issues.append(
            _err(
                "PPKS_TEMPAT",
                f"tempat '{place}' tidak dikenal. Pilihan: {', '.join(PLACES)}.",
                "tempat",
                place,
            )
        )
        place = None
    desa = _desa(raw.get("desa_code"), "desa_code", issues)
    clean = {
        "ref": _ref(raw.get("ref"), issues),
        "nama": nama,
        "sex": sex,
        "tanggal_lahir": born,
        "tempat_lahir": _text(raw.get("tempat_lahir")),
        "nik": nik,
        "tempat": place,
        "alamat": _text(raw.get("alamat")),
        "desa_code": desa,
    }
    return clean, issues


def clean_kelompok(raw: dict, today: dt.date) -> tuple[dict, list[Issue]]:
    """A kelompok or komunitas (komunitas adat terpencil, a minority group): a name and its desa."""
    issues: list[Issue] = []
    nama = _text(raw.get("nama"))
    if nama is None:
        issues.append(_err("PPKS_NAMA", "Nama kelompok wajib diisi.", "nama"))
    jumlah = raw.get("jumlah_kk")
    if jumlah not in (None, ""):
        try:
            jumlah = int(jumlah)
            if jumlah < 1:
                raise ValueError
        except (TypeError, ValueError):
            issues.append(
                _err("PPKS_JUMLAH", f"jumlah_kk '{raw.get('jumlah_kk')}' harus bilangan ≥ 1.", "jumlah_kk")
            )
            jumlah = None
    else:
        jumlah = None
    clean = {
        "ref": _ref(raw.get("ref"), issues),
        "nama": nama,
        "desa_code": _desa(raw.get("desa_code"), "desa_code", issues),
        "jumlah_kk": jumlah,
        "keterangan": _text(raw.get("keterangan")),
    }
    return clean, issues


def clean_registration(raw: dict, subject: Subject, today: dt.date) -> tuple[dict, list[Issue]]:
    """One PPKS kind for one subject: the kind must fit the subject, dated, with its evidence (bukti)."""
    issues: list[Issue] = []
    code = _text(raw.get("jenis"))
    kind = PPKS_KINDS.get(code or "")
    if kind is None:
        issues.append(_err("PPKS_JENIS", f"Jenis PPKS '{code or ''}' tidak dikenal.", "jenis", code))
    elif subject not in kind.subjects:
        allowed = ", ".join(SUBJECT_LABEL[s].lower() for s in Subject if s in kind.subjects)
        issues.append(
            _err(
                "PPKS_SUBJEK",
                f"{kind.label} dicatat pada {allowed}, bukan pada {SUBJECT_LABEL[subject].lower()}.",
                "jenis",
                code,
            )
        )
    recorded = _date(raw.get("tanggal"), "tanggal", issues, today, required=True)
    evidence = _text(raw.get("bukti"))
    if evidence is None:
        issues.append(
            _err(
                "PPKS_BUKTI",
                "bukti wajib diisi (mis. surat keterangan, hasil asesmen, nomor register LKS).",
                "bukti",
            )
        )
    return {"jenis": code, "tanggal": recorded, "bukti": evidence}, issues


def clean_psks(raw: dict, today: dt.date) -> tuple[dict, list[Issue]]:
    """A PSKS person or organisation, with the wilayah where it works (desa up to provinsi).

    A person needs a NIK (PSKS are registered, paid or trained by name); an organisation needs its legal
    registration (nomor tanda daftar or badan hukum) when it is an LKS, and its accreditation grade if any.
    """
    issues: list[Issue] = []
    code = _text(raw.get("jenis"))
    kind = PSKS_KINDS.get(code or "")
    if kind is None:
        issues.append(_err("PSKS_JENIS", f"Jenis PSKS '{code or ''}' tidak dikenal.", "jenis", code))
    nama = _text(raw.get("nama"))
    if nama is None:
        issues.append(_err("PSKS_NAMA", "Nama wajib diisi.", "nama"))
    clean: dict = {
        "ref": _ref(raw.get("ref"), issues),
        "jenis": code,
        "nama": nama,
        "wilayah_code": _desa(raw.get("wilayah_code"), "wilayah_code", issues, levels=(1, 2, 3, 4)),
        "alamat": _text(raw.get("alamat")),
        "nik": None,
        "sex": None,
        "nomor_tanda_daftar": None,
        "akreditasi": None,
    }
    if kind is not None and kind.form is Form.ORANG:
        clean["sex"] = _sex(raw.get("sex"), issues, required=False)
        clean["nik"] = _nik(raw.get("nik"), clean["sex"], None, issues, today, required=True)
    elif kind is not None:
        clean["nomor_tanda_daftar"] = _text(raw.get("nomor_tanda_daftar"))
        if code == "lks" and clean["nomor_tanda_daftar"] is None:
            issues.append(
                _err(
                    "PSKS_TANDA_DAFTAR",
                    "LKS wajib mencantumkan nomor tanda daftar/badan hukum.",
                    "nomor_tanda_daftar",
                )
            )
        grade = _text(raw.get("akreditasi"))
        if grade is not None and grade not in ACCREDITATION:
            issues.append(
                _err(
                    "PSKS_AKREDITASI",
                    f"akreditasi '{grade}' tidak dikenal (A, B, C atau belum).",
                    "akreditasi",
                    grade,
                )
            )
            grade = None
        clean["akreditasi"] = grade
    return clean, issues


def kind_label(code: str) -> str:
    kind = PPKS_KINDS.get(code)
    return kind.label if kind else code


def psks_label(code: str) -> str:
    kind = PSKS_KINDS.get(code)
    return kind.label if kind else code
