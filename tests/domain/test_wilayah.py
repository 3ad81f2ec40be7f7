"""Wilayah: the counts of the 2025 code set, normalisation, lookups, scope checks and retired codes."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siks.domain import wilayah


def all_regions():
    out = []
    stack = [None]
    while stack:
        code = stack.pop()
        for w in wilayah.children(code):
            out.append(w)
            if w.level < 4:
                stack.append(w.code)
    return out


def test_counts_of_the_current_code_set():
    regions = all_regions()
    by_level = Counter(w.level for w in regions)
    assert by_level == {1: 38, 2: 514, 3: 7285, 4: 83762}
    kinds = Counter(w.kind for w in regions)
    assert kinds["kabupaten"] == 416 and kinds["kota"] == 98
    assert kinds["distrik"] == 793 and kinds["kecamatan"] == 7285 - 793
    assert kinds["desa"] + kinds["kelurahan"] + kinds["desa_adat"] == 83762
    assert kinds["desa_adat"] == 14


def test_jember_has_31_kecamatan():
    kecamatan = wilayah.children("35.09")
    assert len(kecamatan) == 31
    assert {w.kind for w in kecamatan} == {"kecamatan"}
    assert all(w.code.startswith("35.09.") for w in kecamatan)


@pytest.mark.parametrize(
    ("text", "dotted"),
    [
        ("3509152001", "35.09.15.2001"),
        ("35.09.15.2001", "35.09.15.2001"),
        ("  35.09.15.2001\t", "35.09.15.2001"),
        ("350915", "35.09.15"),
        ("35 09 15", "35.09.15"),
        ("3509", "35.09"),
        ("35", "35"),
    ],
)
def test_normalize_accepts_what_operators_type(text, dotted):
    assert wilayah.normalize(text) == dotted


@pytest.mark.parametrize(
    "garbage", ["", "   ", "35.9.15", "3509152", "35091520011", "35.09.15.201", "abc", "35-09"]
)
def test_normalize_rejects_garbage_in_indonesian(garbage):
    with pytest.raises(ValueError, match="Kode wilayah"):
        wilayah.normalize(garbage)


@given(st.sampled_from([2, 4, 6, 10]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))
def test_normalize_round_trips(digits):
    dotted = wilayah.normalize(digits)
    assert dotted.replace(".", "") == digits
    assert wilayah.normalize(dotted) == dotted
    assert wilayah.level(dotted) == {2: 1, 4: 2, 6: 3, 10: 4}[len(digits)]


def test_get():
    desa = wilayah.get("3509152001")
    assert desa is not None and desa.level == 4 and desa.kind == "desa" and desa.code == "35.09.15.2001"
    assert desa.parent_code == "35.09.15" and desa.digits == "3509152001"
    assert wilayah.get("35.09").name == "Kabupaten Jember"
    assert wilayah.get("35.09").kind == "kabupaten"
    assert wilayah.get("35.78").kind == "kota"
    assert wilayah.get("99.99.99") is None
    assert wilayah.get("not a code") is None


def test_find_handles_prefixes_and_case():
    assert [w.code for w in wilayah.find("Kab. Jember")] == ["35.09"]
    assert [w.code for w in wilayah.find("kabupaten jember")] == ["35.09"]
    assert [w.code for w in wilayah.find("KOTA BOGOR")] == ["32.71"]
    assert [w.code for w in wilayah.find("Kabupaten Bogor")] == ["32.01"]
    bogor = wilayah.find("bogor", level=2)
    assert [w.code for w in bogor] == ["32.01", "32.71"]
    assert [w.code for w in wilayah.find("Kec. Sukorambi")] == ["35.09.15"]
    assert all(w.code.startswith("35.") for w in wilayah.find("bogor", within="35"))
    assert wilayah.find("no such place at all") == []


def test_ancestors_provinsi_first():
    assert [w.code for w in wilayah.ancestors("35.09.15.2001")] == ["35", "35.09", "35.09.15"]
    assert wilayah.ancestors("35") == []


def test_contains_is_a_prefix_check_on_whole_segments():
    assert wilayah.contains("35", "35.09.15.2001")
    assert wilayah.contains("3509", "3509152001")
    assert wilayah.contains("35.09.15.2001", "35.09.15.2001")
    assert not wilayah.contains("35.09.15", "35.09.16.2001")
    assert not wilayah.contains("35.09", "35")
    assert not wilayah.contains("35.09.15.2001", "35.09.15.2002")
    # 31.7 is not a prefix of 31.71 by segments: a kota code must not contain its neighbour.
    assert not wilayah.contains("31.71", "31.72.01")


@given(
    st.sampled_from(["35", "35.09", "35.09.15", "11.01"]), st.sampled_from(["35.09.15.2001", "11.01.01.2001"])
)
def test_contains_agrees_with_ancestors(outer, inner):
    chain = {w.code for w in wilayah.ancestors(inner)} | {inner}
    assert wilayah.contains(outer, inner) == (outer in chain)


def test_desa_in():
    jember = wilayah.desa_in("35.09")
    assert len(jember) == 248
    assert {w.level for w in jember} == {4}
    assert all(w.code.startswith("35.09.") for w in jember)
    assert [w.code for w in wilayah.desa_in("35.09.15.2001")] == ["35.09.15.2001"]
    assert sum(len(wilayah.desa_in(p.code)) for p in wilayah.children()) == 83762


def test_retired_kecamatan_are_known_but_not_current():
    retired = wilayah.retired_kecamatan()
    assert len(retired) >= 500
    for r in retired:
        assert wilayah.get(r.code) is None, r
        assert wilayah.kecamatan_existed(r.code)
        assert r.source.startswith("cahyadsn/wilayah")
    # Merauke moved from 91.01 (Papua) to 93.01 (Papua Selatan) in 2022; both prefixes are valid.
    assert wilayah.kecamatan_existed("91.01.01") and wilayah.kecamatan_existed("930101")
    assert not wilayah.kecamatan_existed("91.01.99")
    assert not wilayah.kecamatan_existed("35.09")
    assert not wilayah.kecamatan_existed("garbage")


def test_known_kecamatan_codes_table():
    codes = wilayah.known_kecamatan_codes()
    assert len(codes) == 7285 + len(wilayah.retired_kecamatan())
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert "350915" in codes and "910101" in codes
    assert set(wilayah.known_province_codes()) == {w.code for w in wilayah.children()}
