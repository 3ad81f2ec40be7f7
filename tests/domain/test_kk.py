"""KK number rules (inferred 6+6+4 structure)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siks.domain import kk as k
from siks.domain import wilayah

REF = date(2025, 6, 30)
DOC = Path(__file__).resolve().parents[2] / "docs" / "nik-kk-wilayah.md"


def codes(issues):
    return [i.code for i in issues]


@given(
    st.sampled_from(wilayah.known_kecamatan_codes()),
    st.dates(min_value=date(1926, 7, 1), max_value=REF),
    st.integers(1, 9999),
)
def test_made_kk_passes(kec, registered, serial):
    value = k.make_kk(kec, registered, serial)
    assert len(value) == 16 and value.isdigit() and value[:6] == kec
    assert k.check_kk(value, reference_date=REF) == []


@given(st.sampled_from(wilayah.known_kecamatan_codes()), st.dates(min_value=date(1926, 7, 1), max_value=REF))
def test_serial_0000(kec, registered):
    assert codes(k.check_kk(k.make_kk(kec, registered, 0), reference_date=REF)) == ["KK_SERIAL"]


@pytest.mark.parametrize("empty", [None, "", "  ", "-"])
def test_empty(empty):
    (issue,) = k.check_kk(empty)
    assert issue.code == "KK_EMPTY" and issue.severity == "warning" and issue.field == "no_kk"


@pytest.mark.parametrize("bad", ["350915010120000", "3.50915E+15", "3509150101200001.0", "35091501012000x1"])
def test_format(bad):
    (issue,) = k.check_kk(bad)
    assert issue.code == "KK_FORMAT" and issue.is_error and bad in issue.message


def test_region_accepts_retired_codes():
    assert codes(k.check_kk("3509990101200001", reference_date=REF)) == ["KK_REGION"]
    assert codes(k.check_kk("0000000101200001", reference_date=REF)) == ["KK_REGION"]
    assert k.check_kk("9101010101200001", reference_date=REF) == []


@pytest.mark.parametrize("ddmmyy", ["000120", "320120", "410120", "011320", "290221", "010725"])
def test_date(ddmmyy):
    (issue,) = k.check_kk(f"350915{ddmmyy}0001", reference_date=REF)
    assert issue.code == "KK_DATE" and ddmmyy[:2] in issue.message


def test_registration_today_is_fine_and_tomorrow_is_not():
    assert k.check_kk("3509153006250001", reference_date=REF) == []
    assert codes(k.check_kk("3509150107250001", reference_date=REF)) == ["KK_DATE"]
    assert k.check_kk("3509150107990001", reference_date=REF) == []  # 1999


def test_every_code_is_documented_and_only_format_is_an_error():
    assert set(k.RULES) == {"KK_EMPTY", "KK_FORMAT", "KK_REGION", "KK_DATE", "KK_SERIAL"}
    assert [c for c, (sev, _) in k.RULES.items() if sev == "error"] == ["KK_FORMAT"]
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{code}`" in text for code in k.RULES)
    assert "inferred" in (k.__doc__ or "")


def test_make_kk_rejects_bad_input():
    with pytest.raises(ValueError):
        k.make_kk("3509", date(2020, 1, 1), 1)
    with pytest.raises(ValueError):
        k.make_kk("350915", date(2020, 1, 1), -1)
