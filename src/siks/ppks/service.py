"""PPKS and PSKS registrations: record, change, end, list and count them, within the actor's wilayah.

Why it looks like this:
- Every check of what a record may contain is in `siks.domain.ppks`; this module adds the database: scope
  (`Scope`, out of scope is `NotFound`), permission (changing needs `registry.edit`), references to other
  records (an LKS resident's LKS, a member's desa) and the audit trail, in the caller's transaction.
- A PPKS kind attaches to exactly one subject: a household member, a person outside households, a family
  or a kelompok. The registration copies the subject's desa code, so lists and counts stay one-table reads.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siks.audit import record_change, register_entity_scope
from siks.domain import ppks as rules
from siks.domain.issues import Issue
from siks.domain.roles import EDIT_REGISTRY, VIEW_REGISTRY, has_permission
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.scope import Scope
from siks.store.models.accounts import User
from siks.store.models.ppks import PpksKelompok, PpksPerson, PpksRegistration, Psks
from siks.store.models.registry import STATUS_ACTIVE, STATUS_INACTIVE, Family, Household, Member

TKSK_ROLE = "operator_kecamatan"  # labelled "Operator kecamatan (TKSK)" in siks.domain.roles

register_entity_scope("psks", lambda: select(Psks.id, Psks.wilayah_code))
register_entity_scope("ppks_person", lambda: select(PpksPerson.id, PpksPerson.desa_code))
register_entity_scope("ppks_kelompok", lambda: select(PpksKelompok.id, PpksKelompok.desa_code))
register_entity_scope("ppks_registration", lambda: select(PpksRegistration.id, PpksRegistration.desa_code))


class RecordInvalid(Invalid):
    """A record broke one or more rules; `issues` name each field and rule."""

    def __init__(self, issues: list[Issue]) -> None:
        errors = [i for i in issues if i.is_error]
        super().__init__("; ".join(i.message for i in errors))
        self.issues = errors


def _can_read(actor) -> None:
    if not has_permission(actor.role, VIEW_REGISTRY):
        raise Forbidden()


def _can_edit(actor, approved: bool = False) -> None:
    """Direct changes need `registry.edit`; an usulan approved through the workflow (`approved`) was
    authorised by its steps, so the approver who applies it (e.g. the pengesah) needs no edit right."""
    if not approved and not has_permission(actor.role, EDIT_REGISTRY):
        raise Forbidden()


def _checked(clean: dict, issues: list[Issue]) -> dict:
    if any(i.is_error for i in issues):
        raise RecordInvalid(issues)
    return clean


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _new_ref(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12].upper()}"


def _snapshot(obj, fields: tuple[str, ...]) -> dict:
    return {f: getattr(obj, f) for f in fields}


PSKS_FIELDS = (
    "ref",
    "jenis",
    "form",
    "nama",
    "nik",
    "sex",
    "wilayah_code",
    "alamat",
    "nomor_tanda_daftar",
    "akreditasi",
    "user_id",
    "status",
    "status_reason",
)
PERSON_FIELDS = (
    "ref",
    "nama",
    "nik",
    "sex",
    "tempat_lahir",
    "tanggal_lahir",
    "lks_id",
    "tempat",
    "alamat",
    "desa_code",
    "status",
    "status_reason",
)
KELOMPOK_FIELDS = ("ref", "nama", "desa_code", "jumlah_kk", "keterangan", "status")
REGISTRATION_FIELDS = (
    "jenis",
    "member_id",
    "person_id",
    "family_id",
    "kelompok_id",
    "desa_code",
    "recorded_on",
    "recorded_by",
    "evidence",
    "ended_on",
    "end_reason",
)


def _unique_ref(session: Session, model, ref: str | None, prefix: str) -> str:
    if ref is None:
        return _new_ref(prefix)
    if session.scalar(select(model.id).where(model.ref == ref)) is not None:
        raise Conflict(f"ref '{ref}' sudah dipakai.")
    return ref


# --- PSKS -------------------------------------------------------------------------------------------------


def create_psks(
    session: Session,
    actor,
    raw: dict,
    *,
    today: dt.date | None = None,
    reason: str | None = None,
    approved: bool = False,
) -> Psks:
    """Register a PSKS person or organisation in the actor's wilayah."""
    _can_edit(actor, approved)
    clean = _checked(*rules.clean_psks(raw, _today(today)))
    Scope.of(actor).check(clean["wilayah_code"], "Wilayah kerja di luar wilayah Anda.")
    clean["ref"] = _unique_ref(session, Psks, clean["ref"], "PSKS")
    psks = Psks(form=rules.PSKS_KINDS[clean["jenis"]].form.value, **clean)
    session.add(psks)
    session.flush()
    record_change(session, actor, "psks", psks.id, None, _snapshot(psks, PSKS_FIELDS), reason or "PSKS baru")
    return psks


