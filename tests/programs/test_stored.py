"""Program lists stored per penetapan (issue #11.6), both backends: the stored list is what `run` computes
(same units, order, quotas, pengurus) for every scope; a changed definition is computed again, never read
from the older list; reading computes nothing; a pergantian pengurus recorded later is seen on read."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import func, select, update

from siks.domain import programs as rules
from siks.penetapan import service as penetapan
from siks.penetapan.sources import Score, ScoreTable
from siks.programs import export, service, stored
from siks.store.models.penetapan import PenetapanFigure, ProgramList, ProgramListRow
from siks.store.models.registry import Assessment, AssessmentMember, AuditEntry, Family, Member
from workflow_support import toddler

JAN = dt.date(2027, 1, 1)
SCORES = ScoreTable(
    {"R1": Score(2), "R2": Score(3), "R3": Score(6), "RB": Score(1), "RK": Score(4)}, {"kind": "uji"}
)
VIEWERS = ["opkab", "kec", "desa", "desa_out", "pusat", "pengesah"]


def _penetapan(session, user):
    for i, (_ref, mid) in enumerate(sorted(_members(session))):
        session.get(Member, mid).nik = f"35091501017{i:05d}"
    sri = session.scalar(select(Member).where(Member.ref == "R1-K1-2"))
    session.add(toddler(sri.family_id))
    house = session.get(Family, sri.family_id).household_id
    a = Assessment(household_id=house, instrument="REGSOSEK2022.K", answers={})
    session.add(a)
    session.flush()
    session.add(AssessmentMember(assessment_id=a.id, member_id=sri.id, answers={"hamil": True}))
    session.flush()
    return penetapan.create(
        session,
        user("supkab"),
        title="DTKS Januari 2027",
        periode="2027-01",
        berlaku_mulai=JAN,
        scores=SCORES,
    )


def _members(session):
    return [(ref, mid) for ref, mid in session.execute(select(Member.ref, Member.id))]


def _view(plist) -> list[tuple]:
    """What a page or an export shows of a list, row by row, in order."""
    out = []
    for r in plist.rows:
        holder = r.pengurus
        out.append(
            (
                r.entitlement.unit_ref,
                r.desa_code,
                r.in_quota,
                r.entitlement.amount_per_year,
                tuple(r.entitlement.grants),
                tuple(r.entitlement.dropped),
                r.person.member_ref if r.person else None,
                r.family.household.household_ref if r.family else None,
                [m.member_ref for m in r.family.members] if r.family else None,
                (holder.member.member_ref if holder.member else None, tuple(holder.problems), holder.note)
                if holder
                else None,
            )
        )
    return out


def _same(live, kept) -> None:
    assert _view(kept) == _view(live)
    assert (kept.size, kept.inside, kept.total_amount) == (len(live.rows), live.inside, live.total_amount)
    assert kept.component_counts() == live.component_counts()
    assert (kept.not_eligible, kept.dropped_by_cap, kept.full_nik) == (
        live.not_eligible,
        live.dropped_by_cap,
        live.full_nik,
    )


def _stored_lists(session, p) -> dict[str, ProgramList]:
    return {
        h.program: h for h in session.scalars(select(ProgramList).where(ProgramList.penetapan_id == p.id))
    }


def test_freezing_stores_every_shipped_list_and_every_scopes_figures(wf_session, user):
    p = _penetapan(wf_session, user)
    kept = _stored_lists(wf_session, p)
    assert set(kept) == set(rules.program_codes())
    for prog in stored.shipped():
        assert kept[prog.code].definition_key == stored.definition_key(prog)
    scopes = {
        s
        for (s,) in wf_session.execute(
            select(PenetapanFigure.scope_code).where(PenetapanFigure.penetapan_id == p.id)
        )
    }
    # nasional, provinsi, kabupaten, each kecamatan and desa that has ruta in the penetapan
    assert {"", "35", "35.09", "35.09.15", "35.09.15.2001"} <= scopes


def test_the_stored_list_is_what_run_computes_for_every_scope(wf_session, user):
    p = _penetapan(wf_session, user)
    bpnt_quota = replace(rules.default_program("bpnt"), quota={"35.09.15": 2})
    for prog in [*stored.shipped(), bpnt_quota]:
        for name in VIEWERS:
            viewer = user(name)
            _same(service.run(wf_session, viewer, prog, p.id), stored.read(wf_session, viewer, prog, p.id))
        opkab = user("opkab")
        for desa in ("35.09.15.2001", "35.09.15.2002"):
            _same(
                service.run(wf_session, opkab, prog, p.id, desa_code=desa),
                stored.read(wf_session, opkab, prog, p.id, desa_code=desa),
            )
    # the quota ranks the whole list before the view is cut, as `run` does: R2 is cadangan for the desa
    desa = stored.read(wf_session, user("desa"), bpnt_quota, p.id)
    assert {r.entitlement.unit_ref: r.in_quota for r in desa.rows} == {"R1-K1": True, "R2-K1": False}
    assert desa.size == 2 and desa.inside == 1


def test_pages_are_slices_of_the_same_order(wf_session, user):
    p = _penetapan(wf_session, user)
    pbi = rules.default_program("pbi_jk")
    opkab = user("opkab")
    whole = _view(stored.read(wf_session, opkab, pbi, p.id))
    assert len(whole) == 13
    pages = [_view(stored.read(wf_session, opkab, pbi, p.id, offset=o, limit=5)) for o in (0, 5, 10)]
    assert pages[0] + pages[1] + pages[2] == whole
    assert stored.read(wf_session, opkab, pbi, p.id, offset=10, limit=5).size == 13  # totals are the scope's


def test_reading_computes_nothing(wf_session, user):
    p = _penetapan(wf_session, user)
    pkh = rules.default_program("pkh")
    header = _stored_lists(wf_session, p)["pkh"]
    before = (header.id, header.computed_at)
    # change a stored row: a read that recomputed would not show it
    wf_session.execute(update(ProgramListRow).where(ProgramListRow.list_id == header.id).values(amount=1))
    wf_session.expire_all()
    audit = wf_session.scalar(select(func.count()).select_from(AuditEntry))
    plist = stored.read(wf_session, user("opkab"), pkh, p.id)
    assert wf_session.scalar(select(func.count()).select_from(AuditEntry)) == audit  # reading audits nothing
    assert [r.entitlement.amount_per_year for r in plist.rows] == [1]
    header = _stored_lists(wf_session, p)["pkh"]
    assert (header.id, header.computed_at) == before
    assert wf_session.scalar(select(func.count()).select_from(ProgramList)) >= len(rules.program_codes())


def test_a_changed_definition_is_computed_again_not_read_stale(wf_session, user):
    p = _penetapan(wf_session, user)
    opkab = user("opkab")
    pkh = rules.default_program("pkh")
    shipped_header = _stored_lists(wf_session, p)["pkh"]
    changed = rules.default_program("pkh", {"max_komponen": 1})
    assert stored.definition_key(changed) != shipped_header.definition_key
    assert stored.find(wf_session, p, changed) is None
    plist = stored.read(wf_session, opkab, changed, p.id)  # first use: computed and stored
    _same(service.run(wf_session, opkab, changed, p.id), plist)
    assert [len(r.entitlement.grants) for r in plist.rows] == [1]  # one of ibu_hamil, anak_usia_dini
    assert [len(r.entitlement.dropped) for r in plist.rows] == [1]
    new_header = stored.find(wf_session, p, changed)
    assert new_header is not None and new_header.id != shipped_header.id
    # the shipped definition still reads its own list
    assert len(stored.read(wf_session, opkab, pkh, p.id).rows[0].entitlement.grants) == 2
    # a quota is part of the definition too
    assert stored.definition_key(replace(pkh, quota={"35.09": 1})) != stored.definition_key(pkh)


def test_compute_again_replaces_the_list_of_the_same_definition(wf_session, user):
    p = _penetapan(wf_session, user)
    pkh = rules.default_program("pkh")
    old = stored.find(wf_session, p, pkh)
    old_id = old.id
    wf_session.execute(update(ProgramListRow).where(ProgramListRow.list_id == old_id).values(amount=1))
    (new,) = stored.compute(wf_session, p, [pkh], "uji")
    assert new.id != old_id and new.computed_by == "uji"
    assert wf_session.scalar(select(func.count()).where(ProgramListRow.list_id == old_id)) == 0
    assert stored.read(wf_session, user("opkab"), pkh, p.id).rows[0].entitlement.amount_per_year == 6_000_000


def test_a_pergantian_pengurus_after_storing_is_seen_on_read(wf_session, user):
    p = _penetapan(wf_session, user)
    pkh = rules.default_program("pkh")
    opkab = user("opkab")
    first = stored.read(wf_session, opkab, pkh, p.id).rows[0]
    assert first.pengurus.member.nama == "Sri R1" and not first.pengurus.recorded
    service.replace_pengurus(wf_session, opkab, pkh, p.id, "R1-K1", "R1-K1-3", "Pengurus pindah")
    after = stored.read(wf_session, opkab, pkh, p.id)
    assert after.rows[0].pengurus.member.nama == "Ani R1" and after.rows[0].pengurus.recorded
    _same(service.run(wf_session, opkab, pkh, p.id), after)
    row = next(export.rows(after))
    assert row["id_art_pengurus"] == "R1-K1-3"


def test_exports_from_the_stored_list_equal_the_computed_ones(wf_session, user):
    p = _penetapan(wf_session, user)
    opkab = user("opkab")
    for prog in stored.shipped():
        live, kept = service.run(wf_session, opkab, prog, p.id), stored.read(wf_session, opkab, prog, p.id)
        assert export.to_csv(kept) == export.to_csv(live)


def test_the_dashboard_program_figure_reads_the_stored_lists(wf_session, user):
    from siks.reports import dashboard
    from siks.scope import Scope

    p = _penetapan(wf_session, user)
    figure = {
        (r.scope_code, r.name): r.data
        for r in wf_session.scalars(select(PenetapanFigure).where(PenetapanFigure.penetapan_id == p.id))
    }
    for name in ("opkab", "kec", "desa", "desa_out"):
        viewer = user(name)
        scope = Scope.of(viewer)
        inside = [
            sum(1 for r in service.run(wf_session, viewer, prog, p.id).rows if r.in_quota)
            for prog in stored.shipped()
        ]
        assert figure[(scope.code, "program")]["values"] == inside or (
            (scope.code, "program") not in figure and not any(inside)
        )
        assert dashboard.by_program(wf_session, viewer, scope, p).values == {"Penerima": inside}
