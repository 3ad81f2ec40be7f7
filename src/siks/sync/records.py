"""What a synced record is: a ruta with its keluarga, anggota, current KK and latest pendataan, as one state.

Why whole-ruta states rather than field diffs: the ruta is the unit an operator verifies and a kabupaten
owns; a state is compared by one hash, so "same on both sides" is a hash equality, and a conflict shows
two complete versions side by side. Internal ids never leave the instance; identity is the `ref` of the
import (`id_ruta`, `id_keluarga`, `id_keluarga-no_urut`).

Applying a state never deletes: a keluarga or anggota that the incoming state no longer lists is set
`nonaktif`, and every change goes through `siks.audit.record_change` (who = `sync:<peer>`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from siks.audit import jsonable, record_change
from siks.store.base import utcnow
from siks.store.models.registry import (
    STATUS_INACTIVE,
    Assessment,
    AssessmentMember,
    Family,
    FamilyKK,
    Household,
    Member,
)

KIND_RUTA = "ruta"
HOUSEHOLD_FIELDS = ("desa_code", "dusun", "rw", "rt", "alamat", "status", "status_reason")
FAMILY_FIELDS = ("status", "status_reason")
MEMBER_FIELDS = ("no_urut", "nama", "nik", "sex", "tempat_lahir", "tanggal_lahir", "status_kawin",
                 "hubungan_kk", "keberadaan", "status", "status_reason")  # fmt: skip


def gid_of(ref: str) -> str:
    return f"{KIND_RUTA}:{ref}"


def ref_of(gid: str) -> str:
    kind, _, ref = gid.partition(":")
    if kind != KIND_RUTA or not ref:
        raise ValueError(f"identitas rekaman tidak dikenal: {gid!r}")
    return ref


def state_hash(state: dict) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces): equal states hash equal on every instance."""
    text = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _load(session: Session, ref: str) -> Household | None:
    return session.scalar(
        select(Household)
        .where(Household.ref == ref)
        .options(
            selectinload(Household.families).selectinload(Family.members),
            selectinload(Household.families).selectinload(Family.kk_history),
        )
    )


def _latest_assessment(session: Session, household_id: int) -> Assessment | None:
    return session.scalar(
        select(Assessment)
        .where(Assessment.household_id == household_id)
        .order_by(Assessment.id.desc())
        .limit(1)
        .options(selectinload(Assessment.members).selectinload(AssessmentMember.member))
    )


def state_of(session: Session, ref: str) -> dict | None:
    """The current state of ruta `ref` here, or None when this instance does not hold it."""
    h = _load(session, ref)
    if h is None:
        return None
    families = []
    for f in sorted(h.families, key=lambda f: f.ref):
        members = [
            {"ref": m.ref, **{k: jsonable(getattr(m, k)) for k in MEMBER_FIELDS}}
            for m in sorted(f.members, key=lambda m: m.ref)
        ]
        families.append(
            {"ref": f.ref, **{k: getattr(f, k) for k in FAMILY_FIELDS}, "no_kk": f.kk_number, "members": members}
        )
    a = _latest_assessment(session, h.id)
    assessment = None
    if a is not None:
        assessment = {
            "instrument": a.instrument,
            "assessed_on": jsonable(a.assessed_on),
            "assessed_by": a.assessed_by,
            "answers": jsonable(a.answers),
            "members": {am.member.ref: jsonable(am.answers) for am in sorted(a.members, key=lambda x: x.member.ref)},
        }
    return {
        "ref": h.ref,
        **{k: getattr(h, k) for k in HOUSEHOLD_FIELDS},
        "families": families,
        "assessment": assessment,
    }


def desa_of(state: dict | None) -> str | None:
    return state.get("desa_code") if state else None


def _date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else value


def _member_values(m: dict) -> dict:
    values = {k: m.get(k) for k in MEMBER_FIELDS}
    values["tanggal_lahir"] = _date(values["tanggal_lahir"])
    return values


