"""Every workflow step × role × scope through the service, on SQLite and PostgreSQL.

Expected outcomes are written from the specification (docs/usulan.md §1), not derived from the code:
allowed → the new state; a role of another level → Forbidden (403); an action the state does not have →
WrongState (409); outside the user's wilayah → NotFound (404); a stale version → Conflict (409).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from siks.domain.usulan import Workflow
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.store.models.registry import AuditEntry, Member
from siks.usulan import service
from siks.usulan.service import WrongState
from workflow_support import BY_ROLE, USERS, forced_usulan

WF = Workflow("pusat")
LEVELS = ("desa", "kecamatan", "kabupaten", "provinsi", "pusat")
ENTRY = {"desa": "draf", "kecamatan": "diajukan", "kabupaten": "diverifikasi", "provinsi": "disahkan",
         "pusat": "diteruskan"}  # fmt: skip
FORWARD = {"desa": ("ajukan", "diajukan"), "kecamatan": ("verifikasi", "diverifikasi"),
           "kabupaten": ("sahkan", "disahkan"), "provinsi": ("teruskan", "diteruskan"),
           "pusat": ("terima", "diterima")}  # fmt: skip
MAY_FORWARD = {
    "desa": {"operator_desa"},
    "kecamatan": {"operator_kecamatan"},
    "kabupaten": {"pengesah_kabupaten"},
    "provinsi": {"operator_provinsi"},
    "pusat": {"pusat"},
}
MAY_STOP = dict(MAY_FORWARD, kabupaten={"pengesah_kabupaten", "supervisor_kabupaten"})
ACTIONS = ("ajukan", "verifikasi", "sahkan", "teruskan", "terima", "kembalikan", "tolak")
POSITIONS = [(source, level) for level in LEVELS for source in (ENTRY[level], "dikembalikan")]


def expected(source: str, level: str, action: str, role: str):
    """(exception type or None, (status, level) after)."""
    i = LEVELS.index(level)
    if action == FORWARD[level][0]:
        if role not in MAY_FORWARD[level]:
            return Forbidden, None
        if source == "draf":  # a draft goes up only with its batch and berita acara
            return Invalid, None
        return None, (FORWARD[level][1], LEVELS[i + 1] if i + 1 < len(LEVELS) else None)
    if action == "tolak" or (action == "kembalikan" and i > 0):
        if role not in MAY_STOP[level]:
            return Forbidden, None
        return None, ("ditolak", None) if action == "tolak" else ("dikembalikan", LEVELS[i - 1])
    return WrongState, None


CASES = [(s, lv, a, r) for s, lv in POSITIONS for a in ACTIONS for r in BY_ROLE]


@pytest.mark.parametrize(("source", "level", "action", "role"), CASES, ids=["-".join(c) for c in CASES])
def test_step_by_role(wf_session, wf_seed, user, source, level, action, role):
    u = forced_usulan(wf_session, wf_seed, source, level)
    actor = user(BY_ROLE[role])
    error, after = expected(source, level, action, role)
    if error is not None:
        with pytest.raises(error):
            service.act(wf_session, actor, u.id, action, u.version, "catatan uji", WF)
        wf_session.rollback()
        return
    done = service.act(wf_session, actor, u.id, action, u.version, "catatan uji", WF)
    assert (done.status, done.level) == after
    assert done.events[-1 if after[0] != "diterima" else -2].action == action
    member = wf_session.get(Member, wf_seed.members["R1-3"])
    assert (member.status == "nonaktif") == (after[0] == "diterima")


OUTSIDERS = [name for name in USERS if name.endswith("_out")]


@pytest.mark.parametrize(("source", "level"), POSITIONS)
@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_out_of_scope_is_not_found(wf_session, wf_seed, user, outsider, source, level):
    u = forced_usulan(wf_session, wf_seed, source, level)
    for action in (FORWARD[level][0], "kembalikan", "tolak"):
        with pytest.raises(NotFound):
            service.act(wf_session, user(outsider), u.id, action, u.version, "catatan", WF)
    with pytest.raises(NotFound):
        service.get(wf_session, user(outsider), u.id)
    assert u.id not in [x.id for x in service.search(wf_session, user(outsider)).items]


@pytest.mark.parametrize(("source", "level"), [p for p in POSITIONS if p[0] != "draf"])
def test_stale_version_is_a_conflict(wf_session, wf_seed, user, source, level):
    u = forced_usulan(wf_session, wf_seed, source, level)
    actor = user(BY_ROLE[sorted(MAY_FORWARD[level])[0]])
    with pytest.raises(Conflict):
        service.act(wf_session, actor, u.id, FORWARD[level][0], u.version - 1, None, WF)
    with pytest.raises(Conflict):
        service.act(wf_session, actor, u.id, FORWARD[level][0], None, None, WF)


def test_two_approvers_on_one_view(wf_session, wf_seed, user):
    """The kecamatan verifies; the second click, made on the same (now stale) page, is refused."""
    u = forced_usulan(wf_session, wf_seed, "diajukan", "kecamatan")
    seen = u.version
    service.act(wf_session, user("kec"), u.id, "verifikasi", seen, None, WF)
    with pytest.raises(Conflict):
        service.act(wf_session, user("kec"), u.id, "kembalikan", seen, "salah", WF)


def test_return_and_refusal_need_a_note(wf_session, wf_seed, user):
    u = forced_usulan(wf_session, wf_seed, "diverifikasi", "kabupaten")
    for action in ("kembalikan", "tolak"):
        with pytest.raises(Invalid):
            service.act(wf_session, user("supkab"), u.id, action, u.version, "", WF)


def test_closed_usulan_cannot_move(wf_session, wf_seed, user):
    for status in ("diterima", "ditolak"):
        u = forced_usulan(wf_session, wf_seed, status, None)
        with pytest.raises(WrongState):
            service.act(wf_session, user("pusat"), u.id, "terima", u.version, None, WF)


def test_queue_shows_what_the_role_may_act_on(wf_session, wf_seed, user):
    at_kec = forced_usulan(wf_session, wf_seed, "diajukan", "kecamatan")
    at_kab = forced_usulan(wf_session, wf_seed, "diverifikasi", "kabupaten")
    kec_queue = {x.id for x in service.search(wf_session, user("kec"), to_act=True, workflow=WF).items}
    assert at_kec.id in kec_queue and at_kab.id not in kec_queue
    assert service.actions_for(user("kec"), at_kab, WF) == []
    assert {t.action.value for t in service.actions_for(user("supkab"), at_kab, WF)} == {
        "kembalikan",
        "tolak",
    }
    assert service.search(wf_session, user("auditor"), to_act=True, workflow=WF).items == []


def test_the_final_step_applies_and_audits(wf_session, wf_seed, user):
    u = forced_usulan(wf_session, wf_seed, "diteruskan", "pusat")
    service.act(wf_session, user("pusat"), u.id, "terima", u.version, None, WF)
    assert u.applied_at is not None and u.result["deactivated"] == [["member", wf_seed.members["R1-3"]]]
    entry = wf_session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "member", AuditEntry.entity_id == wf_seed.members["R1-3"]
        )
    ).one()
    assert entry.before["status"] == "aktif" and entry.after["status"] == "nonaktif"
    assert f"Usulan #{u.id}" in entry.reason
    assert [x.id for x in service.accepted(wf_session)] == [u.id]


def test_concurrent_sessions_cannot_both_act(wf_engine, wf_seed):
    """Two approvers load the same usulan in their own sessions; the slower one gets a conflict."""
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from siks.store.models.accounts import User
    from siks.store.models.usulan import Usulan, UsulanBatch, UsulanDocument, UsulanEvent

    with Session(wf_engine) as s, s.begin():
        uid = forced_usulan(s, wf_seed, "diajukan", "kecamatan", member="R2-3").id
    try:
        with Session(wf_engine) as a, Session(wf_engine) as b:
            kec_a, kec_b = a.get(User, wf_seed.users["kec"]), b.get(User, wf_seed.users["kec"])
            seen_a, seen_b = a.get(Usulan, uid), b.get(Usulan, uid)
            assert seen_a.version == seen_b.version
            service.act(a, kec_a, uid, "verifikasi", seen_a.version, None, WF)
            a.commit()
            with pytest.raises(Conflict):
                service.act(b, kec_b, uid, "kembalikan", seen_b.version, "terlambat", WF)
            b.rollback()
    finally:
        with Session(wf_engine) as s, s.begin():
            batch_id = s.get(Usulan, uid).batch_id
            doc_id = s.get(UsulanBatch, batch_id).berita_acara_id
            s.execute(delete(UsulanEvent).where(UsulanEvent.usulan_id == uid))
            s.execute(delete(Usulan).where(Usulan.id == uid))
            s.execute(delete(UsulanBatch).where(UsulanBatch.id == batch_id))
            s.execute(delete(UsulanDocument).where(UsulanDocument.id == doc_id))
