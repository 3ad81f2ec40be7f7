"""Which ruta are in DTKS, when they were registered, and which of them get household-level faults.

DTKS holds roughly the poorer 40%: ruta are ranked on log consumption plus a targeting error (proxy
means tests and village lists both miss), so some desil 1–2 households are out and some desil 6 are in.

Faults are chosen *first* and the truth is then made to agree with them: a `moved` ruta really moves after
it was registered, a `kk_stale` keluarga really gets a new KK after it. Natural events of DTKS households
(deaths, moves, new KK) all happen before the pendataan date, so every difference between the registry
and the truth is one the ground truth lists.
"""

from __future__ import annotations

import numpy as np

from . import arrays
from .params import SynthParams
from .world import World

REGSOSEK_START = np.datetime64("2022-10-15", "D")
REGSOSEK_DAYS = 31


def select(world: World, params: SynthParams) -> None:
    rng = arrays.stream(params.seed, "selection")
    r, f = world.ruta, world.fam
    n = world.n_ruta
    score = r["log_c"] + rng.normal(0.0, params.targeting_noise, n)
    k = max(1, arrays.count_for(params.dtks_share, n))
    in_dtks = np.zeros(n, dtype=bool)
    in_dtks[np.argsort(score, kind="stable")[:k]] = True
    _every_desa(in_dtks, score, r["desa"])
    r["dtks"] = in_dtks

    # 70% registered in Regsosek (Oct–Nov 2022), the rest by later usulan/verval up to two months ago.
    ref = world.ref
    later_start = np.datetime64("2023-01-01", "D")
    later_days = max(int((ref - later_start).astype(int)) - 60, 1)
    regsosek = REGSOSEK_START + rng.integers(0, REGSOSEK_DAYS, n).astype("timedelta64[D]")
    later = later_start + rng.integers(0, later_days, n).astype("timedelta64[D]")
    pendataan = np.where(rng.random(n) < 0.7, regsosek, later)
    r["pendataan"] = np.where(in_dtks, pendataan, np.datetime64("NaT", "D"))
    r["upper"] = np.where(in_dtks, pendataan, ref)  # natural events of DTKS ruta happen before this

    # Household-level faults, exact counts over DTKS ruta.
    e = params.errors
    dtks_idx = np.flatnonzero(in_dtks)
    moved = np.zeros(n, dtype=bool)
    moved[arrays.pick(rng, in_dtks, arrays.count_for(e.moved, len(dtks_idx)))] = True
    not_found = np.zeros(n, dtype=bool)
    not_found[arrays.pick(rng, in_dtks & ~moved, arrays.count_for(e.not_found, len(dtks_idx)))] = True
    r["err_moved"] = moved
    r["err_not_found"] = not_found

    # kk_stale per keluarga: the families of moved ruta count towards it (their KK changed on moving).
    fam_dtks = in_dtks[f["ruta"]]
    fam_moved = moved[f["ruta"]]
    quota = arrays.count_for(e.kk_stale, int(fam_dtks.sum()))
    rest = max(quota - int(fam_moved.sum()), 0)
    stale = fam_moved.copy()
    eligible = fam_dtks & ~fam_moved & ~not_found[f["ruta"]]
    stale[arrays.pick(rng, eligible, rest)] = True
    f["err_stale"] = stale

    # domisili: DTKS ruta surveyed away from their KK address (same KK, no move, KK not stale).
    stale_ruta = np.zeros(n, dtype=bool)
    stale_ruta[f["ruta"][stale]] = True
    domisili = np.zeros(n, dtype=bool)
    eligible = in_dtks & ~moved & ~not_found & ~stale_ruta
    domisili[arrays.pick(rng, eligible, arrays.count_for(e.domisili, len(dtks_idx)))] = True
    r["err_domisili"] = domisili


def _every_desa(in_dtks: np.ndarray, score: np.ndarray, desa: np.ndarray) -> None:
    """Every desa has DTKS households: a desa left out gets its poorest ruta, in place of the best-off
    ruta selected elsewhere (the count stays the same)."""
    n_desa = int(desa.max()) + 1
    have = np.bincount(desa[in_dtks], minlength=n_desa)
    for d in np.flatnonzero(have == 0):
        candidates = np.flatnonzero(desa == d)
        if len(candidates) == 0:
            continue
        have = np.bincount(desa[in_dtks], minlength=n_desa)
        removable = np.flatnonzero(in_dtks & (have[desa] > 1))
        if len(removable) == 0:
            return
        in_dtks[removable[np.argmax(score[removable])]] = False
        in_dtks[candidates[np.argmin(score[candidates])]] = True
