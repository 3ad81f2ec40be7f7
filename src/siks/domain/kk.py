"""Nomor KK (Kartu Keluarga) structure rules, with stable issue codes.

A KK number is taken here as PP KK CC DDMMYY SSSS: the kecamatan that issued it, the registration date and
a family serial. Only the first part (6-digit kode wilayah penerbitan) is documented; the 6+6+4 split of the
rest is *inferred* (docs/domain-facts.md §3.2, marked [U]), so every rule except KK_FORMAT is a warning and
none should be used to reject a family. The KK number changes when a family moves or splits: never use it as
a key.
"""

from __future__ import annotations

from datetime import date

from siks.domain import wilayah
from siks.domain.issues import Issue
from siks.domain.nik import date_digits_valid, format_issue, infer_year, structure_digits

FIELD = "no_kk"

RULES: dict[str, tuple[str, str]] = {
    "KK_EMPTY": ("warning", "no KK number recorded"),
    "KK_FORMAT": ("error", "not exactly 16 digits after removing spaces, dots and dashes"),
    "KK_REGION": ("warning", "digits 1-6 are not a kecamatan that exists or once existed"),
    "KK_DATE": ("warning", "digits 7-12 are not a possible DDMMYY registration date, or it is in the future"),
    "KK_SERIAL": ("warning", "serial (digits 13-16) is 0000"),
}


def make_kk(kecamatan_code: str, registered_on: date, serial: int) -> str:
    """A KK number with this (inferred) structure, for synthetic data. `serial` 0 gives the invalid 0000."""
    code = wilayah.normalize(kecamatan_code)
    if code.count(".") != 2:
        raise ValueError(f"Kode '{kecamatan_code}' bukan kode kecamatan (6 digit).")
    if not 0 <= serial <= 9999:
        raise ValueError(f"Nomor urut KK '{serial}' harus 0–9999.")
    return f"{code.replace('.', '')}{registered_on:%d%m}{registered_on.year % 100:02d}{serial:04d}"


def check_kk(kk: str | None, *, reference_date: date | None = None) -> list[Issue]:
    """All rule violations of one KK number, [] when none. `reference_date` (default today) bounds dates."""
    if kk is None:
        return [_empty()]
    text = str(kk)
    digits, ok = structure_digits(text)
    if not digits:
        return [_empty()]
    if not ok:
        return [format_issue("KK", FIELD, text, digits)]

    issues: list[Issue] = []
    region = digits[0:6]
    if not wilayah.is_known_kecamatan_digits(region):
        dotted = f"{region[0:2]}.{region[2:4]}.{region[4:6]}"
        issues.append(
            _warn(
                "KK_REGION",
                digits,
                f"kode kecamatan penerbit '{dotted}' (digit 1–6) tidak ada dalam kode wilayah Kemendagri, "
                "baik yang berlaku maupun yang lama.",
            )
        )

    dd, mm, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    ref = reference_date or date.today()
    if not date_digits_valid(dd, mm, yy):
        issues.append(
            _warn(
                "KK_DATE",
                digits,
                f"digit 7–12 '{digits[6:12]}' bukan tanggal pencatatan yang mungkin (DDMMYY).",
            )
        )
    elif (infer_year(yy, ref), mm, dd) > (ref.year, ref.month, ref.day):
        issues.append(
            _warn(
                "KK_DATE",
                digits,
                f"tanggal pencatatan di nomor KK ({dd:02d}-{mm:02d}-{yy:02d}) sesudah tanggal acuan "
                f"{ref:%d-%m-%Y}.",
            )
        )

    if digits[12:16] == "0000":
        issues.append(
            _warn("KK_SERIAL", digits, "nomor urut keluarga (digit 13–16) 0000 tidak pernah diterbitkan.")
        )
    return issues


def _warn(code: str, digits: str, what: str) -> Issue:
    return Issue(code, f"Nomor KK {digits}: {what}", FIELD, digits, "warning")


def _empty() -> Issue:
    return Issue(
        "KK_EMPTY",
        "Nomor KK kosong: keluarga ini belum memiliki nomor KK yang tercatat.",
        FIELD,
        None,
        "warning",
    )
