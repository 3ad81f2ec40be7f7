"""Program lists and the dashboard's penetapan figures, computed once per penetapan and read afterwards
(issue #11.6).

Why: a penetapan never changes, so applying a program to it gives the same list on every request; doing
it per request cost 8.6 s for a kabupaten at 20,000 DTKS persons (linear in the penetapan), and the
dashboard's first view per scope 25.6 s (docs/benchmarks.md).

How:
- `compute` applies programs to the whole penetapan in one pass over its keluarga (`service.Collector`,
  the same code `service.run` uses) and stores each list: `program_list` (per-desa counts) and
  `program_list_row` (the units in `run`'s order, with grants, amount and whether in quota).
- A list is keyed by penetapan, program code and `definition_key` (the program's whole definition plus
  LIST_VERSION): a changed definition (new programs.json, other parameters or quotas) has no stored list
  and is computed on first use, never answered from the older one.
- When: at freeze time for the shipped programs (the hook in `siks.programs.__init__`, inside the freezing
  transaction, so the first viewer never pays); on first use for any other definition; `siks program hitung`
  (re)computes them ahead, e.g. after an upgrade changed programs.json.
- `read` cuts a stored list to the user's scope (and a desa) with a SQL range on `desa_code`, sums the
  scope's per-desa counts, and loads names, anggota and the pengurus only for the rows returned (a page):
  the pengurus is chosen on read from `program_pengurus`, which can change after the list is stored.
- `store_figures` counts the dashboard's penetapan figures (ruta per desil, ruta DTKS, program recipients)
  for every wilayah scope in one grouped pass and writes them to `penetapan_figure`.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siks.domain import programs as rules
from siks.domain.masking import sees_full_nik
from siks.domain.programs import Entitlement, Grant, Program
from siks.penetapan import service as penetapan
from siks.programs.service import (
    CHUNK,
    Beneficiary,
    Collector,
    Family,
    ProgramList,
    _family,
    evaluate,
    families,
    pengurus_for,
    ppks_kinds,
    ppks_persons,
    recorded_holders,
)
from siks.scope import Scope
from siks.store.base import utcnow
from siks.store.models.penetapan import Penetapan, PenetapanFigure, PenetapanHousehold, PenetapanMember
from siks.store.models.penetapan import ProgramList as StoredHeader
from siks.store.models.penetapan import ProgramListRow as StoredRow

LIST_VERSION = "1"  # bump when lists are computed differently: stored lists then miss and are computed again
FIGURE_VERSION = "1"  # bump when a stored dashboard figure is counted differently
ROWS_PER_INSERT = 2000
Progress = Callable[[int], None]  # called with the ruta done so far


def definition_key(program: Program) -> str:
    return f"{LIST_VERSION}:{program.digest}"


def shipped() -> list[Program]:
    return [rules.default_program(code) for code in rules.program_codes()]


# -- computing and storing -------------------------------------------------------------------------------


def find(session: Session, p: Penetapan, program: Program) -> StoredHeader | None:
    return session.scalar(
        select(StoredHeader).where(
            StoredHeader.penetapan_id == p.id,
            StoredHeader.program == program.code,
            StoredHeader.definition_key == definition_key(program),
        )
    )


def compute(
    session: Session, p: Penetapan, programs: Iterable[Program], by: str, progress: Progress | None = None
) -> list[StoredHeader]:
    """Apply `programs` to the whole penetapan (ages on `berlaku_mulai`) and store their lists, replacing a
    stored list of the same definition. Keluarga and anggota programs share one pass over the keluarga."""
    programs = list(programs)
    on = p.berlaku_mulai
    started = time.perf_counter()
    collectors = [
        Collector(session, prog, Scope(None), None, pengurus=False, slim=True)
        for prog in programs
        if prog.unit != "ppks_orang"
    ]
    if collectors:
        batch: list[Family] = []
        houses, last = 0, None
        for fam in families(session, p, Scope(None), on):
            if fam.household is not last:
                houses, last = houses + 1, fam.household
            batch.append(fam)
            if len(batch) >= CHUNK:
                for c in collectors:
                    c.add(batch)
                batch = []
                if progress:
                    progress(houses)
        for c in collectors:
            c.add(batch)
        if progress:
            progress(houses)
    lists = [c.finish(p, on, True) for c in collectors]
    lists += [
        evaluate(session, prog, p, on, Scope(None), pengurus=False)
        for prog in programs
        if prog.unit == "ppks_orang"
    ]
    seconds = time.perf_counter() - started
    return [_store(session, p, plist, by, seconds) for plist in lists]


def _grants(grants: tuple[Grant, ...]) -> list | None:
    return [[g.person_ref, g.component, g.label, g.amount] for g in grants] or None


def _counts(plist: ProgramList) -> dict[str, dict]:
    """Per desa code ("" for none): units, in quota, not eligible, components over a cap, amount in quota,
    and in-quota units per component label."""
    counts: dict[str, dict] = defaultdict(
        lambda: {"baris": 0, "kuota": 0, "tidak_layak": 0, "lebih_batas": 0, "nominal": 0, "komponen": {}}
    )
    for r in plist.rows:
        c = counts[r.desa_code or ""]
        c["baris"] += 1
        if r.in_quota:
            c["kuota"] += 1
            c["nominal"] += r.entitlement.amount_per_year
            for g in r.entitlement.grants:
                c["komponen"][g.label] = c["komponen"].get(g.label, 0) + 1
    for desa, n in plist.not_eligible_by_desa.items():
        counts[desa or ""]["tidak_layak"] += n
    for desa, n in plist.dropped_by_desa.items():
        counts[desa or ""]["lebih_batas"] += n
    return dict(counts)


def _store(session: Session, p: Penetapan, plist: ProgramList, by: str, seconds: float) -> StoredHeader:
    old = find(session, p, plist.program)
    if old is not None:
        session.execute(delete(StoredRow).where(StoredRow.list_id == old.id))
        session.delete(old)
        session.flush()
    header = StoredHeader(
        penetapan_id=p.id, program=plist.program.code, definition_key=definition_key(plist.program),
        program_key=plist.program.key[:80], rows=len(plist.rows), counts=_counts(plist),
        seconds=round(seconds, 3), computed_by=by[:100], computed_at=utcnow(),
    )  # fmt: skip
    session.add(header)
    session.flush()
    values = []
    for seq, r in enumerate(plist.rows):
        fam = r.family
        values.append(
            {
                "list_id": header.id,
                "seq": seq,
                "desa_code": r.desa_code,
                "unit_ref": r.entitlement.unit_ref,
                "family_ref": fam.facts.ref if fam else None,
                "household_ref": fam.household.household_ref if fam else None,
                "in_quota": r.in_quota,
                "amount": r.entitlement.amount_per_year,
                "grants": _grants(r.entitlement.grants),
                "dropped": _grants(r.entitlement.dropped),
            }
        )
        if len(values) >= ROWS_PER_INSERT:
            session.execute(insert(StoredRow), values)
            values = []
    if values:
        session.execute(insert(StoredRow), values)
    return header


def ensure(session: Session, p: Penetapan, program: Program, by: str) -> StoredHeader:
    """The stored list of `program` over `p`, computed and stored first when there is none (first use)."""
    found = find(session, p, program)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            return compute(session, p, [program], by)[0]
    except IntegrityError:  # another request stored the same list first: the same rows
        found = find(session, p, program)
        if found is None:
            raise
        return found


def after_freeze(session: Session, p: Penetapan, progress: Progress | None = None) -> None:
    """Every shipped program's list and the dashboard figures of every scope, for a new penetapan."""
    compute(session, p, shipped(), p.created_by, progress)
    store_figures(session, p)


