"""The civil-registry truth: families with plausible ages and roles, their ruta and addresses.

Families are drawn as a matrix (one row per keluarga, one column per possible member: kepala, pasangan,
up to 8 children, parents, menantu, grandchildren, another relative) and then flattened to persons, so
the whole population is built with a few dozen numpy operations whatever its size.

Ages follow how Javanese families form: a first birth around 23, births four years apart, children who
leave home in their twenties, widows living alone or with a child, grandparents with grandchildren.
Poorer families have a few more children (the latent welfare `u` is drawn here, before consumption).
"""

from __future__ import annotations

import numpy as np

from . import arrays, geography
from .world import CHILDREN, GRANDCHILDREN, HEAD, MENANTU, OTHER, PARENTS, SPOUSE, WIDTH, World

YEAR = 365.2425

# Age of the kepala keluarga: weights per 5-year bin from 18 (Susenas-like shape for Jawa Timur).
_HEAD_AGE_BINS = np.array([18, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 96])
_HEAD_AGE_W = np.array([0.4, 3.2, 7.0, 10.0, 11.0, 11.5, 11.0, 10.5, 9.5, 8.0, 6.5, 5.0, 3.5, 2.0, 1.0, 0.3])

# Family kinds: 0 alone, 1 couple (+children), 2 single parent, 3 with elderly parent(s), 4 three generations.
_KIND_BY_AGE = np.array(
    [
        [0.08, 0.80, 0.04, 0.08, 0.00],  # < 30
        [0.03, 0.76, 0.08, 0.13, 0.00],  # 30–44
        [0.04, 0.74, 0.10, 0.06, 0.06],  # 45–59
        [0.12, 0.55, 0.14, 0.01, 0.18],  # 60–74
        [0.30, 0.35, 0.17, 0.00, 0.18],  # 75+
    ]
)


def _head_ages(rng: np.random.Generator, n: int) -> np.ndarray:
    b = rng.choice(len(_HEAD_AGE_W), size=n, p=_HEAD_AGE_W / _HEAD_AGE_W.sum())
    lo, hi = _HEAD_AGE_BINS[b], _HEAD_AGE_BINS[b + 1]
    return lo + rng.random(n) * (hi - lo)


