"""Figures per penetapan: counted once per penetapan and wilayah scope, then read from `penetapan_figure`;
the stored figures equal a recount, each penetapan and each scope has its own, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, update

from siks.accounts import service as accounts
from siks.penetapan import service
from siks.penetapan.sources import Score, ScoreTable
from siks.programs.stored import scopes_of
from siks.reports import dashboard
from siks.scope import Scope
from siks.store.models.penetapan import PenetapanFigure
from web.support import DESA, DESA_B, DESA_OTHER_KEC, seed, session, web_engine  # noqa: F401

SCORES = ScoreTable(
    {"R1": Score(2), "R2": Score(3), "RB": Score(1), "RK": Score(4), "RX": Score(1)}, {"kind": "uji"}
)
VIEWERS = ["opkab", "kec", "desa", "desa_out", "prov", "pusat"]
PER_PENETAPAN = {"desil", "dtks", "program"}


def _penetapan(s, month: int, scores: ScoreTable = SCORES):
    return service.create(
        s,
        accounts.get_user(s, "supkab"),
        title=f"DTKS 2027-{month:02d}",
        periode=f"2027-{month:02d}",
        berlaku_mulai=dt.date(2027, month, 1),
        scores=scores,
    )


def _figures(s, user, scope, stored: bool) -> dict:
    p = dashboard.latest_penetapan(s, user, scope)
    out = {
        "desil": dashboard.by_desil(s, scope, p, stored=stored),
        "dtks": dashboard.dtks_over_time(s, user, scope, stored=stored),
        "program": dashboard.by_program(s, user, scope, p, stored=stored),
    }
    return {k: (s.labels, s.values, s.note) for k, s in out.items()}


def _stored(s, penetapan_id: int) -> dict[tuple[str, str], dict]:
    rows = s.scalars(select(PenetapanFigure).where(PenetapanFigure.penetapan_id == penetapan_id))
    return {(r.scope_code, r.name): r.data for r in rows}


def test_stored_figures_equal_a_recount_per_scope(session):  # noqa: F811
    p = _penetapan(session, 1)
    for name in VIEWERS:
        user = accounts.get_user(session, name)
        scope = Scope.of(user)
        recount = _figures(session, user, scope, stored=False)
        first = _figures(session, user, scope, stored=True)  # counts and stores
        again = _figures(session, user, scope, stored=True)  # reads
        assert first == recount == again
        assert {n for s, n in _stored(session, p.id) if s == (scope.code or "")} == PER_PENETAPAN
    desil = {s: d for (s, n), d in _stored(session, p.id).items() if n == "desil"}
    assert desil["35.09"] == {"1": 1, "2": 1, "3": 1, "4": 1}  # RB, R1, R2, RK (RX lies in Banyuwangi)
    assert desil["35.09.15.2002"] == {"1": 1} and desil["35.09.15"] == {
        "1": 1,
        "2": 1,
        "3": 1,
    }  # RB; RB R1 R2
    assert desil[""] == desil["35"] == desil["35.09"]  # the penetapan is the kabupaten's
    assert all(
        sum(d.values()) <= sum(desil["35.09"].values()) for s, d in desil.items() if s.startswith("35.09")
    )


def test_a_stored_figure_is_read_not_recounted(session):  # noqa: F811
    p = _penetapan(session, 1)
    user = accounts.get_user(session, "opkab")
    scope = Scope.of(user)
    dashboard.by_desil(session, scope, p)
    session.execute(
        update(PenetapanFigure)
        .where(PenetapanFigure.penetapan_id == p.id, PenetapanFigure.name == "desil")
        .values(data={"7": 99})
    )
    assert dashboard.by_desil(session, scope, p).values == {"Ruta": [99]}  # the row, not a recount
    session.execute(
        update(PenetapanFigure).where(PenetapanFigure.penetapan_id == p.id).values(basis="lama")
    )  # counted under other rules (or an older FIGURE_VERSION): counted again and replaced
    assert dashboard.by_desil(session, scope, p) == dashboard.by_desil(session, scope, p, stored=False)
    assert _stored(session, p.id)[("35.09", "desil")] == {"1": 1, "2": 1, "3": 1, "4": 1}


def test_a_new_penetapan_gets_its_own_figures(session):  # noqa: F811
    user = accounts.get_user(session, "opkab")
    scope = Scope.of(user)
    first = _penetapan(session, 1)
    before = _figures(session, user, scope, stored=True)
    scores = ScoreTable({**SCORES.scores, "R1": Score(5), "R2": Score(5)}, {"kind": "uji"})
    second = _penetapan(session, 2, scores)
    assert dashboard.latest_penetapan(session, user, scope).id == second.id
    after = _figures(session, user, scope, stored=True)
    assert after == _figures(session, user, scope, stored=False)
    assert after["desil"] != before["desil"] and after["desil"][1] == {"Ruta": [1, 1, 2]}  # desil 1, 4, 5
    assert after["dtks"][0] == ["2027-01", "2027-02"]
    assert _stored(session, first.id)[("35.09", "desil")] == {"1": 1, "2": 1, "3": 1, "4": 1}
    assert _stored(session, second.id)[("35.09", "desil")] == {"1": 1, "4": 1, "5": 2}


@pytest.mark.parametrize("wilayah", ["35.09.15", "35.09.15.2002"])
def test_a_narrower_wilayah_has_its_own_figures(session, wilayah):  # noqa: F811
    p = _penetapan(session, 1)
    user = accounts.get_user(session, "opkab")
    scope = dashboard.scope_for(user, wilayah)
    frozen = _stored(session, p.id)  # stored for every scope at freeze, before anyone looked
    assert {n for s, n in frozen if s == wilayah} == PER_PENETAPAN
    assert _figures(session, user, scope, stored=True) == _figures(session, user, scope, stored=False)
    assert _stored(session, p.id) == frozen  # read, not recounted
    # a penetapan frozen before figures were stored at freeze: the first view of a scope counts its own
    session.execute(delete(PenetapanFigure).where(PenetapanFigure.penetapan_id == p.id))
    assert _figures(session, user, scope, stored=True) == _figures(session, user, scope, stored=False)
    assert {n for s, n in _stored(session, p.id) if s == wilayah} == PER_PENETAPAN
    assert not any(s == "35.09" for s, _ in _stored(session, p.id))  # no one asked for the kabupaten since


def test_freezing_counts_every_scopes_figures_as_a_view_would(session):  # noqa: F811
    p = _penetapan(session, 1)
    frozen = _stored(session, p.id)
    # nasional, Jawa Timur, Jember, and each kecamatan and desa of Jember that has ruta (RX lies elsewhere)
    assert {s for s, _ in frozen} == {
        code for desa in (DESA, DESA_B, DESA_OTHER_KEC) for code in scopes_of(desa)
    }
    for code in {s for s, _ in frozen}:
        scope = Scope(code or None)
        user = accounts.get_user(session, "pusat")
        recount = {
            "desil": dashboard._count_desil(session, scope, p),
            "dtks": dashboard._count_dtks(session, scope, p),
            "program": dashboard._count_programs(session, user, scope, p),
        }
        assert {n: frozen[(code, n)] for n in PER_PENETAPAN} == recount, code