def get_psks(session: Session, actor, psks_id: int) -> Psks:
    _can_read(actor)
    psks = session.get(Psks, psks_id)
    if psks is None:
        raise NotFound()
    Scope.of(actor).check(psks.wilayah_code)
    return psks


def psks_by_ref(session: Session, actor, ref: str) -> Psks:
    found = session.scalar(select(Psks.id).where(Psks.ref == ref))
    if found is None:
        raise NotFound(f"PSKS dengan ref '{ref}' tidak ditemukan.")
    return get_psks(session, actor, found)


def update_psks(
    session: Session,
    actor,
    psks_id: int,
    raw: dict,
    *,
    today: dt.date | None = None,
    reason: str | None = None,
    approved: bool = False,
) -> Psks:
    """Change a PSKS record: the whole record is checked again (its kind cannot change)."""
    _can_edit(actor, approved)
    psks = get_psks(session, actor, psks_id)
    merged = {**_snapshot(psks, PSKS_FIELDS), **raw, "jenis": psks.jenis, "ref": psks.ref}
    clean = _checked(*rules.clean_psks(merged, _today(today)))
    Scope.of(actor).check(clean["wilayah_code"], "Wilayah kerja di luar wilayah Anda.")
    before = _snapshot(psks, PSKS_FIELDS)
    for key, value in clean.items():
        setattr(psks, key, value)
    session.flush()
    record_change(
        session, actor, "psks", psks.id, before, _snapshot(psks, PSKS_FIELDS), reason or "perbaikan PSKS"
    )
    return psks


def deactivate_psks(
    session: Session, actor, psks_id: int, reason: str, *, approved: bool = False, why: str | None = None
) -> Psks:
    """Stop a PSKS (an LKS closed, a TKSK left). An LKS with active residents must move them first."""
    _can_edit(actor, approved)
    psks = get_psks(session, actor, psks_id)
    if psks.status != STATUS_ACTIVE:
        raise Conflict("PSKS ini sudah nonaktif.")
    residents = session.scalar(
        select(func.count()).where(PpksPerson.lks_id == psks.id, PpksPerson.status == STATUS_ACTIVE)
    )
    if residents:
        raise Conflict(f"LKS ini masih mempunyai {residents} penghuni aktif; pindahkan atau akhiri dahulu.")
    before = _snapshot(psks, PSKS_FIELDS)
    psks.status, psks.status_reason = STATUS_INACTIVE, reason
    session.flush()
    record_change(
        session,
        actor,
        "psks",
        psks.id,
        before,
        _snapshot(psks, PSKS_FIELDS),
        why or reason,
        action="nonaktif",
    )
    return psks


