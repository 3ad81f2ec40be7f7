"""Usulan travel between instances: up once they reached pengesahan, decisions on them back down.

Why an usulan is its history and not a row: what a level may change about an usulan is exactly the steps
taken at that level (siks.domain.usulan). So the synced state of an usulan is its content (kind, payload,
subject, desa, target by ref, batch with the berita acara's metadata) plus its `usulan_event` history, and
applying a received state means appending the steps the receiver does not have yet:

- the same history here → nothing (`sama`); ours already continues the received one → `usang`;
- the received history continues ours → the new steps are checked, then appended (`diterapkan`);
- both continued it differently → a `konflik` with both versions, never last-write-wins.

A step belongs to the level that took it (`from_level`). From below, only steps at or below the sender's
level are accepted, and only usulan that were disahkan; from above, only steps above the receiver's level
(teruskan, terima, tolak, kembalikan at provinsi/pusat). Anything else is refused and listed, not dropped.
An usulan that ends its run at the sender's top level (disahkan at a kabupaten instance) waits at the
receiver on the next level up (provinsi), where the national chain continues. Its registry change was
applied by the sender and travels as ruta states, so a decision at the receiver never applies it again.

The berita acara itself (a PDF that may hold signatures and faces) stays at the kabupaten; its sha256,
type, size and name travel, so the receiver can tell which file the decision was made on.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.audit import record_change
from siks.domain import wilayah
from siks.domain.roles import LEVELS, Level
from siks.domain.status import BatchStatus
from siks.domain.usulan import Action, Status
from siks.store.models.registry import Family, Household, Member
from siks.store.models.sync import SyncDocument
from siks.store.models.usulan import Usulan, UsulanBatch, UsulanDocument, UsulanEvent
from siks.sync.documents import document_gid, document_local_id

KIND = "usulan"
BATCH = "usulan_batch"
CHAIN = [lv.value for lv in LEVELS]
_TARGETS = {"household": Household, "family": Family, "member": Member}
_CONTENT = (
    "kind",
    "subkind",
    "desa_code",
    "payload",
    "subject_name",
    "subject_nik",
    "subject_address",
    "description",
    "channel",
    "external_ref",
)
_EVENT = ("actor", "role", "action", "from_status", "to_status", "from_level", "to_level", "note")
# The state an usulan is in when it ends its run at each level's instance, and where it goes next.
_FINAL_AT = {Status.DISAHKAN.value: Level.PROVINSI.value, Status.DITERUSKAN.value: Level.PUSAT.value}


def _ts(value: dt.datetime | None) -> str | None:
    """UTC, naive, microseconds: the same text on SQLite and PostgreSQL."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def _parse_ts(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC) if text else None


def gid_of(session: Session, me_id: str, usulan_id: int) -> str:
    return document_gid(session, KIND, me_id, usulan_id)


def local_id(session: Session, me_id: str, gid: str) -> int | None:
    return document_local_id(session, KIND, Usulan, me_id, gid)


def acting_levels(events: list[dict]) -> list[str]:
    """The level that took each step: its `from_level`, or the level before it (creation, applying)."""
    out, current = [], Level.DESA.value
    for e in events:
        current = e.get("from_level") or current
        out.append(current)
    return out


def was_ratified(events: list[dict]) -> bool:
    """Reached pengesahan: only such usulan go up."""
    return any(e.get("action") == Action.SAHKAN.value for e in events)


def _event_state(e: UsulanEvent) -> dict:
    return {"at": _ts(e.at), **{k: getattr(e, k) for k in _EVENT}}


def _ref(session: Session, entity: str | None, entity_id: int | None) -> str | None:
    model = _TARGETS.get(entity or "")
    obj = session.get(model, entity_id) if model and entity_id is not None else None
    return obj.ref if obj is not None else None


def _batch_state(session: Session, me_id: str, b: UsulanBatch | None) -> dict | None:
    if b is None:
        return None
    doc = b.berita_acara
    return {
        "gid": _batch_gid(session, me_id, b.id),
        "title": b.title,
        "musdes_date": b.musdes_date.isoformat() if b.musdes_date else None,
        "submitted_at": _ts(b.submitted_at),
        "berita_acara": None
        if doc is None
        else {k: getattr(doc, k) for k in ("sha256", "media_type", "size", "file_name")},
    }


