"""Penetapan versions travel down: pusat (or a provinsi) → the instances below, as frozen documents.

A penetapan is written once and never changes (`siks.store.models.penetapan`), so a received copy is
either new here (inserted whole, audited) or already held (nothing to do): there is nothing to conflict.
Its global id is `penetapan:<instance that made it>:<its id there>`; `sync_document` maps it to the local
row, so a provinsi relays pusat's penetapan under pusat's id. The copy for a recipient holds only the ruta
and anggota in the recipient's wilayah. Registry ids inside (`household_id`, `member_id`, "for links only")
are re-pointed by ref to the receiver's own rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session

from siks.audit import jsonable, record_change
from siks.domain import wilayah
from siks.store.models.penetapan import Penetapan, PenetapanHousehold, PenetapanMember, PenetapanUsulan
from siks.store.models.registry import Household, Member
from siks.store.models.sync import SyncDocument

KIND = "penetapan"
_SKIP = {"id", "penetapan_id", "previous_id", "created_by_id", "household_id", "member_id"}


def _columns(model) -> list[str]:
    return [c.key for c in inspect(model).column_attrs if c.key not in _SKIP]


def _row(obj, model) -> dict:
    return {k: jsonable(getattr(obj, k)) for k in _columns(model)}


def document_gid(session: Session, kind: str, me_id: str, local: int) -> str:
    """The global id of a document (a penetapan, an usulan): the one it arrived with, else `kind:me:id`."""
    got = session.scalar(
        select(SyncDocument.gid).where(SyncDocument.entity == kind, SyncDocument.local_id == local)
    )
    return got or f"{kind}:{me_id}:{local}"


def document_local_id(session: Session, kind: str, model, me_id: str, gid: str) -> int | None:
    """The local row of a global id: a received document's row, or one of ours that still exists."""
    got = session.scalar(select(SyncDocument.local_id).where(SyncDocument.gid == gid))
    if got is not None:
        return got
    gid_kind, origin, number = (gid.split(":") + ["", ""])[:3]
    if gid_kind == kind and origin == me_id and number.isdigit() and session.get(model, int(number)):
        return int(number)
    return None


def gid_of(session: Session, me_id: str, penetapan_id: int) -> str:
    return document_gid(session, KIND, me_id, penetapan_id)


def local_id(session: Session, me_id: str, gid: str) -> int | None:
    return document_local_id(session, KIND, Penetapan, me_id, gid)


def state_of(session: Session, me_id: str, penetapan_id: int, within: str | None) -> dict:
    """The penetapan as a document, cut to the ruta inside `within` (None: all)."""
    p = session.get(Penetapan, penetapan_id)

    def inside(model):
        stmt = select(model).where(model.penetapan_id == p.id)
        return [r for r in session.scalars(stmt.order_by(model.id)) if _in(r, within)]

    households = inside(PenetapanHousehold)
    refs = {h.household_ref for h in households}
    members = [
        m
        for m in session.scalars(
            select(PenetapanMember).where(PenetapanMember.penetapan_id == p.id).order_by(PenetapanMember.id)
        )
        if m.household_ref in refs
    ]
    return {
        "header": _row(p, Penetapan),
        "previous": gid_of(session, me_id, p.previous_id) if p.previous_id else None,
        "households": [_row(h, PenetapanHousehold) for h in households],
        "members": [_row(m, PenetapanMember) for m in members],
        "usulan": [_row(u, PenetapanUsulan) for u in inside(PenetapanUsulan)],
    }


def _in(row, within: str | None) -> bool:
    code = getattr(row, "desa_code", None)
    return within is None or (code is not None and wilayah.contains(within, code))


def _typed(model, values: dict) -> dict:
    """JSON values back to column types (dates and datetimes arrive as ISO text)."""
    out = {}
    for c in inspect(model).columns:
        if c.key not in values:
            continue
        v = values[c.key]
        if isinstance(v, str):
            try:
                kind = c.type.python_type
            except NotImplementedError:
                kind = str
            if kind is dt.datetime:
                v = dt.datetime.fromisoformat(v)
            elif kind is dt.date:
                v = dt.date.fromisoformat(v)
        out[c.key] = v
    return out


def apply(session: Session, me_id: str, origin: str, gid: str, state: dict, actor: str, reason: str) -> bool:
    """Insert the received penetapan once; False when it is already held here."""
    if local_id(session, me_id, gid) is not None:
        return False
    header = _typed(Penetapan, state["header"])
    previous = local_id(session, me_id, state["previous"]) if state.get("previous") else None
    p = Penetapan(**header, previous_id=previous, created_by_id=None)
    session.add(p)
    session.flush()
    h_ids = dict(
        session.execute(
            select(Household.ref, Household.id).where(
                Household.ref.in_([h["household_ref"] for h in state["households"]])
            )
        ).all()
    )
    m_ids = dict(
        session.execute(
            select(Member.ref, Member.id).where(Member.ref.in_([m["member_ref"] for m in state["members"]]))
        ).all()
    )
    if state["households"]:
        session.execute(
            insert(PenetapanHousehold),
            [
                _typed(PenetapanHousehold, h)
                | {"penetapan_id": p.id, "household_id": h_ids.get(h["household_ref"])}
                for h in state["households"]
            ],
        )
    if state["members"]:
        session.execute(
            insert(PenetapanMember),
            [
                _typed(PenetapanMember, m) | {"penetapan_id": p.id, "member_id": m_ids.get(m["member_ref"])}
                for m in state["members"]
            ],
        )
    if state["usulan"]:
        session.execute(
            insert(PenetapanUsulan),
            [_typed(PenetapanUsulan, u) | {"penetapan_id": p.id} for u in state["usulan"]],
        )
    session.add(SyncDocument(gid=gid, entity=KIND, local_id=p.id, origin=origin))
    record_change(
        session,
        actor,
        "penetapan",
        p.id,
        None,
        {
            "gid": gid,
            "title": p.title,
            "periode": p.periode,
            "wilayah": p.wilayah_code,
            "ruta": len(state["households"]),
        },
        reason,
        action="terima",
    )
    return True