def _family_matrix(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """n keluarga as (n, WIDTH) arrays of age (years, float), sex, hubungan, status kawin and presence."""
    head_age = _head_ages(rng, n)
    age_class = np.digitize(head_age, [30, 45, 60, 75])
    cum = np.cumsum(_KIND_BY_AGE, axis=1)[age_class]
    kind = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, 4)
    u = rng.normal(0.0, 1.0, n)  # latent welfare of the family, before consumption is known

    age = np.zeros((n, WIDTH), dtype=np.float32)
    sex = np.zeros((n, WIDTH), dtype=np.int8)
    rel = np.zeros((n, WIDTH), dtype=np.int8)
    kawin = np.zeros((n, WIDTH), dtype=np.int8)
    ok = np.zeros((n, WIDTH), dtype=bool)
    r = rng.random

    # Kepala keluarga: women head most lone and single-parent families (widows), few couples.
    female_head = np.where(kind == 0, r(n) < 0.60, np.where(kind == 2, r(n) < 0.85, r(n) < 0.03))
    ok[:, HEAD] = True
    age[:, HEAD] = head_age
    sex[:, HEAD] = np.where(female_head, 2, 1)
    rel[:, HEAD] = 1

    has_spouse = np.isin(kind, (1, 3, 4))
    gap = rng.gamma(2.0, 2.2, n) - 0.4  # husbands are ~4 years older
    spouse_age = np.where(female_head, head_age + gap, head_age - gap)
    spouse_age = np.clip(spouse_age, 16.0, 99.0)
    ok[:, SPOUSE] = has_spouse
    age[:, SPOUSE] = spouse_age
    sex[:, SPOUSE] = np.where(female_head, 1, 2)
    rel[:, SPOUSE] = 2
    kawin[:, SPOUSE] = 2

    # Marital status of the kepala: married with a spouse; otherwise widowed, divorced or never married.
    x = r(n)
    alone_status = np.where(
        head_age < 30,
        np.where(x < 0.8, 1, 3),
        np.where(female_head, np.where(x < 0.75, 4, 3), np.where(x < 0.6, 4, np.where(x < 0.85, 3, 1))),
    )
    kawin[:, HEAD] = np.where(has_spouse, 2, np.where(kind == 2, np.where(x < 0.65, 4, 3), alone_status))

    # Children: births to the mother, then only those who have not left home yet.
    mother_age = np.where(female_head, head_age, np.where(has_spouse, spouse_age, head_age - 4.0))
    mother_born_early = (mother_age > 56).astype(float)  # born before ~1970: larger families
    lam = np.clip(1.05 - 0.2 * u + 0.7 * mother_born_early, 0.3, 3.0)
    births = np.where(r(n) < 0.05, 0, 1 + rng.poisson(lam)).clip(0, 8)
    first = 18.0 + rng.gamma(2.0, 2.5, n)
    spacing = 1.5 + rng.gamma(1.8, 1.6, (n, 8))
    spacing[:, 0] = 0.0
    at_birth = first[:, None] + np.cumsum(spacing, axis=1)
    child_age = mother_age[:, None] - at_birth
    leave = 18.0 + rng.gamma(2.0, 4.0, (n, 8))
    can_have = np.isin(kind, (1, 2, 3, 4))[:, None]
    child_ok = (
        can_have
        & (np.arange(8)[None, :] < births[:, None])
        & (child_age >= 0.0)
        & (at_birth <= 45.0)
        & (child_age < leave)
    )
    age[:, CHILDREN] = np.clip(child_age, 0.0, None)
    ok[:, CHILDREN] = child_ok
    sex[:, CHILDREN] = np.where(r((n, 8)) < 0.51, 1, 2)
    rel[:, CHILDREN] = 3
    kawin[:, CHILDREN] = np.where(child_age >= 22.0, np.where(r((n, 8)) < 0.08, 3, 1), 1)

    # Elderly parent(s) of the kepala or the spouse.
    ext = kind == 3
    n_par = np.where(ext, np.where(r(n) < 0.75, 1, 2), 0)
    p_age = np.clip(head_age + 24.0 + rng.gamma(2.0, 3.0, n), 40.0, 99.0)
    ok[:, PARENTS] = np.arange(2)[None, :] < n_par[:, None]
    lone_mother = r(n) < 0.7
    age[:, PARENTS.start] = p_age
    sex[:, PARENTS.start] = np.where(n_par == 2, 1, np.where(lone_mother, 2, 1))
    age[:, PARENTS.start + 1] = np.clip(p_age - 2.0 - rng.gamma(2.0, 1.5, n), 38.0, 99.0)
    sex[:, PARENTS.start + 1] = 2
    rel[:, PARENTS] = 6
    kawin[:, PARENTS] = np.where(n_par == 2, 2, 4)[:, None]

    # Three generations: grandchildren, sometimes their parent married in (menantu).
    three = (kind == 4) & (head_age >= 40)
    n_grand = np.where(three, 1 + rng.binomial(2, 0.35, n), 0)
    max_grand = np.clip(head_age - 38.0, 0.5, 15.0)
    ok[:, GRANDCHILDREN] = np.arange(3)[None, :] < n_grand[:, None]
    age[:, GRANDCHILDREN] = r((n, 3)) * max_grand[:, None]
    sex[:, GRANDCHILDREN] = np.where(r((n, 3)) < 0.51, 1, 2)
    rel[:, GRANDCHILDREN] = 5
    kawin[:, GRANDCHILDREN] = 1
    has_menantu = three & (r(n) < 0.5)
    ok[:, MENANTU] = has_menantu
    age[:, MENANTU] = np.clip(head_age - 25.0 + rng.normal(0, 4, n), 18.0, 70.0)
    sex[:, MENANTU] = np.where(r(n) < 0.5, 1, 2)
    rel[:, MENANTU] = 4
    kawin[:, MENANTU] = 2

    # Another relative (nephew, sibling) in a few families.
    other = r(n) < 0.02
    o_age = 5.0 + r(n) * 65.0
    ok[:, OTHER] = other
    age[:, OTHER] = o_age
    sex[:, OTHER] = np.where(r(n) < 0.5, 1, 2)
    rel[:, OTHER] = 8
    kawin[:, OTHER] = np.where(o_age < 20, 1, np.where(r(n) < 0.5, 2, 1))

    return {"age": age, "sex": sex, "rel": rel, "kawin": kawin, "ok": ok, "kind": kind, "u": u}


