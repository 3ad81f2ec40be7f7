"""Name search in two steps (prefix matches in index order, then contains-only matches): the order, the
pages and the scope are what users had before, on both databases, and the prefix index exists and fits."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text

from siks.errors import Forbidden
from siks.paging import BadCursor, decode_cursor, encode_cursor
from siks.registry import lookup
from siks.scope import Scope
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


def _statements(engine) -> list[tuple[str, object]]:
    """Every statement (and its parameters) the engine runs from now on, in order."""
    seen: list[tuple[str, object]] = []
    event.listen(
        engine, "before_cursor_execute", lambda c, cur, stmt, params, *a: seen.append((stmt, params))
    )
    return seen


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
    out, page, after = [], 1, None
    while True:
        p = lookup.find_by_name(session, user, query, after=after, per_page=per_page)
        assert len(p.items) <= per_page and p.page == page
        out += [h.member_id for h in p.items]
        if not p.has_next:
            assert p.next_cursor is None
            return out
        assert len(p.items) == per_page and p.next_cursor
        page, after = page + 1, p.next_cursor


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


def test_cursor_across_the_phase_boundary(db):
    with transaction(db.engine) as s:
        user = _user(DESA)
        want = _expected(db, "siti h", {DESA})  # 7 prefix matches, then 4 contains matches
        p1 = lookup.find_by_name(s, user, "siti h", per_page=7)  # ends exactly on the last prefix match
        assert [h.member_id for h in p1.items] == want[:7] and p1.has_next
        p2 = lookup.find_by_name(s, user, "siti h", after=p1.next_cursor, per_page=7)
        assert [h.member_id for h in p2.items] == want[7:] and not p2.has_next and p2.page == 2
        p1 = lookup.find_by_name(s, user, "siti h", per_page=5)  # the page spans both phases
        p2 = lookup.find_by_name(s, user, "siti h", after=p1.next_cursor, per_page=5)
        p3 = lookup.find_by_name(s, user, "siti h", after=p2.next_cursor, per_page=5)
        assert [h.member_id for h in p2.items] == want[5:10]
        assert [h.member_id for h in p3.items] == want[10:] and not p3.has_next


@pytest.mark.parametrize(
    "token",
    ["zzz", "!!!", "bm90IGpzb24", "W10", "eyJxIjoxfQ", "a" * 2001, ""],
)
def test_a_bad_cursor_is_refused_in_indonesian(db, token):
    with transaction(db.engine) as s:
        user = _user(DESA)
        with pytest.raises(BadCursor) as e:
            lookup.find_by_name(s, user, "siti h", after=token or " ")
        assert e.value.status == 400 and "Penanda halaman" in e.value.message


def test_a_cursor_of_another_query_or_altered_is_refused(db):
    with transaction(db.engine) as s:
        user = _user(DESA)
        token = lookup.find_by_name(s, user, "siti h", per_page=2).next_cursor
        with pytest.raises(BadCursor):
            lookup.find_by_name(s, user, "siti ha", after=token, per_page=2)
        payload = decode_cursor(token)
        changes = [{"f": "x"}, {"i": "1"}, {"i": 2**64}, {"i": -1}, {"h": 0}, {"h": 10**12}, {"n": 5},
                   {"n": "siti\x00"}, {"q": "0" * 12}, {"i": True}]  # fmt: skip
        for change in changes:
            with pytest.raises(BadCursor):
                lookup.find_by_name(s, user, "siti h", after=encode_cursor(payload | change), per_page=2)
        with pytest.raises(BadCursor):  # a page number does not replace the cursor
            lookup.search(s, user, "siti h", page=2)


def test_a_forged_cursor_still_sees_only_the_scope(db):
    """A well-formed token positioned anywhere (here: before everything) yields only in-scope rows."""
    with transaction(db.engine) as s:
        user = _user(DESA)
        token = lookup.find_by_name(s, user, "siti", per_page=1).next_cursor
        forged = encode_cursor(decode_cursor(token) | {"n": "", "i": 0})
        got = lookup.find_by_name(s, user, "siti", after=forged, per_page=100)
        inside = {db.ids[i] for i, (desa, _) in enumerate(PEOPLE) if desa == DESA}
        assert got.items and {h.member_id for h in got.items} <= inside


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
    seen = _statements(db.engine)
    with transaction(db.engine) as s:
        first = lookup.find_by_name(s, _user("35.09", "operator_kabupaten"), "siti h", per_page=3)
        lookup.find_by_name(
            s, _user("35.09", "operator_kabupaten"), "siti h", after=first.next_cursor, per_page=3
        )
    prefix_steps = [(st, p) for st, p in seen if "LIKE" in st and "NOT" not in st]
    assert len(prefix_steps) == 2 and "OFFSET" not in prefix_steps[1][0].upper()
    for stmt, params in prefix_steps:  # page 1 and the keyset page 2 both walk the index, unsorted
        with db.engine.connect() as conn:
            conn.exec_driver_sql(
                "SET enable_seqscan = off"
            )  # a table of 18 rows: make the planner show its options
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + stmt, params))
        assert "ix_member_nama_prefix" in plan
        assert "Sort" not in plan.split("ix_member_nama_prefix")[0].rsplit("Limit", 1)[-1]
        cond = next(line for line in plan.splitlines() if "Index Cond" in line and "lower(nama)" in line)
        assert ("ROW(" in cond) == (stmt != prefix_steps[0][0])  # the cursor is a bound of the index scan


# --- where the query starts: the scope (desa, kecamatan) or the name index (wider) -------------------------

FIRST = ["Siti", "SITI", "Nur", "Ani", "Aulia", "Sitiah", "Muhammad", "Dewi", "Abd."]
LAST = ["Aminah", "Hasanah", "Aulia", "Siti", "Rahma", "Nurhayati", "Sitompul", "Ani", ""]
WIDE_DESA = [f"35.09.{kec}.{d}" for kec in ("15", "16") for d in ("2001", "2002", "2003")] + [
    "35.10.01.2001",
    "35.10.02.2001",
]


@pytest.fixture
def wide(db_url):
    """~400 members in 8 desa of 2 kabupaten, names from a small stock so that prefixes, contains-only
    matches and exact duplicates (ordered by id) are common; households of 1-3 families of 1-4 members."""
    import random

    upgrade(db_url)
    engine = make_engine(db_url)
    rnd = random.Random(11)
    people: list[tuple[str, str, int]] = []  # desa, nama, member id
    with transaction(engine) as s:
        for hno in range(120):
            desa = rnd.choice(WIDE_DESA)
            h = Household(ref=f"W{hno}", desa_code=desa)
            s.add(h)
            s.flush()
            for fno in range(rnd.randint(1, 3)):
                f = Family(ref=f"W{hno}-K{fno}", household_id=h.id)
                s.add(f)
                s.flush()
                for mno in range(rnd.randint(1, 4)):
                    nama = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}".strip()
                    m = Member(ref=f"W{hno}-{fno}-{mno}", family_id=f.id, no_urut=mno + 1, nama=nama, sex=2,
                               hubungan_kk=1 if mno == 0 else 4)  # fmt: skip
                    s.add(m)
                    s.flush()
                    people.append((desa, nama, m.id))
    yield SimpleNamespace(engine=engine, people=people)
    engine.dispose()


def _pages(session, user, query: str, per_page: int, start: str) -> list[tuple[list[int], str | None]]:
    """Every page of a search as (member ids, next cursor), walking the cursors."""
    out, after = [], None
    while True:
        p = lookup.find_by_name(session, user, query, after=after, per_page=per_page, start=start)
        out.append(([h.member_id for h in p.items], p.next_cursor))
        assert p.page == len(out) and len(p.items) <= per_page
        if not p.has_next:
            return out
        after = p.next_cursor


WIDE_USERS = [
    (_user("35.09.15.2002"), {"35.09.15.2002"}),
    (_user("35.09.16", "operator_kecamatan"), {d for d in WIDE_DESA if d.startswith("35.09.16.")}),
    (_user("35.09", "operator_kabupaten"), {d for d in WIDE_DESA if d.startswith("35.09.")}),
    (_user("35", "operator_provinsi"), set(WIDE_DESA)),
    (_user(None, "pusat"), set(WIDE_DESA)),
]


@pytest.mark.parametrize("per_page", [5, 20])
def test_every_start_gives_the_same_pages(wide, per_page, monkeypatch):
    """For every scope level, query and page size: the same rows, in the same order, on the same pages, with
    the same cursors, whether the query starts from the scope, from the name index, or from a bounded walk
    of it (a walk that holds the page, one that runs out of matches, one cut short and read from the scope);
    and the set is exactly the scope's members whose lower-case name contains the text, prefix first."""
    with transaction(wide.engine) as s:
        for user, codes in WIDE_USERS:
            for query in ("siti", "SITI a", "aulia", "ani", "abd. a", "tiah", "zzz"):
                by_name = _pages(s, user, query, per_page, "name")
                assert _pages(s, user, query, per_page, "scope") == by_name, (user.wilayah_code, query)
                for limit in (1, 9, 2_000):
                    monkeypatch.setattr(lookup, "WALK_LIMITS", {2: limit, 3: limit})
                    assert _pages(s, user, query, per_page, "walk") == by_name, (
                        user.wilayah_code,
                        query,
                        limit,
                    )
                got = [mid for ids, _ in by_name for mid in ids]
                q = query.lower()
                inside = [(nama.lower(), mid) for desa, nama, mid in wide.people if desa in codes]
                starts = sorted(r for r in inside if r[0].startswith(q))  # "C" order = code points
                others = {mid for key, mid in inside if q in key and not key.startswith(q)}
                assert got[: len(starts)] == [mid for _, mid in starts]
                assert set(got[len(starts) :]) == others and len(got) == len(starts) + len(others)
        # "siti" in the kecamatan spans several pages and both phases: the comparison above is not empty
        pages = _pages(s, WIDE_USERS[1][0], "siti", 5, "scope")
        assert len(pages) > 3 and "c" in {decode_cursor(t)["f"] for _, t in pages if t}


