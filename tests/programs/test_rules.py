"""Program rules (pure): PKH components and caps, ages at boundaries, lansia threshold, quotas, pengurus."""

from __future__ import annotations

import datetime as dt

import pytest

from siks.domain import programs as P
from siks.domain.eligibility import RuleError

ON = dt.date(2027, 1, 1)


def born(years: int, days: int = 0) -> dt.date:
    """A birth date making someone exactly `years` old on ON, shifted by `days` (positive: younger)."""
    return dt.date(ON.year - years, ON.month, ON.day) + dt.timedelta(days=days)


def person(
    ref: str,
    *,
    age: int | None = 30,
    days: int = 0,
    sex: int = 2,
    rel: int = 3,
    dtks=True,
    nik="x" * 16,
    findings=(),
    **answers,
) -> P.Person:
    row = {
        "jenis_kelamin": sex,
        "hubungan_kk": rel,
        "keberadaan": answers.pop("keberadaan", 1),
        "status": "aktif",
        "tanggal_lahir": born(age, days) if age is not None else None,
        "dtks": dtks,
        "nik": nik,
        "findings": list(findings),
        **answers,
    }
    return P.Person(ref, ref, P.person_record(row, ON), frozenset(findings), nik)


def family(
    *people: P.Person, desil: int = 2, dtks: bool = True, desa: str = "35.09.15.2001", rank=()
) -> P.FamilyFacts:
    return P.FamilyFacts("K1", desa, {"desil": desil, "dtks": dtks}, list(people), frozenset(), rank)


def codes(ent: P.Entitlement) -> list[str]:
    return sorted(g.component for g in ent.grants)


PKH = P.default_program("pkh")
SD = {"partisipasi_sekolah": 2, "pendidikan": 3}
SMP = {"partisipasi_sekolah": 2, "pendidikan": 8}
SMA = {"partisipasi_sekolah": 2, "pendidikan": 13}


def test_three_pregnancies_count_as_two():
    fam = family(*(person(f"m{i}", hamil=1) for i in range(3)))
    ent = P.evaluate_family(PKH, fam)
    assert codes(ent) == ["ibu_hamil", "ibu_hamil"] and len(ent.dropped) == 1
    assert ent.amount_per_year == 6_000_000


def test_at_most_two_young_children_and_age_six_boundary():
    kids = [person("a", age=1), person("b", age=3), person("c", age=5)]
    assert codes(P.evaluate_family(PKH, family(*kids))) == ["anak_usia_dini"] * 2
    six_today = person("d", age=6)  # sixth birthday on the reference date, not in school: still usia dini
    assert codes(P.evaluate_family(PKH, family(six_today))) == ["anak_usia_dini"]
    seven_tomorrow = person("e", age=7, days=1)  # turns 7 the day after: 6 on ON
    assert codes(P.evaluate_family(PKH, family(seven_tomorrow))) == ["anak_usia_dini"]
    seven_today = person("f", age=7)
    assert P.evaluate_family(PKH, family(seven_today)).eligible is False


def test_a_six_year_old_in_sd_counts_for_sd_not_usia_dini():
    assert codes(P.evaluate_family(PKH, family(person("a", age=6, **SD)))) == ["sd"]
    assert (
        codes(P.evaluate_family(PKH, family(person("a", age=5, **SD)))) == []
    )  # below 6: no school component


def test_school_ages_6_to_21_inclusive():
    assert codes(P.evaluate_family(PKH, family(person("a", age=21, **SMA)))) == ["sma"]
    assert codes(P.evaluate_family(PKH, family(person("a", age=22, days=1, **SMA)))) == [
        "sma"
    ]  # 21 until tomorrow
    assert P.evaluate_family(PKH, family(person("a", age=22, **SMA))).eligible is False
    assert codes(P.evaluate_family(PKH, family(person("a", age=13, **SMP)))) == ["smp"]
    dropped_out = person("b", age=15, partisipasi_sekolah=3, pendidikan=8)
    assert P.evaluate_family(PKH, family(dropped_out)).eligible is False


def test_lansia_threshold_is_a_parameter():
    grandma = person("g", age=65)
    assert P.evaluate_family(PKH, family(grandma)).eligible is False  # default 70
    at_60 = P.default_program("pkh", {"umur_lansia": 60})
    assert codes(P.evaluate_family(at_60, family(grandma))) == ["lansia"]
    assert codes(P.evaluate_family(PKH, family(person("h", age=70)))) == ["lansia"]
    assert P.evaluate_family(PKH, family(person("h", age=70, days=1))).eligible is False  # 69 on ON


