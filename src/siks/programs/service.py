"""Apply a program to a penetapan: the beneficiary list, quotas, the account holder and its replacement.

Why over a penetapan and not the live registry: a program list must be reproducible for the period it
pays for; everything here reads the frozen `penetapan_*` rows. The only thing written is a pergantian
pengurus (`program_pengurus`), which is program data, not part of the penetapan.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.audit import record_change, register_entity_scope
from siks.domain import programs as rules
from siks.domain.masking import sees_full_nik
from siks.domain.programs import Entitlement, FamilyFacts, Program
from siks.errors import Forbidden, Invalid, NotFound
from siks.penetapan import service as penetapan
from siks.scope import Scope
from siks.store.models.penetapan import Penetapan, PenetapanHousehold, PenetapanMember, ProgramPengurus
from siks.store.models.ppks import PenetapanPpks, PpksPerson, Psks

CHUNK = 1000
PENGURUS_ROLES = frozenset({"operator_kabupaten", "supervisor_kabupaten", "pusat"})

register_entity_scope(
    "program_pengurus",
    lambda: (
        select(ProgramPengurus.id, PenetapanHousehold.desa_code)
        .join(
            PenetapanMember,
            (PenetapanMember.penetapan_id == ProgramPengurus.penetapan_id)
            & (PenetapanMember.member_ref == ProgramPengurus.member_ref),
        )
        .join(
            PenetapanHousehold,
            (PenetapanHousehold.penetapan_id == PenetapanMember.penetapan_id)
            & (PenetapanHousehold.household_ref == PenetapanMember.household_ref),
        )
    ),
)


# -- keluarga of a penetapan -------------------------------------------------------------------------------


@dataclass
class Family:
    """A keluarga as the lists show it: its frozen ruta, its frozen anggota, and the rule facts."""

    household: PenetapanHousehold
    members: list[PenetapanMember]
    facts: FamilyFacts

    @property
    def kk_number(self) -> str | None:
        return next((m.kk_number for m in self.members if m.kk_number), None)

    @property
    def head(self) -> PenetapanMember | None:
        return next(
            (m for m in self.members if m.hubungan_kk == 1), self.members[0] if self.members else None
        )

    def member(self, ref: str) -> PenetapanMember | None:
        return next((m for m in self.members if m.member_ref == ref), None)


def families(
    session: Session, p: Penetapan, scope: Scope, on: dt.date, desa_code: str | None = None
) -> Iterator[Family]:
    """Every keluarga of the penetapan inside `scope`, chunk by chunk, in ruta order."""
    last = 0
    while True:
        stmt = select(PenetapanHousehold).where(
            PenetapanHousehold.penetapan_id == p.id, PenetapanHousehold.id > last,
            scope.where(PenetapanHousehold.desa_code),
        )  # fmt: skip
        if desa_code:
            stmt = stmt.where(PenetapanHousehold.desa_code == desa_code)
        houses = list(session.scalars(stmt.order_by(PenetapanHousehold.id).limit(CHUNK)))
        if not houses:
            return
        last = houses[-1].id
        by_house: dict[str, dict[str, list[PenetapanMember]]] = defaultdict(lambda: defaultdict(list))
        for m in session.scalars(
            select(PenetapanMember)
            .where(
                PenetapanMember.penetapan_id == p.id,
                PenetapanMember.household_ref.in_([h.household_ref for h in houses]),
            )
            .order_by(PenetapanMember.family_ref, PenetapanMember.no_urut)
        ):
            by_house[m.household_ref][m.family_ref].append(m)
        family_refs = [ref for fams in by_house.values() for ref in fams]
        member_refs = [m.member_ref for fams in by_house.values() for ms in fams.values() for m in ms]
        kinds = ppks_kinds(session, p.id, family_refs, member_refs)
        for h in houses:
            for family_ref, members in by_house[h.household_ref].items():
                yield _family(h, family_ref, members, on, kinds)


def _family(
    h: PenetapanHousehold,
    family_ref: str,
    members: list[PenetapanMember],
    on: dt.date,
    ppks: Mapping | None = None,
) -> Family:
    return Family(h, members, rules.family_facts(h, family_ref, members, on, ppks))


def ppks_kinds(session: Session, penetapan_id: int, family_refs: list[str], member_refs: list[str]) -> dict:
    """(subject, ref) → the PPKS kinds the penetapan froze for these keluarga and anggota."""
    out: dict[tuple[str, str], list[str]] = {}
    for subject, refs in (("keluarga", family_refs), ("anggota", member_refs)):
        for i in range(0, len(refs), 1000):
            stmt = select(PenetapanPpks.subject_ref, PenetapanPpks.jenis).where(
                PenetapanPpks.penetapan_id == penetapan_id,
                PenetapanPpks.subject == subject,
                PenetapanPpks.subject_ref.in_(refs[i : i + 1000]),
            )
            out.update({(subject, ref): list(kinds) for ref, kinds in session.execute(stmt)})
    return out


# -- the list ------------------------------------------------------------------------------------------------


@dataclass
class Pengurus:
    """The account holder shown for a keluarga, and whether a pergantian is due."""

    member: PenetapanMember | None
    problems: list[str] = field(default_factory=list)
    replacement: PenetapanMember | None = None
    recorded: bool = False  # from a recorded pergantian rather than the preference order

    @property
    def note(self) -> str:
        if self.member is None:
            return "Tidak ada anggota yang memenuhi syarat pengurus."
        if not self.problems:
            return ""
        text = f"Pengurus {self.member.nama}: {', '.join(self.problems)}; perlu pergantian pengurus"
        if self.replacement is not None:
            return f"{text} (calon: {self.replacement.nama})."
        return f"{text}, tetapi tidak ada calon yang memenuhi syarat."


@dataclass
class PpksOrang:
    """A PPKS person outside households as a ppks_orang program sees them: the penetapan's frozen row (kinds,
    wilayah, LKS) and, from the registry record, sex, birth date, the place and the LKS name."""

    frozen: PenetapanPpks
    sex: int | None = None
    tanggal_lahir: dt.date | None = None
    tempat: str | None = None
    lks_nama: str | None = None

    @property
    def desa_code(self) -> str:
        return self.frozen.desa_code

    def record(self, on: dt.date) -> dict:
        row = {
            "jenis": self.frozen.jenis, "jenis_kelamin": self.sex, "tanggal_lahir": self.tanggal_lahir,
            "nik": self.frozen.nik if self.frozen.nik and len(self.frozen.nik) == 16 else None,
            "desa_code": self.frozen.desa_code, "lks": self.frozen.lks_ref, "tempat": self.tempat,
        }  # fmt: skip
        return rules.ppks_person_record(row, on)


@dataclass
class Beneficiary:
    """One row of a program list: a keluarga (PKH, BPNT), one anggota (PBI-JK) or one PPKS person outside
    households (ATENSI LKS, `ppks` instead of `family`)."""

    family: Family | None
    entitlement: Entitlement
    person: PenetapanMember | None = None  # for anggota-unit programs
    pengurus: Pengurus | None = None
    in_quota: bool = True
    ppks: PpksOrang | None = None  # for ppks_orang-unit programs

    @property
    def desa_code(self) -> str | None:
        return self.ppks.desa_code if self.ppks else self.family.household.desa_code  # type: ignore[union-attr]


@dataclass
class ProgramList:
    program: Program
    penetapan: Penetapan
    on: dt.date
    rows: list[Beneficiary]
    not_eligible: int = 0
    dropped_by_cap: int = 0
    full_nik: bool = True  # the viewer may see full NIK (ppks_orang lists mask it otherwise)
    not_eligible_by_desa: dict[str | None, int] = field(default_factory=dict)
    dropped_by_desa: dict[str | None, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Units in the list (in quota or not) within the view."""
        return len(self.rows)

    @property
    def inside(self) -> int:
        """Units in quota within the view."""
        return sum(1 for r in self.rows if r.in_quota)

    @property
    def total_amount(self) -> int:
        return sum(r.entitlement.amount_per_year for r in self.rows if r.in_quota)

    def component_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for r in self.rows:
            if r.in_quota:
                for g in r.entitlement.grants:
                    counts[g.label] += 1
        return dict(counts)


