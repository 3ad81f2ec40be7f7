"""Checks on what an usulan proposes, before it enters the workflow."""

from __future__ import annotations

import datetime as dt

import pytest

from siks.domain.nik import make_nik
from siks.domain.usulan_kinds import TARGETS, describe, validate

TODAY = dt.date(2025, 6, 1)
NIK = make_nik("35.09.15", dt.date(1980, 5, 17), 1, 12)


def person(**kw):
    base = {"nama": "Siti", "nik": NIK, "sex": 1, "tanggal_lahir": "1980-05-17", "hubungan_kk": 1}
    return base | kw


def codes(issues):
    return {i.code for i in issues}


def test_new_household_is_clean():
    clean, issues = validate("baru", "ruta", None, {"rw": "2", "rt": "15", "members": [person()]}, TODAY)
    assert issues == []
    assert clean["rw"] == "002" and clean["members"][0]["nik"] == NIK


def test_new_household_needs_one_head_and_strict_nik():
    _, issues = validate(
        "baru", "ruta", None, {"members": [person(hubungan_kk=3, nik="3509150000000000")]}, TODAY
    )
    assert {"USULAN_KEPALA", "NIK_BIRTHDATE"} <= codes(issues)
    assert all(i.is_error for i in issues)


def test_new_member_needs_name_sex_birthdate():
    _, issues = validate("baru", "anggota", "family", {"member": {}}, TODAY)
    assert {"USULAN_NAMA", "USULAN_SEX", "USULAN_TGL_LAHIR", "USULAN_NIK_REQUIRED"} <= codes(issues)


def test_wrong_target_is_refused():
    _, issues = validate("perbaikan", "nik", "household", {"nik": NIK}, TODAY)
    assert codes(issues) == {"USULAN_TARGET"}
    _, issues = validate("baru", "ruta", "household", {"members": [person()]}, TODAY)
    assert codes(issues) == {"USULAN_TARGET"}


def test_field_changes_only_on_allowed_fields():
    clean, issues = validate(
        "perbaikan", "data", "member", {"changes": {"nama": "Siti A", "sex": "2"}}, TODAY
    )
    assert issues == [] and clean["changes"] == {"nama": "Siti A", "sex": 2}
    _, issues = validate("perbaikan", "data", "member", {"changes": {"nik": NIK}}, TODAY)
    assert codes(issues) == {"USULAN_FIELD"}
    _, issues = validate("perbaikan", "data", "household", {"changes": {}}, TODAY)
    assert codes(issues) == {"USULAN_NO_CHANGE"}


def test_kk_change_and_move():
    _, issues = validate("perbaikan", "kk", "family", {"kk_number": "12"}, TODAY)
    assert codes(issues) == {"KK_FORMAT"}
    clean, issues = validate("perbaikan", "pindah", "household", {"desa_code": "3509152001"}, TODAY)
    assert issues == [] and clean["desa_code"] == "35.09.15.2001"
    _, issues = validate("perbaikan", "pindah", "household", {"desa_code": "35.09.15.9999"}, TODAY)
    assert codes(issues) == {"USULAN_DESA"}


def test_sanggah_needs_a_reason_and_nonaktif_dates_not_in_future():
    _, issues = validate("sanggah", "mampu", "household", {}, TODAY)
    assert codes(issues) == {"USULAN_ALASAN"}
    _, issues = validate("nonaktif", "meninggal", "member", {"tanggal": "2030-01-01"}, TODAY)
    assert codes(issues) == {"USULAN_DATE_FUTURE"}
    _, issues = validate("nonaktif", "meninggal", "household", {}, TODAY)
    assert codes(issues) == {"USULAN_TARGET"}


def test_unknown_kind_and_subkind():
    assert codes(validate("hapus", "x", None, {})[1]) == {"USULAN_KIND"}
    assert codes(validate("nonaktif", "bosan", "member", {})[1]) == {"USULAN_SUBKIND"}


@pytest.mark.parametrize(("kind", "subkind"), sorted(TARGETS))
def test_every_kind_has_a_description(kind, subkind):
    assert describe(kind, subkind, {})
