"""One rule for every spreadsheet cell siks writes or accepts: formula (CSV) injection.

A spreadsheet runs a cell that starts with = + - @ tab or CR as a formula (OWASP, "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection). Every CSV/XLSX writer passes its cells through
`safe_cell`, and every input of a name or free text refuses what `is_formula` flags, so a value typed by an
anonymous citizen in the public usul form can never open a program on the computer of the desa operator who
opens the BNBA file.
"""

from __future__ import annotations

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def is_formula(value: str) -> bool:
    """True when a spreadsheet could run this text as a formula.

    Plain numbers ("-5", "+62812…") are not formulas. Leading ordinary spaces are ignored: some readers trim
    them before interpreting the cell.
    """
    text = value.lstrip(" \u00a0")
    return bool(text) and text.startswith(FORMULA_PREFIXES) and _PLAIN_NUMBER.fullmatch(text.strip()) is None


def escape_for_export(value: str) -> str:
    """Make a string inert in CSV/XLSX: a would-be formula gets a leading single quote (OWASP advice)."""
    return "'" + value if is_formula(value) else value


def safe_cell(value: object) -> object:
    """Any cell value on its way into a CSV/XLSX: text is escaped, None is empty, numbers/dates pass."""
    if value is None:
        return ""
    return escape_for_export(value) if isinstance(value, str) else value


def safe_row(values) -> list:
    """`safe_cell` over a row (list or dict values)."""
    return [safe_cell(v) for v in values]


BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")  # control chars, U+FFFD = bad decoding
# Characters that show nothing, or reorder what is shown (Unicode bidi overrides, "Trojan Source"): two names
# that look the same would differ, and a name could display as another.
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def text_problem(value: str) -> str | None:
    """Why a typed name or free text is refused (the rules `siks import` applies to its cells), or None.

    Used by every input that is not a file: the usulan form and API, and the public usul/sanggah forms.
    """
    if is_formula(value):
        return (
            "diawali '=', '+', '-', '@', tab atau CR; rumus spreadsheet tidak diterima, tulis nilainya saja."
        )
    if BAD_CHARS.search(value.replace("\n", " ").replace("\r", " ").replace("\t", " ")):
        return "berisi karakter kontrol yang tidak diterima."
    if hidden := INVISIBLE.search(value):
        return (
            f"berisi karakter tak terlihat U+{ord(hidden.group()):04X} (lebar nol atau pembalik arah teks) "
            f"di posisi {hidden.start() + 1}; hapus karakter itu."
        )
    return None
