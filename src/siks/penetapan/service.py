"""The penetapan service: make a frozen DTKS version, read it, and answer a person's status on a date.

Why it works like this:
- Creating one copies every fact into the penetapan tables in one transaction; afterwards nothing changes
  it (the ORM guards in `siks.store.models.penetapan` refuse updates and deletes; `amend` and `remove`
  exist only to say so, with a 409).
- "In force on a date" is the latest penetapan covering the person's wilayah whose `berlaku_mulai` is on
  or before that date; a later penetapan that no longer lists the person means they were removed.
- Roles: Dinas Sosial supervisor, the Bupati/Walikota's pengesah and pusat may create (kabupaten-level or
  wider, inside their wilayah); anyone logged in may read those that overlap their wilayah.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from siks.audit import record_change, register_entity_scope
from siks.domain import wilayah
from siks.domain.penetapan import Criteria, criteria_to_dict, decide, default_criteria, member_status
from siks.errors import Forbidden, Invalid, NotFound, ServiceError
from siks.penetapan import hooks, sources
from siks.penetapan.ppks import freeze as freeze_ppks
from siks.penetapan.sources import ScoreTable
from siks.scope import Scope
from siks.store import verval_runs
from siks.store.models.penetapan import (
    WRITING,
    Penetapan,
    PenetapanHousehold,
    PenetapanMember,
    PenetapanUsulan,
)
from siks.store.models.usulan import Usulan
from siks.store.models.verval import VervalRun

CREATE_ROLES = frozenset({"supervisor_kabupaten", "pengesah_kabupaten", "pusat"})
PERIODE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
BATCH = 1000

register_entity_scope("penetapan", lambda: select(Penetapan.id, Penetapan.wilayah_code))


class Final(ServiceError):
    """A penetapan never changes after it is made."""

    status = 409
    code = "penetapan_final"

    def __init__(self, message: str = "Penetapan bersifat final dan tidak dapat diubah atau dihapus."):
        super().__init__(message)


def can_create(user) -> bool:
    return getattr(user, "role", None) in CREATE_ROLES and getattr(user, "active", True)


# -- creating ------------------------------------------------------------------------------------------------


def _check_request(user, title: str, periode: str, wilayah_code: str | None) -> str | None:
    if not can_create(user):
        raise Forbidden("Hanya supervisor/pengesah kabupaten atau pusat yang dapat membuat penetapan.")
    if not (title or "").strip():
        raise Invalid("Judul penetapan wajib diisi, mis. 'DTKS Januari 2027'.")
    if not PERIODE.fullmatch(periode or ""):
        raise Invalid("Periode harus berbentuk TTTT-BB, mis. 2027-01.")
    scope = Scope.of(user)
    code = wilayah.normalize(wilayah_code) if wilayah_code else scope.code
    if code is not None:
        if wilayah.get(code) is None:
            raise Invalid(f"Wilayah {code} tidak dikenal.")
        if wilayah.level(code) > 2:
            raise Invalid("Penetapan dibuat untuk satu kabupaten/kota atau wilayah yang lebih luas.")
    if code is None and not scope.is_national:
        raise Forbidden()
    if code is not None:
        scope.check(code)
    return code


def previous_of(session: Session, code: str | None, before: dt.date) -> Penetapan | None:
    """The last penetapan of exactly this wilayah that took effect on or before `before`."""
    cond = Penetapan.wilayah_code.is_(None) if code is None else Penetapan.wilayah_code == code
    return session.scalar(
        select(Penetapan)
        .where(cond, Penetapan.berlaku_mulai <= before)
        .order_by(Penetapan.berlaku_mulai.desc(), Penetapan.id.desc())
        .limit(1)
    )


def create(
    session: Session,
    user,
    *,
    title: str,
    periode: str,
    berlaku_mulai: dt.date,
    wilayah_code: str | None = None,
    criteria: Criteria | None = None,
    scores: ScoreTable | None = None,
    verval_run_id: str | None = None,
    note: str | None = None,
    allow_model_outside_wilayah: bool = False,
) -> Penetapan:
    """Freeze DTKS for a wilayah and period: every ruta (in or out, with reasons), its anggota, desil and
    PMT model, the verval run's findings, and the usulan applied since the previous penetapan.

    Desil from a PMT model used outside the wilayah it was fitted for are refused unless
    `allow_model_outside_wilayah`; the permission is then kept in `score_source`, the audit record, the
    detail page and the PDF."""
    code = _check_request(user, title, periode, wilayah_code)
    criteria = criteria or default_criteria()
    run = verval_runs.finished_run(session, verval_run_id)
    scores = scores if scores is not None else sources.scores_for_run(run)
    outside = scores.source.get("model_di_luar_wilayah")
    if outside and not allow_model_outside_wilayah:
        raise Invalid(
            f"{outside} ruta diberi desil oleh model PMT di luar wilayah yang dikalibrasinya "
            f"({', '.join(map(str, scores.source.get('models') or []))}). Kalibrasi model untuk wilayah ini, "
            "atau tetapkan dengan izin eksplisit (dicatat pada penetapan dan daftarnya)."
        )
    if outside:
        who = getattr(user, "username", str(user))[:100]
        scores = sources.ScoreTable(scores.scores, {**scores.source, "izin_di_luar_wilayah": who})
    previous = previous_of(session, code, berlaku_mulai)
    p = Penetapan(
        title=title.strip(), periode=periode, berlaku_mulai=berlaku_mulai, wilayah_code=code,
        criteria=criteria_to_dict(criteria), criteria_key=criteria.key, score_source=scores.source,
        verval_run_id=run.id if run else None, verval_run=sources.run_summary(run),
        previous_id=previous.id if previous else None, note=note,
        created_by=getattr(user, "username", str(user))[:100], created_by_id=getattr(user, "id", None),
    )  # fmt: skip
    session.add(p)
    session.flush()
    counts = _freeze_registry(session, p, criteria, scores, run)
    counts["usulan"] = _freeze_usulan(session, p, code, previous)
    counts["ppks"] = freeze_ppks(session, p)  # PPKS outside households, families, kelompok: their own list
    _complete(session, p, counts)
    record_change(
        session, user, "penetapan", p.id, None,
        {"title": p.title, "periode": p.periode, "berlaku_mulai": p.berlaku_mulai, "wilayah": code,
         "kriteria": p.criteria_key, "verval_run": p.verval_run_id, "ruta_dtks": counts["ruta_dtks"],
         "model_di_luar_wilayah": outside or 0},
        note, action="tetapkan",
    )  # fmt: skip
    hooks.run_after_create(session, p)  # program lists and dashboard figures (siks.programs.stored)
    return p


def _complete(session: Session, p: Penetapan, counts: dict) -> None:
    """Write the counts into the new header: the only UPDATE a penetapan ever sees, in its own transaction."""
    session.info[WRITING] = True
    try:
        session.execute(
            update(Penetapan).where(Penetapan.id == p.id).values(counts=counts),
            execution_options={"synchronize_session": False},
        )
    finally:
        session.info.pop(WRITING, None)
    set_committed_value(p, "counts", counts)


def _freeze_registry(session: Session, p: Penetapan, criteria: Criteria, scores: ScoreTable, run) -> dict:
    households, members = [], []
    tally: Counter[str] = Counter()
    per_desil: Counter[str] = Counter()
    for frozen in sources.read_registry(
        session, Scope(p.wilayah_code), scores, run.id if run else None, p.berlaku_mulai
    ):
        verdict = decide(criteria, frozen.facts)
        h = frozen.household | {
            "penetapan_id": p.id,
            "included": verdict.included,
            "reasons": [list(r) for r in verdict.reasons],
            "jumlah_art": 0,
        }
        for row in frozen.members:
            inside, why = member_status(row, verdict.included)
            members.append(row | {"penetapan_id": p.id, "included": inside, "reason": why})
            h["jumlah_art"] += inside
            tally["anggota_dtks"] += inside
        households.append(h)
        tally["ruta"] += 1
        tally["ruta_dtks" if verdict.included else "ruta_keluar"] += 1
        for reason_code, _ in verdict.reasons:
            tally[f"alasan:{reason_code}"] += 1
        if verdict.included:
            per_desil[str(h["desil"])] += 1
        if len(members) >= BATCH * 4 or len(households) >= BATCH:
            _write(session, households, members)
    _write(session, households, members)
    counts = {k: v for k, v in tally.items() if not k.startswith("alasan:")}
    counts.setdefault("ruta_dtks", 0)
    counts.setdefault("anggota_dtks", 0)
    counts["alasan"] = {k.split(":", 1)[1]: v for k, v in sorted(tally.items()) if k.startswith("alasan:")}
    counts["desil"] = dict(sorted(per_desil.items()))
    return counts


def _write(session: Session, households: list, members: list) -> None:
    if households:
        session.execute(insert(PenetapanHousehold), households)
    if members:
        session.execute(insert(PenetapanMember), members)
    households.clear()
    members.clear()


def _freeze_usulan(session: Session, p: Penetapan, code: str | None, previous: Penetapan | None) -> int:
    """Copy the usulan applied in the wilayah since the previous penetapan of it was made."""
    stmt = select(Usulan).where(Usulan.applied_at.is_not(None), Scope(code).where(Usulan.desa_code))
    if previous is not None:
        stmt = stmt.where(Usulan.applied_at >= previous.created_at)
    rows = [
        {
            "penetapan_id": p.id,
            "usulan_id": u.id,
            "kind": u.kind,
            "subkind": u.subkind,
            "status": u.status,
            "desa_code": u.desa_code,
            "subject_name": u.subject_name,
            "description": u.description,
            "applied_at": u.applied_at,
        }  # fmt: skip
        for u in session.scalars(stmt.order_by(Usulan.applied_at, Usulan.id))
    ]
    if rows:
        session.execute(insert(PenetapanUsulan), rows)
    return len(rows)


def amend(session: Session, user, penetapan_id: int, **changes) -> None:
    """There is no changing a penetapan: make a new one. Kept so every caller gets the same answer."""
    get(session, user, penetapan_id)
    raise Final()


def remove(session: Session, user, penetapan_id: int) -> None:
    get(session, user, penetapan_id)
    raise Final()


# -- reading -------------------------------------------------------------------------------------------------


def get(session: Session, user, penetapan_id: int) -> Penetapan:
    p = session.get(Penetapan, penetapan_id)
    if p is None or not Scope.of(user).overlaps(p.wilayah_code):
        raise NotFound()
    return p


def run_choices(session: Session, limit: int = 20) -> list[VervalRun]:
    """The finished verval runs a penetapan or simulation may take its findings from, newest first."""
    return verval_runs.finished_runs(session, limit)


def listing(session: Session, user) -> list[Penetapan]:
    """Penetapan that overlap the user's wilayah, newest first."""
    scope = Scope.of(user)
    rows = session.scalars(select(Penetapan).order_by(Penetapan.berlaku_mulai.desc(), Penetapan.id.desc()))
    return [p for p in rows if scope.overlaps(p.wilayah_code)]


