"""The usulan service: the only way to create, edit and move an usulan. Pages, the API and other channels
(warga, verval) all come here, so the state machine, scope and optimistic locking hold everywhere.

Errors are `siks.errors` types: out of scope → NotFound (404), wrong role/level → Forbidden (403),
stale version → Conflict (409), an action the current state does not allow → WrongState (409), bad input
→ Invalid (422). Callers run each call inside one transaction (`siks.store.db.transaction`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from siks.audit import record_change, register_entity_scope
from siks.domain import ppks as ppks_rules
from siks.domain import wilayah
from siks.domain.roles import Level
from siks.domain.status import BatchStatus
from siks.domain.usulan import (
    DRAFT_ROLES,
    Action,
    InvalidTransition,
    NotAllowed,
    NoteRequired,
    Status,
    Transition,
    Workflow,
    can_edit,
)
from siks.domain.usulan_kinds import PPKS_SUBKINDS, Kind, describe, validate
from siks.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from siks.paging import Page, bounds
from siks.scope import Scope
from siks.store.base import utcnow
from siks.store.models.ppks import PpksKelompok, PpksPerson, PpksRegistration, Psks
from siks.store.models.registry import STATUS_ACTIVE, Family, Household, Member
from siks.store.models.usulan import NikConflict, Usulan, UsulanBatch, UsulanEvent
from siks.usulan import apply as applying
from siks.usulan import config, sla

CHANNELS = ("operator", "warga", "verval", "odk")

register_entity_scope("usulan", lambda: select(Usulan.id, Usulan.desa_code))
register_entity_scope("nik_conflict", lambda: select(NikConflict.id, NikConflict.desa_code))


class WrongState(ServiceError):
    """The action does not exist in the usulan's current state (e.g. a level skipped, or already closed)."""

    status = 409
    code = "transisi_tidak_sah"


def _wf(workflow: Workflow | None) -> Workflow:
    return workflow or config.workflow()


def _actor_name(user) -> str:
    return getattr(user, "username", None) or str(user)


def _event(session: Session, u: Usulan, actor: str, role: str | None, action: str, note=None, before=None):
    """One step of the usulan's own history, also in audit_log: the log sync reads its positions from."""
    record_change(
        session, actor, "usulan", u.id,
        {"status": before[0], "level": before[1]} if before else None,
        {"status": u.status, "level": u.level}, note, action=action,
    )  # fmt: skip
    session.add(
        UsulanEvent(
            usulan_id=u.id, actor=actor[:100], role=role, action=action, note=note,
            from_status=before[0] if before else None, from_level=before[1] if before else None,
            to_status=u.status, to_level=u.level,
        )
    )  # fmt: skip


# --- targets ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    entity: str  # household / family / member, or ppks_person / ppks_kelompok / ppks_registration / psks
    id: int


