"""Adjudication: the queue of possible duplicates within scope, the comparison, and the audited decision."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from siks.adjudication import service
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.store.models.registry import AuditEntry
from siks.store.models.usulan import Usulan
from siks.store.models.verval import DuplicateDecision, VervalFinding, VervalRun

# (member a, member b, weight): same desa; two desa of one kecamatan; two kecamatan; two kabupaten.
PAIRS = [("R1-1", "R2-1", 9.5), ("R1-2", "RB-2", 7.0), ("R1-3", "RK-3", 6.0), ("R2-2", "RX-2", 5.0)]


@pytest.fixture
def findings(wf_session):
    wf_session.add(
        VervalRun(
            id="run-old", status="selesai", actor="uji", started_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        )
    )
    wf_session.add(
        VervalRun(
            id="run-1", status="selesai", actor="uji", started_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
        )
    )
    wf_session.flush()
    ids = {}
    for a, b, w in PAIRS:
        f = VervalFinding(run_id="run-1", code="DUP_POSSIBLE", level="anggota", weight=w,
                          member_ref=f"{a[:2]}-K1-{a[-1]}", related_ref=f"{b[:2]}-K1-{b[-1]}")  # fmt: skip
        wf_session.add(f)
        wf_session.flush()
        ids[(a, b)] = f.id
    old = VervalFinding(run_id="run-old", code="DUP_POSSIBLE", level="anggota", member_ref="R1-K1-1",
                        related_ref="R1-K1-2", weight=20.0)  # fmt: skip
    wf_session.add(old)
    wf_session.flush()
    ids["old"] = old.id
    return ids


def refs(page):
    return [(i.a.ref, i.b.ref) for i in page.items]


def test_queue_is_scoped_to_both_records(wf_session, user, findings):
    assert refs(service.queue(wf_session, user("kec"))) == [("R1-K1-1", "R2-K1-1"), ("R1-K1-2", "RB-K1-2")]
    assert len(service.queue(wf_session, user("supkab")).items) == 3
    assert len(service.queue(wf_session, user("prov")).items) == 4
    assert service.queue(wf_session, user("kec_out")).items == []
    for name in ("desa", "enum", "pengesah"):
        with pytest.raises(Forbidden):
            service.queue(wf_session, user(name))


def test_compare_side_by_side(wf_session, user, findings):
    c = service.compare(wf_session, user("kec"), findings[("R1-2", "RB-2")])
    assert (c.a.member.ref, c.b.member.ref) == ("R1-K1-2", "RB-K1-2")
    labels = [f[0] for f in c.a.fields]
    assert labels[:2] == ["Nama", "NIK"] and c.differs[labels.index("Nama")]
    assert not c.differs[labels.index("Jenis kelamin")]
    assert c.a.housemates == ["Budi R1", "Ani R1"]
    for name, key in (("kec", ("R1-3", "RK-3")), ("kec_out", ("R1-1", "R2-1")), ("kec", "old")):
        with pytest.raises(NotFound):
            service.compare(wf_session, user(name), findings[key])


def test_decision_is_stored_audited_and_leaves_the_queue(wf_session, user, findings):
    fid = findings[("R1-1", "R2-1")]
    decision, usulan_id = service.decide(wf_session, user("kec"), fid, False, "Beda orang, beda ibu")
    assert usulan_id is None
    row = wf_session.scalars(select(DuplicateDecision)).one()
    assert (row.member_ref_a, row.member_ref_b, row.same_person, row.decided_by, row.note) == (
        "R1-K1-1", "R2-K1-1", False, "kec", "Beda orang, beda ibu",
    )  # fmt: skip
    entry = wf_session.scalars(select(AuditEntry).where(AuditEntry.entity == "duplicate_decision")).one()
    assert (entry.action, entry.entity_id, entry.after["same_person"]) == (
        "putuskan_ganda",
        decision.id,
        False,
    )
    assert ("R1-K1-1", "R2-K1-1") not in refs(service.queue(wf_session, user("kec")))
    with pytest.raises(Conflict):  # a second adjudicator on a stale queue
        service.decide(wf_session, user("supkab"), fid, True)


def test_same_person_may_propose_dropping_one(wf_session, wf_seed, user, findings):
    fid = findings[("R1-2", "RB-2")]
    with pytest.raises(Invalid):
        service.decide(wf_session, user("kec"), fid, False, drop_ref="RB-K1-2")
    with pytest.raises(Invalid):
        service.decide(wf_session, user("kec"), fid, True, drop_ref="RX-K1-1")
    _, usulan_id = service.decide(wf_session, user("kec"), fid, True, "Orang yang sama", drop_ref="RB-K1-2")
    u = wf_session.get(Usulan, usulan_id)
    assert (u.kind, u.subkind, u.desa_code, u.target_id) == (
        "nonaktif",
        "ganda",
        "35.09.15.2002",
        wf_seed.members["RB-2"],
    )
    assert u.payload["duplicate_of"] == "R1-K1-2" and (u.status, u.channel) == ("draf", "verval")


@pytest.mark.parametrize("name", ["auditor", "pusat", "prov", "desa", "pengesah"])
def test_only_deciders_decide(wf_session, user, findings, name):
    with pytest.raises((Forbidden, NotFound)) as e:
        service.decide(wf_session, user(name), findings[("R1-1", "R2-1")], True)
    assert e.value.status == 403


def test_no_run_no_queue(wf_session, user):
    assert service.queue(wf_session, user("kec")).items == []