def test_a_cursor_of_one_start_continues_in_the_other(wide):
    """The token names a position in the common order, not a plan: clients keep working when the shape
    chosen for their scope changes between two pages (a release, another level)."""
    with transaction(wide.engine) as s:
        for user, _ in WIDE_USERS:
            whole = [mid for ids, _ in _pages(s, user, "siti", 100, "name") for mid in ids]
            got, after, starts = [], None, ["scope", "walk", "name"]
            while True:
                p = lookup.find_by_name(s, user, "siti", after=after, per_page=3, start=starts[0])
                got += [h.member_id for h in p.items]
                if not p.has_next:
                    break
                after, starts = p.next_cursor, starts[1:] + starts[:1]
            assert got == whole and len(got) > 6


def test_the_start_follows_the_scope_level():
    assert lookup._start_for(Scope("35.09.15.2001")) == "scope"  # desa: a few thousand members
    assert lookup._start_for(Scope("35.09.15")) == "walk"  # kecamatan
    assert lookup._start_for(Scope("35.09")) == "walk"  # kabupaten: a share of a provinsi instance
    assert lookup._start_for(Scope("35")) == "name"
    assert lookup._start_for(Scope(None)) == "name"
    assert lookup._start_for(Scope("-")) == "name"  # an inactive user's scope (sees nothing anyway)
    with pytest.raises(ValueError):
        lookup.find_by_name(None, _user("35.09"), "siti", start="anywhere")


