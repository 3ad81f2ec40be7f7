"""The small types every instrument is built from: a code list, a field, and the bit-flag arithmetic.

Code lists are data, not enums: the template, the importer, the exporter and the docs all read the same
`CodeList` objects, and a new instrument is a new module of constants (see docs/instruments.md).
Labels are Indonesian, worded as the paper form words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

# How a cell is read. `code`: one code of the list. `bitflags`: a sum of power-of-two codes (→ frozenset).
# `yes_no`: a two-code list labelled "Ya"/"Tidak" (→ bool). `count`: whole number. `number`: decimal.
# The last five are identity columns with their own rules (see siks.domain.template).
Kind = Literal[
    "code", "bitflags", "yes_no", "count", "number", "text", "date",
    "wilayah", "nik", "kk", "rt_rw", "instrument",
]  # fmt: skip
Level = Literal["ruta", "keluarga", "anggota"]

YES = "Ya"
NO = "Tidak"


class CodeError(ValueError):
    """A value the code list does not allow. The message is Indonesian: it may reach an operator."""


@dataclass(frozen=True)
class CodeList:
    """A numbered list of answers, e.g. 303 Jenis lantai: {1: "Marmer/granit", 2: "Keramik", ...}."""

    name: str
    codes: Mapping[int, str] = field(hash=False)

    def __post_init__(self) -> None:
        # A read-only copy, so a shared list cannot be changed by one caller under another.
        object.__setattr__(self, "codes", MappingProxyType(dict(self.codes)))

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __len__(self) -> int:
        return len(self.codes)

    def label(self, code: int) -> str:
        try:
            return self.codes[code]
        except KeyError:
            raise CodeError(f"Kode {code} tidak ada dalam daftar '{self.name}'.") from None

    def describe(self, limit: int = 8) -> str:
        """ "1 Ya, 2 Tidak" for short lists, "1–26" for long ones: the allowed values in a message."""
        items = sorted(self.codes)
        if len(items) <= limit:
            return ", ".join(f"{c} {self.codes[c]}" for c in items)
        if items == list(range(items[0], items[-1] + 1)):
            return f"{items[0]}–{items[-1]} (lihat daftar kode '{self.name}')"
        return ", ".join(str(c) for c in items) + f" (lihat daftar kode '{self.name}')"

    # --- bit-flag lists ---------------------------------------------------------------------------------
    # In a bit-flag list (411, 426, 431a, 431f) the powers of two are the flags; 0 means "none of them";
    # any other code (99 "Lainnya"/"Tidak tahu") is a special answer that stands alone and is never summed.

    @property
    def flags(self) -> tuple[int, ...]:
        return tuple(sorted(c for c in self.codes if c > 0 and c & (c - 1) == 0))

    @property
    def specials(self) -> tuple[int, ...]:
        return tuple(sorted(c for c in self.codes if c != 0 and c not in self.flags))


@dataclass(frozen=True)
class Field:
    """One question of an instrument, which is also one column of the import template.

    `key` is the template header (Indonesian snake_case); `var` the form's variable number ("303"), None
    for columns that are not a form variable; `label` the Indonesian wording for comments and the code sheet.
    """

    key: str
    var: str | None
    label: str
    kind: Kind
    codes: CodeList | None = None
    level: Level = "anggota"
    required: bool = False
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None

    def __post_init__(self) -> None:
        if self.kind in ("code", "bitflags", "yes_no") and self.codes is None:
            raise ValueError(f"field {self.key}: kind {self.kind} needs a code list")
        if self.kind == "yes_no" and sorted(self.codes.codes.values()) != [NO, YES]:  # type: ignore[union-attr]
            raise ValueError(f"field {self.key}: a yes_no list has exactly the labels Ya and Tidak")

    @property
    def header(self) -> str:
        return self.key


def _codes_of(spec: Field | CodeList) -> CodeList:
    codes = spec.codes if isinstance(spec, Field) else spec
    if not isinstance(codes, CodeList):
        raise TypeError(f"{spec!r} has no code list")
    return codes


def decode_flags(spec: Field | CodeList, value: int) -> frozenset[int]:
    """A recorded sum → the codes it is made of: 5 → {1, 4}; 0 → {} (none); 99 → {99} (a special answer).

    Raises CodeError for a sum no combination of the flags can make (e.g. 8 in 411, whose flags are 1, 2, 4).
    """
    codes = _codes_of(spec)
    if value in codes.specials:
        return frozenset({value})
    everything = sum(codes.flags)
    if value < 0 or value & ~everything:
        raise CodeError(
            f"Nilai {value} bukan jumlah kode yang mungkin untuk '{codes.name}': jumlahkan kode "
            f"{', '.join(str(f) for f in codes.flags)} (0 bila tidak ada)"
            + (f", atau isi {' / '.join(str(s) for s in codes.specials)} saja." if codes.specials else ".")
        )
    return frozenset(f for f in codes.flags if value & f)


def encode_flags(spec: Field | CodeList, chosen: Iterable[int]) -> int:
    """The inverse of `decode_flags`: {1, 4} → 5, {} → 0, {99} → 99."""
    codes = _codes_of(spec)
    picked = frozenset(chosen)
    specials = picked & set(codes.specials)
    if specials:
        if len(picked) != 1:
            raise CodeError(
                f"Kode {min(specials)} pada '{codes.name}' tidak boleh digabung dengan kode lain."
            )
        return next(iter(picked))
    unknown = picked - set(codes.flags)
    if unknown:
        raise CodeError(f"Kode {sorted(unknown)} bukan kode gabungan pada '{codes.name}'.")
    return sum(picked)


def yes_no_value(spec: Field | CodeList, code: int) -> bool:
    """The code of a Ya/Tidak list → True/False; CodeError for any other code."""
    codes = _codes_of(spec)
    if code not in codes:
        raise CodeError(f"Kode {code} tidak berlaku untuk '{codes.name}': gunakan {codes.describe()}.")
    return codes.codes[code] == YES


def yes_no_code(spec: Field | CodeList, value: bool) -> int:
    """True/False → the code this list uses for Ya/Tidak (1/2, or 3/4 in some PBDT asset columns)."""
    codes = _codes_of(spec)
    wanted = YES if value else NO
    return next(c for c, label in codes.codes.items() if label == wanted)


YA_TIDAK = CodeList("ya_tidak", {1: YES, 2: NO})