REGISTRY_ENTITIES = ("household", "family", "member")
PPKS_MODELS = {
    "ppks_person": PpksPerson,
    "ppks_kelompok": PpksKelompok,
    "ppks_registration": PpksRegistration,
    "psks": Psks,
}
TARGET_ENTITIES = (*REGISTRY_ENTITIES, *PPKS_MODELS)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a target lies and whom it is about: what every usulan needs to be filed and listed."""

    record: object
    desa_code: str
    active: bool
    name: str | None
    nik: str | None
    address: str
    household: Household | None  # for registry targets


def _ppks_place(session: Session, target: Target) -> Place:
    obj = session.get(PPKS_MODELS[target.entity], target.id)
    if obj is None:
        raise NotFound()
    if isinstance(obj, Psks):  # a PSKS of a kecamatan or more is no desa's: _new refuses it
        return Place(
            obj, obj.wilayah_code, obj.status == STATUS_ACTIVE, obj.nama, obj.nik, obj.alamat or "", None
        )
    if isinstance(obj, PpksRegistration):
        subject = _registration_subject(session, obj)
        name = f"{subject[0]} ({ppks_rules.kind_label(obj.jenis)})" if subject[0] else None
        return Place(obj, obj.desa_code, obj.ended_on is None, name, subject[1], "", None)
    address = obj.alamat or "" if isinstance(obj, PpksPerson) else ""
    if isinstance(obj, PpksPerson) and obj.lks_id:
        lks = session.get(Psks, obj.lks_id)
        address = f"penghuni {lks.nama}" if lks else address
    nik = obj.nik if isinstance(obj, PpksPerson) else None
    return Place(obj, obj.desa_code, obj.status == STATUS_ACTIVE, obj.nama, nik, address, None)


def _registration_subject(session: Session, reg: PpksRegistration) -> tuple[str | None, str | None]:
    if reg.member_id:
        m = session.get(Member, reg.member_id)
        return m.nama, m.nik
    if reg.person_id:
        p = session.get(PpksPerson, reg.person_id)
        return p.nama, p.nik
    if reg.family_id:
        head = _head(session.get(Family, reg.family_id).members)
        return (head.nama if head else None), (head.nik if head else None)
    return session.get(PpksKelompok, reg.kelompok_id).nama, None


def place_of(session: Session, target: Target) -> Place:
    """The target's desa, whether it is active, and whom it is about — or NotFound."""
    if target.entity in PPKS_MODELS:
        return _ppks_place(session, target)
    obj, household, person = resolve_target(session, target)
    return Place(
        obj, household.desa_code, obj.status == STATUS_ACTIVE, person.nama if person else None,
        person.nik if person else None, _address(household), household,
    )  # fmt: skip


def _address(h: Household) -> str:
    parts = [h.alamat or ""]
    if h.rt or h.rw:
        parts.append(f"RT {h.rt or '-'}/RW {h.rw or '-'}")
    if h.dusun:
        parts.append(f"Dusun {h.dusun}")
    return ", ".join(p for p in parts if p)


def _head(members: list[Member]) -> Member | None:
    heads = [m for m in members if m.hubungan_kk == 1 and m.status == STATUS_ACTIVE]
    return (heads or members or [None])[0]


def resolve_target(session: Session, target: Target) -> tuple[object, Household, Member | None]:
    """(record, its household, the person it is about) — or NotFound."""
    model = {"household": Household, "family": Family, "member": Member}.get(target.entity)
    obj = session.get(model, target.id) if model else None
    if obj is None:
        raise NotFound()
    if isinstance(obj, Member):
        return obj, obj.family.household, obj
    if isinstance(obj, Family):
        return obj, obj.household, _head(obj.members)
    return obj, obj, _head([m for f in obj.families for m in f.members])


def _subject(session: Session, kind: Kind, subkind: str, target: Target | None, payload: dict, desa: str):
    """Who the usulan is about, for lists and the BNBA: (name, nik, address)."""
    if target is None and subkind in PPKS_SUBKINDS:  # a new PPKS person or PSKS
        return payload.get("nama"), payload.get("nik"), payload.get("alamat") or desa
    if target is None:
        head = next((m for m in payload.get("members", []) if m.get("hubungan_kk") == 1), None)
        addr = ", ".join(x for x in (payload.get("alamat"), payload.get("rt") and f"RT {payload['rt']}") if x)
        return (head or {}).get("nama"), (head or {}).get("nik"), addr or desa
    place = place_of(session, target)
    if kind is Kind.BARU and subkind == "anggota":
        return payload["member"]["nama"], payload["member"].get("nik"), place.address
    return place.name, place.nik, place.address


# --- creating ---------------------------------------------------------------------------------------------


def new_niks(kind: str, subkind: str, payload: dict) -> set[str]:
    """The NIKs an usulan would bring into the registry (new people, or a repaired NIK)."""
    if kind == Kind.BARU:
        people = payload.get("members") or ([payload["member"]] if payload.get("member") else [])
        return {m["nik"] for m in people if m.get("nik")}
    if kind == Kind.PERBAIKAN and subkind == "nik" and payload.get("nik"):
        return {payload["nik"]}
    return set()


