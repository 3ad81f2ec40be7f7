"""Wilayah scope in the service layer, on SQLite and PostgreSQL: every role × in-scope / out-of-scope, for
reads (get, search by NIK, name and KK) and the one direct write (address), plus the audit trail's scope."""

from __future__ import annotations

import pytest

from siks import audit
from siks.accounts.service import Actor
from siks.domain.roles import DEPTH, EDIT_REGISTRY, LEVELS, ROLES, VIEW_AUDIT, Level, has_permission, level_at
from siks.domain.usulan import FORWARD_ROLES, STOP_ROLES
from siks.errors import Forbidden, Invalid, NotFound
from siks.registry import lookup
from siks.scope import Scope
from web.support import HOUSEHOLDS, KK_OLD, KK_R1, USERS, nik_for, user

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx.*")


def _expected(username: str, desa: str) -> bool:
    code = USERS[username][1]
    return code is None or desa == code or desa.startswith(code + ".")


MATRIX = [(u, ref) for u in USERS for ref in HOUSEHOLDS]


def test_scope_predicate_matches_prefix_rule():
    s = Scope("35.09")
    assert s.covers("35.09.15.2001") and s.covers("35.09")
    assert not s.covers("35.10.01.2001") and not s.covers("35.0")
    assert Scope("35.09.15.2001").covers("35.09.15.2001")
    assert not Scope("35.09.15.2001").covers("35.09.15.2002")
    assert Scope(None).covers("33.74.01.1001")
    assert Scope.of(Actor(1, "x", None, "operator_desa", "3509152001", True)).code == "35.09.15.2001"
    assert not Scope.of(Actor(1, "x", None, "pusat", None, False)).covers(
        "35.09.15.2001"
    )  # disabled: nothing


def test_overlaps_means_inside_or_containing():
    """A kabupaten penetapan concerns the desa inside it and the provinsi around it, not a neighbour."""
    assert Scope("35.09.15").overlaps("35.09") and Scope("35").overlaps("35.09")
    assert not Scope("35.10").overlaps("35.09") and Scope(None).overlaps("35.09")
    assert Scope("35.09").overlaps(None) and not Scope("-").overlaps(None)


@pytest.mark.parametrize(("username", "ref"), MATRIX)
def test_get_household_in_and_out_of_scope(session, seed, username, ref):
    u = user(session, username)
    hid = seed.households[ref]
    if _expected(username, HOUSEHOLDS[ref]):
        assert lookup.household_detail(session, u, hid).ref == ref
    else:
        with pytest.raises(NotFound):
            lookup.get_household(session, u, hid)
        with pytest.raises(NotFound):
            lookup.household_detail(session, u, hid)
        with pytest.raises(NotFound):
            lookup.household_of_member(session, u, seed.members[f"{ref}-1"])


def test_missing_and_out_of_scope_say_the_same(session, seed):
    u = user(session, "desa")
    with pytest.raises(NotFound) as missing:
        lookup.get_household(session, u, 999_999)
    with pytest.raises(NotFound) as elsewhere:
        lookup.get_household(session, u, seed.households["RX"])
    assert missing.value.message == elsewhere.value.message
    assert missing.value.status == elsewhere.value.status == 404


@pytest.mark.parametrize("username", list(USERS))
def test_searches_return_only_scope(session, username):
    u = user(session, username)
    visible = {ref for ref, desa in HOUSEHOLDS.items() if _expected(username, desa)}
    by_name = lookup.find_by_name(session, u, "budi santoso", per_page=100)
    assert {h.household_ref for h in by_name.items} == visible
    for ref in HOUSEHOLDS:
        by_nik = lookup.find_by_nik(session, u, nik_for(ref, 2))
        assert [h.household_ref for h in by_nik] == ([ref] if ref in visible else [])
    by_kk = lookup.find_by_kk(session, u, KK_OLD)
    assert len(by_kk) == (1 if "R1" in visible else 0)