def recorded_holders(session: Session, program: str, family_refs: list[str]) -> dict[str, str]:
    """The latest recorded pengurus per keluarga for the program."""
    rows = session.execute(
        select(ProgramPengurus.family_ref, ProgramPengurus.member_ref)
        .where(ProgramPengurus.program == program, ProgramPengurus.family_ref.in_(family_refs))
        .order_by(ProgramPengurus.id)
    )
    return {f: m for f, m in rows}


def pengurus_for(program: Program, fam: Family, recorded: str | None) -> Pengurus:
    """The holder (recorded, else by preference); if they can no longer hold it, the best replacement."""
    by_ref = {p.ref: p for p in fam.facts.people}
    holder = by_ref.get(recorded) if recorded else None
    holder = holder or rules.natural_pengurus(program.pengurus, fam.facts)
    if holder is None:
        return Pengurus(None)
    problems = rules.pengurus_problems(program.pengurus, holder)
    replacement = None
    if problems:
        chosen = rules.choose_pengurus(program.pengurus, fam.facts, exclude=holder.ref)
        replacement = fam.member(chosen.ref) if chosen else None
    return Pengurus(fam.member(holder.ref), problems, replacement, recorded == holder.ref)


def run(
    session: Session,
    user,
    program: Program,
    penetapan_id: int,
    *,
    on: dt.date | None = None,
    desa_code: str | None = None,
) -> ProgramList:
    """Apply `program` to a penetapan within the user's wilayah: eligible units, quotas, pengurus.

    This computes the list from the frozen rows; pages and exports read the stored list instead
    (`siks.programs.stored`), which holds what this returns over the whole penetapan."""
    p = penetapan.get(session, user, penetapan_id)
    return evaluate(
        session, program, p, on or p.berlaku_mulai, Scope.of(user), desa_code, sees_full_nik(user)
    )


