"""Field verval: assignment by area, the enumerator's list, a visit's records, progress per desa/kecamatan."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.fieldwork import service
from siks.store.models.fieldwork import FieldMemberResult
from siks.store.models.registry import Assessment, AssessmentMember, AuditEntry, Household, Member
from siks.store.models.usulan import Usulan
from workflow_support import DESA


def test_assign_by_desa_dusun_rw_rt(wf_session, wf_seed, user):
    enum = user("enum")
    r = service.assign(wf_session, user("kec"), enum.id, DESA, dusun="krajan", rw="1", rt="2")
    assert (r.created, r.moved) == (1, 0)
    assert [t.household.id for t in service.my_tasks(wf_session, enum)] == [wf_seed.households["R1"]]
    r = service.assign(wf_session, user("opkab"), enum.id, "3509152001")
    assert (r.created, r.moved) == (2, 0)  # R1 already has an open task with the same enumerator
    rows = service.my_tasks(wf_session, enum)
    assert [t.household.ref for t in rows] == ["R3", "R1", "R2"]  # Gumuk before Krajan; then RW/RT
    assert rows[1].head == "Budi R1"


@pytest.mark.parametrize("name", ["desa", "enum", "pengesah", "prov", "pusat", "auditor"])
def test_only_kecamatan_and_kabupaten_assign(wf_session, user, name):
    with pytest.raises(Forbidden):
        service.assign(wf_session, user(name), user("enum").id, DESA)


def test_assign_outside_scope_or_to_the_wrong_enumerator(wf_session, user):
    with pytest.raises(NotFound):
        service.assign(wf_session, user("kec_out"), user("enum").id, DESA)
    with pytest.raises(NotFound):
        service.assign(wf_session, user("kec"), user("desa").id, DESA)  # not an enumerator
    with pytest.raises(Invalid):
        service.assign(wf_session, user("kec"), user("enum_out").id, DESA)  # enumerator of desa B
    with pytest.raises(Invalid):
        service.assign(wf_session, user("kec"), user("enum").id, DESA, rt="99")


def test_reassign_moves_open_tasks(wf_session, wf_seed, user):
    from siks.store.models.accounts import User

    other = User(username="enum2", role="enumerator", wilayah_code=DESA, password_hash="x", active=True)
    wf_session.add(other)
    wf_session.flush()
    service.assign(wf_session, user("kec"), user("enum").id, DESA)
    r = service.assign(wf_session, user("kec"), other.id, DESA, dusun="Gumuk")
    assert (r.created, r.moved) == (0, 1)
    assert [t.household.ref for t in service.my_tasks(wf_session, other)] == ["R3"]


def _task(wf_session, user, ref="R1"):
    service.assign(wf_session, user("kec"), user("enum").id, DESA)
    return next(t.task for t in service.my_tasks(wf_session, user("enum")) if t.household.ref == ref)


def test_visit_writes_results_assessment_and_usulan(wf_session, wf_seed, user):
    enum = user("enum")
    task = _task(wf_session, user)
    m1, m2, m3 = (wf_seed.members[f"R1-{i}"] for i in (1, 2, 3))
    out = service.record_visit(
        wf_session, enum, task.id, task.version, result=1, keberadaan={m1: 1, m2: 1, m3: 3},
        answers={"jenis_lantai": "2", "aset_mobil": "2", "luas_lantai": "36", "status_bangunan": ""},
        member_answers={m1: {"bekerja": "1", "status_pekerjaan": "6"}}, visited_on=dt.date(2025, 5, 2),
        note="Ani merantau ke Surabaya",
    )  # fmt: skip
    assert (out.task.status, out.task.result) == ("selesai", 1)
    a = wf_session.get(Assessment, out.assessment_id)
    assert (a.assessed_by, a.assessed_on, a.instrument) == ("enum", dt.date(2025, 5, 2), "REGSOSEK2022.K")
    assert a.answers == {"jenis_lantai": 2, "aset_mobil": False, "luas_lantai": 36}
    per_member = {r.member_id: r.answers for r in wf_session.scalars(select(AssessmentMember))}
    assert per_member == {
        m1: {"bekerja": True, "status_pekerjaan": 6, "keberadaan": 1},
        m2: {"keberadaan": 1},
    }
    codes = {r.member_id: r.keberadaan for r in wf_session.scalars(select(FieldMemberResult))}
    assert codes == {m1: 1, m2: 1, m3: 3}
    [uid] = out.usulan_ids
    u = wf_session.get(Usulan, uid)
    assert (u.kind, u.subkind, u.channel, u.status, u.target_id) == (
        "nonaktif",
        "pindah",
        "verval",
        "draf",
        m3,
    )
    assert wf_session.get(Member, m3).status == "aktif"  # only an accepted usulan changes the registry
    actions = set(wf_session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "enum")))
    assert {"kunjungan", "pendataan"} <= actions


def test_the_form_starts_from_the_newest_assessment(wf_session, wf_seed, user):
    enum = user("enum")
    task = _task(wf_session, user)
    members = {wf_seed.members[f"R1-{i}"]: 1 for i in (1, 2, 3)}
    old = Assessment(household_id=wf_seed.households["R1"], instrument="REGSOSEK2022.K",
                     answers={"jenis_atap": 2, "jenis_lantai": 5}, assessed_by="impor")  # fmt: skip
    wf_session.add(old)
    wf_session.flush()
    assert service.visit_form(wf_session, enum, task.id)["answers"] == {"jenis_atap": 2, "jenis_lantai": 5}
    out = service.record_visit(wf_session, enum, task.id, task.version, result=1, keberadaan=members,
                               answers={"jenis_lantai": "8", "internet": "3"})  # fmt: skip
    assert wf_session.get(Assessment, old.id).answers == {"jenis_atap": 2, "jenis_lantai": 5}  # history kept
    form = service.visit_form(wf_session, enum, task.id)
    assert form["answers"] == {"jenis_atap": 2, "jenis_lantai": 8, "internet": 3}
    assert form["task"].assessment_id == out.assessment_id
    assert form["household_fields"][0].key == "status_bangunan"
    wf_session.add(Assessment(household_id=wf_seed.households["R1"], instrument="PBDT2015", answers={"x": 1}))
    wf_session.flush()
    assert service.visit_form(wf_session, enum, task.id)["answers"] == {}  # other codes: start afresh


def test_household_not_found_proposes_household_nonaktif(wf_session, wf_seed, user):
    task = _task(wf_session, user, "R2")
    out = service.record_visit(wf_session, user("enum"), task.id, task.version, result=2, keberadaan={})
    assert out.assessment_id is None
    u = wf_session.get(Usulan, out.usulan_ids[0])
    assert (u.target_entity, u.target_id, u.subkind) == (
        "household",
        wf_seed.households["R2"],
        "tidak_ditemukan",
    )
    assert wf_session.get(Household, wf_seed.households["R2"]).status == "aktif"


def test_visit_rules(wf_session, wf_seed, user):
    enum = user("enum")
    task = _task(wf_session, user)
    m1 = wf_seed.members["R1-1"]
    full = {wf_seed.members[f"R1-{i}"]: 1 for i in (1, 2, 3)}
    with pytest.raises(Invalid, match="setiap anggota"):
        service.record_visit(wf_session, enum, task.id, task.version, result=1, keberadaan={m1: 1})
    with pytest.raises(Invalid, match="tidak dikenal"):
        service.record_visit(wf_session, enum, task.id, task.version, result=9, keberadaan=full)
    with pytest.raises(Invalid, match="bukan anggota"):
        service.record_visit(wf_session, enum, task.id, task.version, result=1,
                             keberadaan=full | {wf_seed.members["R2-1"]: 1})  # fmt: skip
    with pytest.raises(Invalid, match="Jenis lantai"):
        service.record_visit(wf_session, enum, task.id, task.version, result=1, keberadaan=full,
                             answers={"jenis_lantai": "77"})  # fmt: skip
    with pytest.raises(Conflict):
        service.record_visit(wf_session, enum, task.id, task.version - 1, result=1, keberadaan=full)
    with pytest.raises(NotFound):  # another enumerator's task
        service.record_visit(wf_session, user("enum_out"), task.id, task.version, result=1, keberadaan=full)
    service.record_visit(wf_session, enum, task.id, task.version, result=6, keberadaan={})
    with pytest.raises(Invalid, match="sudah dicatat"):
        service.record_visit(wf_session, enum, task.id, task.version, result=1, keberadaan=full)


def test_progress_per_desa_and_kecamatan(wf_session, wf_seed, user):
    task = _task(wf_session, user)
    service.assign(wf_session, user("opkab"), user("enum_out").id, "35.09.15.2002")
    service.record_visit(wf_session, user("enum"), task.id, task.version, result=6, keberadaan={})
    p = service.progress(wf_session, user("kec"))
    assert [(x.code, x.done, x.total) for x in p["desa"]] == [(DESA, 1, 3), ("35.09.15.2002", 0, 1)]
    assert [(x.code, x.name, x.done, x.total, x.percent) for x in p["kecamatan"]] == [
        ("35.09.15", "Sukorambi", 1, 4, 25)
    ]
    assert service.progress(wf_session, user("kec_out"))["desa"] == []
    with pytest.raises(Forbidden):
        service.progress(wf_session, user("enum"))


def test_viewers_see_tasks_in_scope_only(wf_session, user):
    task = _task(wf_session, user)
    assert service.get_task(wf_session, user("supkab"), task.id)[0].id == task.id
    for name in ("kec_out", "enum_out", "desa"):
        with pytest.raises(NotFound):
            service.get_task(wf_session, user(name), task.id)