def link_account(session: Session, actor, psks_id: int, username: str) -> Psks:
    """Link a TKSK account (role operator_kecamatan) to its TKSK record, one to one, same kecamatan."""
    _can_edit(actor)
    psks = get_psks(session, actor, psks_id)
    if psks.jenis != "tksk":
        raise Invalid("Hanya PSKS berjenis TKSK yang dapat ditautkan ke akun.")
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not Scope.of(actor).covers(user.wilayah_code or ""):
        raise NotFound(f"Akun '{username}' tidak ditemukan atau di luar wilayah Anda.")
    if user.role != TKSK_ROLE:
        raise Invalid(f"Akun '{username}' bukan akun TKSK (peran operator kecamatan).")
    if user.wilayah_code != psks.wilayah_code:
        raise Invalid(f"Akun '{username}' bertugas di {user.wilayah_code}, TKSK ini di {psks.wilayah_code}.")
    taken = session.scalar(select(Psks.id).where(Psks.user_id == user.id, Psks.id != psks.id))
    if taken is not None:
        raise Conflict(f"Akun '{username}' sudah tertaut ke PSKS lain.")
    before = _snapshot(psks, PSKS_FIELDS)
    psks.user_id = user.id
    session.flush()
    record_change(session, actor, "psks", psks.id, before, _snapshot(psks, PSKS_FIELDS), "tautan akun TKSK")
    return psks


def psks_of_user(session: Session, user_id: int) -> Psks | None:
    """The PSKS record of an account (a TKSK), if linked."""
    return session.scalar(select(Psks).where(Psks.user_id == user_id))


def list_psks(
    session: Session, actor, *, jenis: str | None = None, active_only: bool = True, limit: int = 500
) -> list[Psks]:
    _can_read(actor)
    stmt = select(Psks).where(Scope.of(actor).where(Psks.wilayah_code)).order_by(Psks.wilayah_code, Psks.nama)
    if jenis:
        stmt = stmt.where(Psks.jenis == jenis)
    if active_only:
        stmt = stmt.where(Psks.status == STATUS_ACTIVE)
    return list(session.scalars(stmt.limit(limit)))


# --- PPKS persons outside households and kelompok --------------------------------------------------------


def _lks(session: Session, actor, raw: dict) -> Psks:
    if raw.get("lks_id"):
        lks = get_psks(session, actor, int(raw["lks_id"]))
    else:
        lks = psks_by_ref(session, actor, str(raw["lks_ref"]).strip())
    if lks.jenis != "lks":
        raise Invalid(f"'{lks.nama}' bukan LKS; penghuni hanya dapat dicatat pada LKS.")
    if lks.status != STATUS_ACTIVE:
        raise Invalid(f"LKS '{lks.nama}' nonaktif.")
    return lks


def add_person(
    session: Session,
    actor,
    raw: dict,
    *,
    today: dt.date | None = None,
    reason: str | None = None,
    approved: bool = False,
) -> PpksPerson:
    """A person outside any household: an LKS resident (in the LKS's area) or someone found at a place."""
    _can_edit(actor, approved)
    raw = dict(raw)
    lks = _lks(session, actor, raw) if (raw.get("lks_id") or raw.get("lks_ref")) else None
    if lks is not None and not raw.get("desa_code") and lks.wilayah_code.count(".") == 3:
        raw["desa_code"] = lks.wilayah_code  # an LKS registered at desa level: its residents live there
    clean = _checked(*rules.clean_person(raw, _today(today)))
    if lks is not None and not Scope(lks.wilayah_code).covers(clean["desa_code"]):
        raise RecordInvalid(
            [
                Issue(
                    "PPKS_TEMPAT",
                    f"desa_code {clean['desa_code']} di luar wilayah LKS {lks.wilayah_code}.",
                    "desa_code",
                )
            ]
        )
    Scope.of(actor).check(clean["desa_code"], "Desa di luar wilayah Anda.")
    clean["ref"] = _unique_ref(session, PpksPerson, clean["ref"], "PPKS")
    person = PpksPerson(lks_id=lks.id if lks else None, **clean)
    session.add(person)
    session.flush()
    record_change(
        session,
        actor,
        "ppks_person",
        person.id,
        None,
        _snapshot(person, PERSON_FIELDS),
        reason or "PPKS di luar ruta",
    )
    return person


def get_person(session: Session, actor, person_id: int) -> PpksPerson:
    _can_read(actor)
    person = session.get(PpksPerson, person_id)
    if person is None:
        raise NotFound()
    Scope.of(actor).check(person.desa_code)
    return person


