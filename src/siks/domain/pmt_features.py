"""The household variables a PMT model may use, computed from Regsosek answers in plain Python.

Why a fixed catalog: a model file names variables, it never carries formulas, so a model can only use what
this module (and its SQL twin `siks.verval.pmt_sql`) knows how to compute, and both compute it the same way.
Answers arrive as the import template names them (`siks.domain.template.COLUMNS`); values may be ints,
digit strings ("01") or booleans (PBDT Ya/Tidak normalised on import), so everything goes through `as_code`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from siks.domain import template

Kind = Literal["code", "flag", "number"]

# Members who live in the household now (404: 1 tinggal bersama, 5 anggota baru; empty counts as present).
PRESENT = frozenset({1, 5})
CHILD_AGE = 15
ELDERLY_AGE = 60

# Ruta answers used directly as categorical variables (template column names).
HOUSEHOLD_CODES: tuple[tuple[str, str], ...] = (
    ("status_bangunan", "Status penguasaan bangunan"),
    ("jenis_lantai", "Jenis lantai terluas"),
    ("jenis_dinding", "Jenis dinding terluas"),
    ("jenis_atap", "Jenis atap terluas"),
    ("sumber_air_minum", "Sumber air minum"),
    ("sumber_penerangan", "Sumber penerangan utama"),
    ("daya_listrik", "Daya listrik terpasang"),
    ("bahan_bakar_memasak", "Bahan bakar memasak"),
    ("fasilitas_bab", "Fasilitas buang air besar"),
    ("pembuangan_tinja", "Pembuangan akhir tinja"),
    ("internet", "Akses internet"),
    ("rekening", "Rekening/dompet digital"),
)

# Ya/Tidak assets (502a–n, 503a–b), labelled as the template labels them.
_TEMPLATE = template.column_map()
HOUSEHOLD_FLAGS: tuple[tuple[str, str], ...] = tuple(
    (c, _TEMPLATE[c].label) for c in (*template.ASET_COLUMNS.values(), "lahan", "rumah_lain")
)
LARGE_LIVESTOCK = ("ternak_sapi", "ternak_kerbau", "ternak_kuda")
SMALL_LIVESTOCK = ("ternak_babi", "ternak_kambing")
DISABILITY_COLUMNS = tuple(template.SULIT_COLUMNS.values())


@dataclass(frozen=True, slots=True)
class Feature:
    """One variable a model may use. `label` is what `siks pmt show` and explanations print."""

    name: str
    kind: Kind
    label: str
    # False: kept so older model files still score, but `pmt_fit.fit` does not choose it by default.
    fitted_by_default: bool = True


FEATURES: tuple[Feature, ...] = (
    Feature("log_household_size", "number", "Log jumlah ART"),
    Feature("share_children", "number", f"Proporsi ART umur < {CHILD_AGE}"),
    Feature("share_elderly", "number", f"Proporsi ART umur ≥ {ELDERLY_AGE}"),
    Feature("share_working", "number", "Proporsi ART yang bekerja"),
    Feature("head_female", "flag", "Kepala ruta perempuan"),
    Feature("head_education", "code", "Pendidikan kepala ruta (0 tidak sekolah … 4 PT)"),
    Feature("head_job_status", "code", "Status pekerjaan kepala ruta (0 tidak bekerja)"),
    Feature(
        "head_sector", "code", "Lapangan usaha kepala ruta (0 tidak bekerja, 1 pertanian, 2 industri, 3 jasa)"
    ),
    Feature("best_education", "code", "Pendidikan tertinggi ART umur ≥ 15"),
    Feature("any_disability", "flag", "Ada ART dengan disabilitas berat"),
    Feature("any_chronic", "flag", "Ada ART dengan penyakit kronis"),
    # Floor area, not per capita: with ln(floor/size) in the model the coefficient of ln(size) is not the
    # size effect (it came out positive); with ln(floor) it is, and negative as the data says.
    Feature("log_floor_area", "number", "Log luas lantai (m²)"),
    Feature("log_floor_per_capita", "number", "Log luas lantai per kapita", fitted_by_default=False),
    Feature("log_large_livestock", "number", "Log (1 + sapi, kerbau, kuda)"),
    Feature("log_small_livestock", "number", "Log (1 + babi, kambing/domba)"),
    *(Feature(name, "code", label) for name, label in HOUSEHOLD_CODES),
    *(Feature(name, "flag", label) for name, label in HOUSEHOLD_FLAGS),
)
FEATURES_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

# 413 jenjang pendidikan → 1 SD-level, 2 SMP-level, 3 SMA-level, 4 perguruan tinggi. 412 = 1 → 0.
EDUCATION_GROUPS: tuple[tuple[range, int], ...] = (
    (range(1, 6), 1),
    (range(6, 11), 2),
    (range(11, 18), 3),
    (range(18, 23), 4),
)
# 417 lapangan usaha → 1 pertanian/perikanan/kehutanan, 2 tambang/industri/utilitas/konstruksi, 3 jasa.
SECTOR_GROUPS: tuple[tuple[range, int], ...] = ((range(1, 7), 1), (range(7, 12), 2), (range(12, 27), 3))


EDUCATION_LABELS = {
    0: "Tidak/belum pernah sekolah",
    1: "SD/sederajat",
    2: "SMP/sederajat",
    3: "SMA/sederajat",
    4: "Perguruan tinggi",
}
SECTOR_LABELS = {
    0: "Tidak bekerja",
    1: "Pertanian, perikanan, kehutanan",
    2: "Tambang, industri, utilitas, konstruksi",
    3: "Perdagangan dan jasa",
}


def code_label(variable: str, code: int) -> str:
    """The Indonesian label of an answer code of a `code` variable (for `siks pmt show` and explanations)."""
    derived = {
        "head_education": EDUCATION_LABELS,
        "best_education": EDUCATION_LABELS,
        "head_sector": SECTOR_LABELS,
        "head_job_status": {0: "Tidak bekerja", **dict(_TEMPLATE["status_pekerjaan"].codes.codes)},  # type: ignore[union-attr]
    }
    if variable in derived:
        return derived[variable].get(code, str(code))
    field = _TEMPLATE.get(variable)
    if field is not None and field.codes is not None:
        return field.codes.codes.get(code, str(code))
    return str(code)


def as_code(value: object) -> int | None:
    """A form code as an int: 3, "03", 3.0 → 3; True → 1 (Ya), False → 2 (Tidak); blanks → None."""
    if value is None or isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return 1 if value else 2
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def as_flag(value: object) -> bool | None:
    """A Ya/Tidak answer: 1/True → True, 2/False → False, anything else → None."""
    code = as_code(value)
    return {1: True, 2: False}.get(code) if code is not None else None


def as_number(value: object) -> float | None:
    """A count or area; negative or unreadable values → None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def as_date(value: object) -> dt.date | None:
    """A birth date from a date, ISO text, DD-MM-YYYY or DD/MM/YYYY; anything else → None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not value:
        return None
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def age(birth: object, as_of: dt.date) -> int | None:
    """Completed years on `as_of` (the SQL twin uses the same month/day comparison)."""
    born = as_date(birth)
    if born is None:
        return None
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))


def group(code: int | None, groups: tuple[tuple[range, int], ...]) -> int | None:
    if code is None:
        return None
    return next((g for r, g in groups if code in r), None)


def is_present(member: Mapping[str, object]) -> bool:
    code = as_code(member.get("keberadaan"))
    return code is None or code in PRESENT


def present_members(members: Sequence[Mapping[str, object]]) -> list[Mapping[str, object]]:
    return [m for m in members if is_present(m)]


def household_head(members: Sequence[Mapping[str, object]]) -> Mapping[str, object] | None:
    """The kepala ruta: the present kepala keluarga (409 = 1) first by (id_keluarga, no_urut).

    Regsosek records the head of each keluarga, not of the ruta, so a multi-family ruta needs a fixed choice.
    """
    heads = [m for m in present_members(members) if as_code(m.get("hubungan_kk")) == 1]
    if not heads:
        return None
    return min(heads, key=lambda m: (str(m.get("id_keluarga") or ""), as_code(m.get("no_urut")) or 0))


def education_level(member: Mapping[str, object]) -> int | None:
    """0 never schooled (412 = 1), else the 413 level group; None when neither is answered."""
    if as_code(member.get("partisipasi_sekolah")) == 1:
        return 0
    return group(as_code(member.get("pendidikan")), EDUCATION_GROUPS)


def job_status(member: Mapping[str, object]) -> int | None:
    """418 code for a worker, 0 for someone who did not work (416a = 2), None when unknown."""
    works = as_flag(member.get("bekerja"))
    if works is False:
        return 0
    status = as_code(member.get("status_pekerjaan"))
    return status if works and status in range(1, 9) else None


def sector(member: Mapping[str, object]) -> int | None:
    works = as_flag(member.get("bekerja"))
    if works is False:
        return 0
    return group(as_code(member.get("lapangan_usaha")), SECTOR_GROUPS) if works else None


def is_disabled(member: Mapping[str, object]) -> bool:
    """Any 428 item answered 1 (tidak bisa sama sekali) or 2 (banyak kesulitan)."""
    return any(as_code(member.get(c)) in (1, 2) for c in DISABILITY_COLUMNS)


def has_chronic(member: Mapping[str, object]) -> bool:
    code = as_code(member.get("penyakit_kronis"))
    return code is not None and code != 1


def household_features(
    household: Mapping[str, object], members: Sequence[Mapping[str, object]], as_of: dt.date
) -> dict[str, float | int | bool | None]:
    """Every variable of `FEATURES` for one ruta. None means unknown (the model then uses its default)."""
    present = present_members(members)
    size = len(present)
    ages = [age(m.get("tanggal_lahir"), as_of) for m in present]
    head = household_head(members)
    adults = [m for m, a in zip(present, ages, strict=True) if a is not None and a >= CHILD_AGE]
    levels = [lv for lv in (education_level(m) for m in adults) if lv is not None]
    floor = as_number(household.get("luas_lantai"))
    denominator = max(size, 1)

    def livestock(columns: tuple[str, ...]) -> float:
        return math.log1p(sum(as_number(household.get(c)) or 0.0 for c in columns))

    values: dict[str, float | int | bool | None] = {
        "log_household_size": math.log(denominator),
        "share_children": sum(1 for a in ages if a is not None and a < CHILD_AGE) / denominator,
        "share_elderly": sum(1 for a in ages if a is not None and a >= ELDERLY_AGE) / denominator,
        "share_working": sum(1 for m in adults if as_flag(m.get("bekerja"))) / denominator,
        "head_female": as_code(head.get("jenis_kelamin")) == 2 if head else None,
        "head_education": education_level(head) if head else None,
        "head_job_status": job_status(head) if head else None,
        "head_sector": sector(head) if head else None,
        "best_education": max(levels) if levels else None,
        "any_disability": any(is_disabled(m) for m in present),
        "any_chronic": any(has_chronic(m) for m in present),
        "log_floor_area": math.log(max(floor, 1.0)) if floor else None,
        "log_floor_per_capita": math.log(max(floor, 1.0) / denominator) if floor else None,
        "log_large_livestock": livestock(LARGE_LIVESTOCK),
        "log_small_livestock": livestock(SMALL_LIVESTOCK),
    }
    for name, _ in HOUSEHOLD_CODES:
        values[name] = as_code(household.get(name))
    for name, _ in HOUSEHOLD_FLAGS:
        values[name] = as_flag(household.get(name))
    return values