def apply_state(session: Session, state: dict, actor: str, reason: str) -> dict:
    """Make ruta `state["ref"]` here equal to `state`: create, update, or set nonaktif; every change audited.

    Returns counts of what changed. The caller has already decided that this state may be applied.
    """
    counts = {"dibuat": 0, "diubah": 0, "dinonaktifkan": 0}
    h = _load(session, state["ref"])
    if h is None:
        h = Household(ref=state["ref"], **{k: state.get(k) for k in HOUSEHOLD_FIELDS})
        session.add(h)
        session.flush()
        record_change(session, actor, "household", h.id, None, {"ref": h.ref, **_pick(h, HOUSEHOLD_FIELDS)}, reason)
        counts["dibuat"] += 1
    else:
        _update(session, h, "household", {k: state.get(k) for k in HOUSEHOLD_FIELDS}, actor, reason, counts)

    seen_families: set[str] = set()
    families = {f.ref: f for f in h.families}
    for fs in state.get("families", []):
        seen_families.add(fs["ref"])
        f = families.get(fs["ref"]) or session.scalar(select(Family).where(Family.ref == fs["ref"]))
        if f is None:
            f = Family(ref=fs["ref"], household=h, **{k: fs.get(k) for k in FAMILY_FIELDS})
            session.add(f)
            session.flush()
            record_change(session, actor, "family", f.id, None, {"ref": f.ref, **_pick(f, FAMILY_FIELDS)}, reason)
            counts["dibuat"] += 1
        else:
            values = {k: fs.get(k) for k in FAMILY_FIELDS}
            if f.household_id != h.id:
                values["household_id"] = h.id
            _update(session, f, "family", values, actor, reason, counts)
        _apply_kk(session, f, fs.get("no_kk"), actor, reason, counts)
        _apply_members(session, f, fs.get("members", []), actor, reason, counts)
    for ref, f in families.items():
        if ref not in seen_families and f.status != STATUS_INACTIVE:
            _update(session, f, "family", _inactive(actor), actor, reason, counts, key="dinonaktifkan")
    session.flush()
    _apply_assessment(session, h, state.get("assessment"), actor, reason, counts)
    session.flush()
    return counts


def _pick(obj, fields) -> dict:
    return {k: getattr(obj, k) for k in fields}


def _inactive(actor: str) -> dict:
    return {"status": STATUS_INACTIVE, "status_reason": f"tidak ada lagi pada kiriman {actor}"}


def _update(session, obj, entity: str, values: dict, actor, reason, counts, key: str = "diubah") -> None:
    before = {k: getattr(obj, k) for k in values}
    changed = {k: v for k, v in values.items() if before[k] != v}
    if not changed:
        return
    for k, v in changed.items():
        setattr(obj, k, v)
    session.flush()
    record_change(session, actor, entity, obj.id, {k: before[k] for k in changed}, changed, reason)
    counts[key] += 1


def _apply_kk(session, f: Family, no_kk: str | None, actor, reason, counts) -> None:
    current = f.kk_number
    if current == no_kk:
        return
    now = utcnow()
    for k in f.kk_history:
        if k.valid_to is None:
            k.valid_to = now
    if no_kk:
        f.kk_history.append(FamilyKK(kk_number=no_kk, valid_from=now, source=actor[:100]))
    session.flush()
    record_change(session, actor, "family", f.id, {"no_kk": current}, {"no_kk": no_kk}, reason)
    counts["diubah"] += 1


def _apply_members(session, f: Family, members: list[dict], actor, reason, counts) -> None:
    existing = {m.ref: m for m in f.members}
    seen: set[str] = set()
    for ms in members:
        seen.add(ms["ref"])
        m = existing.get(ms["ref"]) or session.scalar(select(Member).where(Member.ref == ms["ref"]))
        values = _member_values(ms)
        if m is None:
            m = Member(ref=ms["ref"], family=f, **values)
            session.add(m)
            session.flush()
            record_change(session, actor, "member", m.id, None, {"ref": m.ref, **values}, reason)
            counts["dibuat"] += 1
            continue
        if m.family_id != f.id:
            values["family_id"] = f.id
        _update(session, m, "member", values, actor, reason, counts)
    for ref, m in existing.items():
        if ref not in seen and m.status != STATUS_INACTIVE:
            _update(session, m, "member", _inactive(actor), actor, reason, counts, key="dinonaktifkan")


def _apply_assessment(session, h: Household, incoming: dict | None, actor, reason, counts) -> None:
    """A different latest pendataan is added as a new assessment; the old ones stay as history."""
    if incoming is None:
        return
    here = state_of(session, h.ref)["assessment"]
    if here == incoming:
        return
    a = Assessment(
        household_id=h.id,
        instrument=incoming["instrument"],
        assessed_on=_date(incoming.get("assessed_on")),
        assessed_by=incoming.get("assessed_by"),
        answers=incoming.get("answers") or {},
    )
    session.add(a)
    session.flush()
    refs = incoming.get("members") or {}
    if refs:
        ids = dict(session.execute(select(Member.ref, Member.id).where(Member.ref.in_(list(refs)))).all())
        for ref, answers in refs.items():
            session.add(AssessmentMember(assessment_id=a.id, member_id=ids[ref], answers=answers))
    session.flush()
    record_change(
        session, actor, "household", h.id, None, {"assessment": a.id, "instrument": a.instrument}, reason,
        action="pendataan",
    )  # fmt: skip
    counts["diubah"] += 1
