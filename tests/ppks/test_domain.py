"""The pure code lists and record checks of siks.domain.ppks."""

from __future__ import annotations

import datetime as dt

from siks.domain import ppks as rules
from siks.domain.nik import make_nik

TODAY = dt.date(2025, 6, 1)


def codes(issues):
    return [i.code for i in issues if i.is_error]


def test_code_lists_have_26_ppks_and_12_psks_kinds_with_unique_labels():
    assert len(rules.PPKS_KINDS) == 26 and len(rules.PSKS_KINDS) == 12
    assert len({k.label for k in rules.PPKS_KINDS.values()}) == 26
    assert rules.PPKS_KINDS["komunitas_adat_terpencil"].subjects == {rules.Subject.KELOMPOK}
    assert rules.PSKS_KINDS["lks"].form is rules.Form.LEMBAGA
    assert rules.PSKS_KINDS["tksk"].form is rules.Form.ORANG


def test_a_street_child_without_nik_or_birth_date_is_accepted():
    clean, issues = rules.clean_person(
        {"nama": "Udin", "sex": "1", "tempat": "jalanan", "desa_code": "3509152001"}, TODAY
    )
    assert codes(issues) == []
    assert clean["nik"] is None and clean["desa_code"] == "35.09.15.2001" and clean["tempat"] == "jalanan"


def test_a_person_needs_exactly_one_of_lks_or_place():
    base = {"nama": "Udin", "sex": 1, "desa_code": "35.09.15.2001"}
    assert "PPKS_TEMPAT" in codes(rules.clean_person(base, TODAY)[1])
    both = {**base, "lks_ref": "LKS-1", "tempat": "jalanan"}
    assert "PPKS_TEMPAT" in codes(rules.clean_person(both, TODAY)[1])
    assert "PPKS_TEMPAT" in codes(rules.clean_person({**base, "tempat": "gua"}, TODAY)[1])


def test_a_given_nik_must_be_well_formed_and_other_faults_only_warn():
    base = {"nama": "Sri", "sex": 2, "tempat": "jalanan", "desa_code": "35.09.15.2001"}
    assert "NIK_FORMAT" in codes(rules.clean_person({**base, "nik": "12345"}, TODAY)[1])
    nik = make_nik("35.09.15", dt.date(1950, 2, 3), 2, 4)
    clean, issues = rules.clean_person({**base, "nik": nik, "tanggal_lahir": "1950-02-04"}, TODAY)
    assert clean["nik"] == nik and codes(issues) == []
    assert "NIK_BIRTHDATE_MISMATCH" in [i.code for i in issues]


def test_missing_name_sex_and_unknown_desa_are_named():
    found = codes(
        rules.clean_person({"tempat": "jalanan", "desa_code": "99.99.99.9999", "sex": "3"}, TODAY)[1]
    )
    assert {"PPKS_NAMA", "PPKS_SEX", "PPKS_WILAYAH"} <= set(found)


def test_a_kind_must_fit_its_subject_and_carry_date_and_evidence():
    ok, issues = rules.clean_registration(
        {"jenis": "lansia_terlantar", "tanggal": "2025-01-02", "bukti": "Asesmen TKSK"},
        rules.Subject.PERSEORANGAN,
        TODAY,
    )
    assert codes(issues) == [] and ok["tanggal"] == dt.date(2025, 1, 2)
    _, issues = rules.clean_registration(
        {"jenis": "komunitas_adat_terpencil", "tanggal": "2025-01-02", "bukti": "SK"},
        rules.Subject.PERSEORANGAN,
        TODAY,
    )
    assert codes(issues) == ["PPKS_SUBJEK"]
    _, issues = rules.clean_registration({"jenis": "tidak_ada"}, rules.Subject.KELUARGA, TODAY)
    assert codes(issues) == ["PPKS_JENIS", "PPKS_DATE", "PPKS_BUKTI"]
    _, issues = rules.clean_registration(
        {"jenis": "fakir_miskin", "tanggal": "2030-01-01", "bukti": "x"}, rules.Subject.KELUARGA, TODAY
    )
    assert codes(issues) == ["PPKS_DATE_FUTURE"]


def test_psks_person_needs_nik_and_lks_needs_registration_number():
    _, issues = rules.clean_psks({"jenis": "tksk", "nama": "Pak Tono", "wilayah_code": "35.09.15"}, TODAY)
    assert codes(issues) == ["PPKS_NIK_REQUIRED"]
    _, issues = rules.clean_psks(
        {"jenis": "lks", "nama": "Panti", "wilayah_code": "35.09", "akreditasi": "D"}, TODAY
    )
    assert codes(issues) == ["PSKS_TANDA_DAFTAR", "PSKS_AKREDITASI"]
    clean, issues = rules.clean_psks(
        {"jenis": "karang_taruna", "nama": "KT Jubung", "wilayah_code": "3509152001"}, TODAY
    )
    assert codes(issues) == [] and clean["wilayah_code"] == "35.09.15.2001"