def evaluate(
    session: Session,
    program: Program,
    p: Penetapan,
    on: dt.date,
    scope: Scope,
    desa_code: str | None = None,
    full_nik: bool = True,
    *,
    pengurus: bool = True,
) -> ProgramList:
    """`run` for an already checked penetapan: the rows inside `scope` (and `desa_code`). `pengurus=False`
    leaves the account holder out (the stored list reads it when shown)."""
    if program.unit == "ppks_orang":
        return _run_ppks(session, program, p, on, scope, desa_code, full_nik)
    collector = Collector(session, program, scope, desa_code, pengurus=pengurus)
    # a quota shares its places across its whole wilayah: rank the whole penetapan, then cut the view
    wide = bool(program.quota)
    batch: list[Family] = []
    for fam in families(session, p, Scope(None) if wide else scope, on, None if wide else desa_code):
        batch.append(fam)
        if len(batch) >= CHUNK:
            collector.add(batch)
            batch = []
    collector.add(batch)
    return collector.finish(p, on, full_nik)


@dataclass(frozen=True, slots=True)
class _House:
    household_ref: str
    desa_code: str | None


def slim_family(fam: Family) -> Family:
    """A keluarga reduced to its ruta ref, desa and keluarga ref: what a stored list row keeps."""
    facts = FamilyFacts(fam.facts.ref, fam.facts.desa_code, {}, ())
    return Family(_House(fam.household.household_ref, fam.household.desa_code), [], facts)  # type: ignore[arg-type]


class Collector:
    """One program applied to keluarga batch by batch: the viewer's rows, every eligible unit for the quotas,
    and per desa the units not eligible and components over a cap. Several collectors can share one pass
    over the penetapan's keluarga (`siks.programs.stored` computes every program in one pass)."""

    def __init__(
        self,
        session: Session,
        program: Program,
        scope: Scope,
        desa_code: str | None,
        *,
        pengurus: bool,
        slim: bool = False,
    ):
        self.session, self.program, self.scope, self.desa_code = session, program, scope, desa_code
        self.pengurus = pengurus
        # slim: keep of each keluarga only what a stored row needs (`slim_family`), not its frozen anggota,
        # so a whole penetapan's lists are held without its rows while the quotas wait for the last keluarga
        self.keep = slim_family if slim else (lambda fam: fam)
        self.rows: list[Beneficiary] = []  # the viewer's rows
        self.ranked: list[tuple[str, str | None, tuple]] = []  # every eligible unit the quotas rank
        self.not_eligible: Counter[str | None] = Counter()
        self.dropped: Counter[str | None] = Counter()

    def in_view(self, desa: str | None) -> bool:
        return self.scope.covers(desa) and (not self.desa_code or desa == self.desa_code)

    def add(self, batch: list[Family]) -> None:
        program, rows, ranked = self.program, self.rows, self.ranked
        recorded: dict[str, str] = {}
        if self.pengurus and program.unit != "anggota":
            mine = [f for f in batch if self.in_view(f.household.desa_code)]
            recorded = recorded_holders(self.session, program.code, [f.facts.ref for f in mine])
        for fam in batch:
            seen, desa, rank = self.in_view(fam.household.desa_code), fam.household.desa_code, fam.facts.rank
            if program.unit == "anggota":
                for ent in rules.evaluate_people(program, fam.facts):
                    if ent.eligible:
                        ranked.append((ent.unit_ref, desa, rank))
                        if seen:
                            kept = self.keep(fam)
                            rows.append(Beneficiary(kept, ent, person=kept.member(ent.unit_ref)))
                continue
            ent = rules.evaluate_family(program, fam.facts)
            if not ent.eligible:
                if seen:
                    self.not_eligible[desa] += 1
                continue
            ranked.append((ent.unit_ref, desa, rank))
            if seen:
                self.dropped[desa] += len(ent.dropped)
                holder = pengurus_for(program, fam, recorded.get(fam.facts.ref)) if self.pengurus else None
                rows.append(Beneficiary(self.keep(fam), ent, pengurus=holder))

    def finish(self, p: Penetapan, on: dt.date, full_nik: bool) -> ProgramList:
        over = rules.apply_quota(self.ranked, self.program.quota)
        for r in self.rows:
            r.in_quota = _unit_ref(r) not in over
        return ProgramList(
            self.program, p, on, self.rows, sum(self.not_eligible.values()), sum(self.dropped.values()),
            full_nik, not_eligible_by_desa=dict(self.not_eligible), dropped_by_desa=dict(self.dropped),
        )  # fmt: skip