OPEN_CASE = "terbuka"


def nik_conflicts(
    session: Session, niks: set[str], own_id: int | None = None
) -> list[tuple[str, int | None, int | None]]:
    """Where each NIK is already taken: (nik, active member id, None) or (nik, None, open usulan id).

    An open usulan that is itself held in adjudication for that NIK does not count against others: it is
    the one waiting, and must not block the usulan that was there first.
    """
    if not niks:
        return []
    found: list[tuple[str, int | None, int | None]] = [
        (nik, mid, None)
        for nik, mid in session.execute(
            select(Member.nik, Member.id).where(Member.nik.in_(sorted(niks)), Member.status == STATUS_ACTIVE)
        )
    ]
    stmt = select(Usulan).where(
        Usulan.level.is_not(None), Usulan.kind.in_([Kind.BARU.value, Kind.PERBAIKAN.value])
    )
    if own_id is not None:
        stmt = stmt.where(Usulan.id != own_id)
    held = {tuple(r) for r in session.execute(select(NikConflict.usulan_id, NikConflict.nik))}
    for other in session.scalars(stmt.execution_options(yield_per=500)):
        for nik in sorted(niks & new_niks(other.kind, other.subkind, other.payload or {})):
            if (other.id, nik) not in held:
                found.append((nik, None, other.id))
    return found


def check_nik_conflicts(session: Session, niks: set[str], own_id: int | None = None) -> None:
    """Conflict when the usulan may not go up: its NIK case is open, or its NIK still collides (#17.3).

    Checked at every step up, since the registry changes in between. At creation a collision is not
    refused but becomes a case (`_open_cases`); one arising later is refused here with what to do.
    """
    if own_id is not None:
        case = session.scalar(
            select(NikConflict)
            .where(NikConflict.usulan_id == own_id, NikConflict.status == OPEN_CASE)
            .limit(1)
        )
        if case is not None:
            raise Conflict(
                f"NIK {case.nik} menunggu adjudikasi #{case.id} (NIK sama dengan data lain); usulan ini "
                "tertahan sampai operator kecamatan/kabupaten memutuskannya."
            )
    for nik, member_id, usulan_id in nik_conflicts(session, niks, own_id):
        decided = own_id is not None and session.scalar(
            select(NikConflict.id).where(
                NikConflict.usulan_id == own_id, NikConflict.nik == nik, NikConflict.status == "berbeda"
            )
        )
        if decided:
            raise Conflict(
                f"Adjudikasi #{decided} memutuskan NIK {nik} dipakai orang lain: salah satu NIK keliru. "
                "Perbaiki NIK di usulan ini, atau ajukan perbaikan NIK untuk data yang lain, lalu ajukan."
            )
        if member_id is not None:
            raise Conflict(
                f"NIK {nik} sudah terdaftar aktif di DTKS; satu NIK hanya untuk satu orang. Periksa data "
                "orang itu (perbaikan NIK, nonaktif ganda, atau adjudikasi data ganda) sebelum mengusulkan."
            )
        raise Conflict(
            f"NIK {nik} sudah diusulkan dalam usulan #{usulan_id} yang masih berjalan; "
            "selesaikan usulan itu lebih dahulu."
        )


def _same_name(a: str | None, b: str | None) -> bool:
    norm = lambda s: " ".join((s or "").upper().split())  # noqa: E731
    return norm(a) == norm(b)


def _proposed_names(kind: str, payload: dict) -> dict[str, str]:
    if kind != Kind.BARU:
        return {}
    people = payload.get("members") or ([payload["member"]] if payload.get("member") else [])
    return {m["nik"]: m.get("nama") or "" for m in people if m.get("nik")}


