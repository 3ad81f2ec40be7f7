"""The places of a synthetic kabupaten: its kecamatan and desa (official codes), dusun, RW and RT.

Desa differ in size, in welfare and — in the Tapal Kuda — in how Madurese they are (north Jember is
mostly Madurese, the south mostly Javanese), which decides the names people carry. Migrants' NIK
prefixes and birth places come from the neighbouring kabupaten.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from siks.domain import wilayah

# Madurese share of the population by kecamatan name (Jember); an estimate from the north–south split.
_JEMBER_MADURA = {
    "Jombang": 0.15, "Kencong": 0.10, "Sumberbaru": 0.45, "Gumukmas": 0.15, "Umbulsari": 0.25,
    "Tanggul": 0.40, "Semboro": 0.30, "Puger": 0.35, "Bangsalsari": 0.55, "Balung": 0.30,
    "Wuluhan": 0.20, "Ambulu": 0.25, "Rambipuji": 0.45, "Panti": 0.60, "Sukorambi": 0.65,
    "Jenggawah": 0.40, "Ajung": 0.55, "Tempurejo": 0.60, "Kaliwates": 0.40, "Patrang": 0.55,
    "Sumbersari": 0.45, "Arjasa": 0.85, "Mumbulsari": 0.75, "Pakusari": 0.85, "Jelbuk": 0.90,
    "Mayang": 0.85, "Kalisat": 0.85, "Ledokombo": 0.90, "Sukowono": 0.90, "Silo": 0.80,
    "Sumberjambe": 0.90,
}  # fmt: skip
# Madurese share by kabupaten, for kabupaten other than Jember (Madura itself, then the Tapal Kuda).
_KAB_MADURA = {
    "35.26": 0.97, "35.27": 0.97, "35.28": 0.97, "35.29": 0.97, "35.11": 0.90, "35.12": 0.90,
    "35.13": 0.60, "35.74": 0.50, "35.14": 0.40, "35.75": 0.30, "35.08": 0.35, "35.10": 0.10,
    "35.09": 0.55,
}  # fmt: skip
# Where Jember's in-migrants and married-in spouses come from, with weights.
_JEMBER_ORIGINS = {
    "35.11": 5, "35.08": 4, "35.10": 4, "35.12": 3, "35.13": 2, "35.29": 2, "35.28": 2,
    "35.27": 1, "35.26": 1, "35.78": 2, "35.07": 1, "35.73": 1,
}  # fmt: skip


def _lines(name: str) -> list[str]:
    text = resources.files("siks.synth").joinpath(f"data/{name}").read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def place_name(w: wilayah.Wilayah) -> str:
    """ "Kabupaten Jember" → "JEMBER", "Kota Surabaya" → "SURABAYA": how KTPs write a birth place."""
    name = w.name
    for prefix in ("Kabupaten ", "Kota Administrasi ", "Kota "):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.upper()


@dataclass
class Geography:
    """Columnar description of the kabupaten. Indices into these arrays are what the world stores."""

    kabupaten_code: str
    kabupaten_place: str  # "JEMBER"
    kec_codes: list[str]  # dotted; the kabupaten's kecamatan first, then the migrants' origins
    kec_places: list[str]  # birth place written for someone first registered there
    n_home_kec: int  # kec_codes[:n_home_kec] are inside the kabupaten
    origin_weights: np.ndarray  # over kec_codes[n_home_kec:]
    desa_codes: list[str]  # dotted
    desa_names: list[str]
    desa_kec: np.ndarray  # int16 index into kec_codes
    desa_urban: np.ndarray  # bool: kelurahan
    desa_weight: np.ndarray  # relative population
    desa_effect: np.ndarray  # additive log-consumption effect
    desa_madura: np.ndarray  # Madurese share
    # SLS (RT) table: one row per RT, grouped by desa in desa order.
    sls_desa: np.ndarray  # int32
    sls_dusun: np.ndarray  # int16 index into dusun_names (-1 for kelurahan: no dusun)
    sls_rw: np.ndarray  # int16
    sls_rt: np.ndarray  # int16
    sls_weight: np.ndarray
    sls_start: np.ndarray  # first SLS row of each desa
    sls_count: np.ndarray
    dusun_names: list[str]
    streets: list[str]

    @property
    def n_desa(self) -> int:
        return len(self.desa_codes)


def build(kabupaten: str, rng: np.random.Generator) -> Geography:
    kab = wilayah.get(kabupaten)
    if kab is None or kab.level != 2:
        raise ValueError(f"Kabupaten/kota '{kabupaten}' tidak ditemukan dalam kode wilayah Kemendagri.")
    kecs = wilayah.children(kab.code)
    desa = wilayah.desa_in(kab.code)
    if not desa:
        raise ValueError(f"Kabupaten/kota '{kab.name}' tidak memiliki desa/kelurahan.")
    kec_index = {k.code: i for i, k in enumerate(kecs)}
    kab_place = place_name(kab)

    # Origins of migrants: Jember's neighbours, else the other kab/kota of the same provinsi.
    if kab.code == "35.09":
        origin_kabs = {c: w for c, w in _JEMBER_ORIGINS.items()}
    else:
        others = [w.code for w in wilayah.children(kab.code[:2]) if w.code != kab.code][:12]
        origin_kabs = dict.fromkeys(others, 1.0)
    origin_codes: list[str] = []
    origin_places: list[str] = []
    origin_w: list[float] = []
    for code, weight in origin_kabs.items():
        okab = wilayah.get(code)
        if okab is None:
            continue
        children = wilayah.children(code)
        for k in children:
            origin_codes.append(k.code)
            origin_places.append(place_name(okab))
            origin_w.append(weight / len(children))
    if not origin_codes:  # a provinsi with one kab/kota: migrants come from inside
        origin_codes, origin_places, origin_w = (
            [k.code for k in kecs],
            [kab_place] * len(kecs),
            [1.0] * len(kecs),
        )

    n = len(desa)
    desa_kec = np.array([kec_index[d.parent_code] for d in desa], dtype=np.int16)
    urban = np.array([d.kind == "kelurahan" for d in desa])
    if kab.code == "35.09":
        kec_madura = np.array([_JEMBER_MADURA.get(k.name, 0.55) for k in kecs])
    else:
        kec_madura = np.full(len(kecs), _KAB_MADURA.get(kab.code, 0.03))
    madura = np.clip(kec_madura[desa_kec] + rng.normal(0, 0.08, n), 0.0, 1.0)
    weight = rng.lognormal(0.0, 0.4, n) * np.where(urban, 1.6, 1.0)
    kec_effect = rng.normal(0.0, 0.12, len(kecs))
    effect = kec_effect[desa_kec] + rng.normal(0.0, 0.15, n) + 0.25 * urban - 0.15 * madura

    dusun_pool = _lines("dusun.txt")
    sls_desa, sls_dusun, sls_rw, sls_rt = [], [], [], []
    n_dusun = 2 + rng.binomial(6, 0.35, n)
    for d in range(n):
        # Every desa has a Dusun Krajan; the rest are drawn from the pool without repeats.
        names = [0, *(1 + rng.choice(len(dusun_pool) - 1, n_dusun[d] - 1, replace=False))]
        rw = 0
        for name in names:
            for _ in range(1 + rng.binomial(3, 0.4)):
                rw += 1
                n_rt = 2 + rng.binomial(6, 0.4)
                sls_desa.extend([d] * n_rt)
                sls_dusun.extend([-1 if urban[d] else name] * n_rt)
                sls_rw.extend([rw] * n_rt)
                sls_rt.extend(range(1, n_rt + 1))
    sls_desa_a = np.array(sls_desa, dtype=np.int32)
    sls_count = np.bincount(sls_desa_a, minlength=n)
    sls_start = np.zeros(n, dtype=np.int64)
    np.cumsum(sls_count[:-1], out=sls_start[1:])
    return Geography(
        kabupaten_code=kab.code,
        kabupaten_place=kab_place,
        kec_codes=[k.code for k in kecs] + origin_codes,
        kec_places=[kab_place] * len(kecs) + origin_places,
        n_home_kec=len(kecs),
        origin_weights=np.array(origin_w) / sum(origin_w),
        desa_codes=[d.code for d in desa],
        desa_names=[d.name for d in desa],
        desa_kec=desa_kec,
        desa_urban=urban,
        desa_weight=weight / weight.sum(),
        desa_effect=effect,
        desa_madura=madura,
        sls_desa=sls_desa_a,
        sls_dusun=np.array(sls_dusun, dtype=np.int16),
        sls_rw=np.array(sls_rw, dtype=np.int16),
        sls_rt=np.array(sls_rt, dtype=np.int16),
        sls_weight=rng.uniform(0.5, 1.5, len(sls_desa_a)),
        sls_start=sls_start,
        sls_count=sls_count,
        dusun_names=dusun_pool,
        streets=_lines("streets.txt"),
    )


def assign_desa(rng: np.random.Generator, geo: Geography, n: int) -> np.ndarray:
    """Desa of n households: the first one per desa (every desa is used), the rest by desa size."""
    k = min(n, geo.n_desa)
    first = rng.permutation(geo.n_desa)[:k]
    rest = rng.choice(geo.n_desa, size=n - k, p=geo.desa_weight)
    out = np.concatenate([first, rest]).astype(np.int32)
    return out[rng.permutation(n)]


def assign_sls(rng: np.random.Generator, geo: Geography, desa: np.ndarray) -> np.ndarray:
    """An RT (row of the SLS table) inside each household's desa, by RT size."""
    w = geo.sls_weight
    cum = np.cumsum(w)
    before = np.concatenate([[0.0], cum])[geo.sls_start]
    total = np.add.reduceat(w, geo.sls_start)
    target = before[desa] + rng.random(len(desa)) * total[desa]
    sls = np.searchsorted(cum, target, side="right")
    last = geo.sls_start[desa] + geo.sls_count[desa] - 1
    return np.minimum(sls, last).astype(np.int32)