# -- reading ---------------------------------------------------------------------------------------------


@dataclass
class StoredList(ProgramList):
    """A stored program list cut to a viewer: `rows` holds the rows asked for (a page, or all), `totals`
    the sums over the viewer's scope of the per-desa counts."""

    stored: StoredHeader | None = None
    totals: dict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.totals.get("baris", 0)

    @property
    def inside(self) -> int:
        return self.totals.get("kuota", 0)

    @property
    def total_amount(self) -> int:
        return self.totals.get("nominal", 0)

    def component_counts(self) -> dict[str, int]:
        """In-quota units per component, in the program's component order."""
        counts = self.totals.get("komponen", {})
        order = [c.label for c in self.program.components]
        labels = [x for x in order if x in counts] + sorted(x for x in counts if x not in order)
        return {label: counts[label] for label in labels}


def scope_totals(counts: dict[str, dict], scope: Scope, desa_code: str | None = None) -> dict:
    """The per-desa counts of a stored list summed over the desa inside `scope` (and `desa_code`)."""
    total: dict = {"baris": 0, "kuota": 0, "tidak_layak": 0, "lebih_batas": 0, "nominal": 0, "komponen": {}}
    for desa, c in counts.items():
        if not scope.covers(desa or None) or (desa_code and desa != desa_code):
            continue
        for k in ("baris", "kuota", "tidak_layak", "lebih_batas", "nominal"):
            total[k] += c[k]
        for label, n in c["komponen"].items():
            total["komponen"][label] = total["komponen"].get(label, 0) + n
    return total