@pytest.mark.parametrize(("username", "ref"), MATRIX)
def test_address_write_in_and_out_of_scope(session, seed, username, ref):
    u = user(session, username)
    hid = seed.households[ref]
    change = {"alamat": f"Jl. Baru {username}"}
    if not _expected(username, HOUSEHOLDS[ref]):
        with pytest.raises(NotFound):  # NotFound before Forbidden: no hint that the id exists
            lookup.update_household_address(session, u, hid, change, "uji lingkup")
    elif not has_permission(u.role, EDIT_REGISTRY):
        with pytest.raises(Forbidden):
            lookup.update_household_address(session, u, hid, change, "uji lingkup")
    else:
        h = lookup.update_household_address(session, u, hid, change, "uji lingkup")
        assert h.alamat == change["alamat"]
        history = lookup.household_detail(session, u, hid).audit
        assert history[0].actor == username and history[0].reason == "uji lingkup"
        assert history[0].after == change


def test_write_rules(session, seed):
    u = user(session, "desa")
    hid = seed.households["R2"]
    with pytest.raises(Invalid):
        lookup.update_household_address(session, u, hid, {"rt": "12a"}, "alasan cukup")
    with pytest.raises(Invalid):
        lookup.update_household_address(session, u, hid, {"rt": "7"}, "")  # reason required
    h = lookup.update_household_address(session, u, hid, {"rt": "7"}, "pindah RT", expected_version=1)
    assert h.rt == "007"
    with pytest.raises(lookup.Conflict):  # a stale form
        lookup.update_household_address(session, u, hid, {"rt": "8"}, "pindah lagi", expected_version=1)


def test_name_search_rules(session):
    u = user(session, "opkab")
    with pytest.raises(Invalid):
        lookup.find_by_name(session, u, "si")
    assert lookup.find_by_name(session, u, "SITI aminah r1").items[0].nama == "Siti Aminah R1"
    assert lookup.find_by_name(session, u, "aminah").items  # contains, not only prefix
    assert lookup.find_by_name(session, u, "100%").items == []  # LIKE wildcards are literal
    first = lookup.find_by_name(session, u, "santoso", per_page=2)
    assert len(first.items) == 2 and first.has_next
    second = lookup.find_by_name(session, u, "santoso", after=first.next_cursor, per_page=2)
    assert {h.member_id for h in first.items}.isdisjoint({h.member_id for h in second.items})
    with pytest.raises(Invalid):
        lookup.search(session, u, "12345")
    found = lookup.search(session, u, KK_R1)
    assert found.kind == "nik" and found.families and found.families[0].current


def test_audit_trail_scope(session, seed):
    writer = user(session, "opkab")
    lookup.update_household_address(session, writer, seed.households["R1"], {"dusun": "Lor"}, "koreksi dusun")
    lookup.update_household_address(
        session, writer, seed.households["RK"], {"dusun": "Kidul"}, "koreksi dusun"
    )
    session.flush()

    def seen(name: str) -> set[int]:
        page = audit.search(session, user(session, name), entity="household", per_page=100)
        return {e.entity_id for e in page.items}

    r1, rk = seed.households["R1"], seed.households["RK"]
    assert {r1, rk} <= seen("auditor")  # kabupaten auditor
    assert {r1, rk} <= seen("pusat")
    assert r1 not in seen("auditor_desa") and rk not in seen("auditor_desa")  # auditor of another desa
    assert r1 not in seen("opkab_out")
    for name in USERS:
        if not has_permission(USERS[name][0], VIEW_AUDIT):
            with pytest.raises(Forbidden):
                audit.search(session, user(session, name))


def test_every_role_has_a_level_and_label():
    for role in ROLES.values():
        assert role.label and role.description
        assert role.level is None or role.level in LEVELS


def test_the_workflow_asks_roles_of_the_level_it_acts_at():
    """One roles/levels table: every role the usulan workflow names exists and sits at that level."""
    for table in (FORWARD_ROLES, STOP_ROLES):
        for level, roles in table.items():
            assert roles and all(ROLES[r].level is level for r in roles), (level, roles)
    assert DEPTH[Level.DESA] == 4 and level_at(2) is Level.KABUPATEN and level_at(0) is Level.PUSAT