def update_person(
    session: Session,
    actor,
    person_id: int,
    raw: dict,
    *,
    today: dt.date | None = None,
    reason: str | None = None,
    approved: bool = False,
) -> PpksPerson:
    _can_edit(actor, approved)
    person = get_person(session, actor, person_id)
    merged = {**_snapshot(person, PERSON_FIELDS), **raw, "ref": person.ref}
    if merged.get("lks_ref"):
        merged["lks_id"] = None
    if merged.get("tempat") and ("tempat" in raw):
        merged["lks_id"] = merged["lks_ref"] = None
    lks = _lks(session, actor, merged) if (merged.get("lks_id") or merged.get("lks_ref")) else None
    clean = _checked(*rules.clean_person(merged, _today(today)))
    Scope.of(actor).check(clean["desa_code"], "Desa di luar wilayah Anda.")
    before = _snapshot(person, PERSON_FIELDS)
    for key, value in clean.items():
        setattr(person, key, value)
    person.lks_id = lks.id if lks else None
    session.flush()
    record_change(
        session,
        actor,
        "ppks_person",
        person.id,
        before,
        _snapshot(person, PERSON_FIELDS),
        reason or "perbaikan PPKS",
    )
    return person


def deactivate_person(
    session: Session,
    actor,
    person_id: int,
    reason: str,
    *,
    on: dt.date | None = None,
    approved: bool = False,
    why: str | None = None,
) -> PpksPerson:
    """A person leaves DTKS (died, went home, found to be a duplicate): their open registrations end too."""
    _can_edit(actor, approved)
    person = get_person(session, actor, person_id)
    if person.status != STATUS_ACTIVE:
        raise Conflict("PPKS ini sudah nonaktif.")
    before = _snapshot(person, PERSON_FIELDS)
    person.status, person.status_reason = STATUS_INACTIVE, reason
    end_reason = {"meninggal": "meninggal", "pindah": "pindah", "mampu": "pulih"}.get(reason, "salah_data")
    for reg in session.scalars(
        select(PpksRegistration).where(
            PpksRegistration.person_id == person.id, PpksRegistration.ended_on.is_(None)
        )
    ):
        _end(session, actor, reg, end_reason, _today(on), why)
    session.flush()
    record_change(
        session,
        actor,
        "ppks_person",
        person.id,
        before,
        _snapshot(person, PERSON_FIELDS),
        why or reason,
        action="nonaktif",
    )
    return person


def lks_residents(session: Session, actor, lks_id: int, *, active_only: bool = True) -> list[PpksPerson]:
    lks = get_psks(session, actor, lks_id)
    stmt = select(PpksPerson).where(PpksPerson.lks_id == lks.id, Scope.of(actor).where(PpksPerson.desa_code))
    if active_only:
        stmt = stmt.where(PpksPerson.status == STATUS_ACTIVE)
    return list(session.scalars(stmt.order_by(PpksPerson.nama)))


def add_kelompok(session: Session, actor, raw: dict, *, today: dt.date | None = None) -> PpksKelompok:
    _can_edit(actor)
    clean = _checked(*rules.clean_kelompok(raw, _today(today)))
    Scope.of(actor).check(clean["desa_code"], "Desa di luar wilayah Anda.")
    clean["ref"] = _unique_ref(session, PpksKelompok, clean["ref"], "KLP")
    kelompok = PpksKelompok(**clean)
    session.add(kelompok)
    session.flush()
    record_change(
        session,
        actor,
        "ppks_kelompok",
        kelompok.id,
        None,
        _snapshot(kelompok, KELOMPOK_FIELDS),
        "kelompok PPKS baru",
    )
    return kelompok


# --- registrations ----------------------------------------------------------------------------------------

