"""Applying an accepted usulan to the registry, with before/after in audit_log.

Called by the service inside the same transaction as the final workflow step, so the registry change, its
audit entries and the usulan's new state commit together or not at all. Each kind has one function; each
writes one audit entry per record it creates or changes, with the usulan named in `reason`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siks.audit import record_change
from siks.domain.usulan_kinds import PPKS_SUBKINDS, Kind
from siks.errors import Invalid
from siks.ppks import service as ppks
from siks.registry import kk
from siks.store.base import utcnow
from siks.store.models.registry import STATUS_ACTIVE, STATUS_INACTIVE, Family, Household, Member
from siks.store.models.usulan import Usulan

MEMBER_SNAPSHOT = (
    "ref", "nama", "nik", "sex", "tempat_lahir", "tanggal_lahir", "status_kawin", "hubungan_kk", "keberadaan",
    "status", "status_reason", "family_id", "no_urut",
)  # fmt: skip
HOUSEHOLD_SNAPSHOT = ("ref", "desa_code", "dusun", "rw", "rt", "alamat", "status", "status_reason")
FAMILY_SNAPSHOT = ("ref", "household_id", "status", "status_reason")
# What keberadaan (404) a deactivation implies for the people concerned.
KEBERADAAN_FOR = {"meninggal": 2, "pindah": 3, "tidak_ditemukan": 6}


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _reason(u: Usulan) -> str:
    return f"Usulan #{u.id} ({u.description or u.kind}) diterapkan"


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _member_values(m: dict) -> dict:
    return {
        "nama": m["nama"],
        "nik": m.get("nik"),
        "sex": m["sex"],
        "tempat_lahir": m.get("tempat_lahir"),
        "tanggal_lahir": _date(m.get("tanggal_lahir")),
        "status_kawin": m.get("status_kawin"),
        "hubungan_kk": m.get("hubungan_kk"),
    }


def _new_household(session: Session, u: Usulan, actor) -> dict:
    p = u.payload
    h = Household(
        ref=f"USL{u.id}", desa_code=u.desa_code, dusun=p.get("dusun"), rw=p.get("rw"), rt=p.get("rt"),
        alamat=p.get("alamat"), status=STATUS_ACTIVE,
    )  # fmt: skip
    session.add(h)
    session.flush()
    f = Family(ref=f"USL{u.id}-K1", household_id=h.id, status=STATUS_ACTIVE)
    session.add(f)
    session.flush()
    if p.get("kk_number"):
        kk.change_kk(session, f.id, p["kk_number"], at=utcnow(), source=f"usulan:{u.id}")
    members = []
    for no, m in enumerate(p["members"], start=1):
        member = Member(ref=f"{f.ref}-{no}", family_id=f.id, no_urut=no, keberadaan=1, **_member_values(m))
        session.add(member)
        members.append(member)
    session.flush()
    reason = _reason(u)
    record_change(session, actor, "household", h.id, None, snapshot(h, HOUSEHOLD_SNAPSHOT), reason)
    record_change(
        session,
        actor,
        "family",
        f.id,
        None,
        snapshot(f, FAMILY_SNAPSHOT) | kk.audit_values(p.get("kk_number")),
        reason,
    )
    for member in members:
        record_change(session, actor, "member", member.id, None, snapshot(member, MEMBER_SNAPSHOT), reason)
    return {"household_id": h.id, "family_id": f.id, "member_ids": [m.id for m in members]}


def _new_member(session: Session, u: Usulan, actor) -> dict:
    family = session.get(Family, u.target_id)
    no = (session.scalar(select(func.max(Member.no_urut)).where(Member.family_id == family.id)) or 0) + 1
    member = Member(
        ref=f"{family.ref}-{no}",
        family_id=family.id,
        no_urut=no,
        keberadaan=5,
        **_member_values(u.payload["member"]),
    )
    session.add(member)
    session.flush()
    record_change(session, actor, "member", member.id, None, snapshot(member, MEMBER_SNAPSHOT), _reason(u))
    return {"member_id": member.id}


def _change(
    session: Session, u: Usulan, actor, obj, fields: tuple[str, ...], entity: str, values: dict
) -> dict:
    before = snapshot(obj, fields)
    for key, value in values.items():
        setattr(obj, key, _date(value) if key == "tanggal_lahir" else value)
    session.flush()
    record_change(session, actor, entity, obj.id, before, snapshot(obj, fields), _reason(u))
    return {"changed": sorted(values)}


def _target(session: Session, u: Usulan):
    model = {"household": Household, "family": Family, "member": Member}[u.target_entity]
    obj = session.get(model, u.target_id)
    if obj is None:
        raise Invalid(f"Data sasaran usulan #{u.id} tidak ada lagi.")
    return obj


def _kk_change(session: Session, u: Usulan, actor, family: Family) -> dict:
    old = family.kk_number
    session.flush()
    kk.change_kk(session, family.id, u.payload["kk_number"], at=utcnow(), source=f"usulan:{u.id}")
    for row in family.kk_history:  # written underneath the ORM: reload what it holds
        session.expire(row)
    session.expire(family, ["kk_history"])
    before, after = kk.audit_values(old), kk.audit_values(family.kk_number)
    record_change(session, actor, "family", family.id, before, after, _reason(u))
    return after


def _deactivate(session: Session, u: Usulan, actor, obj) -> dict:
    """Nonaktif and an accepted sanggah: the record and, for a household, everyone in it."""
    reason_code = u.subkind if u.kind == Kind.NONAKTIF else f"sanggah_{u.subkind}"
    detail = [reason_code]
    if u.payload.get("tanggal"):
        detail.append(u.payload["tanggal"])
    if u.payload.get("duplicate_of"):
        detail.append(f"ganda dengan {u.payload['duplicate_of']}")
    status_reason = "; ".join(detail)
    keberadaan = KEBERADAAN_FOR.get(u.subkind)
    if isinstance(obj, Household):
        records = [("household", obj, HOUSEHOLD_SNAPSHOT)]
        for fam in obj.families:
            records.append(("family", fam, FAMILY_SNAPSHOT))
            records += [("member", m, MEMBER_SNAPSHOT) for m in fam.members if m.status == STATUS_ACTIVE]
    else:
        records = [("member", obj, MEMBER_SNAPSHOT)]
    changed = []
    for entity, rec, fields in records:
        if rec.status != STATUS_ACTIVE:
            continue
        before = snapshot(rec, fields)
        rec.status, rec.status_reason = STATUS_INACTIVE, status_reason
        if entity == "member" and keberadaan is not None:
            rec.keberadaan = keberadaan
        changed.append((entity, rec, fields, before))
    session.flush()
    for entity, rec, fields, before in changed:
        record_change(session, actor, entity, rec.id, before, snapshot(rec, fields), _reason(u))
    return {"deactivated": [[e, r.id] for e, r, _, _ in changed]}


# usulan target → the subject word of siks.ppks.service
PPKS_SUBJECT_TYPE = {
    "member": "anggota",
    "family": "keluarga",
    "ppks_person": "ppks",
    "ppks_kelompok": "kelompok",
}


def _ppks(session: Session, u: Usulan, actor) -> dict:
    """PPKS and PSKS usulan go through siks.ppks.service, which checks and audits them as direct changes do;
    the approval was the workflow's, so the approver needs no edit right there (`approved`)."""
    kind, sub, p, reason = Kind(u.kind), u.subkind, u.payload, _reason(u)
    ok = {"approved": True}
    if kind is Kind.BARU and sub == "ppks_orang":
        raw = {k: p.get(k) for k in ("nama", "nik", "sex", "tempat_lahir", "tanggal_lahir", "tempat")}
        raw |= {"alamat": p.get("alamat"), "desa_code": p.get("desa_code"), "lks_ref": p.get("lks_ref")}
        person = ppks.add_person(session, actor, raw, reason=reason, **ok)
        regs = [
            ppks.register(
                session, actor, "ppks", person.id,
                {"jenis": code, "tanggal": p["tanggal"], "bukti": p["bukti"]}, reason=reason, **ok,
            )
            for code in p["jenis"]
        ]  # fmt: skip
        return {"ppks_person_id": person.id, "registration_ids": [r.id for r in regs]}
    if kind is Kind.BARU and sub == "ppks_jenis":
        subject = PPKS_SUBJECT_TYPE[u.target_entity]
        reg = ppks.register(session, actor, subject, u.target_id, p, reason=reason, **ok)
        return {"registration_id": reg.id}
    if kind is Kind.BARU:
        return {"psks_id": ppks.create_psks(session, actor, p, reason=reason, **ok).id}
    if kind is Kind.PERBAIKAN:
        changes = dict(p["changes"])
        if sub == "ppks_orang":
            ppks.update_person(session, actor, u.target_id, changes, reason=reason, **ok)
        else:
            ppks.update_psks(session, actor, u.target_id, changes, reason=reason, **ok)
        return {"changed": sorted(changes)}
    on = _date(p.get("tanggal"))
    if sub == "ppks_jenis":
        ppks.end_registration(session, actor, u.target_id, p["alasan"], on=on, why=reason, **ok)
        return {"ended": [u.target_id]}
    ppks.deactivate_psks(session, actor, u.target_id, p["alasan"], why=reason, **ok)
    return {"deactivated": [["psks", u.target_id]]}


