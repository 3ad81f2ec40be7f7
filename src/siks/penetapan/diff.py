"""Compare two penetapan: ruta that entered DTKS, left it (and why), or stayed with changes.

Both sides are read from the frozen tables only, so the answer for A vs B never changes. The comparison
itself is `siks.domain.penetapan.diff`; here it is limited to the user's wilayah.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.domain.penetapan import Diff, Row, diff
from siks.errors import Invalid
from siks.penetapan import service
from siks.scope import Scope
from siks.store.models.penetapan import Penetapan, PenetapanHousehold, PenetapanMember


def frozen_rows(session: Session, p: Penetapan, scope: Scope) -> list[Row]:
    """The ruta of one penetapan inside `scope`, reduced to what a diff compares."""
    members: dict[str, set[str]] = defaultdict(set)
    for house, ref in session.execute(
        select(PenetapanMember.household_ref, PenetapanMember.member_ref)
        .join(
            PenetapanHousehold,
            (PenetapanHousehold.penetapan_id == PenetapanMember.penetapan_id)
            & (PenetapanHousehold.household_ref == PenetapanMember.household_ref),
        )
        .where(
            PenetapanMember.penetapan_id == p.id,
            PenetapanMember.included.is_(True),
            scope.where(PenetapanHousehold.desa_code),
        )
    ):
        members[house].add(ref)
    rows = session.execute(
        select(
            PenetapanHousehold.household_ref,
            PenetapanHousehold.included,
            PenetapanHousehold.desil,
            PenetapanHousehold.desa_code,
            PenetapanHousehold.reasons,
        ).where(PenetapanHousehold.penetapan_id == p.id, scope.where(PenetapanHousehold.desa_code))
    )
    return [
        Row(ref, bool(inc), desil, desa, frozenset(members.get(ref, ())), tuple(map(tuple, reasons or ())))
        for ref, inc, desil, desa, reasons in rows
    ]


def narrowest(*scopes: Scope) -> Scope:
    """The common part of nested wilayah (a kabupaten inside a national penetapan compares the kabupaten)."""
    found = Scope(None)
    for s in scopes:
        if s.is_national:
            continue
        if found.is_national or found.covers(s.code):
            found = s
        elif not s.covers(found.code):
            raise Invalid("Kedua penetapan tidak mencakup wilayah yang sama; tidak dapat dibandingkan.")
    return found


@dataclass
class Comparison:
    a: Penetapan
    b: Penetapan
    diff: Diff


def compare(session: Session, user, a_id: int, b_id: int) -> Comparison:
    """A vs B within the user's wilayah (both must be visible to them)."""
    a, b = service.get(session, user, a_id), service.get(session, user, b_id)
    scope = narrowest(Scope.of(user), Scope(a.wilayah_code), Scope(b.wilayah_code))
    return Comparison(a, b, diff(frozen_rows(session, a, scope), frozen_rows(session, b, scope)))