def _refuse_public_borrowed_nik(session: Session, kind, payload: dict, conflicts) -> None:
    """A citizen's usul with a NIK that an active person holds under another name never goes through.

    The message does not say whose NIK it is (the public form must not become a NIK look-up).
    """
    names = _proposed_names(kind, payload)
    for nik, member_id, _ in conflicts:
        if member_id is not None and not _same_name(session.get(Member, member_id).nama, names.get(nik)):
            raise Invalid(
                "NIK yang diisikan tidak dapat diusulkan dengan nama ini. Periksa kembali NIK pada KTP/KK, "
                "atau datangi kantor desa dengan KK asli."
            )


def _open_cases(session: Session, u: Usulan, conflicts, actor: str) -> None:
    """Each collision of a new usulan becomes a case in the adjudication queue; the usulan waits."""
    for nik, member_id, usulan_id in conflicts:
        case = NikConflict(
            usulan_id=u.id,
            nik=nik,
            other_member_id=member_id,
            other_usulan_id=usulan_id,
            desa_code=u.desa_code,
        )
        session.add(case)
        session.flush()
        record_change(
            session, actor, "nik_conflict", case.id, None,
            {"usulan_id": u.id, "nik": nik, "other_member_id": member_id, "other_usulan_id": usulan_id},
            "NIK usulan sama dengan data lain: ke antrean adjudikasi", action="buka_adjudikasi",
        )  # fmt: skip
    if conflicts:
        u.last_note = f"Tertahan: NIK sama dengan data lain, menunggu adjudikasi ({len(conflicts)} kasus)."


def close_by_adjudication(session: Session, u: Usulan, user, same_person: bool, note: str) -> None:
    """The decision on a NIK case moves its usulan: closed (same person) or back to the desa (different)."""
    before = (u.status, u.level)
    if same_person:
        u.status, u.level = Status.DITOLAK.value, None
    elif u.status != Status.DRAF.value:
        u.status, u.level = Status.DIKEMBALIKAN.value, Level.DESA.value
    u.last_note = note
    _flush(session, u)
    _event(session, u, _actor_name(user), user.role, "adjudikasi_nik", note, before)


def _ppks_new_desa(session: Session, subkind: str, clean: dict, desa_code: str | None) -> str:
    """The desa a new PPKS person or PSKS is proposed in: their desa, which must be the proposing one.

    A PSKS may work for a wider wilayah that holds the desa (an LKS serving the kabupaten); an LKS resident
    needs an active LKS, and lives within its wilayah.
    """
    where = clean.get("desa_code") if subkind == "ppks_orang" else clean.get("wilayah_code")
    if subkind == "psks":
        if desa_code is None or not Scope(where).covers(desa_code):
            raise Invalid(f"Wilayah kerja PSKS {where} harus desa pengusul atau wilayah yang memuatnya.")
        return desa_code
    if desa_code is not None and where != desa_code:
        raise Invalid(f"PPKS berada di desa {where}, bukan di desa pengusul {desa_code}.")
    if clean.get("lks_ref"):
        lks = session.scalar(select(Psks).where(Psks.ref == clean["lks_ref"]))
        if lks is None or lks.jenis != "lks" or lks.status != STATUS_ACTIVE:
            raise Invalid(f"LKS '{clean['lks_ref']}' tidak ditemukan atau tidak aktif.")
        if not Scope(lks.wilayah_code).covers(where):
            raise Invalid(f"desa_code {where} di luar wilayah LKS {lks.wilayah_code}.")
    return where


