"""Reference extracts in the formats `siks reference load` reads (design.md §4), from the truth.

Dukcapil is the civil registry itself (the living and the dead). ASN/TNI/Polri lists those employed by the
state, names with academic titles as personnel systems write them. PLN lists one customer per metered
house, usually in the kepala's name, sometimes still in a previous owner's. Vehicle owners come from the
households' motorbikes and cars; a used motorbike is often still registered to whoever sold it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import arrays
from .world import World

_VA = {1: 450, 2: 900, 3: 1300, 4: 2200}
_BIG_VA = (3500, 4400, 5500, 6600, 7700)
_TITLES = (
    "S.Pd.",
    "S.Pd.",
    "S.Pd.I.",
    "S.E.",
    "S.H.",
    "S.Kep.",
    "S.Sos.",
    "S.T.",
    "A.Md.",
    "M.Pd.",
    "S.Kom.",
)
_LETTERS = np.frombuffer(b"ABCDEFGHIJKLMNPQRSTUVWXYZ", dtype=np.uint8)


def person_kk(world: World) -> np.ndarray:
    """Each person's KK in the civil registry: the family's current one, or the one before it for someone
    who died before it was issued (the dead stay on the KK they were on)."""
    p, f = world.per, world.fam
    fam = p["fam"]
    current = f["kk"][fam]
    prev = f["kk_prev"][fam]
    died_before = ~np.isnat(p["death"]) & (p["death"] < f["kk_date"][fam]) & (prev != b"")
    return np.where(died_before, prev, current)


def dukcapil(world: World, geo, addresses: dict[str, pa.Array]) -> pa.Table:
    p = world.per
    dead = ~np.isnat(p["death"])
    places = pa.array(world.extra["places"], type=pa.string())
    return pa.table(
        {
            "nik": arrays.to_arrow(p["nik"]),
            "no_kk": arrays.to_arrow(person_kk(world)),
            "nama": p["name"],
            "tempat_lahir": places.take(pa.array(p["birthplace"])),
            "tanggal_lahir": pa.array(p["birth"], type=pa.date32()),
            "jenis_kelamin": pa.array(p["sex"], type=pa.int8()),
            "kode_desa": addresses["kode_desa"],
            "dusun": addresses["dusun"],
            "rw": addresses["rw"],
            "rt": addresses["rt"],
            "hubungan_kk": pa.array(p["rel"], type=pa.int8()),
            "status_hidup": pa.array(np.where(dead, "MATI", "HIDUP")),
            "tanggal_meninggal": pa.array(p["death"], type=pa.date32(), mask=~dead),
        }
    )


def _instansi(geo, kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    kab = geo.kabupaten_place
    pemda = "PEMKOT" if int(geo.kabupaten_code[3:5]) >= 71 else "PEMKAB"
    asn = [
        (f"{pemda} {kab} - DINAS PENDIDIKAN", 40),
        (f"{pemda} {kab} - DINAS KESEHATAN", 12),
        (f"RSUD {kab}", 6),
        (f"KEMENAG KAB. {kab}", 12),
        (f"{pemda} {kab} - SEKRETARIAT DAERAH", 5),
        (f"{pemda} {kab} - DINAS PEKERJAAN UMUM", 3),
        (f"{pemda} {kab} - DINAS SOSIAL", 2),
        (f"{pemda} {kab} - KECAMATAN", 6),
        (f"UNIVERSITAS NEGERI DI {kab}", 6),
        (f"BPS KAB. {kab}", 1),
        (f"KPP PRATAMA {kab}", 1),
        (f"PENGADILAN NEGERI {kab}", 1),
        (f"BADAN PERTANAHAN NASIONAL KAB. {kab}", 1),
    ]
    tni = [(f"KODIM {kab}", 50), ("BATALYON INFANTERI", 40), ("POS TNI AL", 10)]
    polri = [(f"POLRES {kab}", 60), ("POLSEK", 40)]
    out = np.empty(len(kind), dtype=object)
    for code, table in ((1, asn), (2, tni), (3, polri)):
        m = kind == code
        labels = [t for t, _ in table]
        w = np.array([x for _, x in table], dtype=np.float64)
        out[m] = np.array(labels, dtype=object)[rng.choice(len(labels), size=int(m.sum()), p=w / w.sum())]
    return out


def asn(world: World, geo, seed: int, no_nik_share: float = 0.2) -> tuple[pa.Table, np.ndarray]:
    """The ASN/TNI/Polri list, and the persons whose (PNS) row has no NIK: exactly `no_nik_share` of the
    PNS rows (Patterns.asn_tanpa_nik)."""
    rng = arrays.stream(seed, "ref-asn")
    p = world.per
    idx = np.flatnonzero(p["asn"] > 0)
    kind = p["asn"][idx]
    nama = p["name"].take(pa.array(idx))
    titled = (kind == 1) & (rng.random(len(idx)) < 0.55)
    titles = np.array(_TITLES, dtype=object)[rng.integers(0, len(_TITLES), len(idx))]
    suffix = pa.array(np.where(titled, ", " + titles, ""), type=pa.string())
    instansi = _instansi(geo, kind, rng)
    # NIP (PNS): birth date YYYYMMDD, TMT YYYYMM, sex (1/2), serial. TNI/Polri have an NRP instead.
    # Some ASN lists come without NIK (only NIP, name and the kabupaten): matched by those in verval.
    nrng = arrays.stream(seed, "ref-asn-nip")
    born = p["birth"][idx]
    year = born.astype("datetime64[Y]").astype(np.int64) + 1970
    ymd = np.char.replace(np.datetime_as_string(born, unit="D").astype("U10"), "-", "")
    tmt = (year + 20 + nrng.integers(2, 10, len(idx))) * 100 + nrng.integers(1, 13, len(idx))
    serial = nrng.integers(1, 1000, len(idx))
    nip = np.char.add(
        np.char.add(ymd, tmt.astype("U6")),
        np.char.add(p["sex"][idx].astype("U1"), np.char.zfill(serial.astype("U3"), 3)),
    )
    is_pns = kind == 1
    no_nik = np.zeros(len(idx), dtype=bool)
    no_nik[arrays.pick(nrng, is_pns, arrays.count_for(no_nik_share, int(is_pns.sum())))] = True
    nik = np.where(no_nik, "", _text(p["nik"][idx]))
    table = pa.table(
        {
            "nik": pa.array(nik.tolist(), type=pa.string(), mask=no_nik),
            "nip": pa.array(np.where(is_pns, nip, "").tolist(), type=pa.string(), mask=~is_pns),
            "nama": pc.binary_join_element_wise(nama, suffix, ""),
            "instansi": pa.array(instansi, type=pa.string()),
            "jenis": pa.array(np.array(["", "ASN", "TNI", "POLRI"], dtype=object)[kind], type=pa.string()),
            "kode_wilayah": pa.array([geo.kabupaten_code] * len(idx), type=pa.string()),
        }
    )
    return table, idx[no_nik]


def _text(values: np.ndarray) -> np.ndarray:
    return np.char.decode(values, "ascii") if values.dtype.kind == "S" else values.astype(str)


def _someone_in_desa(rng, world: World, persons_desa: np.ndarray, desa: np.ndarray) -> np.ndarray:
    order = np.argsort(persons_desa, kind="stable")
    sd = persons_desa[order]
    lo = np.searchsorted(sd, desa)
    hi = np.searchsorted(sd, desa, side="right")
    return order[
        np.minimum(lo + (rng.random(len(desa)) * np.maximum(hi - lo, 1)).astype(np.int64), len(order) - 1)
    ]


def pln(world: World, seed: int) -> pa.Table:
    rng = arrays.stream(seed, "ref-pln")
    r, f, p = world.ruta, world.fam, world.per
    metered = np.flatnonzero(r["sumber_penerangan"] == 1)
    head = f["head"][r["first_fam"][metered]]
    spouse = head + 1
    has_spouse = (spouse < world.n_per) & (p["fam"][np.minimum(spouse, world.n_per - 1)] == p["fam"][head])
    has_spouse &= p["rel"][np.minimum(spouse, world.n_per - 1)] == 2
    x = rng.random(len(metered))
    person_desa = r["desa"][world.per_ruta()]
    other = _someone_in_desa(rng, world, person_desa, r["desa"][metered])
    holder = np.where(x < 0.8, head, np.where((x < 0.9) & has_spouse, spouse, other))
    code = r["daya_listrik"][metered]
    va = np.array([_VA.get(int(c), 0) for c in range(6)])[np.maximum(code, 0)]
    big = code == 5
    va = np.where(big, np.asarray(_BIG_VA)[rng.integers(0, len(_BIG_VA), len(metered))], va)
    subsidised = r["dtks"][metered] | (rng.random(len(metered)) < 0.25)
    tarif = np.where(
        va == 450,
        "R1-450",
        np.where(
            va == 900,
            np.where(subsidised, "R1-900-S", "R1-900"),
            np.where(
                va <= 2200,
                np.char.add("R1-", va.astype(str)),
                np.where(va < 6600, np.char.add("R2-", va.astype(str)), np.char.add("R3-", va.astype(str))),
            ),
        ),
    )
    serial = _unique_serials(rng, len(metered))
    ids = np.char.add(b"5115", arrays.zfill(serial, 8))
    return pa.table(
        {
            "id_pelanggan": arrays.to_arrow(ids),
            "nik": arrays.to_arrow(p["nik"][holder]),
            "daya_va": pa.array(va, type=pa.int32()),
            "tarif": pa.array(tarif.astype(object), type=pa.string()),
        }
    )


def _unique_serials(rng: np.random.Generator, k: int) -> np.ndarray:
    """k distinct numbers below 10^8, without materialising a permutation of all of them."""
    picked = np.unique(rng.integers(0, 10**8, int(k * 1.1) + 100))
    while len(picked) < k:
        picked = np.unique(np.concatenate([picked, rng.integers(0, 10**8, k)]))
    return rng.permutation(picked)[:k]


def kendaraan(world: World, seed: int) -> pa.Table:
    rng = arrays.stream(seed, "ref-kendaraan")
    r, f, p = world.ruta, world.fam, world.per
    motor = np.where(
        r["aset_sepeda_motor"] == 1, 1 + rng.binomial(2, np.clip(0.25 + 0.1 * r["w"], 0.02, 0.9)), 0
    )
    cars = np.where(r["aset_mobil"] == 1, 1 + (rng.random(world.n_ruta) < np.clip(0.1 * r["w"], 0, 0.5)), 0)
    ruta = np.concatenate(
        [np.repeat(np.arange(world.n_ruta), motor), np.repeat(np.arange(world.n_ruta), cars)]
    )
    jenis = np.concatenate(
        [np.full(int(motor.sum()), "RODA2", dtype=object), np.full(int(cars.sum()), "RODA4", dtype=object)]
    )
    n = len(ruta)
    head = f["head"][r["first_fam"][ruta]]
    size = r["size"][ruta]
    start = f["start"][r["first_fam"][ruta]]
    member = start + (rng.random(n) * size).astype(np.int64)
    person_desa = r["desa"][world.per_ruta()]
    other = _someone_in_desa(rng, world, person_desa, r["desa"][ruta])
    x = rng.random(n)
    owner = np.where(x < 0.7, head, np.where(x < 0.9, member, other))
    number = 1000 + rng.integers(0, 9000, n)
    letters = _LETTERS[rng.integers(0, len(_LETTERS), (n, 2))]
    plate = np.char.add(np.char.add(b"P ", arrays.zfill(number, 4)), b" ")
    plate = np.char.add(plate, arrays.fixed(letters))
    order = np.argsort(plate, kind="stable")
    keep = np.ones(n, dtype=bool)
    keep[order[1:]] = plate[order][1:] != plate[order][:-1]  # plates are unique
    return pa.table(
        {
            "nik": arrays.to_arrow(p["nik"][owner[keep]]),
            "no_polisi": arrays.to_arrow(plate[keep]),
            "jenis": pa.array(jenis[keep], type=pa.string()),
        }
    )
