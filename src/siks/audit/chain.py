"""Sealing audit entries into the hash chain as they are written, and verifying the chain.

Why it looks like this:
- Every writer of `audit_log` (the ORM through `record_change`, the importer in bulk) seals its rows here,
  in the same transaction: the head row `audit_chain` (last id, last hash) is updated first, which takes
  its row lock on PostgreSQL and the write lock on SQLite, so two writers never link to the same
  predecessor. Ids are given here (head + 1, …), so the chain order is the id order.
- The lock is taken at flush time, held to commit: short for the web, and the importer seals at its end.
- `verify` walks the log in id order, streaming, and names the first entry whose hash does not follow;
  a head that does not match the last entry means entries were removed from the end.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.orm import Session

from siks.domain.audit_chain import FIELDS, GENESIS, link
from siks.store.base import utcnow
from siks.store.models.registry import AuditChain, AuditEntry

_order = itertools.count()  # the order record_change added entries in (session.new has none)


def _head(conn: Connection) -> tuple[int, str]:
    """Lock the head and read it (creating it on a database built without the migrations)."""
    locked = conn.execute(update(AuditChain).where(AuditChain.id == 1).values(last_id=AuditChain.last_id))
    if locked.rowcount == 0:
        last = conn.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        ).first()
        conn.execute(
            insert(AuditChain).values(
                id=1, last_id=last[0] if last else 0, last_hash=(last[1] or "") if last else ""
            )
        )
    row = conn.execute(select(AuditChain.last_id, AuditChain.last_hash).where(AuditChain.id == 1)).one()
    return row.last_id, row.last_hash


def seal_rows(conn: Connection, rows: list[dict]) -> None:
    """Give each row dict (about to be inserted, in this order) its id, time and hash; move the head."""
    if not rows:
        return
    last_id, last_hash = _head(conn)
    for row in rows:
        last_id += 1
        row["id"] = last_id
        row.setdefault("at", utcnow())
        for key in FIELDS:
            row.setdefault(key, None)
        row["hash"] = last_hash = link(last_hash, row)
    conn.execute(update(AuditChain).where(AuditChain.id == 1).values(last_id=last_id, last_hash=last_hash))


def mark(entry: AuditEntry) -> AuditEntry:
    entry._chain_order = next(_order)
    return entry


def seal_session(session: Session) -> None:
    """Seal the new entries of a session before they are flushed (the `before_flush` hook calls this)."""
    new = [o for o in session.new if isinstance(o, AuditEntry)]
    if not new:
        return
    new.sort(key=lambda e: getattr(e, "_chain_order", float("inf")))
    rows = [{k: getattr(e, k) for k in FIELDS if k != "id"} for e in new]
    for row in rows:
        if row["at"] is None:
            row["at"] = utcnow()
    seal_rows(session.connection(), rows)
    for entry, row in zip(new, rows, strict=True):
        entry.id, entry.at, entry.hash = row["id"], row["at"], row["hash"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What `verify` found: entries checked, and the first broken link (None when the chain holds)."""

    checked: int
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None and self.problem is None


def verify(session: Session) -> Verdict:
    """Recompute the chain over `audit_log` in id order; stop at the first entry that does not follow."""
    prev, checked, last_id = GENESIS, 0, None
    cols = [getattr(AuditEntry, k) for k in FIELDS]
    stmt = select(*cols, AuditEntry.hash).order_by(AuditEntry.id).execution_options(yield_per=2000)
    for row in session.execute(stmt):
        doc = row._asdict()
        if doc["hash"] != link(prev, doc):
            reason = "tidak bersegel" if doc["hash"] is None else "isi atau urutan berubah"
            return Verdict(checked, doc["id"], f"entri #{doc['id']} {reason}")
        prev, checked, last_id = doc["hash"], checked + 1, doc["id"]
    head = session.execute(select(AuditChain.last_id, AuditChain.last_hash).where(AuditChain.id == 1)).first()
    if head is not None and checked and (head.last_id, head.last_hash) != (last_id, prev):
        return Verdict(
            checked,
            last_id,
            f"ujung rantai menunjuk entri #{head.last_id}, tetapi entri terakhir #{last_id}: "
            "entri di akhir jejak dihapus atau diganti",
        )
    if head is not None and not checked and head.last_id:
        return Verdict(0, None, f"ujung rantai menunjuk entri #{head.last_id}, tetapi jejak audit kosong")
    return Verdict(checked)


def count_entries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0
