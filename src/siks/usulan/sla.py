"""The 14-day rule for operators (#18.3): each usul and sanggah's deadline, what is overdue, and counts per
desa and kecamatan for the queues and the dashboard.

Why computed on read: the deadline is a fact of the filing date and the history (has a kabupaten role acted
yet?), so nothing is stored and no job runs; the public tracking page (`siks.public.submissions.expired`)
reads the same rule. The clock stops when a kabupaten role takes any step (verified, sent back or refused)
or the usulan closes. The rule itself (`SLA_DAYS`, which usulan run on it) is in `siks.domain.usulan`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from siks.domain import wilayah
from siks.domain.roles import ROLE_LEVEL, Level
from siks.domain.usulan import SLA_DAYS, deadline, has_deadline
from siks.scope import Scope
from siks.store.base import utcnow
from siks.store.models.usulan import Usulan, UsulanEvent

KABUPATEN_ROLES = frozenset(r for r, lvl in ROLE_LEVEL.items() if lvl is Level.KABUPATEN)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Deadline:
    due: dt.datetime
    met: bool  # a kabupaten role acted, or the usulan is closed
    overdue: bool
    days_left: int  # negative: days late

    @property
    def label(self) -> str:
        if self.met:
            return "Sudah ditindaklanjuti kabupaten"
        if self.overdue:
            return f"Terlambat {-self.days_left} hari"
        return f"Sisa {self.days_left} hari"


def deadline_of(u: Usulan, now: dt.datetime | None = None) -> Deadline | None:
    """The deadline of one usulan, or None when it does not run on the clock."""
    if not has_deadline(u.kind, u.channel):
        return None
    now = now or utcnow()
    due = _aware(deadline(u.created_at))
    met = u.level is None or any(e.role in KABUPATEN_ROLES for e in u.events)
    late = not met and now >= due
    days = (due.date() - now.date()).days
    return Deadline(due, met, late, days)


def _on_clock():
    return or_(Usulan.kind == "sanggah", and_(Usulan.kind == "baru", Usulan.channel == "warga"))


def _pending():
    """Open, on the clock, and no kabupaten role has acted yet."""
    acted = exists().where(UsulanEvent.usulan_id == Usulan.id, UsulanEvent.role.in_(sorted(KABUPATEN_ROLES)))
    return and_(Usulan.level.is_not(None), _on_clock(), ~acted)


def _cutoff(now: dt.datetime | None) -> dt.datetime:
    """Filed at or before this instant → overdue now (the stored created_at is naive UTC on SQLite)."""
    cut = (now or utcnow()) - dt.timedelta(days=SLA_DAYS)
    return cut.astimezone(dt.UTC).replace(tzinfo=None)


def overdue_condition(now: dt.datetime | None = None):
    """A WHERE clause: usulan overdue at `now` (for the queue's "terlambat" filter)."""
    return and_(_pending(), Usulan.created_at <= _cutoff(now))


@dataclass(frozen=True, slots=True)
class AreaCount:
    wilayah_code: str
    name: str
    waiting: int  # on the clock, no kabupaten action yet
    overdue: int


def counts(
    session: Session, user, *, depth: int = 4, scope: Scope | None = None, now: dt.datetime | None = None
) -> list[AreaCount]:
    """Usul and sanggah waiting for the kabupaten, and how many are overdue, per desa (4) or kecamatan (3)."""
    width = {2: 5, 3: 8, 4: 13}[depth]
    area = func.substr(Usulan.desa_code, 1, width)
    late = case((Usulan.created_at <= _cutoff(now), 1), else_=0)
    stmt = (
        select(area, func.count(), func.sum(late))
        .where(Scope.of(user).where(Usulan.desa_code), _pending())
        .group_by(area)
        .order_by(area)
    )
    if scope is not None:
        stmt = stmt.where(scope.where(Usulan.desa_code))
    out = []
    for code, waiting, overdue in session.execute(stmt):
        place = wilayah.get(code)
        out.append(AreaCount(code, place.name if place else code, int(waiting), int(overdue or 0)))
    return out
