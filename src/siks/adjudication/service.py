"""Adjudication of possible duplicates: the verval engine's `DUP_POSSIBLE` pairs, decided by a person.

Why this shape: between its two thresholds Splink cannot tell whether two records are one person; only
someone who knows the desa can (HOPE's adjudication tickets, docs/sources.md §2.5). The queue is the latest
completed run's pairs that nobody has decided since, where *both* records lie in the user's wilayah (a
kecamatan operator does not see a person in another kecamatan). A decision goes to `duplicate_decision`,
which the next verval run obeys (forced link or forced break), and to the audit trail. Deciding "same
person" may also file a draft nonaktif-ganda usulan for the record to drop; the desa takes it from there.

The same queue holds the NIK cases of usulan (#17.3): an usulan bringing a NIK that is already active or
already proposed is kept but held until someone decides whether it is the same person (`nik_queue`,
`decide_nik`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from siks.audit import record_change, register_entity_scope
from siks.domain.masking import nik_for
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.paging import Page, bounds
from siks.registry.lookup import label
from siks.scope import Scope, wilayah_label
from siks.store import verval_runs
from siks.store.base import utcnow
from siks.store.models.registry import Family, Household, Member
from siks.store.models.usulan import NikConflict, Usulan
from siks.store.models.verval import DuplicateDecision, VervalFinding
from siks.usulan import service as usulan_service

CODE = "DUP_POSSIBLE"
DECIDER_ROLES = frozenset({"operator_kecamatan", "operator_kabupaten", "supervisor_kabupaten"})
VIEWER_ROLES = DECIDER_ROLES | {"auditor", "pusat", "operator_provinsi"}

register_entity_scope(
    "duplicate_decision",
    lambda: (
        select(DuplicateDecision.id, Household.desa_code)
        .join(Member, Member.ref == DuplicateDecision.member_ref_a)
        .join(Family, Member.family_id == Family.id)
        .join(Household, Family.household_id == Household.id)
    ),
)


def _require(user, roles=VIEWER_ROLES) -> None:
    if user.role not in roles:
        raise Forbidden("Pemutusan data ganda dilakukan oleh operator kecamatan atau Dinas Sosial kabupaten.")


def _decided(ref_a, ref_b):
    d = DuplicateDecision
    return exists().where(
        or_(
            and_(d.member_ref_a == ref_a, d.member_ref_b == ref_b),
            and_(d.member_ref_a == ref_b, d.member_ref_b == ref_a),
        )
    )


def _queue_stmt(user, run_id: str):
    ma, mb = aliased(Member), aliased(Member)
    fa, fb = aliased(Family), aliased(Family)
    ha, hb = aliased(Household), aliased(Household)
    scope = Scope.of(user)
    f = VervalFinding
    return (
        select(f, ma, mb, ha, hb)
        .join(ma, ma.ref == f.member_ref)
        .join(fa, ma.family_id == fa.id)
        .join(ha, fa.household_id == ha.id)
        .join(mb, mb.ref == f.related_ref)
        .join(fb, mb.family_id == fb.id)
        .join(hb, fb.household_id == hb.id)
        .where(f.run_id == run_id, f.code == CODE, scope.where(ha.desa_code), scope.where(hb.desa_code))
        .where(~_decided(f.member_ref, f.related_ref))
    )


@dataclass(slots=True)
class QueueItem:
    finding_id: int
    weight: float | None
    a: Member
    b: Member
    desa_a: str
    desa_b: str


def queue(session: Session, user, page: int = 1, per_page: int = 20) -> Page[QueueItem]:
    """Undecided possible duplicates in scope, strongest evidence first."""
    _require(user)
    run_id = verval_runs.latest_finished_id(session)
    if run_id is None:
        return Page([], 1, per_page, False)
    page, per_page, offset = bounds(page, per_page)
    stmt = _queue_stmt(user, run_id).order_by(VervalFinding.weight.desc(), VervalFinding.id)
    rows = session.execute(stmt.offset(offset).limit(per_page + 1)).all()
    items = [QueueItem(f.id, f.weight, a, b, ha.desa_code, hb.desa_code) for f, a, b, ha, hb in rows]
    return Page.from_rows(items, page, per_page)


@dataclass(slots=True)
class Side:
    """One record of the pair, as the comparison page shows it."""

    member: Member
    household: Household
    nik: str
    fields: list[tuple[str, str]]
    housemates: list[str]


def _address(h: Household) -> str:
    parts = (h.alamat, h.rt and f"RT {h.rt}/RW {h.rw or '-'}", h.dusun and f"Dusun {h.dusun}")
    return ", ".join(x for x in parts if x) or "-"


def _side(member: Member, household: Household, user) -> Side:
    born = member.tanggal_lahir.isoformat() if member.tanggal_lahir else "-"
    fields = [
        ("Nama", member.nama),
        ("NIK", nik_for(user, member.nik) or "-"),
        ("Jenis kelamin", label("sex", member.sex)),
        ("Tempat, tanggal lahir", f"{member.tempat_lahir or '-'}, {born}"),
        ("Status kawin", label("status_kawin", member.status_kawin)),
        ("Hubungan dengan kepala keluarga", label("hubungan_kk", member.hubungan_kk)),
        ("Keberadaan", label("keberadaan", member.keberadaan)),
        ("No. KK", nik_for(user, member.family.kk_number) or "-"),
        ("Wilayah", wilayah_label(household.desa_code)),
        ("Alamat", _address(household)),
        ("ID ART", member.ref),
        ("Status", member.status),
    ]  # fmt: skip
    mates = [m.nama for f in household.families for m in f.members if m.id != member.id]
    return Side(member, household, nik_for(user, member.nik), fields, mates)


@dataclass(slots=True)
class Comparison:
    finding: VervalFinding
    a: Side
    b: Side
    differs: list[bool]  # per row of `fields`: do the two records disagree?


def compare(session: Session, user, finding_id: int) -> Comparison:
    """Both records side by side (NotFound unless the pair is in the user's queue)."""
    _require(user)
    finding = session.get(VervalFinding, finding_id)
    if finding is None or finding.code != CODE or finding.run_id != verval_runs.latest_finished_id(session):
        raise NotFound()
    row = session.execute(
        _queue_stmt(user, finding.run_id).where(VervalFinding.id == finding_id).limit(1)
    ).first()
    if row is None:
        if _pair_decided(session, finding):
            raise Conflict("Pasangan ini sudah diputuskan oleh petugas lain.")
        raise NotFound()
    _, a, b, ha, hb = row
    sa, sb = _side(a, ha, user), _side(b, hb, user)
    return Comparison(finding, sa, sb, [x[1] != y[1] for x, y in zip(sa.fields, sb.fields, strict=True)])


def _pair_decided(session: Session, f: VervalFinding) -> bool:
    return bool(session.scalar(select(_decided(f.member_ref, f.related_ref))))


def decide(
    session: Session,
    user,
    finding_id: int,
    same_person: bool,
    note: str | None = None,
    drop_ref: str | None = None,
) -> tuple[DuplicateDecision, int | None]:
    """Record the decision on a pair; with `same_person` and `drop_ref`, also draft a nonaktif-ganda usulan.

    A second decision on the same pair (two people on one stale queue) is a Conflict.
    """
    _require(user, DECIDER_ROLES)
    comparison = compare(session, user, finding_id)
    f = comparison.finding
    if not same_person and drop_ref:
        raise Invalid("Usulan nonaktif ganda hanya bila keduanya orang yang sama.")
    a, b = comparison.a, comparison.b
    sides = {a.member.ref: (a, b), b.member.ref: (b, a)}
    if drop_ref and drop_ref not in sides:
        raise Invalid("Pilih salah satu dari dua ART yang dibandingkan.")
    decision = DuplicateDecision(
        member_ref_a=f.member_ref, member_ref_b=f.related_ref, same_person=bool(same_person),
        decided_by=user.username, note=(note or "").strip() or None,
    )  # fmt: skip
    session.add(decision)
    session.flush()
    record_change(
        session, user, "duplicate_decision", decision.id, None,
        {"member_ref_a": f.member_ref, "member_ref_b": f.related_ref, "same_person": bool(same_person),
         "weight": f.weight, "run_id": f.run_id},
        decision.note, action="putuskan_ganda",
    )  # fmt: skip
    usulan_id = None
    if drop_ref:
        drop, keep = sides[drop_ref]
        u = usulan_service.create_from_channel(
            session, channel="verval", actor_name=user.username, kind="nonaktif", subkind="ganda",
            target=usulan_service.Target("member", drop.member.id), desa_code=drop.household.desa_code,
            payload={"duplicate_of": keep.member.ref}, external_ref=f"ganda{decision.id}",
            note=f"Putusan ganda #{decision.id}: sama dengan {keep.member.ref}",
        )  # fmt: skip
        usulan_id = u.id
    return decision, usulan_id


# --- NIK cases of usulan (#17.3) ---------------------------------------------------------------------------


@dataclass(slots=True)
class NikCase:
    """One open case as the queue shows it: the held usulan and the record that has the same NIK."""

    case: NikConflict
    usulan: Usulan
    other_member: Member | None
    other_usulan: Usulan | None

    @property
    def other_label(self) -> str:
        if self.other_member is not None:
            return f"anggota aktif {self.other_member.ref} ({self.other_member.nama})"
        return f"usulan #{self.other_usulan.id} ({self.other_usulan.subject_name or '-'})"


def _case_view(session: Session, case: NikConflict) -> NikCase:
    return NikCase(
        case,
        session.get(Usulan, case.usulan_id),
        session.get(Member, case.other_member_id) if case.other_member_id else None,
        session.get(Usulan, case.other_usulan_id) if case.other_usulan_id else None,
    )


def nik_queue(session: Session, user, page: int = 1, per_page: int = 20) -> Page[NikCase]:
    """Open NIK cases of usulan in the user's wilayah, oldest first."""
    _require(user)
    page, per_page, offset = bounds(page, per_page)
    stmt = select(NikConflict).where(NikConflict.status == usulan_service.OPEN_CASE)
    stmt = stmt.where(Scope.of(user).where(NikConflict.desa_code))
    rows = session.scalars(stmt.order_by(NikConflict.id).offset(offset).limit(per_page + 1)).all()
    return Page.from_rows([_case_view(session, c) for c in rows], page, per_page)


def decide_nik(session: Session, user, case_id: int, same_person: bool, note: str | None = None) -> NikCase:
    """Decide a NIK case. Same person: the usulan is closed (ditolak), linked to the record that has the NIK
    — a change to that person is an usulan perbaikan on it. Different people: one of the two NIKs is wrong;
    the usulan goes back to the desa, and cannot go up while the NIK still collides."""
    _require(user, DECIDER_ROLES)
    case = session.get(NikConflict, case_id)
    if case is None or not Scope.of(user).covers(case.desa_code):
        raise NotFound()
    if case.status != usulan_service.OPEN_CASE:
        raise Conflict(f"Kasus NIK #{case.id} sudah diputuskan ({case.status}).")
    view = _case_view(session, case)
    other = view.other_label
    if same_person:
        text = (f"Adjudikasi #{case.id}: orang yang sama dengan {other}; usulan ditutup. Perubahan data "
                "orang itu diajukan sebagai usulan perbaikan atas datanya.")  # fmt: skip
    else:
        text = (f"Adjudikasi #{case.id}: NIK {case.nik} dipakai orang lain ({other}); salah satu NIK keliru. "
                "Perbaiki NIK di usulan ini, atau ajukan perbaikan NIK untuk data yang lain.")  # fmt: skip
    if note and note.strip():
        text += f" Catatan: {note.strip()}"
    case.status = "sama" if same_person else "berbeda"
    case.decided_by, case.decided_at, case.note = user.username, utcnow(), (note or "").strip() or None
    if same_person:  # the usulan is closed: its other open cases go with it
        for sibling in session.scalars(
            select(NikConflict).where(
                NikConflict.usulan_id == case.usulan_id,
                NikConflict.status == usulan_service.OPEN_CASE,
                NikConflict.id != case.id,
            )
        ):
            sibling.status, sibling.decided_by, sibling.decided_at = "sama", user.username, utcnow()
    open_left = session.scalar(
        select(NikConflict.id).where(
            NikConflict.usulan_id == case.usulan_id,
            NikConflict.status == usulan_service.OPEN_CASE,
            NikConflict.id != case.id,
        )
    )
    session.flush()
    if same_person or open_left is None:
        usulan_service.close_by_adjudication(session, view.usulan, user, same_person, text)
    record_change(
        session, user, "nik_conflict", case.id, {"status": usulan_service.OPEN_CASE},
        {"status": case.status, "usulan_id": case.usulan_id, "usulan_status": view.usulan.status},
        text, action="putuskan_nik",
    )  # fmt: skip
    return view
