"""NIK, KK numbers, names and birth places of the truth population, built as whole columns.

NIK = kecamatan of first registration (6) + DDMMYY (women DD + 40) + serial (4), the serial counting up
from 0001 among people with the same prefix, date and sex (`siks.domain.nik.make_nik` builds one; the
tests check that this vectorised version agrees). The prefix is where the person was first registered:
movers keep their old kecamatan, spouses often come from another kecamatan or kabupaten.
KK = issuing kecamatan (6) + DDMMYY of registration + serial (`siks.domain.kk.make_kk`).
"""

from __future__ import annotations

import numpy as np

from siks.domain import wilayah

from . import arrays, geography, names
from .world import World


def _kec_digits(geo: geography.Geography) -> np.ndarray:
    """(K, 6) ASCII digits of every kecamatan code the world uses."""
    return np.array([[ord(ch) for ch in c.replace(".", "")] for c in geo.kec_codes], dtype=np.uint8)


def _ddmmyy(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    year = y.astype(np.int64) + 1970
    return day, month, year


def build_numbers(kec: np.ndarray, day: np.ndarray, sex: np.ndarray, serial: np.ndarray, geo) -> np.ndarray:
    """NIK-shaped numbers as `S16`: kec index, date, sex (1/2, or 1 for a KK) and serial (0–9999)."""
    dd, mm, yy = _ddmmyy(day)
    dd = dd + np.where(sex == 2, 40, 0)
    date_part = dd * 10000 + mm * 100 + yy % 100
    m = np.empty((len(kec), 16), dtype=np.uint8)
    m[:, :6] = _kec_digits(geo)[kec]
    m[:, 6:12] = arrays.digit_matrix(date_part, 6)
    m[:, 12:] = arrays.digit_matrix(serial, 4)
    return arrays.fixed(m)


def _serials(kec: np.ndarray, day: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """1 + rank among the same (kecamatan, DDMMYY, sex): unique numbers, like SIAK's counter."""
    dd, mm, yy = _ddmmyy(day)
    key = (dd + np.where(sex == 2, 40, 0)) * 10000 + mm * 100 + yy % 100
    rank = arrays.group_rank(kec.astype(np.int64), key.astype(np.int64))
    if rank.max(initial=0) >= 9999:
        raise ValueError("Terlalu banyak penduduk dengan tanggal lahir dan kecamatan yang sama.")
    return rank + 1


def nik_prefixes(world: World, geo: geography.Geography, seed: int) -> np.ndarray:
    """Kecamatan (index into geo.kec_codes) of each person's first registration."""
    rng = arrays.stream(seed, "nik-prefix")
    p, r = world.per, world.ruta
    n = world.n_per
    ruta = world.per_ruta()
    origin = r["origin_desa"][ruta]
    moved_on = r["moved_on"][ruta]
    # Born before the household moved: registered in the old desa.
    first_desa = np.where((origin >= 0) & (p["birth"] < moved_on), origin, world.ruta["desa"][ruta])
    kec = geo.desa_kec[first_desa].astype(np.int32)
    n_home = geo.n_home_kec
    n_out = len(geo.kec_codes) - n_home

    def outside(k: int) -> np.ndarray:
        return n_home + rng.choice(n_out, size=k, p=geo.origin_weights)

    def other_home(k: int) -> np.ndarray:
        return rng.integers(0, n_home, k)

    x = rng.random(n)
    rel = p["rel"]
    age = world.age()
    # Married-in spouses and menantu often come from elsewhere; elderly parents sometimes.
    spouse_home = ((rel == 2) & (x < 0.30)) | ((rel == 4) & (x < 0.40)) | ((rel == 6) & (x < 0.25))
    spouse_out = ((rel == 2) & (x >= 0.30) & (x < 0.38)) | ((rel == 4) & (x >= 0.40) & (x < 0.50))
    kec = np.where(spouse_home, other_home(n), kec)
    idx = np.flatnonzero(spouse_out)
    kec[idx] = outside(len(idx))
    # In-migrant households (3%): the adults were first registered in their kabupaten of origin.
    migrant_ruta = rng.random(world.n_ruta) < 0.03
    ruta_origin = outside(world.n_ruta)
    mig = migrant_ruta[ruta] & (age >= 17)
    kec = np.where(mig, ruta_origin[ruta], kec)
    return kec.astype(np.int32)


def build(world: World, geo: geography.Geography, seed: int) -> None:
    """NIK, KK (current and previous), names, birth places and ASN status of the truth population."""
    rng = arrays.stream(seed, "identity")
    p, f, r = world.per, world.fam, world.ruta

    kec = nik_prefixes(world, geo, seed)
    p["nik_kec"] = kec
    p["nik"] = build_numbers(kec, p["birth"], p["sex"], _serials(kec, p["birth"], p["sex"]), geo)

    # KK numbers: current ones and the families' own retired ones share one serial counter.
    own_prev = ~np.isnat(f["kk_prev_date"])
    kk_kec = np.concatenate([f["kk_kec"], f["kk_prev_kec"][own_prev]]).astype(np.int32)
    kk_day = np.concatenate([f["kk_date"], f["kk_prev_date"][own_prev]])
    ones = np.ones(len(kk_kec), dtype=np.int8)
    numbers = build_numbers(kk_kec, kk_day, ones, _serials(kk_kec, kk_day, ones), geo)
    f["kk"] = numbers[: world.n_fam]
    prev = np.full(world.n_fam, b"", dtype="S16")
    prev[own_prev] = numbers[world.n_fam :]
    has_parent = f["kk_prev_fam"] >= 0
    prev[has_parent] = f["kk"][f["kk_prev_fam"][has_parent]]
    f["kk_prev"] = prev

    # Names: Madurese households mostly carry Madurese names; a spouse from elsewhere may not.
    ruta = world.per_ruta()
    madura_origin = np.array([c[:5] in ("35.26", "35.27", "35.28", "35.29") for c in geo.kec_codes])
    madura = np.where(kec >= geo.n_home_kec, madura_origin[kec], r["madura"][ruta])
    flip = (p["rel"] == 2) & (rng.random(world.n_per) < 0.15)
    madura = np.where(flip, ~madura, madura)
    birth_year = p["birth"].astype("datetime64[Y]").astype(np.int64) + 1970
    p["madura"] = madura
    p["name"] = names.sample(rng, p["sex"], birth_year, madura)

    # Birth place as the KTP writes it: the kabupaten, sometimes the kecamatan; migrants their own.
    local_names = [
        geography.place_name(w) if i < geo.n_home_kec and (w := wilayah.get(code)) else geo.kec_places[i]
        for i, code in enumerate(geo.kec_codes)
    ]
    places = sorted(set(geo.kec_places) | set(local_names))
    place_index = {name: i for i, name in enumerate(places)}
    own = np.array([place_index[name] for name in geo.kec_places])
    local = np.array([place_index[name] for name in local_names])
    use_local = (kec < geo.n_home_kec) & (rng.random(world.n_per) < 0.15)
    p["birthplace"] = np.where(use_local, local[kec], own[kec]).astype(np.int16)
    world.extra["places"] = places


def asn(world: World, seed: int) -> None:
    """ASN/TNI/Polri in the truth: ~2.4% of people aged 22–57, from better-off households, never in DTKS
    (those come only from the `asn_member` fault, so the ground truth stays exact)."""
    rng = arrays.stream(seed, "asn")
    p, r = world.per, world.ruta
    ruta = world.per_ruta()
    age = world.age()
    eligible = (age >= 22) & (age <= 57) & np.isnat(p["death"]) & ~r["dtks"][ruta]
    weights = np.exp(1.2 * r["w"][ruta])
    k = arrays.count_for(0.024, int(((age >= 22) & (age <= 57)).sum()))
    chosen = arrays.pick(rng, eligible, k, weights)
    kind = np.zeros(world.n_per, dtype=np.int8)  # 0 none, 1 ASN, 2 TNI, 3 POLRI
    draw = rng.random(len(chosen))
    male = p["sex"][chosen] == 1
    kind[chosen] = np.where(male & (draw < 0.14), 2, np.where(male & (draw < 0.30), 3, 1))
    p["asn"] = kind
