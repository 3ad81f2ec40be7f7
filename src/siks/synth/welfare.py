"""Latent per-capita consumption and the Regsosek answers that follow from it.

Every household gets a log consumption from its desa, a latent welfare draw and its size. Each answer is
then an ordered-probit draw on the standardised log consumption: a latent score `loading·w + noise`, cut
at the normal quantiles that give the answer's share in the whole kabupaten. So the marginal shares are
right, poorer households really look poorer, and no two answers are copies of each other.

Answers are int16 columns named by template header; -1 means "left empty".
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from . import arrays
from .world import World

EMPTY = -1
MEDIAN_CONSUMPTION = 830_000  # rupiah per capita per month: Jember, around the 2024 Susenas level
_N = NormalDist()


def ordinal(
    rng: np.random.Generator,
    w: np.ndarray,
    codes: tuple[int, ...],
    shares: tuple[float, ...],
    loading: float = 1.0,
    noise: float = 0.8,
    shift: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Codes ordered poorest → richest with their kabupaten shares; w is standard normal."""
    p = np.asarray(shares, dtype=np.float64)
    cum = np.cumsum(p / p.sum())[:-1]
    sd = float(np.hypot(loading, noise))
    cuts = np.array([_N.inv_cdf(min(max(c, 1e-9), 1 - 1e-9)) * sd for c in cum])
    score = loading * w + noise * rng.standard_normal(len(w)) + shift
    return np.asarray(codes, dtype=np.int16)[np.searchsorted(cuts, score)]


def yes_no(rng: np.random.Generator, w: np.ndarray, share: float, loading: float, shift=0.0) -> np.ndarray:
    """1 Ya / 2 Tidak with P(Ya) = share overall, rising with w by `loading`."""
    return ordinal(rng, w, (2, 1), (1.0 - share, share), loading=loading, noise=1.0, shift=shift)