def households(
    session: Session, user, p: Penetapan, *, included: bool | None = None, desa_code: str | None = None,
    limit: int = 50, offset: int = 0,
) -> list[PenetapanHousehold]:  # fmt: skip
    """Frozen ruta of a penetapan within the user's scope (a page of them)."""
    stmt = select(PenetapanHousehold).where(
        PenetapanHousehold.penetapan_id == p.id, Scope.of(user).where(PenetapanHousehold.desa_code)
    )
    if included is not None:
        stmt = stmt.where(PenetapanHousehold.included.is_(included))
    if desa_code:
        stmt = stmt.where(PenetapanHousehold.desa_code == wilayah.normalize(desa_code))
    return list(session.scalars(stmt.order_by(PenetapanHousehold.household_ref).offset(offset).limit(limit)))


def members_of(session: Session, p: Penetapan, household_refs: list[str]) -> dict[str, list[PenetapanMember]]:
    out: dict[str, list[PenetapanMember]] = {r: [] for r in household_refs}
    if not household_refs:
        return out
    rows = session.scalars(
        select(PenetapanMember)
        .where(PenetapanMember.penetapan_id == p.id, PenetapanMember.household_ref.in_(household_refs))
        .order_by(PenetapanMember.family_ref, PenetapanMember.no_urut)
    )
    for m in rows:
        out[m.household_ref].append(m)
    return out


