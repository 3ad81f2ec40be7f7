"""The audit trail: append a change, read a record's history, search and export within scope.

Why it looks like this:
- `record_change` is the only write. There is no update or delete here, and the ORM refuses both on
  `AuditEntry` (mapper and bulk-statement guards below), so a slip elsewhere fails loudly.
- `audit_log` has no wilayah column, so scope comes from the audited record: each entity kind registers how
  to find the desa code of an id (`register_entity_scope`). Entries of kinds nobody registered are visible
  only to national users.
- Snapshots are reduced to the fields that changed, as JSON-safe values.
- Each entry is sealed into a hash chain as it is flushed (`siks.audit.chain`), so a row changed behind the
  code's back is found by `siks audit verify`.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import enum
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Select, and_, event, false, or_, select
from sqlalchemy.orm import Session

from siks.audit import chain
from siks.domain.cells import safe_row
from siks.domain.masking import mask_numbers, sees_full_nik
from siks.domain.roles import EXPORT_AUDIT, VIEW_AUDIT, has_permission
from siks.errors import Forbidden
from siks.paging import Page, bounds
from siks.scope import Scope
from siks.store.models.accounts import User
from siks.store.models.pmt import OfficialDesilVersion
from siks.store.models.registry import AuditEntry, Family, Household, Member

# --- writing ----------------------------------------------------------------------------------------------


_origin: str | None = None


def set_origin(origin: str | None) -> None:
    """Where this process's changes come from, kept on each entry: the command line sets `os:user@host`
    (its `--oleh` names a user without a password). The web leaves it unset: its users logged in."""
    global _origin
    _origin = origin[:120] if origin else None


def origin() -> str | None:
    return _origin


def _actor_name(actor: object) -> str:
    name = getattr(actor, "username", None) or str(actor or "sistem")
    return name[:100]


def jsonable(value):
    """Dates as ISO text, enums as their value, sets as sorted lists: what JSON columns can hold."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def _changed_only(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    if before is None or after is None:
        return before, after
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record_change(
    session: Session,
    actor: object,
    entity: str,
    entity_id: int | None,
    before: dict | None,
    after: dict | None,
    reason: str | None,
    *,
    action: str | None = None,
    import_batch_id: int | None = None,
) -> AuditEntry:
    """Append one entry: who (`actor`: a User or a name such as "impor"), what, before, after, why.

    `action` defaults to `buat` (no before), `hapus` (no after) or `ubah`. Only changed fields are kept.
    Call it in the same transaction as the change itself, so both commit or neither does.
    """
    before, after = _changed_only(jsonable(before), jsonable(after))
    if action is None:
        action = "buat" if before is None else "hapus" if after is None else "ubah"
    entry = AuditEntry(
        actor=_actor_name(actor),
        action=action[:30],
        entity=entity[:30],
        entity_id=entity_id,
        before=before,
        after=after,
        reason=reason,
        import_batch_id=import_batch_id,
        origin=_origin,
    )
    session.add(chain.mark(entry))
    return entry


@event.listens_for(Session, "before_flush")
def _seal(session, _context, _instances):
    chain.seal_session(session)


class AppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _no_update(_mapper, _conn, _target):
    raise AppendOnly("audit_log hanya dapat ditambah, tidak dapat diubah.")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(_mapper, _conn, _target):
    raise AppendOnly("audit_log hanya dapat ditambah, tidak dapat dihapus.")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_change(state):
    if (state.is_update or state.is_delete) and any(
        m.class_ is AuditEntry for m in state.all_mappers
    ):  # pragma: no branch
        raise AppendOnly("audit_log hanya dapat ditambah, tidak dapat diubah atau dihapus.")


# --- scope of entries -------------------------------------------------------------------------------------

# entity kind -> a function returning SELECT (id, desa_code) for records of that kind
_RESOLVERS: dict[str, Callable[[], Select]] = {}


def register_entity_scope(entity: str, resolver: Callable[[], Select]) -> None:
    """Teach the audit trail where records of `entity` live: `resolver()` selects (id, desa_code)."""
    _RESOLVERS[entity] = resolver


register_entity_scope("household", lambda: select(Household.id, Household.desa_code))
register_entity_scope(
    "family",
    lambda: select(Family.id, Household.desa_code).join(Household, Family.household_id == Household.id),
)
register_entity_scope(
    "member",
    lambda: (
        select(Member.id, Household.desa_code)
        .join(Family, Member.family_id == Family.id)
        .join(Household, Family.household_id == Household.id)
    ),
)
register_entity_scope("user", lambda: select(User.id, User.wilayah_code))
register_entity_scope(  # an import of official BPS/DTSEN desil: the importing user's wilayah
    "desil_resmi", lambda: select(OfficialDesilVersion.id, OfficialDesilVersion.wilayah_code)
)


