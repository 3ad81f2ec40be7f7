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
MEMBER_FIELDS = (
    "no_urut",
    "nama",
    "nik",
    "sex",
    "tempat_lahir",
    "tanggal_lahir",
    "status_kawin",
    "hubungan_kk",
    "keberadaan",
    "status",
    "status_reason",
)


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
            {
                "ref": f.ref,
                **{k: getattr(f, k) for k in FAMILY_FIELDS},
                "no_kk": f.kk_number,
                "members": members,
            }
        )
    a = _latest_assessment(session, h.id)
    assessment = None
    if a is not None:
        assessment = {
            "instrument": a.instrument,
            "assessed_on": jsonable(a.assessed_on),
            "assessed_by": a.assessed_by,
            "answers": jsonable(a.answers),
            "members": {
                am.member.ref: jsonable(am.answers) for am in sorted(a.members, key=lambda x: x.member.ref)
            },
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
    Audit entries are written after one flush (new rows need their ids), in the same transaction.
    """
    with session.no_autoflush:  # one flush per ruta, in `finish`
        return _apply(session, state, actor, reason)


def _apply(session: Session, state: dict, actor: str, reason: str) -> dict:
    w = _Writer(session, actor, reason)
    h = _load(session, state["ref"])
    new_household = h is None
    if new_household:
        h = Household(ref=state["ref"], **{k: state.get(k) for k in HOUSEHOLD_FIELDS})
        session.add(h)
        w.created("household", h, {"ref": h.ref, **_pick(h, HOUSEHOLD_FIELDS)})
    else:
        w.update(h, "household", {k: state.get(k) for k in HOUSEHOLD_FIELDS})

    families = {f.ref: f for f in h.families}
    elsewhere_f, elsewhere_m = _elsewhere(session, state, families)
    seen_families: set[str] = set()
    for fs in state.get("families", []):
        seen_families.add(fs["ref"])
        f = families.get(fs["ref"]) or elsewhere_f.get(fs["ref"])
        if f is None:
            f = Family(ref=fs["ref"], household=h, **{k: fs.get(k) for k in FAMILY_FIELDS})
            session.add(f)
            w.created("family", f, {"ref": f.ref, **_pick(f, FAMILY_FIELDS)})
        else:
            values = {k: fs.get(k) for k in FAMILY_FIELDS}
            if f.household is not h:
                values["household"] = h
            w.update(f, "family", values)
        _apply_kk(w, f, fs.get("no_kk"))
        _apply_members(w, f, fs.get("members", []), elsewhere_m)
    for ref, f in families.items():
        if ref not in seen_families and f.status != STATUS_INACTIVE:
            w.update(f, "family", _inactive(actor), key="dinonaktifkan")
    here = None if new_household else (state_of(session, h.ref) or {}).get("assessment")
    _apply_assessment(w, h, state.get("assessment"), here)
    w.finish()
    return w.counts


class _Writer:
    """Collects the audit entries of one ruta and writes them after a single flush."""

    def __init__(self, session: Session, actor: str, reason: str):
        self.session, self.actor, self.reason = session, actor, reason
        self.counts = {"dibuat": 0, "diubah": 0, "dinonaktifkan": 0}
        self.entries: list[tuple[str, object, dict | None, dict, str | None]] = []

    def created(self, entity: str, obj, after: dict) -> None:
        self.entries.append((entity, obj, None, after, None))
        self.counts["dibuat"] += 1

    def changed(self, entity: str, obj, before: dict | None, after: dict, action: str | None = None) -> None:
        self.entries.append((entity, obj, before, after, action))

    def update(self, obj, entity: str, values: dict, key: str = "diubah") -> None:
        before = {k: getattr(obj, k) for k in values}
        changed = {k: v for k, v in values.items() if before[k] is not v and before[k] != v}
        if not changed:
            return
        for k, v in changed.items():
            setattr(obj, k, v)
        shown = {k: (v.ref if k == "household" else v) for k, v in changed.items()}
        was = {
            k: (before[k].ref if k == "household" and before[k] is not None else before[k]) for k in changed
        }
        self.changed(entity, obj, was, shown)
        self.counts[key] += 1

    def finish(self) -> None:
        self.session.flush()
        for entity, obj, before, after, action in self.entries:
            record_change(self.session, self.actor, entity, obj.id, before, after, self.reason, action=action)


def _elsewhere(session: Session, state: dict, families: dict) -> tuple[dict, dict]:
    """Keluarga and anggota of the incoming state held here under another ruta (moved): two queries."""
    f_refs = [fs["ref"] for fs in state.get("families", []) if fs["ref"] not in families]
    m_refs = [ms["ref"] for fs in state.get("families", []) for ms in fs.get("members", [])]
    moved_f = (
        {f.ref: f for f in session.scalars(select(Family).where(Family.ref.in_(f_refs)))} if f_refs else {}
    )
    moved_m = (
        {m.ref: m for m in session.scalars(select(Member).where(Member.ref.in_(m_refs)))} if m_refs else {}
    )
    return moved_f, moved_m


def _pick(obj, fields) -> dict:
    return {k: getattr(obj, k) for k in fields}


def _inactive(actor: str) -> dict:
    return {"status": STATUS_INACTIVE, "status_reason": f"tidak ada lagi pada kiriman {actor}"}


def _apply_kk(w: _Writer, f: Family, no_kk: str | None) -> None:
    current = f.kk_number
    if current == no_kk:
        return
    now = utcnow()
    for k in f.kk_history:
        if k.valid_to is None:
            k.valid_to = now
    if no_kk:
        f.kk_history.append(FamilyKK(kk_number=no_kk, valid_from=now, source=w.actor[:100]))
    if f.id is not None:  # a new keluarga's KK is part of its creation
        w.changed("family", f, {"no_kk": current}, {"no_kk": no_kk})
        w.counts["diubah"] += 1


def _apply_members(w: _Writer, f: Family, members: list[dict], elsewhere: dict) -> None:
    existing = {m.ref: m for m in f.members} if f.id is not None else {}
    seen: set[str] = set()
    for ms in members:
        seen.add(ms["ref"])
        m = existing.get(ms["ref"]) or elsewhere.get(ms["ref"])
        values = _member_values(ms)
        if m is None:
            m = Member(ref=ms["ref"], family=f, **values)
            w.session.add(m)
            w.created("member", m, {"ref": m.ref, **values})
            continue
        if m.family is not f:
            values["family"] = f
        w.update(m, "member", values)
    for ref, m in existing.items():
        if ref not in seen and m.status != STATUS_INACTIVE:
            w.update(m, "member", _inactive(w.actor), key="dinonaktifkan")


def _apply_assessment(w: _Writer, h: Household, incoming: dict | None, here: dict | None) -> None:
    """A different latest pendataan is added as a new assessment; the old ones stay as history."""
    if incoming is None or here == incoming:
        return
    a = Assessment(
        household=h,
        instrument=incoming["instrument"],
        assessed_on=_date(incoming.get("assessed_on")),
        assessed_by=incoming.get("assessed_by"),
        answers=incoming.get("answers") or {},
    )
    w.session.add(a)
    refs = incoming.get("members") or {}
    by_ref = {m.ref: m for f in h.families for m in f.members}
    missing = [r for r in refs if r not in by_ref]
    if missing:
        by_ref.update({m.ref: m for m in w.session.scalars(select(Member).where(Member.ref.in_(missing)))})
    for ref, answers in refs.items():
        a.members.append(AssessmentMember(member=by_ref[ref], answers=answers))
    w.changed(
        "household",
        h,
        None,
        {"instrument": a.instrument, "assessed_on": incoming.get("assessed_on")},
        action="pendataan",
    )
    w.counts["diubah"] += 1