def read(
    session: Session,
    user,
    program: Program,
    penetapan_id: int,
    *,
    desa_code: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> StoredList:
    """`service.run`'s list for this user, from the stored list (computed first if there is none): the rows
    inside the user's wilayah (and `desa_code`) from `offset`, at most `limit`, with the same masking
    (`full_nik`) and the pengurus as recorded now."""
    p = penetapan.get(session, user, penetapan_id)
    header = ensure(session, p, program, getattr(user, "username", str(user)))
    scope = Scope.of(user)
    stmt = select(StoredRow).where(StoredRow.list_id == header.id, scope.where(StoredRow.desa_code))
    if desa_code:
        stmt = stmt.where(StoredRow.desa_code == desa_code)
    stmt = stmt.order_by(StoredRow.seq).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = list(session.scalars(stmt))
    totals = scope_totals(header.counts, scope, desa_code)
    return StoredList(
        program, p, p.berlaku_mulai, materialize(session, p, program, rows), totals["tidak_layak"],
        totals["lebih_batas"], sees_full_nik(user), stored=header, totals=totals,
    )  # fmt: skip


def _entitlement(row: StoredRow) -> Entitlement:
    grants = tuple(Grant(*g) for g in row.grants or ())
    dropped = tuple(Grant(*g) for g in row.dropped or ())
    return Entitlement(row.unit_ref, True, (), grants, dropped, row.amount)


def materialize(session: Session, p: Penetapan, program: Program, rows: list[StoredRow]) -> list[Beneficiary]:
    """Stored rows as `Beneficiary` rows: the frozen keluarga (or PPKS person), and for keluarga programs the
    pengurus from `program_pengurus` as it is now."""
    out: list[Beneficiary] = []
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        if program.unit == "ppks_orang":
            persons = {
                x.frozen.subject_ref: x
                for x in ppks_persons(session, p, Scope(None), refs=[r.unit_ref for r in chunk])
            }
            out += [
                Beneficiary(None, _entitlement(r), in_quota=r.in_quota, ppks=persons[r.unit_ref])
                for r in chunk
            ]
            continue
        fams = _families(session, p, {(r.household_ref, r.family_ref) for r in chunk})
        recorded = {}
        if program.unit == "keluarga":
            recorded = recorded_holders(session, program.code, sorted({r.family_ref for r in chunk}))
        for r in chunk:
            fam = fams[(r.household_ref, r.family_ref)]
            if program.unit == "anggota":
                out.append(
                    Beneficiary(fam, _entitlement(r), person=fam.member(r.unit_ref), in_quota=r.in_quota)
                )
            else:
                holder = pengurus_for(program, fam, recorded.get(r.family_ref))
                out.append(Beneficiary(fam, _entitlement(r), pengurus=holder, in_quota=r.in_quota))
    return out


def _families(session: Session, p: Penetapan, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Family]:
    """The keluarga (household_ref, family_ref) of a penetapan as `service.families` builds them."""
    house_refs = sorted({h for h, _ in keys})
    family_refs = sorted({f for _, f in keys})
    houses = {
        h.household_ref: h
        for h in session.scalars(
            select(PenetapanHousehold).where(
                PenetapanHousehold.penetapan_id == p.id, PenetapanHousehold.household_ref.in_(house_refs)
            )
        )
    }
    members: dict[tuple[str, str], list[PenetapanMember]] = defaultdict(list)
    for m in session.scalars(
        select(PenetapanMember)
        .where(PenetapanMember.penetapan_id == p.id, PenetapanMember.family_ref.in_(family_refs))
        .order_by(PenetapanMember.family_ref, PenetapanMember.no_urut)
    ):
        if (m.household_ref, m.family_ref) in keys:
            members[(m.household_ref, m.family_ref)].append(m)
    kinds = ppks_kinds(session, p.id, family_refs, [m.member_ref for ms in members.values() for m in ms])
    return {(h, f): _family(houses[h], f, members[(h, f)], p.berlaku_mulai, kinds) for h, f in keys}


# -- dashboard figures -------------------------------------------------------------------------------------


def scopes_of(desa_code: str | None) -> list[str]:
    """The scope codes that see a desa: nasional (""), provinsi, kabupaten, kecamatan, the desa itself."""
    if not desa_code:
        return [""]
    parts = desa_code.split(".")
    return [""] + [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def figure_basis(name: str) -> str:
    return f"{FIGURE_VERSION}:{rules.definitions_key() if name == 'program' else ''}"


def store_figures(session: Session, p: Penetapan) -> int:
    """The dashboard's penetapan figures (`desil`, `dtks`, `program`) of every wilayah scope that sees part
    of `p`, from one grouped count of its ruta and the stored lists of the shipped programs; replaces the
    figures stored for `p`. Returns the number of figure rows."""
    desil: dict[str, Counter[str]] = defaultdict(Counter)
    dtks: Counter[str] = Counter()
    seen: set[str] = set()
    rows = session.execute(
        select(
            PenetapanHousehold.desa_code, PenetapanHousehold.included, PenetapanHousehold.desil, func.count()
        )
        .where(PenetapanHousehold.penetapan_id == p.id)
        .group_by(PenetapanHousehold.desa_code, PenetapanHousehold.included, PenetapanHousehold.desil)
    )
    for desa, included, d, n in rows:
        for code in scopes_of(desa):
            seen.add(code)
            if included:
                desil[code][str(d) if d is not None else "-"] += n
                dtks[code] += n
    labels, per_program = [], []
    for prog in shipped():
        header = ensure(session, p, prog, p.created_by)
        labels.append(prog.name)
        recipients: Counter[str] = Counter()
        for desa, c in header.counts.items():
            for code in scopes_of(desa or None):
                seen.add(code)
                recipients[code] += c["kuota"]
        per_program.append(recipients)
    session.execute(delete(PenetapanFigure).where(PenetapanFigure.penetapan_id == p.id))
    now = utcnow()
    values = []
    for code in sorted(seen):
        for name, data in (
            ("desil", dict(desil[code])),
            ("dtks", {"ruta": dtks[code]}),
            ("program", {"labels": labels, "values": [r[code] for r in per_program]}),
        ):
            values.append({"penetapan_id": p.id, "scope_code": code, "name": name,
                           "basis": figure_basis(name), "data": data, "created_at": now})  # fmt: skip
    for i in range(0, len(values), ROWS_PER_INSERT):
        session.execute(insert(PenetapanFigure), values[i : i + ROWS_PER_INSERT])
    return len(values)