def _unit_ref(r: Beneficiary) -> str:
    return r.entitlement.unit_ref


def ppks_persons(
    session: Session,
    p: Penetapan,
    scope: Scope,
    desa_code: str | None = None,
    refs: list[str] | None = None,
) -> list[PpksOrang]:
    """The persons outside households in the penetapan's frozen PPKS list, inside `scope`, in list order
    (desa, ref). Household members and keluarga/kelompok kinds are other subjects of that list."""
    stmt = (
        select(PenetapanPpks, PpksPerson.sex, PpksPerson.tanggal_lahir, PpksPerson.tempat, Psks.nama)
        .outerjoin(PpksPerson, PpksPerson.id == PenetapanPpks.subject_id)
        .outerjoin(Psks, Psks.ref == PenetapanPpks.lks_ref)
        .where(
            PenetapanPpks.penetapan_id == p.id,
            PenetapanPpks.subject == "ppks",
            scope.where(PenetapanPpks.desa_code),
        )
    )
    if desa_code:
        stmt = stmt.where(PenetapanPpks.desa_code == desa_code)
    if refs is not None:
        stmt = stmt.where(PenetapanPpks.subject_ref.in_(refs))
    rows = session.execute(stmt.order_by(PenetapanPpks.desa_code, PenetapanPpks.subject_ref))
    return [PpksOrang(row, sex, born, tempat, lks) for row, sex, born, tempat, lks in rows]


def _run_ppks(
    session: Session,
    program: Program,
    p: Penetapan,
    on: dt.date,
    scope: Scope,
    desa_code: str | None,
    full_nik: bool,
) -> ProgramList:
    """A ppks_orang program: every PPKS person outside households the penetapan froze, evaluated with the
    same rule language; quotas rank the whole list (in list order: the sources give no ranking for LKS
    residents), then the view is cut to the user's wilayah and `desa_code`."""
    wide = bool(program.quota)
    rows: list[Beneficiary] = []
    ranked: list[tuple[str, str | None, tuple]] = []
    not_eligible: Counter[str | None] = Counter()
    for i, person in enumerate(
        ppks_persons(session, p, Scope(None) if wide else scope, None if wide else desa_code)
    ):
        ent = rules.evaluate_ppks(program, person.frozen.subject_ref, person.record(on))
        seen = scope.covers(person.desa_code) and (not desa_code or person.desa_code == desa_code)
        if not ent.eligible:
            if seen:
                not_eligible[person.desa_code] += 1
            continue
        ranked.append((ent.unit_ref, person.desa_code, (i,)))
        if seen:
            rows.append(Beneficiary(None, ent, ppks=person))
    over = rules.apply_quota(ranked, program.quota)
    for r in rows:
        r.in_quota = _unit_ref(r) not in over
    return ProgramList(
        program, p, on, rows, sum(not_eligible.values()), 0, full_nik, not_eligible_by_desa=dict(not_eligible)
    )


# -- pergantian pengurus -------------------------------------------------------------------------------------