def apply(session: Session, u: Usulan, actor) -> dict:
    """Change the registry as the accepted usulan says; return what was done (kept in `usulan.result`)."""
    kind, sub = Kind(u.kind), u.subkind
    if sub in PPKS_SUBKINDS:
        return _ppks(session, u, actor)
    if u.target_entity == "ppks_person":  # nonaktif of a person outside households, with its reason
        ppks.deactivate_person(
            session, actor, u.target_id, sub, on=_date(u.payload.get("tanggal")), approved=True
        )
        return {"deactivated": [["ppks_person", u.target_id]]}
    if kind is Kind.BARU:
        return _new_household(session, u, actor) if sub == "ruta" else _new_member(session, u, actor)
    obj = _target(session, u)
    if kind in (Kind.NONAKTIF, Kind.SANGGAH):
        if obj.status != STATUS_ACTIVE:
            raise Invalid(f"Data sasaran usulan #{u.id} sudah nonaktif.")
        return _deactivate(session, u, actor, obj)
    if sub == "data":
        fields = MEMBER_SNAPSHOT if u.target_entity == "member" else HOUSEHOLD_SNAPSHOT
        return _change(session, u, actor, obj, fields, u.target_entity, u.payload["changes"])
    if sub == "nik":
        return _change(session, u, actor, obj, MEMBER_SNAPSHOT, "member", {"nik": u.payload["nik"]})
    if sub == "kk":
        return _kk_change(session, u, actor, obj)
    if sub == "pindah":
        values = {k: u.payload.get(k) for k in ("desa_code", "dusun", "rw", "rt", "alamat")}
        return _change(session, u, actor, obj, HOUSEHOLD_SNAPSHOT, "household", values)
    raise Invalid(f"Usulan {u.kind}/{u.subkind} tidak dapat diterapkan.")
