"""Name search in two steps (prefix matches in index order, then contains-only matches): the order, the
pages and the scope are what users had before, on both databases, and the prefix index exists and fits."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text

from siks.errors import Forbidden
from siks.registry import lookup
from siks.store.db import make_engine, transaction, upgrade
from siks.store.models.registry import Family, Household, Member

DESA = "35.09.15.2001"
DESA_B = "35.09.15.2002"  # same kecamatan
DESA_OTHER_KAB = "35.10.01.2001"

# (desa, name): 7 start with "siti h" in DESA, 4 more contain it; others elsewhere or not matching
PEOPLE = [
    (DESA, "Siti Halimah"),
    (DESA, "SITI HAWA"),
    (DESA, "Siti Hartini"),
    (DESA, "siti hajar"),
    (DESA, "Siti  Hasanah"),  # two spaces: not a match for "siti h"
    (DESA, "Siti Hindun"),
    (DESA, "Siti Halimah"),  # same name twice: ordered by id
    (DESA, "Siti Hamidah"),
    (DESA, "Nur Siti Hasanah"),
    (DESA, "Ani Siti Hafsah"),
    (DESA, "Zaenab Siti H"),
    (DESA, "Ani Siti Hafsah"),
    (DESA, "Budi Santoso"),
    (DESA_B, "Siti Hapsari"),
    (DESA_B, "Dewi Siti Hana"),
    (DESA_OTHER_KAB, "Siti Habibah"),
    (DESA_OTHER_KAB, "Ika Siti Hawa"),
    (DESA, "Siti_H percent%"),  # LIKE wildcards in names and queries are literal
]


def _user(code: str | None, role: str = "operator_desa"):
    return SimpleNamespace(role=role, wilayah_code=code, active=True)


@pytest.fixture
def db(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    ids = []
    with transaction(engine) as s:
        for i, (desa, nama) in enumerate(PEOPLE):
            h = Household(ref=f"H{i}", desa_code=desa)
            s.add(h)
            s.flush()
            f = Family(ref=f"H{i}-K1", household_id=h.id)
            s.add(f)
            s.flush()
            m = Member(ref=f"H{i}-1", family_id=f.id, no_urut=1, nama=nama, sex=2, hubungan_kk=1,
                       tanggal_lahir=dt.date(1980, 1, 1), nik=f"3509154101{i:06d}")  # fmt: skip
            s.add(m)
            s.flush()
            ids.append(m.id)
    yield SimpleNamespace(engine=engine, url=db_url, ids=ids)
    engine.dispose()


def _expected(db, query: str, codes: set[str]) -> list[int]:
    """The order users had: names starting with the text (by lower-case name, id), then the other matches."""
    q = " ".join(query.split()).lower()
    rows = [(nama.lower(), mid) for (desa, nama), mid in zip(PEOPLE, db.ids, strict=True) if desa in codes]
    starts = sorted(r for r in rows if r[0].startswith(q))
    contains = sorted(r for r in rows if q in r[0] and not r[0].startswith(q))
    return [mid for _, mid in starts + contains]


def _all_pages(session, user, query: str, per_page: int) -> list[int]:
    out, page = [], 1
    while True:
        p = lookup.find_by_name(session, user, query, page=page, per_page=per_page)
        assert len(p.items) <= per_page
        out += [h.member_id for h in p.items]
        if not p.has_next:
            return out
        assert len(p.items) == per_page
        page += 1


@pytest.mark.parametrize("per_page", [1, 3, 4, 7, 20])
def test_prefix_matches_first_then_contains_on_every_page(db, per_page):
    with transaction(db.engine) as s:
        for user, codes in [
            (_user(DESA), {DESA}),
            (_user("35.09.15", "operator_kecamatan"), {DESA, DESA_B}),
            (_user("35", "operator_provinsi"), {DESA, DESA_B, DESA_OTHER_KAB}),
        ]:
            got = _all_pages(s, user, "  SITI   h ", per_page)
            assert got == _expected(db, "siti h", codes)
            assert len(got) == len(set(got))


def test_page_past_the_prefix_matches_and_past_the_end(db):
    with transaction(db.engine) as s:
        user = _user(DESA)
        want = _expected(db, "siti h", {DESA})
        p = lookup.find_by_name(s, user, "siti h", page=3, per_page=4)  # only contains matches
        assert [h.member_id for h in p.items] == want[8:12]
        assert lookup.find_by_name(s, user, "siti h", page=9, per_page=4).items == []


def test_scope_and_wildcards(db):
    with transaction(db.engine) as s:
        out_of_scope = {db.ids[i] for i, (desa, _) in enumerate(PEOPLE) if desa != DESA}
        got = _all_pages(s, _user(DESA), "siti", 5)
        assert got and not (set(got) & out_of_scope)
        assert _all_pages(s, _user("35.09.16", "operator_kecamatan"), "siti h", 5) == []
        with pytest.raises(Forbidden):  # an inactive user sees nothing
            lookup.find_by_name(
                s, SimpleNamespace(role="operator_desa", wilayah_code=DESA, active=False), "siti"
            )
        assert [h.nama for h in lookup.find_by_name(s, _user(DESA), "siti_h").items] == ["Siti_H percent%"]
        assert [h.nama for h in lookup.find_by_name(s, _user(DESA), "nt%").items] == ["Siti_H percent%"]
        assert lookup.find_by_name(s, _user(DESA), "ti  h%").items == []


def test_prefix_index_exists_and_serves_the_prefix_step(db):
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            ddl = conn.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_member_nama_prefix'")
            )
            assert 'lower(nama) COLLATE "C"' in ddl and ddl.endswith(", id)")
        else:
            ddl = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ix_member_nama_prefix'"))
            assert "lower(nama), id" in ddl
    if db.engine.dialect.name != "postgresql":
        return
    seen = []
    event.listen(
        db.engine,
        "before_cursor_execute",
        lambda c, cur, stmt, params, ctx, many: seen.append((stmt, params)),
    )
    with transaction(db.engine) as s:
        lookup.find_by_name(s, _user("35.09", "operator_kabupaten"), "siti h", per_page=3)
    stmt, params = next((st, p) for st, p in seen if "LIKE" in st and "NOT" not in st)
    with db.engine.connect() as conn:
        conn.exec_driver_sql(
            "SET enable_seqscan = off"
        )  # a table of 18 rows: make the planner show its options
        conn.exec_driver_sql("SET enable_bitmapscan = off")
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + stmt, params))
    assert "ix_member_nama_prefix" in plan
    assert "Sort" not in plan.split("ix_member_nama_prefix")[0].rsplit("Limit", 1)[-1]