def _batch_gid(session: Session, me_id: str, batch_id: int) -> str:
    got = session.scalar(
        select(SyncDocument.gid).where(SyncDocument.entity == BATCH, SyncDocument.local_id == batch_id)
    )
    return got or f"{BATCH}:{me_id}:{batch_id}"


def state_of(session: Session, me_id: str, usulan_id: int) -> dict:
    """The usulan as it travels: content, target and household by ref, batch, and its whole history."""
    u = session.get(Usulan, usulan_id)
    household_ref = None
    if u.target_entity:
        target = _TARGETS[u.target_entity]
        obj = session.get(target, u.target_id) if u.target_id is not None else None
        if isinstance(obj, Member):
            household_ref = obj.family.household.ref
        elif isinstance(obj, Family):
            household_ref = obj.household.ref
        elif obj is not None:
            household_ref = obj.ref
    elif (u.result or {}).get("household_id"):
        household_ref = _ref(session, "household", u.result["household_id"])
    elif (u.result or {}).get("household_ref"):
        household_ref = u.result["household_ref"]
    return {
        **{k: getattr(u, k) for k in _CONTENT},
        "target": None
        if u.target_entity is None
        else {"entity": u.target_entity, "ref": _ref(session, u.target_entity, u.target_id)},
        "household_ref": household_ref,
        "created_at": _ts(u.created_at),
        "applied_at": _ts(u.applied_at),
        "batch": _batch_state(session, me_id, u.batch),
        "events": [_event_state(e) for e in sorted(u.events, key=lambda e: e.id)],
    }


def compare_histories(local: list[dict], incoming: list[dict]) -> str:
    """`sama`, `usang` (ours continues theirs), `maju` (theirs continues ours) or `konflik`."""
    if local == incoming:
        return "sama"
    n = min(len(local), len(incoming))
    if local[:n] != incoming[:n]:
        return "konflik"
    return "usang" if len(local) > len(incoming) else "maju"


def refusal(me, p, rank: dict, state: dict, local_events: list[dict]) -> str | None:
    """Why peer `p` may not bring these steps here, or None when it may."""
    desa = state.get("desa_code")
    if not desa or not state.get("events"):
        return "usulan tanpa desa atau tanpa riwayat"
    if me.wilayah_code and not wilayah.contains(me.wilayah_code, desa):
        return f"usulan desa {desa} di luar wilayah instansi ini ({me.wilayah_code})"
    if p.wilayah_code and not wilayah.contains(p.wilayah_code, desa):
        return f"usulan desa {desa} di luar wilayah {p.instance_id} ({p.wilayah_code})"
    if rank[p.level] == rank[me.level]:
        return f"instansi setingkat ({p.level}) tidak boleh mengubah usulan instansi lain"
    events = state.get("events") or []
    new = list(zip(acting_levels(events), events, strict=True))[len(local_events) :]
    if rank[p.level] < rank[me.level]:
        if not was_ratified(events):
            return "usulan belum disahkan kabupaten; hanya usulan yang sudah disahkan dikirim ke atas"
        top = CHAIN.index(p.level)
        beyond = [e for lv, e in new if CHAIN.index(lv) > top]
        if beyond:
            return (
                f"langkah '{beyond[0]['action']}' di tingkat di atas {p.level} tidak boleh datang dari bawah"
            )
        return None
    own = CHAIN.index(me.level)
    below = [(lv, e) for lv, e in new if CHAIN.index(lv) <= own]
    if below:
        lv, e = below[0]
        return (
            f"langkah '{e['action']}' di tingkat {lv} hanya dapat diambil di instansi ini, "
            f"bukan dikirim dari {p.level}"
        )
    return None


def _position(events: list[dict], from_below: bool) -> tuple[str, str | None, str | None]:
    """(status, level, last note) after the history; from below, a run ended at the sender's top moves up."""
    last = events[-1]
    status, level = last["to_status"], last["to_level"]
    if level is None and from_below and status in _FINAL_AT:
        level = _FINAL_AT[status]
    note = next((e["note"] for e in reversed(events) if e.get("note")), None)
    return status, level, note


def _target_id(session: Session, target: dict | None) -> int | None:
    if not target or not target.get("ref"):
        return None
    model = _TARGETS.get(target["entity"])
    return session.scalar(select(model.id).where(model.ref == target["ref"])) if model else None