# subject type (API/CLI word) → (domain subject, column on ppks_registration)
SUBJECT_TYPES = {
    "anggota": (rules.Subject.PERSEORANGAN, "member_id"),
    "ppks": (rules.Subject.PERSEORANGAN, "person_id"),
    "keluarga": (rules.Subject.KELUARGA, "family_id"),
    "kelompok": (rules.Subject.KELOMPOK, "kelompok_id"),
}


def subject_desa(session: Session, actor, subject_type: str, subject_id: int) -> str:
    """The desa code of a subject, after checking it exists, is active and is in the actor's scope."""
    if subject_type not in SUBJECT_TYPES:
        raise Invalid(f"Subjek '{subject_type}' tidak dikenal. Pilihan: {', '.join(SUBJECT_TYPES)}.")
    if subject_type == "anggota":
        row = session.execute(
            select(Household.desa_code, Member.status)
            .join(Family, Member.family_id == Family.id)
            .join(Household, Family.household_id == Household.id)
            .where(Member.id == subject_id)
        ).first()
    elif subject_type == "keluarga":
        row = session.execute(
            select(Household.desa_code, Family.status)
            .join(Household, Family.household_id == Household.id)
            .where(Family.id == subject_id)
        ).first()
    else:
        model = PpksPerson if subject_type == "ppks" else PpksKelompok
        row = session.execute(select(model.desa_code, model.status).where(model.id == subject_id)).first()
    if row is None:
        raise NotFound()
    Scope.of(actor).check(row[0])
    if row[1] != STATUS_ACTIVE:
        raise Invalid("Subjek ini nonaktif; PPKS hanya dicatat pada data aktif.")
    return row[0]


def register(
    session: Session,
    actor,
    subject_type: str,
    subject_id: int,
    raw: dict,
    *,
    today: dt.date | None = None,
    approved: bool = False,
    reason: str | None = None,
) -> PpksRegistration:
    """Record one PPKS kind for one subject. The same kind open twice on one subject is a conflict."""
    _can_edit(actor, approved)
    desa = subject_desa(session, actor, subject_type, subject_id)
    subject, column = SUBJECT_TYPES[subject_type]
    clean = _checked(*rules.clean_registration(raw, subject, _today(today)))
    open_same = session.scalar(
        select(PpksRegistration.id).where(
            getattr(PpksRegistration, column) == subject_id,
            PpksRegistration.jenis == clean["jenis"],
            PpksRegistration.ended_on.is_(None),
        )
    )
    if open_same is not None:
        raise Conflict(
            f"{rules.kind_label(clean['jenis'])} sudah tercatat dan masih berlaku untuk subjek ini."
        )
    reg = PpksRegistration(
        jenis=clean["jenis"],
        desa_code=desa,
        recorded_on=clean["tanggal"],
        recorded_by=getattr(actor, "username", str(actor))[:100],
        evidence=clean["bukti"],
        **{column: subject_id},
    )
    session.add(reg)
    session.flush()
    record_change(
        session,
        actor,
        "ppks_registration",
        reg.id,
        None,
        _snapshot(reg, REGISTRATION_FIELDS),
        reason or f"PPKS {clean['jenis']}",
    )
    return reg


def _end(
    session: Session, actor, reg: PpksRegistration, reason: str, on: dt.date, why: str | None = None
) -> None:
    before = _snapshot(reg, REGISTRATION_FIELDS)
    reg.ended_on, reg.end_reason = on, reason
    record_change(
        session,
        actor,
        "ppks_registration",
        reg.id,
        before,
        _snapshot(reg, REGISTRATION_FIELDS),
        why or rules.END_REASONS.get(reason, reason),
        action="akhiri",
    )