def scope_filter(scope: Scope):
    """A predicate on `audit_log` rows: the audited record lies inside `scope`."""
    if scope.is_national:
        return None
    parts = []
    for entity, resolver in _RESOLVERS.items():
        sub = resolver().subquery()
        id_col, code_col = list(sub.c)
        ids = select(id_col).where(scope.where(code_col))
        parts.append(and_(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids)))
    return or_(*parts) if parts else false()


# --- reading ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class EntryView:
    """One entry as a user may see it (16-digit numbers masked unless the role sees full NIK)."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    before: dict | None
    after: dict | None
    reason: str | None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "at": self.at.isoformat() if self.at else None,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
        }


def _mask_doc(doc):
    if doc is None:
        return None
    return json.loads(mask_numbers(json.dumps(doc, ensure_ascii=False)))


def view(entry: AuditEntry, user) -> EntryView:
    full = sees_full_nik(user)
    return EntryView(
        id=entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        entity=entry.entity,
        entity_id=entry.entity_id,
        before=entry.before if full else _mask_doc(entry.before),
        after=entry.after if full else _mask_doc(entry.after),
        reason=entry.reason if full else (mask_numbers(entry.reason) if entry.reason else entry.reason),
    )


def entries_for(
    session: Session, user, records: Iterable[tuple[str, int]], limit: int = 200
) -> list[EntryView]:
    """History of several records at once (a household with its families and members), newest first.

    The caller has already checked that the records are in the user's scope.
    """
    by_kind: dict[str, list[int]] = {}
    for kind, rid in records:
        by_kind.setdefault(kind, []).append(rid)
    if not by_kind:
        return []
    cond = or_(*(and_(AuditEntry.entity == k, AuditEntry.entity_id.in_(ids)) for k, ids in by_kind.items()))
    rows = session.scalars(
        select(AuditEntry).where(cond).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    )
    return [view(e, user) for e in rows]


def _search_stmt(user, entity: str | None, actor_name: str | None, since, until):
    if not has_permission(user.role, VIEW_AUDIT):
        raise Forbidden("Peran Anda tidak dapat melihat jejak audit seluruh wilayah.")
    stmt = select(AuditEntry)
    cond = scope_filter(Scope.of(user))
    if cond is not None:
        stmt = stmt.where(cond)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if actor_name:
        stmt = stmt.where(AuditEntry.actor == actor_name.strip().lower())
    if since:
        stmt = stmt.where(AuditEntry.at >= _start(since))
    if until:
        stmt = stmt.where(AuditEntry.at < _start(until) + dt.timedelta(days=1))
    return stmt


def _start(day: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day if day.tzinfo else day.replace(tzinfo=dt.UTC)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def search(
    session: Session,
    user,
    *,
    entity: str | None = None,
    actor_name: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[EntryView]:
    """Entries in the user's scope, newest first (needs `audit.view`)."""
    page, per_page, offset = bounds(page, per_page)
    stmt = _search_stmt(user, entity, actor_name, since, until)
    rows = session.scalars(
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(per_page + 1)
    ).all()
    return Page.from_rows([view(e, user) for e in rows], page, per_page)


CSV_COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after", "reason")


def export_csv(
    session: Session,
    user,
    *,
    entity: str | None = None,
    actor_name: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Iterator[str]:
    """The scoped trail as CSV text chunks, oldest first (needs `audit.export`).

    Permission and scope are checked now; the rows stream as the iterator is consumed (never all in memory),
    so keep `session` open until it is exhausted.
    """
    if not has_permission(user.role, EXPORT_AUDIT):
        raise Forbidden("Peran Anda tidak dapat mengekspor jejak audit.")
    stmt = _search_stmt(user, entity, actor_name, since, until).order_by(AuditEntry.id)
    return _csv_chunks(session, user, stmt)


def _csv_chunks(session: Session, user, stmt) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for entry in session.scalars(stmt.execution_options(yield_per=1000)):
        d = view(entry, user).as_dict()
        for key in ("before", "after"):
            if d[key] is not None:
                d[key] = json.dumps(d[key], ensure_ascii=False)
        writer.writerow(safe_row(d[c] for c in CSV_COLUMNS))
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
