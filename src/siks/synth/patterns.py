"""People who look alike, and names that are not Javanese or Madurese (issue #16 point 6).

Why: identity resolution and ganda are only tested by what the generator makes hard. Real kabupaten hold
twins (one keluarga, one birth date), sons named after their father (one name, one KK, decades apart) and
households of other naming traditions: Sundanese (ASEP SUPRIATNA), Batak with a marga shared by father
and children (MARULI SIMANJUNTAK), Bugis (ANDI BAHTIAR), Minang one-word names (SYAFRIZAL), Balinese
birth-order names that thousands share (I WAYAN SUDARMA), Chinese-Indonesian (TAN SIOK LIAN, HENDRA
GUNAWAN) and Arab-Indonesian families (SYARIFAH FATIMAH ALHABSYI). None of this is a fault: they are in
Dukcapil and DTKS alike, and a check that flags them is wrong. Each pattern has a knob
(`SynthParams.patterns`) and its own random stream, so turning one off leaves the other draws as they were;
`truth/patterns.csv` lists every person each pattern touched.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import arrays, names
from .world import World

#: naming tradition → share among the households that are not Javanese/Madurese
GROUPS: dict[str, float] = {
    "sunda": 0.25,
    "bali": 0.16,
    "tionghoa": 0.15,
    "arab": 0.12,
    "bugis": 0.12,
    "batak": 0.10,
    "minang": 0.10,
}


def twins(world: World, seed: int, rate: float) -> np.ndarray:
    """The younger of two consecutive children of a keluarga is born the same day as the elder.

    `rate` is the share of children made a twin of their elder sibling. Runs before the NIK is built (the
    NIK carries the birth date). Returns the persons changed."""
    rng = arrays.stream(seed, "pattern-twins")
    p = world.per
    child = p["rel"] == 3
    after_sibling = np.zeros(len(child), dtype=bool)
    after_sibling[1:] = child[1:] & child[:-1] & (p["fam"][1:] == p["fam"][:-1])
    after_sibling[1:] &= p["birth"][:-1][: len(child) - 1] <= p["birth"][1:]
    idx = arrays.pick(rng, after_sibling, arrays.count_for(rate, int(child.sum())))
    p["birth"][idx] = p["birth"][idx - 1]
    # a twin who died before the elder sibling's birth date cannot exist: keep the death after the birth
    dead = ~np.isnat(p["death"][idx]) if "death" in p else np.zeros(len(idx), dtype=bool)
    if dead.any():
        j = idx[dead]
        p["death"][j] = np.maximum(p["death"][j], p["birth"][j] + np.timedelta64(1, "D"))
    return idx


def other_names(world: World, seed: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Give a share of households the names of another tradition. Returns (persons, group per person)."""
    rng = arrays.stream(seed, "pattern-names")
    p = world.per
    ruta = world.per_ruta()
    chosen = arrays.pick(rng, np.ones(world.n_ruta, dtype=bool), arrays.count_for(share, world.n_ruta))
    group_names = list(GROUPS)
    weights = np.array(list(GROUPS.values()))
    group_of_ruta = np.full(world.n_ruta, -1, dtype=np.int16)
    group_of_ruta[chosen] = rng.choice(len(group_names), size=len(chosen), p=weights / weights.sum())
    persons = np.flatnonzero(group_of_ruta[ruta] >= 0)
    if len(persons) == 0:
        return persons, np.array([], dtype=object)
    year = p["birth"][persons].astype("datetime64[Y]").astype(np.int64) + 1970
    out = p["name"].to_pylist()
    family_name: dict[tuple[str, int], str] = {}  # marga, fam or surname a keluarga passes to children
    used: dict[int, set[str]] = {}  # names given in a keluarga: no two children named alike
    for i, person in enumerate(persons.tolist()):
        g = group_names[group_of_ruta[ruta[person]]]
        male = bool(p["sex"][person] == 1)
        spouse = bool(p["rel"][person] == 2)  # a wife keeps her own family's name
        fam = int(p["fam"][person])
        taken = used.setdefault(fam, set())
        for _ in range(20):
            name = _name(rng, g, male, int(year[i]), spouse, (g, fam), family_name)
            if name not in taken:
                break
        taken.add(name)
        out[person] = name
    p["name"] = pa.array(out, type=pa.string())
    return persons, np.array([group_names[group_of_ruta[ruta[x]]] for x in persons.tolist()], dtype=object)