def usulan_of(session: Session, p: Penetapan) -> list[PenetapanUsulan]:
    return list(
        session.scalars(
            select(PenetapanUsulan).where(PenetapanUsulan.penetapan_id == p.id).order_by(PenetapanUsulan.id)
        )
    )


# -- status as of a date -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonStatus:
    """A person's DTKS status on `on`: `penetapan` is the one in force for them (None: never listed)."""

    nik: str
    on: dt.date
    penetapan: Penetapan | None
    terdaftar: bool
    keterangan: str
    member: PenetapanMember | None = None
    household: PenetapanHousehold | None = None


def in_force(session: Session, desa_code: str, on: dt.date) -> Penetapan | None:
    """The penetapan in force for a desa on a date: latest `berlaku_mulai` ≤ on among those covering it."""
    prefixes = [None, *[desa_code[: len(c)] for c in _prefix_lengths(desa_code)]]
    cond = or_(Penetapan.wilayah_code.is_(None), Penetapan.wilayah_code.in_([p for p in prefixes if p]))
    return session.scalar(
        select(Penetapan)
        .where(cond, Penetapan.berlaku_mulai <= on)
        .order_by(Penetapan.berlaku_mulai.desc(), Penetapan.id.desc())
        .limit(1)
    )


def _prefix_lengths(desa_code: str) -> list[str]:
    parts = desa_code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def status_as_of(session: Session, nik: str, on: dt.date, user=None) -> PersonStatus:
    """Whether the person with this NIK was in DTKS on `on`, according to the penetapan then in force."""
    nik = re.sub(r"\D", "", nik or "")
    if len(nik) != 16:
        raise Invalid("NIK harus 16 digit.")
    rows = session.execute(
        select(PenetapanMember, PenetapanHousehold, Penetapan)
        .join(Penetapan, Penetapan.id == PenetapanMember.penetapan_id)
        .join(
            PenetapanHousehold,
            (PenetapanHousehold.penetapan_id == PenetapanMember.penetapan_id)
            & (PenetapanHousehold.household_ref == PenetapanMember.household_ref),
        )
        .where(PenetapanMember.nik == nik, Penetapan.berlaku_mulai <= on)
        .order_by(Penetapan.berlaku_mulai.desc(), Penetapan.id.desc(), PenetapanMember.included.desc())
    ).all()
    scope = Scope.of(user) if user is not None else Scope(None)
    rows = [r for r in rows if scope.covers(r[1].desa_code)]
    if not rows:
        return PersonStatus(
            nik, on, None, False, "NIK tidak tercantum dalam penetapan mana pun sampai tanggal ini."
        )
    member, house, p = rows[0]
    current = in_force(session, house.desa_code, on) if house.desa_code else p
    if current is not None and current.id != p.id:
        return PersonStatus(
            nik, on, current, False,
            f"Tidak tercantum dalam {current.title}: tidak ada lagi dalam data registri wilayah ini "
            f"(terakhir tercantum dalam {p.title}).",
        )  # fmt: skip
    if member.included:
        text = f"Terdaftar dalam DTKS ({p.title}), desil {house.desil if house.desil is not None else '-'}."
    else:
        house_why = "; ".join(t for _, t in house.reasons or [])
        why = (house_why if not house.included else None) or member.reason or "tidak memenuhi kriteria"
        text = f"Tidak termasuk DTKS ({p.title}): {why}."
    return PersonStatus(nik, on, p, bool(member.included), text, member, house)
