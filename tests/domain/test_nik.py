"""NIK rules: properties over generated NIKs, and one example per issue code."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siks.domain import nik as n
from siks.domain import wilayah

REF = date(2025, 6, 30)
DOC = Path(__file__).resolve().parents[2] / "docs" / "nik-kk-wilayah.md"
KECAMATAN = wilayah.known_kecamatan_codes()
RETIRED = [r.code for r in wilayah.retired_kecamatan()]


def codes(issues):
    return [i.code for i in issues]


kecamatan = st.sampled_from(KECAMATAN)
births = st.dates(min_value=date(1926, 1, 1), max_value=REF)
sexes = st.sampled_from([1, 2])
serials = st.integers(1, 9999)


@given(kecamatan, births, sexes, serials)
def test_made_nik_passes_with_the_same_sex_and_birth_date(kec, born, sex, serial):
    value = n.make_nik(kec, born, sex, serial)
    assert len(value) == 16 and value.isdigit()
    assert n.check_nik(value, sex=sex, birth_date=born, reference_date=REF) == []
    parts = n.parse_nik(value, reference_date=REF)
    assert parts.sex == sex and parts.serial == serial and parts.kecamatan_code.replace(".", "") == kec
    assert (parts.birth_date.day, parts.birth_date.month, parts.birth_date.year % 100) == (
        born.day,
        born.month,
        born.year % 100,
    )


@settings(max_examples=300)
@given(kecamatan, births, sexes, serials, st.integers(6, 11), st.integers(1, 9))
def test_any_single_digit_change_in_the_date_is_caught_or_still_a_date(kec, born, sex, serial, pos, shift):
    value = n.make_nik(kec, born, sex, serial)
    changed = value[:pos] + str((int(value[pos]) + shift) % 10) + value[pos + 1 :]
    found = codes(n.check_nik(changed, sex=sex, birth_date=born, reference_date=REF))
    raw_dd, mm, yy = int(changed[6:8]), int(changed[8:10]), int(changed[10:12])
    dd = raw_dd - 40 if raw_dd > 40 else raw_dd
    if "NIK_BIRTHDATE" in found:
        assert not n.date_digits_valid(dd, mm, yy)
    else:
        assert n.date_digits_valid(dd, mm, yy)
        # Still a date, but not this person's: the row's own sex or birth date gives it away.
        assert {"NIK_BIRTHDATE_MISMATCH", "NIK_SEX_MISMATCH"} & set(found)


@given(kecamatan, births, serials)
def test_women_have_day_plus_40(kec, born, serial):
    woman = n.make_nik(kec, born, 2, serial)
    man = n.make_nik(kec, born, 1, serial)
    assert int(woman[6:8]) == born.day + 40 and int(man[6:8]) == born.day
    assert n.parse_nik(woman).sex == 2 and n.parse_nik(man).sex == 1
    assert codes(n.check_nik(woman, sex=1, birth_date=born, reference_date=REF)) == ["NIK_SEX_MISMATCH"]
    assert codes(n.check_nik(man, sex=2, birth_date=born, reference_date=REF)) == ["NIK_SEX_MISMATCH"]


@given(kecamatan, births, sexes)
def test_serial_0000_is_flagged(kec, born, sex):
    value = n.make_nik(kec, born, sex, 0)
    assert value.endswith("0000")
    assert codes(n.check_nik(value, sex=sex, birth_date=born, reference_date=REF)) == ["NIK_SERIAL"]


@given(st.sampled_from(RETIRED), births, sexes, serials)
def test_retired_kecamatan_prefixes_are_accepted(kec, born, sex, serial):
    value = n.make_nik(kec, born, sex, serial)
    assert "NIK_REGION" not in codes(n.check_nik(value, reference_date=REF))


@pytest.mark.parametrize("empty", [None, "", "   ", "-", " - "])
def test_empty(empty):
    (issue,) = n.check_nik(empty)
    assert issue.code == "NIK_EMPTY" and issue.severity == "warning" and issue.field == "nik"


@pytest.mark.parametrize("excel", ["3.50915E+15", "3,50915E+15", "3509150101900001.0", "350915010190000.0"])
def test_excel_numbers_are_format_errors_with_their_own_advice(excel):
    (issue,) = n.check_nik(excel)
    assert issue.code == "NIK_FORMAT" and issue.is_error
    assert "Excel" in issue.message and "Teks" in issue.message and excel in issue.message


@pytest.mark.parametrize(
    "bad", ["350915010190001", "35091501019000011", "35091501019O0001", "NIK 3509150101900001"]
)
def test_format(bad):
    (issue,) = n.check_nik(bad)
    assert issue.code == "NIK_FORMAT" and issue.is_error
    assert "16 digit" in issue.message and bad in issue.message


@pytest.mark.parametrize(
    "spaced",
    ["3509 1501 0190 0001", "35.09.15.010190.0001", "3509-1501-0190-0001", "\u00a03509150101900001 "],
)
def test_separators_are_ignored(spaced):
    assert n.check_nik(spaced, reference_date=REF) == []
    assert n.parse_nik(spaced).nik == "3509150101900001"


def test_province_and_region():
    assert codes(n.check_nik("0009150101900001", reference_date=REF)) == ["NIK_PROVINCE"]
    assert codes(n.check_nik("3999150101900001", reference_date=REF)) == ["NIK_PROVINCE"]
    assert codes(n.check_nik("3509990101900001", reference_date=REF)) == ["NIK_REGION"]
    (issue,) = n.check_nik("3509990101900001", reference_date=REF)
    assert "35.09.99" in issue.message and issue.severity == "warning"
    # Merauke's old Papua code (before Papua Selatan) and the current one are both fine.
    assert n.check_nik("9101010101900001", reference_date=REF) == []
    assert n.check_nik("9301010101900001", reference_date=REF) == []


@pytest.mark.parametrize(
    "ddmmyy", ["000190", "320190", "400190", "720190", "011390", "010090", "300290", "290201"]
)
def test_impossible_birth_dates(ddmmyy):
    assert codes(n.check_nik(f"350915{ddmmyy}0001", reference_date=REF)) == ["NIK_BIRTHDATE"]
    assert n.parse_nik(f"350915{ddmmyy}0001").birth_date is None


def test_29_february():
    assert n.check_nik("3509152902000001", reference_date=REF) == []  # 2000 is a leap year
    assert n.check_nik("3509156902040001", reference_date=REF) == []
    assert codes(n.check_nik("3509152902010001", reference_date=REF)) == ["NIK_BIRTHDATE"]


def test_future_birth_and_the_century():
    assert codes(n.check_nik("3509150112250001", reference_date=REF)) == ["NIK_FUTURE_BIRTH"]
    assert n.check_nik("3509150106250001", reference_date=REF) == []
    assert n.check_nik("3509150112260001", reference_date=REF) == []  # 1926
    # A 99-year-old born 1 Dec 1925: the recorded birth date settles the century.
    assert n.check_nik("3509150112250001", birth_date=date(1925, 12, 1), reference_date=REF) == []
    assert n.parse_nik("3509150112260001", reference_date=REF).birth_date == date(1926, 12, 1)


def test_birthdate_mismatch_compares_two_digit_years():
    assert n.check_nik("3509150101900001", birth_date=date(1990, 1, 1), reference_date=REF) == []
    assert n.check_nik("3509150101000001", birth_date=date(1900, 1, 1), reference_date=REF) == []
    (issue,) = n.check_nik("3509150101900001", birth_date=date(1990, 1, 2), reference_date=REF)
    assert issue.code == "NIK_BIRTHDATE_MISMATCH" and "02-01-1990" in issue.message


def test_sex_values_other_than_1_and_2_are_ignored():
    assert n.check_nik("3509154101900001", sex=None, reference_date=REF) == []
    assert n.check_nik("3509154101900001", sex=9, reference_date=REF) == []
    assert codes(n.check_nik("3509154101900001", sex=1, reference_date=REF)) == ["NIK_SEX_MISMATCH"]


def test_several_faults_are_all_reported():
    found = codes(n.check_nik("3509993502990000", sex=1, birth_date=date(1999, 2, 1), reference_date=REF))
    assert found == ["NIK_REGION", "NIK_BIRTHDATE", "NIK_SERIAL"]


def test_messages_are_indonesian_and_name_the_value():
    for value, kwargs in [
        ("0009150101900001", {}),
        ("3509990101900001", {}),
        ("3509153501900001", {}),
        ("3509150112250001", {}),
        ("3509150101900000", {}),
        ("3509154101900001", {"sex": 1}),
        ("3509150101900001", {"birth_date": date(1991, 1, 1)}),
    ]:
        (issue,) = n.check_nik(value, reference_date=REF, **kwargs)
        assert issue.code in n.RULES
        assert value in issue.message and issue.value == value
        assert issue.message.startswith("NIK ")


def test_every_code_is_documented_with_its_severity():
    assert set(n.RULES) == {
        "NIK_EMPTY",
        "NIK_FORMAT",
        "NIK_PROVINCE",
        "NIK_REGION",
        "NIK_BIRTHDATE",
        "NIK_FUTURE_BIRTH",
        "NIK_SERIAL",
        "NIK_SEX_MISMATCH",
        "NIK_BIRTHDATE_MISMATCH",
    }
    assert [c for c, (sev, _) in n.RULES.items() if sev == "error"] == ["NIK_FORMAT"]
    text = DOC.read_text(encoding="utf-8")
    assert all(f"`{code}`" in text for code in n.RULES)


def test_make_nik_rejects_bad_input():
    with pytest.raises(ValueError):
        n.make_nik("35.09", date(1990, 1, 1), 1, 1)
    with pytest.raises(ValueError):
        n.make_nik("35.09.15", date(1990, 1, 1), 3, 1)
    with pytest.raises(ValueError):
        n.make_nik("35.09.15", date(1990, 1, 1), 1, 10000)


def test_parse_nik_parts():
    parts = n.parse_nik("3509154201900005", reference_date=REF)
    assert (parts.province_code, parts.regency_code, parts.kecamatan_code) == ("35", "35.09", "35.09.15")
    assert parts.birth_date == date(1990, 1, 2) and parts.sex == 2 and parts.serial == 5
    assert n.parse_nik("123") is None and n.parse_nik(None) is None