def test_a_walk_cut_short_reads_the_scope(wide, monkeypatch):
    """The bounded walk answers alone when its entries hold the page or are all the matches; otherwise the
    prefix phase is read from the scope (counted here by the statements that carry the OFFSET 0 fence)."""
    seen = _statements(wide.engine)
    kec = WIDE_USERS[1][0]
    with transaction(wide.engine) as s:
        for limit, query, from_scope in ((2_000, "siti", False), (2_000, "zzz", False), (1, "siti", True)):
            monkeypatch.setattr(lookup, "WALK_LIMITS", {2: limit, 3: limit})
            seen.clear()
            assert lookup.find_by_name(s, kec, query, start="walk").items or query == "zzz"
            assert any("in_scope" in st for st, _ in seen) == from_scope, (limit, query)


def test_a_desa_search_starts_from_the_desa_households(wide):
    """PostgreSQL: the desa operator's statements reach member through the scope's families, never through
    the name indexes, even when the planner is pushed off sequential scans (it would otherwise pick the
    name index on its row estimate, as it did at 10 M members)."""
    if wide.engine.dialect.name != "postgresql":
        return
    seen = _statements(wide.engine)
    with transaction(wide.engine) as s:
        first = lookup.find_by_name(s, _user("35.09.15.2002"), "siti", per_page=2)
        lookup.find_by_name(s, _user("35.09.15.2002"), "siti", after=first.next_cursor, per_page=2)
        lookup.find_by_name(s, _user("35.09.16", "operator_kecamatan"), "tiah", per_page=2, start="scope")
    steps = [(st, p) for st, p in seen if "LIKE" in st and "member" in st]
    assert len(steps) >= 3
    for stmt, params in steps:
        with wide.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + stmt, params))
        assert "ix_member_nama_prefix" not in plan and "ix_member_nama_trgm" not in plan, plan
        assert "ix_household_desa_code" in plan and "ix_member_family_id" in plan, plan


def test_the_walk_streams_in_index_order(wide):
    """PostgreSQL: the bounded walk reads the name index in order and stops after the page — no Sort of the
    walked entries (with one, every entry up to the limit is read and joined before the first row)."""
    if wide.engine.dialect.name != "postgresql":
        return
    seen = _statements(wide.engine)
    with transaction(wide.engine) as s:
        first = lookup.find_by_name(s, _user("35.09", "operator_kabupaten"), "siti", per_page=2, start="walk")
        lookup.find_by_name(
            s, _user("35.09", "operator_kabupaten"), "siti", after=first.next_cursor, per_page=2
        )
    walks = [(st, p) for st, p in seen if "walk" in st]
    assert len(walks) == 2
    for stmt, params in walks:
        with wide.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + stmt, params))
        assert "ix_member_nama_prefix" in plan and "Sort" not in plan, plan
