"""The one writer of a keluarga's KK number, for every path that changes it (import, usulan).

A keluarga keeps its KK history: a new number closes the open `family_kk` row (`valid_to`) and opens the
next one. Whichever path changed it, the audit trail says it the same way: `{"kk_number": …}` before and
after, so a search of the trail for KK changes finds them all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, insert, update
from sqlalchemy.orm import Session

from siks.store.models.registry import FamilyKK

AUDIT_KEY = "kk_number"


def change_kk(
    db: Connection | Session, family_id: int, kk_number: str, *, at: dt.datetime, source: str
) -> None:
    """Close the open KK row (if any) and open `kk_number` from `at`, in the caller's transaction."""
    k = FamilyKK.__table__
    db.execute(update(k).where(k.c.family_id == family_id, k.c.valid_to.is_(None)).values(valid_to=at))
    db.execute(insert(k).values(family_id=family_id, kk_number=kk_number, valid_from=at, source=source))


def audit_values(kk_number: str | None) -> dict:
    """The KK number as the audit trail records it (before or after)."""
    return {AUDIT_KEY: kk_number}
