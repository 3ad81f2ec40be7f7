"""Verval progress reads per-desa counters (field_progress): they must equal a recount after every change."""

from __future__ import annotations

import pytest
from sqlalchemy import case, func, select

import siks.store.models  # noqa: F401 - every table on the metadata
from siks.errors import Conflict, Forbidden, Invalid
from siks.fieldwork import service
from siks.store.db import make_engine, transaction, upgrade
from siks.store.models.accounts import User
from siks.store.models.fieldwork import FieldProgress, FieldTask
from siks.store.models.registry import Household
from workflow_support import DESA, DESA_B


def _recount(session) -> list[tuple[str, int, int]]:
    """What progress used to compute: every task joined to its household, grouped by desa."""
    done = func.sum(case((FieldTask.status == "selesai", 1), else_=0))
    rows = session.execute(
        select(Household.desa_code, done, func.count(FieldTask.id))
        .join(Household, FieldTask.household_id == Household.id)
        .group_by(Household.desa_code)
        .order_by(Household.desa_code)
    )
    return [(code, int(d), int(t)) for code, d, t in rows]


def _shown(session, viewer) -> list[tuple[str, int, int]]:
    return [(p.code, p.done, p.total) for p in service.progress(session, viewer)["desa"]]


def _open_task(session, enumerator, ref: str, seed) -> FieldTask:
    return session.scalar(
        select(FieldTask).where(
            FieldTask.household_id == seed.households[ref], FieldTask.enumerator_id == enumerator.id
        )
    )


def test_counts_follow_assign_visit_and_reassign(wf_session, wf_seed, user):
    kec, opkab = user("kec"), user("opkab")
    enum = user("enum")
    assert _shown(wf_session, opkab) == []
    service.assign(wf_session, kec, enum.id, DESA, dusun="Krajan", rw="1", rt="2")  # R1 only
    assert _shown(wf_session, kec) == [(DESA, 0, 1)] == _recount(wf_session)
    service.assign(wf_session, kec, enum.id, DESA)  # R2, R3 new; R1 already open with enum
    assert _shown(wf_session, kec) == [(DESA, 0, 3)] == _recount(wf_session)

    task = _open_task(wf_session, enum, "R1", wf_seed)
    service.record_visit(wf_session, enum, task.id, task.version, result=6, keberadaan={})
    assert _shown(wf_session, kec) == [(DESA, 1, 3)] == _recount(wf_session)

    other = User(username="enum3", role="enumerator", wilayah_code=DESA, password_hash="x", active=True)
    wf_session.add(other)
    wf_session.flush()
    r = service.assign(wf_session, kec, other.id, DESA)  # moves R2, R3; R1 is visited and stays
    assert (r.created, r.moved, r.skipped_done) == (0, 2, 1)
    assert _shown(wf_session, kec) == [(DESA, 1, 3)] == _recount(wf_session)

    task = _open_task(wf_session, other, "R3", wf_seed)
    service.record_visit(wf_session, other, task.id, task.version, result=6, keberadaan={})
    service.assign(wf_session, opkab, user("enum_out").id, DESA_B)
    expected = [(DESA, 2, 3), (DESA_B, 0, 1)]
    assert _shown(wf_session, opkab) == expected == _recount(wf_session)
    with pytest.raises(Forbidden):
        service.progress(wf_session, user("desa"))
    assert _shown(wf_session, user("kec_out")) == []
    assert _shown(wf_session, user("opkab_out")) == []
    [k] = service.progress(wf_session, kec)["kecamatan"]
    assert (k.code, k.done, k.total) == ("35.09.15", 2, 4)


def test_a_refused_visit_counts_nothing(wf_session, wf_seed, user):
    enum = user("enum")
    service.assign(wf_session, user("kec"), enum.id, DESA)
    task = _open_task(wf_session, enum, "R1", wf_seed)
    service.record_visit(wf_session, enum, task.id, task.version, result=6, keberadaan={})
    with pytest.raises((Conflict, Invalid)):
        service.record_visit(wf_session, enum, task.id, task.version, result=6, keberadaan={})
    assert _shown(wf_session, user("kec")) == [(DESA, 1, 3)] == _recount(wf_session)


def test_migration_fills_the_counters_from_existing_tasks(db_url):
    upgrade(db_url, "0005_indexes")
    engine = make_engine(db_url)
    with transaction(engine) as s:
        u = User(username="enum", role="enumerator", wilayah_code=DESA, password_hash="x", active=True)
        hs = [Household(ref=f"H{i}", desa_code=DESA if i < 3 else DESA_B) for i in range(5)]
        s.add_all([u, *hs])
        s.flush()
        for i, h in enumerate(hs):
            s.add(
                FieldTask(
                    household_id=h.id, enumerator_id=u.id, status="selesai" if i in (0, 3) else "ditugaskan"
                )
            )
    upgrade(db_url)
    with transaction(engine) as s:
        rows = s.execute(
            select(FieldProgress.desa_code, FieldProgress.done, FieldProgress.total).order_by(
                FieldProgress.desa_code
            )
        ).all()
        assert [tuple(r) for r in rows] == [(DESA, 1, 3), (DESA_B, 1, 2)] == _recount(s)
    engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_counter_table_matches_its_model(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from siks.store.base import Base
    from siks.store.models.fieldwork import PROGRESS_TABLES

    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]

    def table_of(d):
        item = d[-1] if d[0].startswith("modify") else d[1]
        table = getattr(item, "table", None)
        return getattr(table, "name", None) or getattr(item, "name", None) or d[2]

    assert [d for d in flat if table_of(d) in PROGRESS_TABLES] == []
    engine.dispose()
