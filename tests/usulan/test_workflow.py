"""The pure state machine: each level's forward, return and refusal, for every role, on both instance tops."""

from __future__ import annotations

import pytest

from siks.domain.roles import LEVELS, ROLE_CODES, Level
from siks.domain.usulan import (
    FORWARD,
    Action,
    InvalidTransition,
    NotAllowed,
    NoteRequired,
    Status,
    Workflow,
    can_edit,
)

WF = Workflow("pusat")
KAB = Workflow("kabupaten")

# The specification, written out by hand (not derived from the code): level → (forward roles, stop roles).
SPEC = {
    "desa": ({"operator_desa"}, {"operator_desa"}),
    "kecamatan": ({"operator_kecamatan"}, {"operator_kecamatan"}),
    "kabupaten": ({"pengesah_kabupaten"}, {"supervisor_kabupaten", "pengesah_kabupaten"}),
    "provinsi": ({"operator_provinsi"}, {"operator_provinsi"}),
    "pusat": ({"pusat"}, {"pusat"}),
}
ENTRY = {
    "desa": "draf",
    "kecamatan": "diajukan",
    "kabupaten": "diverifikasi",
    "provinsi": "disahkan",
    "pusat": "diteruskan",
}
NEXT = {
    "desa": "kecamatan",
    "kecamatan": "kabupaten",
    "kabupaten": "provinsi",
    "provinsi": "pusat",
    "pusat": None,
}
PREV = {"kecamatan": "desa", "kabupaten": "kecamatan", "provinsi": "kabupaten", "pusat": "provinsi"}


def _cases():
    for level in SPEC:
        for source in (ENTRY[level], "dikembalikan"):
            for action in Action:
                for role in ROLE_CODES:
                    yield level, source, action.value, role


@pytest.mark.parametrize(("level", "source", "action", "role"), list(_cases()))
def test_matrix(level, source, action, role):
    forward_action = FORWARD[Level(level)][0].value
    forward_roles, stop_roles = SPEC[level]
    if action == forward_action:
        allowed = role in forward_roles
    elif action == "tolak" or (action == "kembalikan" and level != "desa"):
        allowed = role in stop_roles
    else:
        with pytest.raises(InvalidTransition):
            WF.step(source, level, action, role, "catatan")
        return
    if not allowed:
        with pytest.raises(NotAllowed):
            WF.step(source, level, action, role, "catatan")
        return
    t = WF.step(source, level, action, role, "catatan")
    if action == forward_action:
        assert t.target == FORWARD[Level(level)][1]
        assert t.target_level == (Level(NEXT[level]) if NEXT[level] else None)
        assert t.applies == (level == "pusat")
    elif action == "kembalikan":
        assert (t.target, t.target_level) == (Status.DIKEMBALIKAN, Level(PREV[level]))
    else:
        assert (t.target, t.target_level) == (Status.DITOLAK, None)


@pytest.mark.parametrize("action", ["kembalikan", "tolak"])
def test_return_and_refusal_need_a_note(action):
    with pytest.raises(NoteRequired):
        WF.step("diajukan", "kecamatan", action, "operator_kecamatan", "  ")
    assert WF.step("diajukan", "kecamatan", action, "operator_kecamatan", "alasan").action == action


def test_forward_needs_no_note():
    assert WF.step("draf", "desa", "ajukan", "operator_desa", None).target == Status.DIAJUKAN


@pytest.mark.parametrize("status", ["diterima", "ditolak"])
def test_closed_usulan_take_no_action(status):
    with pytest.raises(InvalidTransition):
        WF.step(status, None, "terima", "pusat", None)
    assert WF.available(status, None) == []


def test_skipping_a_level_is_refused():
    # Pusat cannot accept what the kecamatan has not verified yet: the order is fixed.
    with pytest.raises(InvalidTransition):
        WF.step("diajukan", "kecamatan", "terima", "pusat", None)
    with pytest.raises(NotAllowed):
        WF.step("diajukan", "kecamatan", "verifikasi", "pengesah_kabupaten", None)


def test_kabupaten_instance_ends_at_pengesahan():
    t = KAB.step("diverifikasi", "kabupaten", "sahkan", "pengesah_kabupaten", None)
    assert (t.target, t.target_level, t.applies) == (Status.DISAHKAN, None, True)
    assert KAB.accepted_status == Status.DISAHKAN and WF.accepted_status == Status.DITERIMA
    assert KAB.is_accepted("disahkan", None) and not WF.is_accepted("disahkan", "provinsi")
    assert {t.level for t in KAB.transitions} == {Level.DESA, Level.KECAMATAN, Level.KABUPATEN}


def test_every_open_state_has_a_way_forward_and_a_way_out():
    for level in LEVELS:
        for source in (ENTRY[level], "dikembalikan"):
            actions = {t.action for t in WF.available(source, level)}
            assert FORWARD[level][0] in actions and Action.TOLAK in actions


def test_only_the_desa_operator_edits_drafts_and_returned_usulan():
    assert can_edit("draf", "desa", "operator_desa")
    assert can_edit("dikembalikan", "desa", "operator_desa")
    assert not can_edit("dikembalikan", "kecamatan", "operator_desa")
    assert not can_edit("diajukan", "kecamatan", "operator_kecamatan")
    assert not can_edit("draf", "desa", "enumerator")


def test_unknown_action():
    with pytest.raises(InvalidTransition):
        WF.step("draf", "desa", "hapus", "operator_desa", None)
