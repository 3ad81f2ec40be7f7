"""Masking personal numbers for roles and places that do not need them in full.

Lists never show a full NIK (a page of 20 people is 20 identities); the household page shows it to roles
with `registry.view_nik`. The masked form keeps the first four digits (provinsi + kabupaten of first
registration) and the last four (the serial) — enough to tell two people apart on screen, not enough to
reconstruct the birth date or use the number.
"""

from __future__ import annotations

import re

from siks.domain.roles import VIEW_FULL_NIK, has_permission

_SIXTEEN = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")


def mask_nik(nik: str | None) -> str:
    """`3509154107890001` → `3509********0001`. Empty stays empty; odd lengths keep only the last 4."""
    if not nik:
        return ""
    nik = str(nik)
    if len(nik) <= 4:
        return "*" * len(nik)
    if len(nik) == 16:
        return nik[:4] + "*" * 8 + nik[-4:]
    return "*" * (len(nik) - 4) + nik[-4:]


def mask_numbers(text: str) -> str:
    """Mask every 16-digit run (NIK or KK) inside free text, e.g. an audit snapshot."""
    return _SIXTEEN.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)


def nik_for(user, nik: str | None) -> str:
    """The NIK as this user may see it on a detail page."""
    return (nik or "") if has_permission(user.role, VIEW_FULL_NIK) else mask_nik(nik)


def sees_full_nik(user) -> bool:
    return has_permission(user.role, VIEW_FULL_NIK)