def check_ppks_record(session: Session, kind: Kind, subkind: str, target: Target, clean: dict) -> None:
    """A PPKS/PSKS perbaikan is checked as the whole record it would leave; a kind is not registered twice."""
    record = place_of(session, target).record
    today = dt.date.today()
    if kind is Kind.PERBAIKAN and subkind == "ppks_orang":
        current = {c: getattr(record, c) for c in ("nama", "nik", "sex", "tempat_lahir", "tanggal_lahir")}
        current |= {"tempat": record.tempat, "alamat": record.alamat, "desa_code": record.desa_code}
        if record.lks_id:
            current["lks_ref"] = session.get(Psks, record.lks_id).ref
        merged = current | clean["changes"]
        if clean["changes"].get("tempat"):
            merged["lks_ref"] = None
        if clean["changes"].get("lks_ref"):
            merged["tempat"] = None
        _, issues = ppks_rules.clean_person(merged, today)
    elif kind is Kind.PERBAIKAN:
        current = {c: getattr(record, c) for c in ("jenis", "nama", "nik", "sex", "wilayah_code", "alamat")}
        current |= {"nomor_tanda_daftar": record.nomor_tanda_daftar, "akreditasi": record.akreditasi}
        _, issues = ppks_rules.clean_psks(current | clean["changes"], today)
    elif kind is Kind.BARU:  # ppks_jenis on a subject
        column = {"member": "member_id", "family": "family_id", "ppks_person": "person_id"}.get(
            target.entity, "kelompok_id"
        )
        open_same = session.scalar(
            select(PpksRegistration.id).where(
                getattr(PpksRegistration, column) == target.id,
                PpksRegistration.jenis == clean["jenis"],
                PpksRegistration.ended_on.is_(None),
            )
        )
        if open_same is not None:
            raise Invalid(f"{ppks_rules.kind_label(clean['jenis'])} sudah tercatat dan masih berlaku.")
        return
    else:
        return
    errors = [i.message for i in issues if i.is_error]
    if errors:
        raise Invalid("Usulan tidak valid: " + "; ".join(errors))


def _new(
    session: Session, *, kind, subkind, payload, desa_code, target: Target | None, channel, actor, role,
    created_by_id, note, external_ref, batch_id=None,
) -> Usulan:  # fmt: skip
    if kind == Kind.BARU and subkind == "ppks_orang" and not (payload or {}).get("desa_code") and desa_code:
        payload = {**payload, "desa_code": desa_code}  # found or living in the proposing desa
    clean, issues = validate(kind, subkind, target.entity if target else None, payload)
    if issues:
        raise Invalid("Usulan tidak valid: " + "; ".join(i.message for i in issues))
    kind = Kind(kind)
    if target is None and subkind in PPKS_SUBKINDS:
        desa_code = _ppks_new_desa(session, subkind, clean, desa_code)
    if target is not None:
        place = place_of(session, target)
        if not place.active:
            raise Invalid("Data sasaran sudah nonaktif; usulan tidak dapat dibuat.")
        if desa_code is not None and place.desa_code != desa_code:
            raise NotFound()
        desa_code = place.desa_code
        if target.entity == "psks" and wilayah.level(desa_code) != 4:
            raise Invalid(
                "PSKS tingkat kecamatan ke atas tidak diubah lewat usulan desa; Dinas Sosial mengubahnya "
                "langsung (siks ppks, /api/v1/psks)."
            )
        if subkind in PPKS_SUBKINDS:
            check_ppks_record(session, kind, subkind, target, clean)
        # One open usulan of a kind per record, except sanggah: any citizen may file one, so an open sanggah
        # (perhaps with a made-up reporter NIK) must not block a genuine one on the same person (#17.4);
        # the desa operator sees them side by side and the Musdes weighs them.
        open_same = None if kind is Kind.SANGGAH else session.scalar(
            select(Usulan.id).where(
                Usulan.target_entity == target.entity, Usulan.target_id == target.id,
                Usulan.kind == kind.value, Usulan.level.is_not(None),
            )
        )  # fmt: skip
        if open_same is not None:
            raise Invalid(f"Sudah ada usulan {kind.value} yang masih berjalan untuk data ini (#{open_same}).")
    if desa_code is None or wilayah.level(desa_code) != 4 or wilayah.get(desa_code) is None:
        raise Invalid("Usulan harus berada di satu desa/kelurahan yang dikenal.")
    conflicts = nik_conflicts(session, new_niks(kind, subkind, clean))
    if conflicts and channel == "warga":
        _refuse_public_borrowed_nik(session, kind, clean, conflicts)
    name, nik, address = _subject(session, kind, subkind, target, clean, desa_code)
    u = Usulan(
        kind=kind.value, subkind=subkind, status=Status.DRAF.value, level=Level.DESA.value,
        desa_code=desa_code, target_entity=target.entity if target else None,
        target_id=target.id if target else None, payload=clean, subject_name=name, subject_nik=nik,
        subject_address=address, description=describe(kind, subkind, clean), channel=channel,
        external_ref=external_ref, created_by_id=created_by_id, last_note=note, batch_id=batch_id,
    )  # fmt: skip
    session.add(u)
    session.flush()
    _event(session, u, actor, role, "buat", note)
    _open_cases(session, u, conflicts, actor)
    return u