def _group_into_ruta(rng: np.random.Generator, m: dict[str, np.ndarray]) -> np.ndarray:
    """Ruta of each keluarga. A young couple often lives in the house of an older family (2 KK, 1 ruta)."""
    n = len(m["kind"])
    head_age = m["age"][:, HEAD]
    young = (m["kind"] == 1) & (head_age < 36)
    secondary = young & (rng.random(n) < 0.45)
    hosts = np.flatnonzero(~secondary & (head_age >= 45))
    if len(hosts) == 0:
        secondary[:] = False
    primary = np.flatnonzero(~secondary)
    ruta_of = np.empty(n, dtype=np.int64)
    ruta_of[primary] = np.arange(len(primary))
    sec = np.flatnonzero(secondary)
    if len(sec):
        host = hosts[rng.integers(0, len(hosts), len(sec))]
        ruta_of[sec] = ruta_of[host]
    return ruta_of


def structure(world: World, geo: geography.Geography, persons: int, seed: int) -> None:
    """Keluarga, ruta and persons with ages, sex, roles and addresses: exactly `persons` people."""
    rng = arrays.stream(seed, "structure")
    n_fam = int(persons / 3.0) + 64
    while True:
        m = _family_matrix(rng, n_fam)
        ruta_of = _group_into_ruta(rng, m)
        # Families of one ruta adjacent, the primary (older) family first.
        order = np.lexsort((-m["age"][:, HEAD], ruta_of))
        sizes = m["ok"][order].sum(axis=1)
        cum = np.cumsum(sizes)
        if cum[-1] >= persons:
            break
        n_fam = int(n_fam * 1.3) + 64
    keep = int(np.searchsorted(cum, persons)) + 1  # families needed to reach `persons`
    order = order[:keep]
    ok = m["ok"][order]
    excess = int(cum[keep - 1] - persons)
    if excess:  # the last family loses its last members (never its kepala)
        last = np.flatnonzero(ok[-1])
        ok[-1, last[len(last) - excess :]] = False
    ruta_raw = ruta_of[order]
    _, ruta = np.unique(ruta_raw, return_inverse=True)  # dense, in order of first appearance (sorted)

    fam_size = ok.sum(axis=1)
    flat = ok.reshape(-1)
    ref = world.ref
    age = m["age"][order].reshape(-1)[flat].astype(np.float64)
    # Birth date from the age, to the day.
    birth = ref - np.round(age * YEAR).astype(np.int64).astype("timedelta64[D]") - 1
    per_fam = np.repeat(np.arange(keep, dtype=np.int32), fam_size)
    world.per.update(
        fam=per_fam,
        sex=m["sex"][order].reshape(-1)[flat],
        rel=m["rel"][order].reshape(-1)[flat],
        kawin=m["kawin"][order].reshape(-1)[flat],
        slot=np.tile(np.arange(WIDTH, dtype=np.int8), keep)[flat],
        birth=_round_birth_dates(rng, birth),
    )
    world.fam.update(
        ruta=ruta.astype(np.int32),
        size=fam_size.astype(np.int16),
        start=arrays.starts(fam_size),
        kind=m["kind"][order].astype(np.int8),
        u=m["u"][order],
    )
    n_ruta = int(ruta.max()) + 1
    first_fam = arrays.starts(np.bincount(ruta, minlength=n_ruta))
    desa = geography.assign_desa(rng, geo, n_ruta)
    world.ruta.update(
        desa=desa,  # the desa where the ruta lives now (truth); events below may change it
        sls=geography.assign_sls(rng, geo, desa),
        u=world.fam["u"][first_fam],
        first_fam=first_fam,
        n_fam=np.bincount(ruta, minlength=n_ruta).astype(np.int16),
        size=np.bincount(ruta, weights=fam_size, minlength=n_ruta).astype(np.int32),
        madura=rng.random(n_ruta) < geo.desa_madura[desa],
    )


def _round_birth_dates(rng: np.random.Generator, birth: np.ndarray) -> np.ndarray:
    """Older people often have a conventional birth date (1 July, 31 December, 1 January) on their KTP."""
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    p = np.where(year < 1960, 0.40, np.where(year < 1975, 0.12, 0.0))
    x = rng.random(len(birth))
    conv = x < p
    ystart = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    july = ystart + np.timedelta64(181, "D") + (year % 4 == 0).astype("timedelta64[D]")
    dec31 = (year - 1970 + 1).astype("datetime64[Y]").astype("datetime64[D]") - np.timedelta64(1, "D")
    conv_date = np.where(x < p * 0.75, july, np.where(x < p * 0.9, dec31, ystart))
    return np.where(conv, conv_date, birth)