def consumption(
    world: World, seed: int, desa_effect: np.ndarray, price_level: float = 1.0, welfare_shift: float = 0.0
) -> None:
    """Per-capita consumption (rupiah/month), the standardised welfare score and the desil of every ruta.

    `welfare_shift` moves real welfare (in sd of log consumption) and with it every answer, since answers
    are cut at the reference kabupaten's shares: a poorer kabupaten has more earth floors, not just lower
    rupiah. `price_level` multiplies the rupiah only (answers do not see prices)."""
    rng = arrays.stream(seed, "consumption")
    r = world.ruta
    v = 0.6 * r["u"] + 0.8 * rng.standard_normal(world.n_ruta)
    log_c = np.log(MEDIAN_CONSUMPTION) + desa_effect[r["desa"]] + 0.45 * v - 0.06 * (r["size"] - 3.2)
    w = (log_c - log_c.mean()) / max(log_c.std(), 1e-9)
    if welfare_shift:
        log_c = log_c + welfare_shift * float(log_c.std())
        w = w + welfare_shift
    if price_level != 1.0:
        log_c = log_c + np.log(price_level)
    c = np.round(np.exp(log_c) / 1000.0) * 1000.0
    r["consumption"] = c.astype(np.int64)
    r["log_c"] = log_c
    r["w"] = w
    order = np.argsort(log_c, kind="stable")
    rank = np.empty(world.n_ruta, dtype=np.int64)
    rank[order] = np.arange(world.n_ruta)
    r["desil"] = (rank * 10 // world.n_ruta + 1).astype(np.int8)


def household_answers(world: World, seed: int, urban: np.ndarray) -> None:
    """Blok III and V answers for every ruta (the truth; references such as PLN read them too)."""
    rng = arrays.stream(seed, "household")
    r = world.ruta
    w = r["w"]
    n = len(w)
    urb = urban[r["desa"]]
    rural = ~urb
    out: dict[str, np.ndarray] = {}

    x = rng.random(n)
    rent = np.where(urb, 0.10, 0.02)
    free = 0.07 + 0.05 * (w < -1.0)
    cut = np.cumsum(np.stack([rent, free, np.full(n, 0.003), np.full(n, 0.005)]), axis=0)
    out["status_bangunan"] = np.asarray([2, 3, 4, 5, 1], dtype=np.int16)[(x[None, :] >= cut).sum(axis=0)]
    area = np.exp(np.log(60.0) + 0.28 * w + 0.35 * rng.standard_normal(n) - 0.15 * urb)
    out["luas_lantai"] = np.clip(np.round(area), 9, 999).astype(np.int16)
    out["jenis_lantai"] = ordinal(rng, w, (8, 7, 5, 6, 4, 2, 3, 1), (10, 0.5, 1, 22, 7, 56, 1, 2.5))
    out["jenis_dinding"] = ordinal(rng, w, (4, 6, 5, 3, 2, 1), (6, 1, 0.5, 3, 2, 87.5))
    out["jenis_atap"] = ordinal(rng, w, (7, 5, 6, 3, 4, 2, 1), (0.3, 0.2, 0.5, 2, 5, 90, 2), noise=1.0)
    out["sumber_air_minum"] = ordinal(
        rng, w, (9, 8, 6, 10, 7, 5, 4, 3, 2, 1), (1, 2, 6, 0.2, 3, 22, 25, 8, 31, 1.8), shift=0.5 * urb
    )
    out["sumber_penerangan"] = ordinal(rng, w, (4, 3, 2, 1), (0.4, 0.4, 3, 96.2), noise=0.7)
    daya = ordinal(rng, w, (1, 2, 3, 4, 5), (30, 45, 17, 5, 3), noise=0.6)
    out["daya_listrik"] = np.where(out["sumber_penerangan"] == 1, daya, EMPTY).astype(np.int16)
    fuel = ordinal(rng, w, (10, 9, 7, 4, 2, 3, 1), (12, 0.3, 0.2, 80, 2, 4.5, 1), shift=0.4 * urb)
    alone = r["size"] == 1
    out["bahan_bakar_memasak"] = np.where(alone & (rng.random(n) < 0.08), 0, fuel).astype(np.int16)
    bab = ordinal(rng, w, (6, 4, 5, 3, 2, 1), (4, 1, 0.5, 1.5, 8, 85))
    out["fasilitas_bab"] = bab
    kloset = ordinal(rng, w, (4, 3, 2, 1), (6, 3, 3, 88))
    out["jenis_kloset"] = np.where(np.isin(bab, (1, 2, 3)), kloset, EMPTY).astype(np.int16)
    tinja = ordinal(rng, w, (5, 3, 4, 6, 1, 2), (1, 5, 12, 0.5, 81, 0.5))
    no_toilet = bab == 6
    out["pembuangan_tinja"] = np.where(
        no_toilet, np.where(rng.random(n) < 0.5, 3, np.where(rng.random(n) < 0.6, 5, 4)), tinja
    ).astype(np.int16)

    # 502 assets: (column, share, loading). Phones and motorbikes are nearly universal; cars are not.
    for col, share, loading in (
        ("aset_tabung_gas", 0.12, 1.0),
        ("aset_lemari_es", 0.68, 1.2),
        ("aset_ac", 0.06, 1.6),
        ("aset_pemanas_air", 0.03, 1.6),
        ("aset_telepon_rumah", 0.02, 1.2),
        ("aset_tv_layar_datar", 0.30, 1.2),
        ("aset_emas", 0.15, 1.1),
        ("aset_komputer", 0.15, 1.4),
        ("aset_sepeda_motor", 0.86, 1.3),
        ("aset_sepeda", 0.40, 0.2),
        ("aset_mobil", 0.09, 1.7),
        ("aset_smartphone", 0.88, 1.3),
    ):
        out[col] = yes_no(rng, w, share, loading)
    coast = rng.random(n) < 0.03  # fishing households (Puger, Kencong, Ambulu coast)
    out["aset_perahu"] = np.where(coast & (rng.random(n) < 0.4), 1, 2).astype(np.int16)
    out["aset_kapal_motor"] = np.where(coast & (rng.random(n) < 0.3) & (w > -0.5), 1, 2).astype(np.int16)
    out["lahan"] = np.where(rural, yes_no(rng, w, 0.35, 0.5), yes_no(rng, w, 0.08, 0.8))
    out["rumah_lain"] = yes_no(rng, w, 0.06, 1.0)

    madura = r["madura"]
    cow_p = np.where(rural, np.where(madura, 0.20, 0.10), 0.01)
    has_cow = rng.random(n) < cow_p * (1.0 + 0.2 * np.clip(w, -1, 2))
    out["ternak_sapi"] = np.where(has_cow, 1 + rng.poisson(0.6 + 0.3 * np.clip(w, 0, 3)), 0).astype(np.int16)
    out["ternak_kerbau"] = np.where(rural & (rng.random(n) < 0.005), 1 + rng.poisson(0.5, n), 0).astype(
        np.int16
    )
    out["ternak_kuda"] = np.where(rng.random(n) < 0.002, 1, 0).astype(np.int16)
    out["ternak_babi"] = np.where(rng.random(n) < 0.0005, 1 + rng.poisson(1.0, n), 0).astype(np.int16)
    goat = rng.random(n) < np.where(rural, 0.16, 0.02)
    out["ternak_kambing"] = np.where(goat, 1 + rng.poisson(1.5, n), 0).astype(np.int16)
    out["internet"] = ordinal(rng, w, (0, 3, 2, 1), (25, 57, 15, 3))
    out["rekening"] = ordinal(rng, w, (4, 2, 1, 3), (45, 45, 4, 6))
    for k, v in out.items():
        r[k] = v.astype(np.int16)
    world.extra["household_columns"] = list(out)


# --- member answers ---------------------------------------------------------------------------------------

_AGRI_SECTORS = (1, 3, 2, 5, 4, 6)
_AGRI_SHARES = (55, 25, 8, 7, 3, 2)
_OTHER_SECTORS = (12, 8, 11, 13, 14, 24, 21, 20, 22, 19, 7, 15, 16, 10, 9, 17, 18, 23, 25)
_OTHER_SHARES = (30, 14, 14, 7, 7, 9, 5, 3, 3, 2, 2, 1, 1, 0.5, 0.3, 0.2, 0.5, 0.5, 0.5)
_DISEASES = (2, 3, 6, 4, 5, 8, 13, 7, 18, 10, 9)
_DISEASE_SHARES = (40, 15, 12, 8, 7, 5, 5, 3, 3, 1, 1)
_SULIT = (
    "sulit_melihat",
    "sulit_mendengar",
    "sulit_berjalan",
    "sulit_tangan_jari",
    "sulit_belajar",
    "sulit_perilaku",
    "sulit_bicara",
    "sulit_mengurus_diri",
    "sulit_konsentrasi",
)


def _pick(rng: np.random.Generator, codes: tuple[int, ...], shares: tuple[float, ...], n: int) -> np.ndarray:
    p = np.asarray(shares, dtype=np.float64)
    return np.asarray(codes, dtype=np.int16)[rng.choice(len(codes), size=n, p=p / p.sum())]


def member_answers(
    rng: np.random.Generator,
    age: np.ndarray,
    sex: np.ndarray,
    rel: np.ndarray,
    kawin: np.ndarray,
    birth_year: np.ndarray,
    w: np.ndarray,
    urban: np.ndarray,
    madura: np.ndarray,
    ruta: np.ndarray,
) -> dict[str, np.ndarray]:
    """Blok IV answers of DTKS members, at their age on the pendataan date; w is the ruta's welfare."""
    n = len(age)
    out: dict[str, np.ndarray] = {}
    r = rng.random
    e = np.full(n, EMPTY, dtype=np.int16)

    # 410 pregnancy: married women of childbearing age; other ever-married women 10–54 answer "Tidak".
    p_preg = np.select(
        [(age >= 18) & (age < 35), (age >= 35) & (age < 45), (age >= 45) & (age < 50)],
        [0.08, 0.04, 0.01],
        0.0,
    )
    asked = (sex == 2) & (kawin != 1) & (age >= 10) & (age <= 54)
    preg = (kawin == 2) & (r(n) < p_preg)
    out["hamil"] = np.where(asked, np.where(preg, 1, 2), EMPTY).astype(np.int16)

    # 411 identity cards (sum): KTP from 17, birth certificate more common for the young, KIA for children.
    akta = r(n) < np.where(birth_year >= 1990, 0.88, np.where(birth_year >= 1970, 0.45, 0.2))
    ktp = (age >= 17) & (r(n) < 0.97)
    kia = (age < 17) & (r(n) < 0.35)
    out["kartu_identitas"] = (akta * 1 + kia * 2 + ktp * 4).astype(np.int16)

    # 412/413 schooling: in school by age, else the highest level reached (younger cohorts go further).
    level = ordinal(
        rng,
        w,
        (0, 1, 2, 3, 4, 5, 6),
        (5, 40, 22, 25, 3, 4.5, 0.5),
        loading=0.8,
        noise=1.0,
        shift=0.035 * (birth_year - 1975) - 0.25 * madura,
    )
    in_school = np.select(
        [age < 5, age < 7, age < 13, age < 16, age < 19, age < 24],
        [False, r(n) < 0.3, r(n) < 0.98, r(n) < 0.93, r(n) < 0.72 + 0.1 * w, r(n) < 0.12 + 0.08 * w],
        False,
    )
    school_level = np.select([age < 13, age < 16, age < 19], [1, 2, 3], 5)
    # Out of school young people cannot have passed a level they were too young for.
    cap = np.select([age < 7, age < 13, age < 16, age < 19, age < 22], [0, 1, 2, 3, 3], 6)
    level = np.where(in_school, school_level, np.minimum(level, cap))
    never = (age >= 5) & (level == 0)
    out["partisipasi_sekolah"] = np.where(
        age < 5, EMPTY, np.where(in_school, 2, np.where(never, 1, 3))
    ).astype(np.int16)
    islamic = r(n) < 0.15 + 0.25 * madura
    packet = r(n) < 0.04
    edu = np.select(
        [level == 1, level == 2, level == 3, level == 4, level == 5, level == 6],
        [
            np.where(packet, 1, np.where(islamic, 4, 3)),
            np.where(packet, 6, np.where(islamic, 9, 8)),
            np.where(packet, 11, np.where(islamic, 14, np.where(r(n) < 0.4, 15, 13))),
            np.full(n, 18),
            np.full(n, 19),
            np.full(n, 21),
        ],
        EMPTY,
    )
    out["pendidikan"] = np.where((age >= 5) & (level > 0), edu, EMPTY).astype(np.int16)

    # 416a work, 417 sector, 418 status. Men 25–59 nearly all work; students rarely do.
    male = sex == 1
    p_work = np.select(
        [age < 10, age < 15, age < 25, age < 60, age < 70],
        [0.0, 0.03, np.where(male, 0.70, 0.45), np.where(male, 0.90, 0.52), np.where(male, 0.65, 0.35)],
        np.where(male, 0.35, 0.15),
    )
    p_work = np.where(in_school & (age >= 10), 0.05, p_work)
    works = r(n) < p_work
    out["bekerja"] = np.where(age < 5, EMPTY, np.where(works, 1, 2)).astype(np.int16)
    agri = ordinal(rng, w, (1, 0), (45, 55), loading=0.7, noise=1.0, shift=1.0 * urban) == 1
    sector = np.where(
        agri, _pick(rng, _AGRI_SECTORS, _AGRI_SHARES, n), _pick(rng, _OTHER_SECTORS, _OTHER_SHARES, n)
    )
    out["lapangan_usaha"] = np.where(works, sector, EMPTY).astype(np.int16)
    helper = np.isin(rel, (2, 3, 5)) & (r(n) < 0.4)
    agri_status = np.where(helper, 8, ordinal(rng, w, (6, 1, 2), (50, 35, 15), loading=0.8))
    other_status = np.where(
        helper & (r(n) < 0.3), 8, ordinal(rng, w, (7, 4, 1, 2, 3), (18, 45, 28, 7, 2), loading=0.6)
    )
    out["status_pekerjaan"] = np.where(works, np.where(agri, agri_status, other_status), EMPTY).astype(
        np.int16
    )

    # 428 functional difficulties: rare in the young, common in the old; seeing and walking first.
    p_any = 0.012 + 0.25 / (1.0 + np.exp(-(age - 75.0) / 8.0))
    any_diff = (age >= 2) & (r(n) < p_any)
    old = age >= 50
    domain_w = np.where(
        old[:, None], [[4, 3, 4, 1, 0.3, 0.3, 0.5, 1.5, 2]], [[1, 1, 1.5, 1, 3, 2, 2.5, 1.5, 1]]
    )
    domain_w = domain_w / domain_w.sum(axis=1, keepdims=True)
    first_domain = (r(n)[:, None] > np.cumsum(domain_w, axis=1)).sum(axis=1).clip(0, 8)
    second = r(n) < 0.3
    second_domain = (first_domain + 1 + rng.integers(0, 8, n)) % 9
    severity = _pick(rng, (3, 2, 1), (60, 30, 10), n)
    for i, col in enumerate(_SULIT):
        hit = any_diff & ((first_domain == i) | (second & (second_domain == i)))
        value = np.where(hit, severity, 4)
        min_age = 5 if i >= 6 else 2
        out[col] = np.where(age < min_age, EMPTY, value).astype(np.int16)

    # 430 chronic illness.
    p_ill = 0.02 + 0.45 / (1.0 + np.exp(-(age - 60.0) / 10.0))
    ill = r(n) < p_ill
    disease = _pick(rng, _DISEASES, _DISEASE_SHARES, n)
    disease = np.where((disease == 7) & (w > 0.5), 2, disease)  # TB is a disease of the poor
    out["penyakit_kronis"] = np.where(ill, disease, 1).astype(np.int16)

    # 431a health insurance: mostly PBI in DTKS, the same for the whole ruta.
    ruta_ins = _pick(rng, (1, 2, 4, 0), (70, 10, 5, 15), int(ruta.max()) + 1 if n else 0)
    ins = ruta_ins[ruta] if n else e
    ins = np.where((r(n) < 0.05), _pick(rng, (1, 2, 0), (60, 20, 20), n), ins)
    out["jaminan_kesehatan"] = ins.astype(np.int16)
    return out