def create(
    session: Session,
    user,
    *,
    kind: str,
    subkind: str,
    payload: dict,
    desa_code: str | None = None,
    target: Target | None = None,
    batch_id: int | None = None,
    note: str | None = None,
) -> Usulan:
    """A desa operator drafts an usulan in their desa (optionally straight into a draft batch)."""
    scope = Scope.of(user)
    if target is not None:
        scope.check(place_of(session, target).desa_code)
    else:
        desa_code = wilayah.normalize(desa_code) if desa_code else user.wilayah_code
        scope.check(desa_code)
    if user.role not in DRAFT_ROLES:
        raise Forbidden("Hanya operator desa yang menyusun usulan.")
    if batch_id is not None:
        batch = session.get(UsulanBatch, batch_id)
        if batch is None or not scope.covers(batch.desa_code):
            raise NotFound()
        if batch.status != BatchStatus.DRAF:
            raise WrongState("Paket usulan ini sudah diajukan; buat paket baru.")
        desa_code = batch.desa_code
    return _new(
        session, kind=kind, subkind=subkind, payload=payload, desa_code=desa_code, target=target,
        channel="operator", actor=_actor_name(user), role=user.role, created_by_id=user.id, note=note,
        external_ref=None, batch_id=batch_id,
    )  # fmt: skip


def create_from_channel(
    session: Session,
    *,
    channel: str,
    actor_name: str,
    kind: str,
    subkind: str,
    payload: dict,
    desa_code: str | None = None,
    target: Target | None = None,
    external_ref: str | None = None,
    note: str | None = None,
) -> Usulan:
    """Another channel (citizen usul/sanggah, a verval visit) files a draft at the desa.

    The caller has authenticated its own user; here the usulan is only checked and placed. A sanggah or a
    target in `desa_code` must lie in that desa (a citizen may only challenge someone in their own desa).
    The desa operator then reviews it and takes it to Musdes in a batch, like any draft.
    """
    if channel not in CHANNELS or channel == "operator":
        raise Invalid(f"Kanal '{channel}' tidak dikenal.")
    if desa_code is not None:
        desa_code = wilayah.normalize(desa_code)
    if external_ref:
        found = session.scalar(
            select(Usulan).where(Usulan.channel == channel, Usulan.external_ref == external_ref)
        )
        if found is not None:  # idempotent: the channel may retry
            return found
    return _new(
        session, kind=kind, subkind=subkind, payload=payload, desa_code=desa_code, target=target,
        channel=channel, actor=f"{channel}:{actor_name}", role=None, created_by_id=None, note=note,
        external_ref=external_ref,
    )  # fmt: skip


# --- reading ----------------------------------------------------------------------------------------------


def get(session: Session, user, usulan_id: int) -> Usulan:
    """One usulan in the user's scope, or NotFound (also for ids that exist elsewhere)."""
    u = session.get(Usulan, usulan_id)
    if u is None:
        raise NotFound()
    Scope.of(user).check(u.desa_code)
    return u


