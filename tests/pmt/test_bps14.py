"""The BPS 14 criteria on hand-made households."""

from __future__ import annotations

from siks.domain import bps14

POOR_HOUSE = {
    "luas_lantai": 20,  # 4 people → 5 m² each
    "jenis_lantai": 8,  # tanah
    "jenis_dinding": 4,  # anyaman bambu
    "fasilitas_bab": 6,  # tidak ada
    "sumber_penerangan": 4,  # bukan listrik
    "sumber_air_minum": 9,  # sungai
    "bahan_bakar_memasak": 10,  # kayu bakar
    "rekening": 4,
    "aset_sepeda_motor": 2,
    "aset_emas": 2,
    "aset_lemari_es": 2,
    "lahan": 2,
    "ternak_sapi": 0,
    "ternak_kambing": 0,
}
RICH_HOUSE = {
    "luas_lantai": 120,
    "jenis_lantai": 2,
    "jenis_dinding": 1,
    "fasilitas_bab": 1,
    "sumber_penerangan": 1,
    "sumber_air_minum": 3,
    "bahan_bakar_memasak": 4,
    "rekening": 2,
    "aset_sepeda_motor": 1,
}


def family(head: dict, others: int = 3) -> list[dict]:
    members = [{"id_keluarga": "K1", "no_urut": 1, "hubungan_kk": 1, "keberadaan": 1, **head}]
    members += [
        {"id_keluarga": "K1", "no_urut": i + 2, "hubungan_kk": 3, "keberadaan": 1} for i in range(others)
    ]
    return members


FARM_LABOURER = {
    "bekerja": 1,
    "lapangan_usaha": 1,
    "status_pekerjaan": 6,
    "partisipasi_sekolah": 3,
    "pendidikan": 3,
}
CIVIL_SERVANT = {"bekerja": 1, "lapangan_usaha": 20, "status_pekerjaan": 5, "pendidikan": 19}


def test_a_poor_household_meets_all_ten_answerable_criteria():
    result = bps14.assess(POOR_HOUSE, family(FARM_LABOURER))
    met = [c.number for c in result.criteria if c.met]
    assert met == [1, 2, 3, 4, 5, 6, 7, 12, 13, 14]
    assert result.met == 10 and result.known == 10 and result.poor
    unknown = [c.number for c in result.criteria if c.met is None]
    assert unknown == [8, 9, 10, 11]  # consumption questions Regsosek does not ask


def test_a_well_off_household_meets_none():
    result = bps14.assess(RICH_HOUSE, family(CIVIL_SERVANT))
    assert result.met == 0 and not result.poor
    assert result.known == 10


def test_eight_criteria_is_not_poor():
    house = {**POOR_HOUSE, "sumber_penerangan": 1, "sumber_air_minum": 3}
    result = bps14.assess(house, family(FARM_LABOURER))
    assert result.met == 8 and not result.poor


def test_floor_area_per_person_uses_only_people_living_there():
    members = family(FARM_LABOURER, others=1)  # 2 people, 20 m² → 10 m² each
    assert bps14.assess({"luas_lantai": 20}, members).criteria[0].met is False
    members += [{"id_keluarga": "K1", "no_urut": 9, "hubungan_kk": 3, "keberadaan": 2}]  # meninggal
    assert bps14.assess({"luas_lantai": 20}, members).criteria[0].met is False
    members += [{"id_keluarga": "K1", "no_urut": 10, "hubungan_kk": 3, "keberadaan": 1}]
    assert bps14.assess({"luas_lantai": 20}, members).criteria[0].met is True  # 6.7 m² each


def test_unanswered_questions_are_unknown_not_false():
    result = bps14.assess({}, [])
    assert result.known == 0 and result.met == 0
    assert all(c.met is None for c in result.criteria)


def test_head_income_criterion():
    assert bps14.head_income_criterion({"bekerja": 2}) is True  # no work, no income
    assert bps14.head_income_criterion({"bekerja": 1, "status_pekerjaan": 7, "lapangan_usaha": 12}) is True
    farmer = {"bekerja": 1, "status_pekerjaan": 1, "lapangan_usaha": 1}
    assert bps14.head_income_criterion({**farmer, "lahan": 2}) is True
    assert bps14.head_income_criterion({**farmer, "lahan": 1}) is False  # owns other land
    assert bps14.head_income_criterion({"bekerja": 1, "status_pekerjaan": 4, "lapangan_usaha": 11}) is True
    assert bps14.head_income_criterion({"bekerja": 1, "status_pekerjaan": 4, "lapangan_usaha": 16}) is False
    assert bps14.head_income_criterion({"bekerja": 1}) is None
    assert bps14.head_income_criterion(None) is None


def test_education_of_the_head():
    never = {"partisipasi_sekolah": 1}
    sd = {"partisipasi_sekolah": 3, "pendidikan": 4}  # MI
    smp = {"partisipasi_sekolah": 3, "pendidikan": 8}
    assert bps14.assess({}, family(never)).criteria[12].met is True
    assert bps14.assess({}, family(sd)).criteria[12].met is True
    assert bps14.assess({}, family(smp)).criteria[12].met is False


def test_savings_and_saleable_goods():
    assert bps14.assess({"rekening": 4, "aset_emas": 2}, []).criteria[13].met is True
    assert bps14.assess({"rekening": 4, "aset_emas": 1}, []).criteria[13].met is False
    assert bps14.assess({"rekening": 4, "ternak_kambing": 3}, []).criteria[13].met is False
    assert bps14.assess({"rekening": 1}, []).criteria[13].met is False


def test_codes_as_text_and_booleans():
    house = {**POOR_HOUSE, "jenis_lantai": "08", "aset_emas": False, "lahan": False}
    assert bps14.assess(house, family(FARM_LABOURER)).met == 10
