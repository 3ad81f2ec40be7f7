"""NIK (Nomor Induk Kependudukan) structure rules, with stable issue codes.

A NIK is PP KK CC DDMMYY SSSS: the kecamatan of *first* registration, the birth date (women: day + 40)
and a serial from 0001. Structure rules cannot prove a NIK is registered at Dukcapil; they find numbers
that cannot be right. Only NIK_FORMAT is an error: a registry must be able to hold a person whose NIK is
wrong, so every other fault is a warning (design.md §3). The same rules exist as SQL in `rules_sql`;
keep the two in step (tests/domain/test_rules_sql.py checks they agree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from siks.domain import wilayah
from siks.domain.issues import Issue

FIELD = "nik"

#: code → (severity, what it means). The table in docs/nik-kk-wilayah.md is the long form.
RULES: dict[str, tuple[str, str]] = {
    "NIK_EMPTY": ("warning", "no NIK recorded"),
    "NIK_FORMAT": ("error", "not exactly 16 digits after removing spaces, dots and dashes"),
    "NIK_PROVINCE": ("warning", "digits 1-2 are not a provinsi code"),
    "NIK_REGION": ("warning", "digits 1-6 are not a kecamatan that exists or once existed"),
    "NIK_BIRTHDATE": ("warning", "digits 7-12 are not a possible DDMMYY date (women: DD + 40)"),
    "NIK_FUTURE_BIRTH": ("warning", "the NIK birth date is after the reference date"),
    "NIK_SERIAL": ("warning", "serial (digits 13-16) is 0000"),
    "NIK_SEX_MISMATCH": ("warning", "DD > 40 (woman) disagrees with the recorded sex"),
    "NIK_BIRTHDATE_MISMATCH": ("warning", "NIK day/month/2-digit year disagree with the recorded birth date"),
}

SEX_LABEL = {1: "Laki-laki", 2: "Perempuan"}

#: Removed before counting digits. The SQL rendering removes exactly the same characters.
WHITESPACE = " \t\r\n\u00a0"
SEPARATORS = WHITESPACE + ".-"
_DROP = str.maketrans("", "", SEPARATORS)
_DROP_SPACE = str.maketrans("", "", WHITESPACE)
_SIXTEEN = re.compile(r"[0-9]{16}")
# What Excel makes of a 16-digit number stored as a number: 3.50915E+15, 3509150101900001.0, 3,50915E+15.
_EXCEL = re.compile(r"\s*[0-9]+(?:[.,][0-9]*)?[eE]\+?[0-9]+\s*|\s*[0-9]{15,16}[.,]0+\s*")
# Days in each month in a leap year; 29 Feb is checked against the year below.
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def clean(value: str) -> str:
    """The value without the separators operators type (spaces, dots, dashes)."""
    return value.translate(_DROP)


def looks_like_excel_number(value: str) -> bool:
    """True for `3.50915E+15` or `3509150101900001.0`: a column Excel stored as a number (digits are lost)."""
    return _EXCEL.fullmatch(value) is not None


def structure_digits(value: str) -> tuple[str, bool]:
    """(digits without separators, whether the value is well formed as 16 digits).

    A value ending in `.0` (after removing whitespace) is never well formed, even when its digits
    count 16: it is a 15-digit number that passed through Excel, not a NIK typed with dots.
    Shared by NIK and KK, and mirrored by `rules_sql`.
    """
    compact = value.translate(_DROP_SPACE)
    digits = compact.translate(_DROP)
    return digits, _SIXTEEN.fullmatch(digits) is not None and not compact.endswith(".0")


def date_digits_valid(dd: int, mm: int, yy: int) -> bool:
    """DD MM YY is a real date (DD already without the +40) in 19yy or 20yy.

    Only 29 February depends on the century; the year 2000 is a leap year, 1900 is not, and a NIK's `00`
    is far more often 2000, so 29-02-00 is accepted. In 2000–2099, YY % 4 == 0 is exactly the leap rule.
    """
    if not (1 <= mm <= 12 and 1 <= dd <= _MONTH_DAYS[mm]):
        return False
    return not (mm == 2 and dd == 29 and yy % 4 != 0)


def infer_year(yy: int, reference_date: date) -> int:
    """The 4-digit year for a 2-digit one: this century unless that would be after the reference year."""
    return 2000 + yy if 2000 + yy <= reference_date.year else 1900 + yy


@dataclass(frozen=True, slots=True)
class NikParts:
    """What a 16-digit NIK says. `birth_date`/`sex` are None when digits 7–12 are not a possible date."""

    nik: str
    province_code: str  # "35"
    regency_code: str  # "35.09"
    kecamatan_code: str  # "35.09.15"
    birth_date: date | None  # century inferred against the reference date
    sex: int | None  # 1 Laki-laki, 2 Perempuan
    serial: int


def parse_nik(nik: str | None, *, reference_date: date | None = None) -> NikParts | None:
    """Splits a NIK into its parts; None when it is not 16 digits (after removing separators)."""
    if nik is None:
        return None
    digits, ok = structure_digits(str(nik))
    if not ok:
        return None
    raw_dd, mm, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    sex = 2 if raw_dd > 40 else 1
    dd = raw_dd - 40 if raw_dd > 40 else raw_dd
    born = None
    if date_digits_valid(dd, mm, yy):
        try:
            born = date(infer_year(yy, reference_date or date.today()), mm, dd)
        except ValueError:  # 29-02-00 read as 1900 (only with a reference date before 2000)
            born = None
    else:
        sex = None
    p, k, c = digits[0:2], digits[2:4], digits[4:6]
    return NikParts(digits, p, f"{p}.{k}", f"{p}.{k}.{c}", born, sex, int(digits[12:16]))


def make_nik(kecamatan_code: str, birth_date: date, sex: int, serial: int) -> str:
    """A NIK with this structure (for synthetic data). `serial` 0 gives the invalid 0000, for error injection.

    The kecamatan only has to be shaped like one; retired codes are allowed, as real NIKs carry them.
    """
    code = wilayah.normalize(kecamatan_code)
    if code.count(".") != 2:
        raise ValueError(f"Kode '{kecamatan_code}' bukan kode kecamatan (6 digit).")
    if sex not in SEX_LABEL:
        raise ValueError(f"Jenis kelamin '{sex}' tidak valid: gunakan 1 (Laki-laki) atau 2 (Perempuan).")
    if not 0 <= serial <= 9999:
        raise ValueError(f"Nomor urut NIK '{serial}' harus 0–9999.")
    day = birth_date.day + (40 if sex == 2 else 0)
    return f"{code.replace('.', '')}{day:02d}{birth_date:%m}{birth_date.year % 100:02d}{serial:04d}"


def check_nik(
    nik: str | None,
    *,
    sex: int | None = None,
    birth_date: date | None = None,
    reference_date: date | None = None,
) -> list[Issue]:
    """All rule violations of one NIK, [] when none. `sex` (1/2) and `birth_date` are the row's own values.

    `reference_date` (default today) bounds the birth date and decides the century of a 2-digit year.
    """
    if nik is None:
        return [_empty()]
    text = str(nik)
    digits, ok = structure_digits(text)
    if not digits:
        return [_empty()]
    if not ok:
        return [format_issue("NIK", FIELD, text, digits)]

    issues: list[Issue] = []
    province, region = digits[0:2], digits[0:6]
    if not wilayah.is_known_province_digits(province):
        issues.append(
            _warn("NIK_PROVINCE", digits, f"kode provinsi '{province}' (digit 1–2) tidak dikenal Kemendagri.")
        )
    elif not wilayah.is_known_kecamatan_digits(region):
        dotted = f"{region[0:2]}.{region[2:4]}.{region[4:6]}"
        issues.append(
            _warn(
                "NIK_REGION",
                digits,
                f"kode kecamatan '{dotted}' (digit 1–6) tidak ada dalam kode wilayah Kemendagri, "
                "baik yang berlaku maupun yang lama (sebelum pemekaran).",
            )
        )

    raw_dd, mm, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    dd = raw_dd - 40 if raw_dd > 40 else raw_dd
    if not date_digits_valid(dd, mm, yy):
        issues.append(
            _warn(
                "NIK_BIRTHDATE",
                digits,
                f"digit 7–12 '{digits[6:12]}' bukan tanggal lahir yang mungkin "
                "(DDMMYY; tanggal 01–31, untuk perempuan ditambah 40 menjadi 41–71; bulan 01–12).",
            )
        )
    else:
        ref = reference_date or date.today()
        year = (
            birth_date.year if birth_date is not None and birth_date.year % 100 == yy else infer_year(yy, ref)
        )
        if (year, mm, dd) > (ref.year, ref.month, ref.day):
            issues.append(
                _warn(
                    "NIK_FUTURE_BIRTH",
                    digits,
                    f"tanggal lahir di NIK ({dd:02d}-{mm:02d}-{year}) sesudah tanggal acuan {ref:%d-%m-%Y}.",
                )
            )
        nik_sex = 2 if raw_dd > 40 else 1
        if sex in SEX_LABEL and sex != nik_sex:
            issues.append(
                _warn(
                    "NIK_SEX_MISMATCH",
                    digits,
                    f"tanggal di NIK '{digits[6:8]}' menunjukkan {SEX_LABEL[nik_sex]} "
                    f"(perempuan: tanggal + 40), tetapi jenis kelamin tercatat {sex} ({SEX_LABEL[sex]}).",
                )
            )
        if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (
            dd,
            mm,
            yy,
        ):
            issues.append(
                _warn(
                    "NIK_BIRTHDATE_MISMATCH",
                    digits,
                    f"tanggal lahir di NIK ({dd:02d}-{mm:02d}-{yy:02d}, DD-MM-YY) berbeda dengan "
                    f"tanggal lahir tercatat ({birth_date:%d-%m-%Y}).",
                )
            )

    if digits[12:16] == "0000":
        issues.append(
            _warn(
                "NIK_SERIAL",
                digits,
                "nomor urut (digit 13–16) 0000 tidak pernah diterbitkan; mulai dari 0001.",
            )
        )
    return issues


def _warn(code: str, digits: str, what: str) -> Issue:
    return Issue(code, f"NIK {digits}: {what}", FIELD, digits, "warning")


def _empty() -> Issue:
    return Issue(
        "NIK_EMPTY", "NIK kosong: anggota ini belum memiliki NIK yang tercatat.", FIELD, None, "warning"
    )


def format_issue(label: str, field: str, text: str, digits: str) -> Issue:
    """The one error; `label` is "NIK" or "KK". Excel numbers get their own advice: the usual cause."""
    if looks_like_excel_number(text):
        message = (
            f"{label} '{text.strip()}' tersimpan sebagai angka oleh Excel, "
            "sehingga digit terakhirnya hilang. "
            f"Format kolom {label} sebagai Teks (Format Cells → Text), isi ulang {label} dari sumbernya, "
            "lalu unggah lagi."
        )
    else:
        count = sum(ch in "0123456789" for ch in digits)
        message = f"{label} '{text.strip()}' tidak valid: harus tepat 16 digit angka (terbaca {count} digit"
        message += ", ada karakter selain angka)." if count != len(digits) else ")."
    return Issue(f"{label}_FORMAT", message, field, text, "error")