def replace_pengurus(
    session: Session,
    user,
    program: Program,
    penetapan_id: int,
    family_ref: str,
    member_ref: str,
    reason: str,
) -> ProgramPengurus:
    """Record a new account holder: same KK, ≥ 17, in DTKS, valid adminduk; only while the keluarga still
    receives the program in this penetapan (docs/domain-facts.md §5.5)."""
    if getattr(user, "role", None) not in PENGURUS_ROLES:
        raise Forbidden("Pergantian pengurus dicatat oleh Dinas Sosial kabupaten/kota.")
    if not (reason or "").strip():
        raise Invalid(
            "Alasan pergantian pengurus wajib diisi (mis. pengurus meninggal, tanggal akta kematian)."
        )
    p = penetapan.get(session, user, penetapan_id)
    house = session.scalar(
        select(PenetapanHousehold)
        .join(
            PenetapanMember,
            (PenetapanMember.penetapan_id == PenetapanHousehold.penetapan_id)
            & (PenetapanMember.household_ref == PenetapanHousehold.household_ref),
        )
        .where(PenetapanHousehold.penetapan_id == p.id, PenetapanMember.family_ref == family_ref)
        .limit(1)
    )
    if house is None:
        raise NotFound()
    Scope.of(user).check(house.desa_code)
    members = list(
        session.scalars(
            select(PenetapanMember)
            .where(PenetapanMember.penetapan_id == p.id, PenetapanMember.family_ref == family_ref)
            .order_by(PenetapanMember.no_urut)
        )
    )
    fam = _family(house, family_ref, members, p.berlaku_mulai)
    if program.unit != "keluarga":
        raise Invalid(f"Program {program.name} tidak memakai pengurus keluarga.")
    ent = rules.evaluate_family(program, fam.facts)
    if not ent.eligible or (program.components and not ent.grants):
        raise Invalid(
            f"Keluarga ini tidak lagi menerima {program.name} pada penetapan ini; "
            "pergantian pengurus tidak dapat dilakukan."
        )
    new = fam.member(member_ref)
    if new is None:
        raise Invalid("Pengurus pengganti harus anggota keluarga yang sama (satu KK).")
    if fam.kk_number and new.kk_number and new.kk_number != fam.kk_number:
        raise Invalid("Pengurus pengganti harus tercatat dalam KK yang sama.")
    person = next(x for x in fam.facts.people if x.ref == member_ref)
    problems = rules.pengurus_problems(program.pengurus, person)
    if problems:
        raise Invalid(f"{new.nama} tidak dapat menjadi pengurus: " + ", ".join(problems) + ".")
    current = pengurus_for(
        program, fam, recorded_holders(session, program.code, [family_ref]).get(family_ref)
    )
    row = ProgramPengurus(
        program=program.code, family_ref=family_ref, member_ref=member_ref, nama=new.nama,
        previous_member_ref=current.member.member_ref if current.member else None, penetapan_id=p.id,
        reason=reason.strip(), decided_by=getattr(user, "username", str(user))[:100],
    )  # fmt: skip
    session.add(row)
    session.flush()
    record_change(
        session, user, "program_pengurus", row.id,
        {"pengurus": row.previous_member_ref}, {"pengurus": member_ref, "program": program.code},
        reason.strip(), action="ganti_pengurus",
    )  # fmt: skip
    return row


def candidates(program: Program, fam: Family) -> list[tuple[PenetapanMember, list[str]]]:
    """Every anggota of the keluarga with the reasons they may not hold the account (empty = may)."""
    return [(fam.member(p.ref), rules.pengurus_problems(program.pengurus, p)) for p in fam.facts.people]


def load_family(session: Session, p: Penetapan, family_ref: str, on: dt.date | None = None) -> Family | None:
    """One keluarga of a penetapan, without a scope check (callers check it, or show only masked data)."""
    members = list(
        session.scalars(
            select(PenetapanMember)
            .where(PenetapanMember.penetapan_id == p.id, PenetapanMember.family_ref == family_ref)
            .order_by(PenetapanMember.no_urut)
        )
    )
    if not members:
        return None
    ref = members[0].household_ref
    house = session.scalar(
        select(PenetapanHousehold).where(
            PenetapanHousehold.penetapan_id == p.id, PenetapanHousehold.household_ref == ref
        )
    )
    kinds = ppks_kinds(session, p.id, [family_ref], [m.member_ref for m in members])
    return _family(house, family_ref, members, on or p.berlaku_mulai, kinds)


def family(session: Session, user, penetapan_id: int, family_ref: str, on: dt.date | None = None) -> Family:
    """One keluarga of a penetapan inside the user's wilayah, or NotFound."""
    p = penetapan.get(session, user, penetapan_id)
    fam = load_family(session, p, family_ref, on)
    if fam is None:
        raise NotFound()
    Scope.of(user).check(fam.household.desa_code)
    return fam