def _name(
    rng: np.random.Generator,
    g: str,
    male: bool,
    year: int,
    spouse: bool,
    key: tuple[str, int],
    family_name: dict[tuple[str, int], str],
) -> str:
    pool = names.pools()

    def one(name: str) -> str:
        return pool[name][rng.integers(len(pool[name]))]

    def inherited(name: str) -> str:
        if spouse:
            return one(name)
        if key not in family_name:
            family_name[key] = one(name)
        return family_name[key]

    if g == "sunda":
        first = one("sunda_m_first" if male else "sunda_f_first")
        return first if rng.random() < 0.35 else f"{first} {one('sunda_m_last' if male else 'sunda_f_last')}"
    if g == "batak":
        return f"{one('batak_m_first' if male else 'batak_f_first')} {inherited('batak_marga')}"
    if g == "bugis":
        given = one("bugis_m" if male else "bugis_f")
        return f"ANDI {given}" if rng.random() < 0.2 else given
    if g == "minang":
        return one("minang_m" if male else "minang_f")
    if g == "bali":
        return f"{'I' if male else 'NI'} {one('bali_order')} {one('bali_m' if male else 'bali_f')}"
    if g == "tionghoa":
        if year < 1966:
            return f"{inherited('tionghoa_marga')} {one('tionghoa_syllable')} {one('tionghoa_syllable')}"
        return f"{one('tionghoa_m_first' if male else 'tionghoa_f_first')} {one('tionghoa_last')}"
    return f"{one('arab_m' if male else 'arab_f')} {inherited('arab_fam')}"


def _alike(a: str, b: str) -> bool:
    """One name is the other, or holds all its words (EMAN / EMAN SURYANA)."""
    wa, wb = set(a.split()), set(b.split())
    return wa <= wb or wb <= wa


def distinct_twins(world: World, seed: int, twins: np.ndarray) -> None:
    """A twin never carries the elder twin's name, nor a part of it (pools are small; parents never do)."""
    p = world.per
    names_now = p["name"].to_pylist()
    same = [int(i) for i in twins.tolist() if _alike(names_now[i], names_now[i - 1])]
    if not same:
        return
    rng = arrays.stream(seed, "pattern-twin-names")
    idx = np.array(same)
    year = p["birth"][idx].astype("datetime64[Y]").astype(np.int64) + 1970
    for _ in range(20):
        fresh = names.sample(rng, p["sex"][idx], year, p["madura"][idx]).to_pylist()
        for j, i in enumerate(same):
            if _alike(names_now[i], names_now[i - 1]):
                names_now[i] = fresh[j]
        if not any(_alike(names_now[i], names_now[i - 1]) for i in same):
            break
    p["name"] = pa.array(names_now, type=pa.string())


def juniors(world: World, seed: int, rate: float) -> np.ndarray:
    """Sons who carry their father's (the kepala's) exact name. `rate` is the share of sons so named."""
    rng = arrays.stream(seed, "pattern-juniors")
    p, f = world.per, world.fam
    head = f["start"][p["fam"]]
    son = (p["rel"] == 3) & (p["sex"] == 1) & (p["rel"][head] == 1) & (p["sex"][head] == 1)
    idx = arrays.pick(rng, son, arrays.count_for(rate, int(son.sum())))
    if len(idx):
        out = p["name"].to_pylist()
        for i in idx.tolist():
            out[i] = out[int(head[i])]
        p["name"] = pa.array(out, type=pa.string())
    return idx


def truth_table(cases: dict[str, tuple[np.ndarray, np.ndarray | None]]) -> pa.Table:
    """truth/patterns.csv: person_id, pola (kembar, senama_ayah, etnis_lain, gelar, asn_tanpa_nik) and
    detail (the tradition, or the title)."""
    pid, kind, detail = [], [], []
    for name, (persons, extra) in cases.items():
        pid.append(persons.astype(np.int64) + 1)
        kind.extend([name] * len(persons))
        detail.extend(extra.tolist() if extra is not None else [""] * len(persons))
    return pa.table(
        {
            "person_id": pa.array(np.concatenate(pid) if pid else np.array([], dtype=np.int64)),
            "pola": pa.array(kind, type=pa.string()),
            "detail": pa.array(detail, type=pa.string()),
        }
    )
