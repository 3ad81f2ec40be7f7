"""The two registration instruments whose data siks holds, as plain data: code lists with Indonesian labels.

- `regsosek2022` — REGSOSEK2022.K, the family form used since 2022 (the default import template);
- `pbdt2015` — PBDT 2015 / BDT verval, the household form of older DTKS data.

Every assessment stores which instrument it was taken with, because the same question is coded differently
in each (PBDT jenis lantai 9 is "Tanah", Regsosek 303 code 9 is "Lainnya").
"""

from __future__ import annotations

from . import pbdt2015, regsosek2022
from .fields import (
    YA_TIDAK,
    CodeError,
    CodeList,
    Field,
    Kind,
    Level,
    decode_flags,
    encode_flags,
    yes_no_code,
    yes_no_value,
)
from .pbdt2015 import encode_pbdt_asset, normalize_pbdt_asset

REGSOSEK2022_K = regsosek2022.INSTRUMENT  # "REGSOSEK2022.K"
PBDT2015 = pbdt2015.INSTRUMENT  # "PBDT2015"
INSTRUMENTS: tuple[str, ...] = (REGSOSEK2022_K, PBDT2015)
DEFAULT_INSTRUMENT = REGSOSEK2022_K


def code_lists(instrument: str) -> dict[str, CodeList]:
    """All code lists of an instrument (Regsosek keyed by variable number, PBDT by list name)."""
    if instrument == REGSOSEK2022_K:
        return dict(regsosek2022.CODE_LISTS)
    if instrument == PBDT2015:
        return dict(pbdt2015.CODE_LISTS)
    raise ValueError(f"Instrumen '{instrument}' tidak dikenal; gunakan {' atau '.join(INSTRUMENTS)}.")


__all__ = [
    "DEFAULT_INSTRUMENT",
    "INSTRUMENTS",
    "PBDT2015",
    "REGSOSEK2022_K",
    "YA_TIDAK",
    "CodeError",
    "CodeList",
    "Field",
    "Kind",
    "Level",
    "code_lists",
    "decode_flags",
    "encode_flags",
    "encode_pbdt_asset",
    "normalize_pbdt_asset",
    "pbdt2015",
    "regsosek2022",
    "yes_no_code",
    "yes_no_value",
]