def search(
    session: Session,
    user,
    *,
    status: str | None = None,
    level: str | None = None,
    kind: str | None = None,
    desa_code: str | None = None,
    batch_id: int | None = None,
    to_act: bool = False,
    overdue: bool = False,
    page: int = 1,
    per_page: int = 20,
    workflow: Workflow | None = None,
) -> Page[Usulan]:
    """Usulan in scope, newest first. `to_act`: only those waiting for an action this user may take;
    `overdue`: only usul and sanggah past their 14-day deadline (siks.usulan.sla), oldest first."""
    page, per_page, offset = bounds(page, per_page)
    stmt = select(Usulan).where(Scope.of(user).where(Usulan.desa_code))
    if to_act:
        levels = {t.level.value for t in _wf(workflow).transitions if user.role in t.roles}
        stmt = stmt.where(Usulan.level.in_(levels or {"-"}))
    if status:
        stmt = stmt.where(Usulan.status == status)
    if level:
        stmt = stmt.where(Usulan.level == level)
    if kind:
        stmt = stmt.where(Usulan.kind == kind)
    if desa_code:
        stmt = stmt.where(Usulan.desa_code == wilayah.normalize(desa_code))
    if batch_id:
        stmt = stmt.where(Usulan.batch_id == batch_id)
    order = Usulan.id.desc()
    if overdue:
        stmt, order = stmt.where(sla.overdue_condition()), Usulan.id
    rows = session.scalars(stmt.order_by(order).offset(offset).limit(per_page + 1)).all()
    return Page.from_rows(list(rows), page, per_page)


def actions_for(user, u: Usulan, workflow: Workflow | None = None) -> list[Transition]:
    """The steps this user may take now (for buttons); drafts are sent up only in a batch."""
    found = _wf(workflow).available(u.status, u.level, user.role)
    if u.status == Status.DRAF:
        found = [t for t in found if t.action is not Action.AJUKAN]
    return found if Scope.of(user).covers(u.desa_code) else []


def accepted(
    session: Session,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    scope: Scope | None = None,
) -> list[Usulan]:
    """Usulan applied to the registry in [since, until), oldest first: what penetapan reads for a period."""
    stmt = select(Usulan).where(Usulan.applied_at.is_not(None))
    if since is not None:
        stmt = stmt.where(Usulan.applied_at >= since)
    if until is not None:
        stmt = stmt.where(Usulan.applied_at < until)
    if scope is not None:
        stmt = stmt.where(scope.where(Usulan.desa_code))
    return list(session.scalars(stmt.order_by(Usulan.applied_at, Usulan.id)))


# --- changing ---------------------------------------------------------------------------------------------


def _check_version(u: Usulan, version: int | None) -> None:
    if version is None or int(version) != u.version:
        raise Conflict(
            f"Usulan #{u.id} telah diubah oleh pengguna lain (versi {u.version}, "
            f"Anda melihat versi {version}). "
            "Muat ulang halaman lalu coba lagi."
        )


def _flush(session: Session, u: Usulan) -> None:
    uid = u.id  # read before flushing: after a failed flush the session must roll back first
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            f"Usulan #{uid} baru saja diubah oleh pengguna lain. Muat ulang lalu coba lagi."
        ) from None