def _batch(session: Session, origin: str, state: dict | None, desa: str) -> int | None:
    """The receiver's copy of the sender's batch (once per batch), with the berita acara's metadata."""
    if state is None:
        return None
    got = session.scalar(select(SyncDocument.local_id).where(SyncDocument.gid == state["gid"]))
    if got is not None:
        return got
    doc_id = None
    if ba := state.get("berita_acara"):
        doc = UsulanDocument(
            kind="berita_acara",
            desa_code=desa,
            sha256=ba["sha256"],
            media_type=ba["media_type"],
            size=ba["size"],
            file_name=ba["file_name"],
            storage_path="",  # the file stays at the kabupaten; its hash says which one it was
        )
        session.add(doc)
        session.flush()
        doc_id = doc.id
    b = UsulanBatch(
        desa_code=desa,
        title=state["title"],
        musdes_date=dt.date.fromisoformat(state["musdes_date"]) if state.get("musdes_date") else None,
        status=BatchStatus.DIAJUKAN.value,
        berita_acara_id=doc_id,
        submitted_at=_parse_ts(state.get("submitted_at")),
    )
    session.add(b)
    session.flush()
    session.add(SyncDocument(gid=state["gid"], entity=BATCH, local_id=b.id, origin=origin))
    return b.id


def apply(
    session: Session,
    me_id: str,
    origin: str,
    gid: str,
    state: dict,
    from_below: bool,
    actor: str,
    reason: str,
) -> None:
    """Insert the usulan, or append the steps it does not have yet here; audited (the caller checked)."""
    uid = local_id(session, me_id, gid)
    events = state["events"]
    status, level, note = _position(events, from_below)
    if uid is None:
        u = Usulan(
            **{k: state[k] for k in _CONTENT},
            status=status,
            level=level,
            target_entity=(state.get("target") or {}).get("entity"),
            target_id=_target_id(session, state.get("target")),
            created_at=_parse_ts(state["created_at"]),
            applied_at=_parse_ts(state.get("applied_at")),
            result={"household_ref": state["household_ref"]} if state.get("household_ref") else None,
            last_note=note,
        )
        if u.result and (hid := _target_id(session, {"entity": "household", "ref": state["household_ref"]})):
            u.result["household_id"] = hid
        session.add(u)
        session.flush()
        if state.get("batch"):
            u.batch_id = _batch(session, origin, state["batch"], u.desa_code)
        session.add(SyncDocument(gid=gid, entity=KIND, local_id=u.id, origin=origin))
        before, new = None, events
    else:
        u = session.get(Usulan, uid)
        have = len(u.events)
        before, new = {"status": u.status, "level": u.level}, events[have:]
        u.status, u.level, u.last_note = status, level, note or u.last_note
        if state.get("applied_at") and u.applied_at is None:
            u.applied_at = _parse_ts(state["applied_at"])
    for e in new:
        session.add(UsulanEvent(usulan_id=u.id, at=_parse_ts(e["at"]), **{k: e.get(k) for k in _EVENT}))
    session.flush()
    session.expire(u, ["events"])
    record_change(
        session,
        actor,
        KIND,
        u.id,
        before,
        {"gid": gid, "status": u.status, "level": u.level, "langkah": [e["action"] for e in new]},
        reason,
        action="terima" if before is None else "sinkron",
    )


def adopt(session: Session, *, me_id: str, gid: str, state: dict, actor, reason: str) -> None:
    """An operator accepted the received version of a diverged usulan: its steps after the common part
    are appended (ours stay: history is never deleted) and the usulan takes the received position."""
    uid = local_id(session, me_id, gid)
    u = session.get(Usulan, uid)
    local = [_event_state(e) for e in sorted(u.events, key=lambda e: e.id)]
    incoming = state["events"]
    common = next((i for i, (a, b) in enumerate(zip(local, incoming, strict=False)) if a != b), len(local))
    before = {"status": u.status, "level": u.level}
    status, level, note = _position(incoming, from_below=False)
    u.status, u.level, u.last_note = status, level, note or u.last_note
    for e in incoming[common:]:
        session.add(UsulanEvent(usulan_id=u.id, at=_parse_ts(e["at"]), **{k: e.get(k) for k in _EVENT}))
    session.flush()
    session.expire(u, ["events"])
    record_change(
        session, actor, KIND, u.id, before, {"gid": gid, "status": u.status, "level": u.level}, reason,
        action="sinkron",
    )  # fmt: skip