def test_max_four_components_keeps_the_largest_and_can_be_lifted():
    fam = family(
        person("ibu", hamil=1),
        person("a", age=2),
        person("b", age=8, **SD),
        person("c", age=12, **SD),
        person("d", age=14, **SMP),
        person("e", age=75),
    )
    ent = P.evaluate_family(PKH, fam)
    assert len(ent.grants) == 4
    assert codes(ent) == ["anak_usia_dini", "ibu_hamil", "lansia", "smp"]
    assert sorted(g.component for g in ent.dropped) == ["sd", "sd"]
    unlimited = P.default_program("pkh", {"max_komponen": None})
    assert len(P.evaluate_family(unlimited, fam).grants) == 6


def test_one_component_per_person_the_highest():
    both = person("x", age=72, disabilitas=True)  # lansia and disabilitas berat, same amount
    assert len(P.evaluate_family(PKH, family(both)).grants) == 1
    pregnant_student = person("y", age=19, hamil=1, **SMA)
    assert codes(P.evaluate_family(PKH, family(pregnant_student))) == ["ibu_hamil"]


def test_program_needs_dtks_and_desil():
    fam_args = (person("a", age=2),)
    assert P.evaluate_family(PKH, family(*fam_args, desil=5)).eligible is False
    assert P.evaluate_family(PKH, family(*fam_args, dtks=False)).eligible is False
    bpnt = P.default_program("bpnt")
    assert P.evaluate_family(bpnt, family(person("k", rel=1), desil=4)).amount_per_year == 2_400_000
    pbi = P.default_program("pbi_jk")
    people = P.evaluate_people(
        pbi, family(person("a"), person("dead", keberadaan=2), person("out", dtks=False), desil=5)
    )
    assert [e.unit_ref for e in people if e.eligible] == ["a"]
    assert not any(e.eligible for e in P.evaluate_people(pbi, family(person("a"), desil=6)))


def test_people_not_in_dtks_or_gone_do_not_count():
    moved = person("m", age=3, keberadaan=3)
    outside = person("o", age=3, dtks=False)
    assert P.evaluate_family(PKH, family(moved, outside)).eligible is False


def test_quota_keeps_the_poorest_per_wilayah():
    units = [
        ("a", "35.09.15.2001", (3, 1.0, "a")),
        ("b", "35.09.15.2001", (1, 2.0, "b")),
        ("c", "35.09.15.2002", (2, 0.0, "c")),
        ("d", "35.09.16.2001", (4, 0.0, "d")),
    ]
    assert P.apply_quota(units, {"35.09.15": 2}) == {"a"}
    assert P.apply_quota(units, {"35.09": 1, "35.09.15.2001": 1}) == {"a", "d"}
    assert P.apply_quota(units, {}) == set()


def test_pengurus_rules():
    rule = PKH.pengurus
    mother = person("ibu", age=40, rel=2)
    assert P.pengurus_problems(rule, mother) == []
    assert "meninggal" in P.pengurus_problems(rule, person("x", age=40, keberadaan=2))
    assert any("17" in p for p in P.pengurus_problems(rule, person("x", age=16)))
    assert P.pengurus_problems(rule, person("x", age=17)) == []  # seventeenth birthday counts
    assert "tidak terdaftar dalam DTKS" in P.pengurus_problems(rule, person("x", dtks=False))
    assert any("adminduk" in p for p in P.pengurus_problems(rule, person("x", findings=("DUP",))))
    assert any(
        "adminduk" in p for p in P.pengurus_problems(rule, person("x", findings=("PADAN_NIK_UNKNOWN",)))
    )
    assert any("NIK" in p for p in P.pengurus_problems(rule, person("x", nik=None)))


def test_deceased_mother_is_replaced_by_the_next_valid_adult():
    dead_mother = person("ibu", age=45, rel=2, keberadaan=2)
    father = person("ayah", age=50, sex=1, rel=1)
    daughter = person("anak", age=16, rel=3)
    fam = family(dead_mother, father, daughter, person("bayi", age=1))
    assert P.natural_pengurus(PKH.pengurus, fam).ref == "ibu"
    assert P.choose_pengurus(PKH.pengurus, fam, exclude="ibu").ref == "ayah"
    nobody = family(dead_mother, daughter)
    assert P.choose_pengurus(PKH.pengurus, nobody, exclude="ibu") is None


def test_program_documents_are_checked():
    doc = {
        "format": "siks-program/1",
        "code": "uji",
        "eligible": {"field": "tidak_ada", "op": "=", "value": 1},
    }
    with pytest.raises(RuleError):
        P.program_from_dict(doc)
    with pytest.raises(RuleError):
        P.default_program("pkh", {"tidak_dikenal": 1})
    with pytest.raises(RuleError):
        P.program_from_dict({**doc, "eligible": {"field": "jenjang_sekolah", "op": ">", "value": "SD"}})
    ok = P.program_from_dict({**doc, "eligible": {"field": "jenjang_sekolah", "op": "=", "value": "SD"}})
    assert ok.unit == "keluarga"
    assert P.parse_params(["umur_lansia=60", "max_komponen=none"]) == {
        "umur_lansia": 60,
        "max_komponen": None,
    }