def end_registration(
    session: Session,
    actor,
    reg_id: int,
    reason: str,
    *,
    on: dt.date | None = None,
    approved: bool = False,
    why: str | None = None,
) -> PpksRegistration:
    """End a registration (kept, dated): the person recovered, died, left the LKS, or it was an error."""
    _can_edit(actor, approved)
    reg = session.get(PpksRegistration, reg_id)
    if reg is None:
        raise NotFound()
    Scope.of(actor).check(reg.desa_code)
    if reason not in rules.END_REASONS:
        raise Invalid(f"Alasan '{reason}' tidak dikenal. Pilihan: {', '.join(rules.END_REASONS)}.")
    if reg.ended_on is not None:
        raise Conflict("Pencatatan PPKS ini sudah berakhir.")
    on = _today(on)
    if on < reg.recorded_on:
        raise Invalid(f"Tanggal berakhir {on} sebelum tanggal pencatatan {reg.recorded_on}.")
    _end(session, actor, reg, reason, on, why)
    session.flush()
    return reg


def registrations_of(
    session: Session, actor, subject_type: str, subject_id: int, *, open_only: bool = False
) -> list[PpksRegistration]:
    _can_read(actor)
    subject_desa_code = subject_desa_any(session, subject_type, subject_id)
    Scope.of(actor).check(subject_desa_code)
    column = getattr(PpksRegistration, SUBJECT_TYPES[subject_type][1])
    stmt = select(PpksRegistration).where(column == subject_id)
    if open_only:
        stmt = stmt.where(PpksRegistration.ended_on.is_(None))
    return list(session.scalars(stmt.order_by(PpksRegistration.recorded_on, PpksRegistration.id)))


def subject_desa_any(session: Session, subject_type: str, subject_id: int) -> str | None:
    """Like `subject_desa` but for reading: inactive subjects too, no scope check."""
    if subject_type not in SUBJECT_TYPES:
        raise Invalid(f"Subjek '{subject_type}' tidak dikenal. Pilihan: {', '.join(SUBJECT_TYPES)}.")
    if subject_type == "anggota":
        stmt = (
            select(Household.desa_code)
            .join(Family, Family.household_id == Household.id)
            .join(Member, Member.family_id == Family.id)
            .where(Member.id == subject_id)
        )
    elif subject_type == "keluarga":
        stmt = (
            select(Household.desa_code)
            .join(Family, Family.household_id == Household.id)
            .where(Family.id == subject_id)
        )
    else:
        model = PpksPerson if subject_type == "ppks" else PpksKelompok
        stmt = select(model.desa_code).where(model.id == subject_id)
    found = session.scalar(stmt)
    if found is None:
        raise NotFound()
    return found


# --- counts -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindCount:
    jenis: str
    label: str
    wilayah_code: str
    count: int


WIDTH = {1: 2, 2: 5, 3: 8, 4: 13}  # characters of a dotted wilayah code at each level


def counts(
    session: Session,
    actor,
    *,
    level: int = 3,
    as_of: dt.date | None = None,
    scope: Scope | None = None,
) -> list[KindCount]:
    """Open PPKS registrations per kind and wilayah (default kecamatan), in the actor's scope (and `scope`,
    a narrower wilayah, for the dashboard), as of a day."""
    _can_read(actor)
    if level not in (1, 2, 3, 4):
        raise Invalid(f"Tingkat {level} tidak dikenal: 1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa.")
    as_of = _today(as_of)
    area = func.substr(PpksRegistration.desa_code, 1, WIDTH[level])
    stmt = (
        select(PpksRegistration.jenis, area, func.count())
        .where(
            Scope.of(actor).where(PpksRegistration.desa_code),
            PpksRegistration.recorded_on <= as_of,
            (PpksRegistration.ended_on.is_(None)) | (PpksRegistration.ended_on > as_of),
        )
        .group_by(PpksRegistration.jenis, area)
        .order_by(area, PpksRegistration.jenis)
    )
    if scope is not None:
        stmt = stmt.where(scope.where(PpksRegistration.desa_code))
    return [KindCount(j, rules.kind_label(j), code, n) for j, code, n in session.execute(stmt)]


