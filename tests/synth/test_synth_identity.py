"""The vectorised NIK/KK construction agrees with siks.domain's make_nik/make_kk, and names look right."""

from __future__ import annotations

from datetime import date

import numpy as np

from siks.domain.kk import make_kk
from siks.domain.nik import make_nik
from siks.synth import arrays, geography, names
from siks.synth.identity import build_numbers


def test_build_numbers_agrees_with_make_nik_and_make_kk():
    rng = np.random.default_rng(5)
    geo = geography.build("35.09", arrays.stream(1, "geography"))
    n = 500
    kec = rng.integers(0, len(geo.kec_codes), n)
    days = np.datetime64("1930-01-01") + rng.integers(0, 35_000, n).astype("timedelta64[D]")
    sex = rng.integers(1, 3, n)
    serial = rng.integers(1, 10_000, n)
    niks = build_numbers(kec, days, sex, serial, geo)
    kks = build_numbers(kec, days, np.ones(n, dtype=np.int8), serial, geo)
    for i in range(n):
        born = date.fromisoformat(str(days[i]))
        code = geo.kec_codes[kec[i]]
        assert niks[i].decode() == make_nik(code, born, int(sex[i]), int(serial[i]))
        assert kks[i].decode() == make_kk(code, born, int(serial[i]))


def test_group_rank_counts_within_groups():
    a = np.array([3, 1, 3, 3, 1])
    b = np.array([0, 0, 0, 1, 0])
    assert arrays.group_rank(a, b).tolist() == [0, 0, 1, 0, 1]


def test_names_are_javanese_or_madurese_by_cohort():
    rng = np.random.default_rng(2)
    n = 4000
    sex = rng.integers(1, 3, n)
    year = rng.integers(1930, 2026, n)
    madura = rng.random(n) < 0.5
    sampled = names.sample(rng, sex, year, madura).to_pylist()
    assert all(s and s == s.upper() and "  " not in s for s in sampled)
    old = [s for s, y in zip(sampled, year, strict=True) if y < 1960]
    young = [s for s, y in zip(sampled, year, strict=True) if y > 2005]
    # Old people mostly carry one word; children two or three.
    assert np.mean([len(s.split()) == 1 for s in old]) > 0.5
    assert np.mean([len(s.split()) >= 2 for s in young]) > 0.9
    assert len(set(sampled)) > n / 4


def test_variants_are_nicknames_spellings_and_parts():
    rng = np.random.default_rng(3)
    assert names.nickname("HERMAWAN", 0.5) == "WAWAN"
    assert names.nickname("SUHARTONO", 0.9) == "TONO"
    assert names.nickname("FATHORRAHMAN", 0.1) == "FATHOR"
    for name in ("HERMAWAN", "MOH. HASAN", "SITI AMINAH", "MUHAMMAD RIZKY PRATAMA", "SUMINAH"):
        for _ in range(30):
            v = names.variant(name, rng, 1)
            assert v != name and v == " ".join(v.split()) and v
