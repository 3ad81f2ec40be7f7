"""What happened to the population in recent years: deaths, moves between desa and new KK numbers.

The KK number changes when a family splits off (a young couple leaves the parents' KK), moves, or loses its
kepala (docs/domain-facts.md §3.2). Each keluarga keeps at most its previous number (`kk_prev`), which is what
a stale registry still holds. Events of DTKS households are bounded by their pendataan date (`ruta.upper`),
except the faults chosen in selection.py, which happen after it.
"""

from __future__ import annotations

import numpy as np

from . import arrays, geography
from .params import SynthParams
from .world import NAT, World

YEAR = 365.2425
DEATH_WINDOW_YEARS = 5
MOVE_WINDOW_YEARS = 10

# kk_event codes
NONE, SPLIT, HEAD_DIED, MOVED, MOVED_AFTER, STALE_AFTER = 0, 1, 2, 3, 4, 5


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform day in [lo, hi) (lo where the range is empty)."""
    span = np.maximum((hi - lo).astype(np.int64), 1)
    return lo + (rng.random(len(lo)) * span).astype(np.int64).astype("timedelta64[D]")


def annual_mortality(age: np.ndarray) -> np.ndarray:
    """Gompertz-shaped yearly death probability (about Indonesia's life table), with infant mortality."""
    q = 0.0005 + np.exp(-10.2 + 0.095 * age.astype(np.float64))
    return np.minimum(np.where(age < 1, 0.02, q), 0.5)


def deaths(world: World, seed: int) -> None:
    """Natural deaths in the last five years (before pendataan for DTKS households)."""
    rng = arrays.stream(seed, "deaths")
    p, f = world.per, world.fam
    ruta = world.per_ruta()
    upper = world.ruta["upper"][ruta]
    start = world.ref - np.timedelta64(int(DEATH_WINDOW_YEARS * YEAR), "D")
    lo = np.maximum(start, p["birth"] + 1)
    years = np.maximum((upper - lo).astype(np.int64), 0) / YEAR
    prob = 1.0 - (1.0 - annual_mortality(world.age())) ** years
    # A DTKS household keeps at least its kepala: a family that died out would leave nothing to register.
    lone_dtks = world.ruta["dtks"][ruta] & (f["size"][p["fam"]] == 1)
    dies = (rng.random(world.n_per) < prob) & ~lone_dtks & (years > 0)
    p["death"] = np.where(dies, _between(rng, lo, upper), NAT)


def succession(world: World, seed: int) -> np.ndarray:
    """When a kepala died, the spouse (or else the oldest living member) heads the family; returns the
    keluarga whose kepala died and were taken over (they get a new KK)."""
    rng = arrays.stream(seed, "succession")
    p, f = world.per, world.fam
    head = f["start"]
    # Children alone do not head a KK: a kepala whose only survivors are minors is kept alive.
    adult_alive = np.isnat(p["death"]) & (world.age() >= 17) & (p["rel"] != 1)
    living = np.bincount(p["fam"], weights=np.isnat(p["death"]), minlength=world.n_fam) > 0
    has_adult = np.bincount(p["fam"], weights=adult_alive, minlength=world.n_fam) > 0
    orphaned = ~np.isnat(p["death"][head]) & living & ~has_adult
    p["death"][head[orphaned]] = NAT
    alive = np.isnat(p["death"])
    head_dead = ~alive[head]
    living = np.bincount(p["fam"], weights=alive, minlength=world.n_fam) > 0
    takeover = head_dead & living
    # New head: a living spouse first, then the oldest living member.
    cand = alive & (p["rel"] != 1)
    key = np.where(cand, np.where(p["rel"] == 2, 0, 1), 9).astype(np.int64)
    order = np.lexsort((p["birth"], key, p["fam"]))
    first_in_fam = np.ones(world.n_per, dtype=bool)
    first_in_fam[1:] = p["fam"][order][1:] != p["fam"][order][:-1]
    best = order[first_in_fam]  # one per family, by family order
    new_head = np.full(world.n_fam, -1, dtype=np.int64)
    new_head[p["fam"][best]] = best
    fams = np.flatnonzero(takeover)
    nh = new_head[fams]
    was_spouse = p["rel"][nh] == 2
    # Other members are re-described relative to the new head only when a child takes over.
    child_head = np.zeros(world.n_fam, dtype=bool)
    child_head[fams[~was_spouse]] = True
    relabel = child_head[p["fam"]] & alive & (p["rel"] != 1)
    p["rel"] = np.where(relabel, 8, p["rel"]).astype(np.int8)
    p["rel"][nh] = 1
    p["kawin"][nh] = np.where(was_spouse, 4, p["kawin"][nh])
    # A living kepala whose spouse died is now widowed.
    spouse_dead = np.zeros(world.n_fam, dtype=bool)
    spouse_dead[p["fam"][(p["rel"] == 2) & ~alive]] = True
    widowed = head[spouse_dead & ~head_dead]
    p["kawin"][widowed] = 4
    f["head_died_on"] = np.where(takeover, p["death"][head], NAT)
    f["head"] = np.where(takeover, new_head, head)
    del rng
    return takeover


def moves(world: World, geo: geography.Geography, seed: int) -> None:
    """Households that changed desa: naturally (before pendataan) or as an injected `moved` fault (after)."""
    rng = arrays.stream(seed, "moves")
    r = world.ruta
    n = world.n_ruta
    ref = world.ref
    r["dtks_desa"] = r["desa"].copy()  # where DTKS registered the household
    r["dtks_sls"] = r["sls"].copy()

    def other_desa(current: np.ndarray) -> np.ndarray:
        if geo.n_desa < 2:
            return current.copy()
        shift = 1 + rng.integers(0, geo.n_desa - 1, len(current))
        return ((current + shift) % geo.n_desa).astype(np.int32)

    natural = (rng.random(n) < 0.06) & ~r["err_moved"] & ~r["err_domisili"]
    start = ref - np.timedelta64(int(MOVE_WINDOW_YEARS * YEAR), "D")
    moved_on = np.where(natural, _between(rng, np.full(n, start), r["upper"]), NAT)
    origin = np.where(natural, other_desa(r["desa"]), -1).astype(np.int32)

    after = r["err_moved"]
    idx = np.flatnonzero(after)
    if len(idx):
        new_desa = other_desa(r["desa"][idx])
        origin[idx] = r["desa"][idx]
        lo = r["pendataan"][idx] + np.timedelta64(30, "D")
        moved_on[idx] = _between(rng, lo, np.maximum(lo + 1, ref - np.timedelta64(14, "D")))
        r["desa"][idx] = new_desa
        r["sls"][idx] = geography.assign_sls(rng, geo, new_desa)
    r["origin_desa"] = origin
    r["moved_on"] = moved_on
    # domisili: DTKS surveyed the household where it lives; Dukcapil keeps it at its KK address.
    idx = np.flatnonzero(r["err_domisili"])
    if len(idx):
        lives = other_desa(r["desa"][idx])
        r["dtks_desa"][idx] = lives
        r["dtks_sls"][idx] = geography.assign_sls(rng, geo, lives)


def kk_history(world: World, geo: geography.Geography, params: SynthParams, takeover: np.ndarray) -> None:
    """The current KK of every keluarga (issuing kecamatan, date) and the one before it, if any.

    `kk_prev_fam` ≥ 0: the previous number is that (parent) family's KK; else `kk_prev_date` set: a
    retired number of the family's own, issued in `kk_prev_kec`.
    """
    rng = arrays.stream(params.seed, "kk")
    p, f, r = world.per, world.fam, world.ruta
    ref = world.ref
    nf = world.n_fam
    fr = f["ruta"]
    upper = r["upper"][fr]
    head = f["head"]
    head_birth = p["birth"][head]
    adult = head_birth + np.timedelta64(int(19 * YEAR), "D")
    siak = np.datetime64("2006-01-01", "D")

    event = np.full(nf, NONE, dtype=np.int8)
    date = np.full(nf, NAT)

    # Parent families for splits: same desa, kepala at least 18 years older.
    head_age = world.age()[f["start"]].astype(np.int64)
    desa = r["desa"][fr].astype(np.int64)
    key = desa * 200 + head_age
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    lo_i = np.searchsorted(sorted_key, desa * 200 + head_age + 18)
    hi_i = np.searchsorted(sorted_key, desa * 200 + 199, side="right")
    has_parent = hi_i > lo_i
    parent = np.where(
        has_parent, order[np.minimum(lo_i + (rng.random(nf) * (hi_i - lo_i)).astype(np.int64), nf - 1)], -1
    )

    # Natural splits: young couples, more often those living in their parents' house.
    secondary = np.zeros(nf, dtype=bool)
    secondary[1:] = fr[1:] == fr[:-1]
    young = (f["kind"] == 1) & (head_age < 40)
    split = young & has_parent & (rng.random(nf) < np.where(secondary, 0.6, 0.35))
    split_lo = np.maximum(adult, ref - np.timedelta64(int(12 * YEAR), "D"))
    split &= split_lo < upper
    event[split] = SPLIT
    date[split] = _between(rng, split_lo[split], upper[split])
    prev_fam = np.where(split, parent, -1)
    if secondary.any():  # a family that split off inside its parents' ruta came from the host's KK
        host = np.maximum.accumulate(np.where(~secondary, np.arange(nf), 0))
        prev_fam = np.where(split & secondary, host, prev_fam)

    died = takeover
    event[died] = HEAD_DIED
    date[died] = np.minimum(
        f["head_died_on"][died] + rng.integers(14, 180, int(died.sum())).astype("timedelta64[D]"),
        upper[died] - 1,
    )

    moved_on = r["moved_on"][fr]
    natural_move = ~np.isnat(moved_on) & ~r["err_moved"][fr]
    event[natural_move] = MOVED
    date[natural_move] = np.minimum(
        moved_on[natural_move] + rng.integers(0, 60, int(natural_move.sum())).astype("timedelta64[D]"),
        upper[natural_move] - 1,
    )

    stale = f["err_stale"] & ~r["err_moved"][fr]
    pend = r["pendataan"][fr]
    event[stale] = STALE_AFTER
    date[stale] = _between(rng, pend[stale] + 14, np.maximum(pend[stale] + 15, ref - 7))
    prev_fam = np.where(stale & ~has_parent, -1, np.where(stale, parent, prev_fam))

    moved_after = r["err_moved"][fr]
    event[moved_after] = MOVED_AFTER
    date[moved_after] = np.minimum(
        moved_on[moved_after] + rng.integers(0, 30, int(moved_after.sum())).astype("timedelta64[D]"), ref - 1
    )

    # No event: the KK issued when the family was formed, mostly since SIAK numbering began (2006).
    none = event == NONE
    lo = np.maximum(adult, siak)
    frac = rng.beta(1.3, 2.5, nf)
    span = np.maximum((upper - lo).astype(np.int64), 1)
    date[none] = (lo + (frac * span).astype(np.int64).astype("timedelta64[D]"))[none]
    date = np.minimum(date, np.where(event >= MOVED_AFTER, ref - 1, upper - 1))

    # Issuing kecamatan: where the family lived on that date.
    desa_now = r["desa"][fr]
    origin = r["origin_desa"][fr]
    before_move = (origin >= 0) & (date < moved_on)
    kk_desa = np.where(before_move, origin, desa_now)
    f["kk_event"] = event
    f["kk_date"] = date
    f["kk_kec"] = geo.desa_kec[kk_desa].astype(np.int16)
    # The previous number: a parent family's KK, or a retired number of the family's own.
    own_prev = (event != NONE) & ~((event == SPLIT) | (event == STALE_AFTER)) | (
        (event == STALE_AFTER) & (prev_fam < 0)
    )
    prev_fam = np.where(own_prev, -1, prev_fam)
    prev_fam = np.where(event == NONE, -1, prev_fam)
    f["kk_prev_fam"] = prev_fam.astype(np.int64)
    prev_lo = np.maximum(adult, siak - np.timedelta64(3650, "D"))
    prev_date = _between(rng, prev_lo, np.maximum(prev_lo + 1, date - 30))
    f["kk_prev_date"] = np.where(own_prev, np.minimum(prev_date, date - 1), NAT)
    prev_desa = np.where((event == MOVED) | (event == MOVED_AFTER), origin, desa_now)
    f["kk_prev_kec"] = np.where(own_prev, geo.desa_kec[np.maximum(prev_desa, 0)], -1).astype(np.int16)