def update(
    session: Session, user, usulan_id: int, version: int, payload: dict, note: str | None = None
) -> Usulan:
    """Edit a draft, or an usulan sent back to the desa, before it goes up again."""
    u = get(session, user, usulan_id)
    _check_version(u, version)
    if not can_edit(u.status, u.level, user.role):
        raise Forbidden(
            "Usulan hanya dapat diubah oleh operator desa selagi berstatus draf atau dikembalikan."
        )
    target = Target(u.target_entity, u.target_id) if u.target_entity else None
    if u.kind == Kind.BARU and u.subkind == "ppks_orang" and not payload.get("desa_code"):
        payload = {**payload, "desa_code": u.desa_code}
    clean, issues = validate(u.kind, u.subkind, u.target_entity, payload)
    if issues:
        raise Invalid("Usulan tidak valid: " + "; ".join(i.message for i in issues))
    if target is None and u.subkind in PPKS_SUBKINDS:
        _ppks_new_desa(session, u.subkind, clean, u.desa_code)
    elif u.subkind in PPKS_SUBKINDS:
        check_ppks_record(session, Kind(u.kind), u.subkind, target, clean)
    u.payload = clean
    u.subject_name, u.subject_nik, u.subject_address = _subject(
        session, Kind(u.kind), u.subkind, target, clean, u.desa_code
    )
    u.description = describe(u.kind, u.subkind, clean)
    if note:
        u.last_note = note
    _flush(session, u)
    _event(session, u, _actor_name(user), user.role, "ubah", note, (u.status, u.level))
    return u


def step(
    session: Session,
    u: Usulan,
    user,
    action: str,
    note: str | None,
    workflow: Workflow | None = None,
    *,
    in_batch: bool = False,
) -> Usulan:
    """Take one checked step on a loaded, in-scope usulan; apply it to the registry if it becomes final.

    A draft goes up only `in_batch` (batches.submit_batch), with the batch's berita acara.
    """
    try:
        t = _wf(workflow).step(u.status, u.level, action, user.role, note)
    except NotAllowed as e:
        raise Forbidden(e.message) from None
    except NoteRequired as e:
        raise Invalid(e.message) from None
    except InvalidTransition as e:
        raise WrongState(e.message) from None
    if t.action is Action.AJUKAN and u.status == Status.DRAF and not in_batch:
        raise Invalid("Draf usulan diajukan lewat paket usulan desa (dengan berita acara Musdes).")
    if t.action is Action.AJUKAN and (u.batch is None or u.batch.berita_acara_id is None):
        raise Invalid("Usulan diajukan bersama paket usulan desa yang memuat berita acara Musdes.")
    # Every step up checks the NIK again, until the usulan is applied (its NIKs are then its own, e.g. an
    # usulan received from a kabupaten instance and decided at provinsi/pusat).
    if t.action not in (Action.KEMBALIKAN, Action.TOLAK) and u.applied_at is None:
        check_nik_conflicts(session, new_niks(u.kind, u.subkind, u.payload or {}), own_id=u.id)
    before = (u.status, u.level)
    u.status, u.level = t.target.value, t.target_level.value if t.target_level else None
    if note:
        u.last_note = note
    # An usulan received from another instance was applied there already; its registry change travels as
    # ruta states (siks.sync), so the decision here must not apply it a second time.
    applies = t.applies and u.applied_at is None
    if applies:
        u.result = applying.apply(session, u, user)
        u.applied_at, u.applied_by_id = utcnow(), user.id
    _flush(session, u)
    _event(session, u, _actor_name(user), user.role, t.action.value, note, before)
    if applies:
        _event(
            session, u, _actor_name(user), user.role, "terapkan", "Diterapkan ke DTKS", (u.status, u.level)
        )
    return u


def act(
    session: Session,
    user,
    usulan_id: int,
    action: str,
    version: int | None,
    note: str | None = None,
    workflow: Workflow | None = None,
) -> Usulan:
    """One workflow step by a user, on the version they saw."""
    u = get(session, user, usulan_id)
    _check_version(u, version)
    return step(session, u, user, action, note, workflow)


def act_many(
    session: Session,
    user,
    items: list[tuple[int, int]],
    action: str,
    note: str | None = None,
    workflow: Workflow | None = None,
) -> list[Usulan]:
    """The same step on several usulan (id, version) at once; all or nothing (one transaction)."""
    if not items:
        raise Invalid("Pilih minimal satu usulan.")
    return [act(session, user, uid, action, version, note, workflow) for uid, version in items]


def events(u: Usulan) -> list[UsulanEvent]:
    return list(u.events)
