"""Numbers and dates as a person in Indonesia reads them (#18.6): `1.234.567`, `0,81`, `17 Agustus 2025`,
`10.05 WIB`. One place, through Babel's CLDR data for `id_ID`, for every page, CLI line and PDF.

Files meant for machines (CSV/Parquet exports, JSON, the API) keep ISO dates and plain numbers; these
helpers are for text a person reads.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

LOCALE = "id_ID"
WIB = ZoneInfo("Asia/Jakarta")  # the office clock for timestamps stored in UTC


def angka(value, digits: int | None = None) -> str:
    """`1234567` → `1.234.567`; `0.8065` → `0,8065`; with `digits`, exactly that many decimals (`12,5`)."""
    if value is None or value == "":
        return "-"
    if digits is None:
        return format_decimal(value, locale=LOCALE)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def rupiah(value) -> str:
    """`1200000` → `Rp1.200.000` (whole rupiah, as on a bansos letter)."""
    return "-" if value is None else f"Rp{angka(value, 0)}"


def persen(fraction, digits: int = 1) -> str:
    """`0.806` → `80,6%`."""
    return "-" if fraction is None else f"{angka(fraction * 100, digits)}%"


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return local(value).date()
    if isinstance(value, dt.date):
        return value
    return None


def local(value: dt.datetime) -> dt.datetime:
    """A timestamp (naive = UTC, as stored) on the WIB clock."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(WIB)


def tanggal(value) -> str:
    """`2025-08-17` (a date, datetime or ISO text) → `17 Agustus 2025`; other text is returned as it is."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    day = _as_date(value)
    return format_date(day, format="d MMMM y", locale=LOCALE) if day else str(value)


def tanggal_singkat(value) -> str:
    """`2025-08-17` → `17 Agu 2025`: for chart axes and narrow columns."""
    day = _as_date(value)
    return format_date(day, format="d MMM y", locale=LOCALE) if day else tanggal(value)


def waktu(value) -> str:
    """A UTC timestamp (or ISO text) as WIB: `17 Agustus 2025 10.05 WIB`."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return tanggal(value)
    at = local(value)
    return f"{tanggal(at.date())} {format_time(at.time(), format='HH.mm', locale=LOCALE)} WIB"