def psks_area_counts(
    session: Session, actor, *, level: int = 3, scope: Scope | None = None
) -> list[KindCount]:
    """Active PSKS per kind and wilayah of work, cut at `level`: a PSKS working for a wider wilayah than
    the level (a kabupaten-wide LKS counted per kecamatan) keeps its own, shorter code."""
    _can_read(actor)
    area = func.substr(Psks.wilayah_code, 1, WIDTH[level])
    stmt = (
        select(Psks.jenis, area, func.count())
        .where(Scope.of(actor).where(Psks.wilayah_code), Psks.status == STATUS_ACTIVE)
        .group_by(Psks.jenis, area)
        .order_by(area, Psks.jenis)
    )
    if scope is not None:
        stmt = stmt.where(scope.where(Psks.wilayah_code))
    return [KindCount(j, rules.psks_label(j), code, n) for j, code, n in session.execute(stmt)]


def psks_counts(session: Session, actor) -> dict[str, int]:
    """Active PSKS per kind in scope."""
    _can_read(actor)
    stmt = (
        select(Psks.jenis, func.count())
        .where(Scope.of(actor).where(Psks.wilayah_code), Psks.status == STATUS_ACTIVE)
        .group_by(Psks.jenis)
    )
    return dict(session.execute(stmt).all())


# --- usulan targets (the usulan form's "sasaran") ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetChoice:
    entity: str  # ppks_person / ppks_kelompok / psks / ppks_registration (the usulan's target_entity)
    id: int
    label: str


def _registration_choices(
    session: Session, column, ids: list[int], who: dict[int, str]
) -> list[TargetChoice]:
    if not ids:
        return []
    stmt = select(PpksRegistration).where(column.in_(ids), PpksRegistration.ended_on.is_(None))
    return [
        TargetChoice(
            "ppks_registration",
            r.id,
            f"{who[getattr(r, column.key)]}: {rules.kind_label(r.jenis)} (sejak {r.recorded_on})",
        )
        for r in session.scalars(stmt.order_by(PpksRegistration.id))
    ]


def targets_by_ref(session: Session, actor, ref: str) -> list[TargetChoice]:
    """A PPKS person, kelompok or PSKS by its ref, in scope and active, with its open PPKS kinds."""
    _can_read(actor)
    ref = ref.strip()
    out: list[TargetChoice] = []
    scope = Scope.of(actor)
    person = session.scalar(
        select(PpksPerson).where(PpksPerson.ref == ref, scope.where(PpksPerson.desa_code))
    )
    if person is not None and person.status == STATUS_ACTIVE:
        out.append(TargetChoice("ppks_person", person.id, f"PPKS {person.ref}: {person.nama}"))
        out += _registration_choices(
            session, PpksRegistration.person_id, [person.id], {person.id: person.nama}
        )
    group = session.scalar(
        select(PpksKelompok).where(PpksKelompok.ref == ref, scope.where(PpksKelompok.desa_code))
    )
    if group is not None and group.status == STATUS_ACTIVE:
        out.append(TargetChoice("ppks_kelompok", group.id, f"Kelompok {group.ref}: {group.nama}"))
        out += _registration_choices(
            session, PpksRegistration.kelompok_id, [group.id], {group.id: group.nama}
        )
    psks = session.scalar(select(Psks).where(Psks.ref == ref, scope.where(Psks.wilayah_code)))
    if psks is not None and psks.status == STATUS_ACTIVE:
        out.append(TargetChoice("psks", psks.id, f"{rules.psks_label(psks.jenis)} {psks.ref}: {psks.nama}"))
    if not out:
        raise NotFound(f"PPKS, kelompok atau PSKS aktif dengan ref '{ref}' tidak ditemukan di wilayah Anda.")
    return out


def household_registrations(session: Session, actor, household_id: int) -> list[TargetChoice]:
    """The open PPKS kinds of a household's members and families (to end one by usulan)."""
    _can_read(actor)
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound()
    Scope.of(actor).check(household.desa_code)
    families = {f.id: f"Keluarga {f.ref}" for f in household.families}
    members = {m.id: m.nama for f in household.families for m in f.members}
    return _registration_choices(
        session, PpksRegistration.member_id, list(members), members
    ) + _registration_choices(session, PpksRegistration.family_id, list(families), families)
