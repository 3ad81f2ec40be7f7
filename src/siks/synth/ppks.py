"""PPKS outside households and PSKS for the synthetic kabupaten, in the `siks ppks impor` templates, with a
truth file of the faults planted in them (docs/ppks-psks.md §6, docs/synth.md).

What is made and why (rates are priors, docs/domain-facts.md §6 and §8):
- PSKS: one TKSK per kecamatan, one Karang Taruna and one or two PSM per desa, and LKS (panti asuhan,
  panti wreda, panti disabilitas) at about one per `PERSONS_PER_LKS` people. Jawa Tengah counted 32,676 PSKS
  for 21.2 M DTKS persons (§8): about 1.5 per 1,000, the order these numbers give.
- LKS residents of the fitting age and PPKS kinds (children: anak terlantar / anak balita terlantar; elders:
  lanjut usia terlantar, some also penyandang disabilitas), and people found on the street (anak jalanan,
  gelandangan, pengemis, pemulung), most of them without NIK.
- Faults, at rates within the §6.2 priors: a resident who is also an anggota of a DTKS household (ganda), a
  resident who died (Dukcapil MATI) and is still listed, and a NIK with one wrong digit (tidak padan).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from siks.domain.ppks import PPKS_KINDS

from . import arrays
from .world import World

PERSONS_PER_LKS = 8_000
RESIDENTS = (10, 40)  # per LKS, uniform
STREET_PER_PERSON = 0.0003
STREET_NIK_SHARE = 0.4  # people found on the street carry a NIK this often
RATES = {"ppks_ganda": 0.03, "ppks_meninggal": 0.01, "ppks_nik_typo": 0.05}
LKS_TYPES = (
    ("Panti Asuhan", (6, 17)),
    ("Panti Wreda", (65, 95)),
    ("Panti Disabilitas", (10, 60)),
)
PPKS_COLUMNS = ("ref", "nama", "nik", "sex", "tempat_lahir", "tanggal_lahir", "lks_ref", "tempat", "alamat",
                "desa_code", "jenis_ppks", "tanggal_pencatatan", "bukti")  # fmt: skip
PSKS_COLUMNS = (
    "ref",
    "jenis",
    "nama",
    "nik",
    "sex",
    "wilayah_code",
    "alamat",
    "nomor_tanda_daftar",
    "akreditasi",
)


def _kinds(rng, lks_type: str, age: int) -> list[str]:
    if lks_type == "Panti Asuhan":
        return ["anak_balita_terlantar" if age < 5 else "anak_terlantar"]
    if lks_type == "Panti Wreda":
        return ["lansia_terlantar"] + (["penyandang_disabilitas"] if rng.random() < 0.2 else [])
    return ["anak_disabilitas" if age < 18 else "penyandang_disabilitas"]


def _typo(rng, nik: str) -> str:
    i = int(rng.integers(12, 16))  # the serial: the NIK stays well formed but belongs to nobody
    digit = str((int(nik[i]) + int(rng.integers(1, 10))) % 10)
    return nik[:i] + digit + nik[i + 1 :]


def build(world: World, geo, reg: dict, seed: int) -> dict[str, pa.Table]:
    """The PSKS file, the PPKS file and the truth (`ref`, `person_id`, `true_nik`, `fault`)."""
    rng = arrays.stream(seed, "ppks")
    p = world.per
    ref_day = world.reference_date
    alive = np.isnat(p["death"])
    ages = world.age()
    names = p["name"]  # Arrow strings: only the chosen people's names are read
    in_dtks = np.zeros(world.n_per, dtype=bool)
    in_dtks[np.asarray(reg["table"]["person"])] = True
    desa_used = np.unique(world.ruta["desa"])
    desa = [geo.desa_codes[i] for i in desa_used]
    kec = sorted({geo.kec_codes[geo.desa_kec[i]] for i in desa_used})

    psks, ppks, truth = [], [], []
    for i, code in enumerate(kec, 1):
        psks.append({"ref": f"TKSK-{i:03d}", "jenis": "tksk", "nama": f"TKSK {code}", "wilayah_code": code,
                     "nik": _nik_of(rng, p, alive, ages, (25, 55)), "sex": ""})  # fmt: skip
    for i, code in enumerate(desa, 1):
        psks.append({"ref": f"KT-{i:04d}", "jenis": "karang_taruna", "nama": f"Karang Taruna {code}",
                     "wilayah_code": code})  # fmt: skip
        for j in range(int(rng.integers(1, 3))):
            psks.append({"ref": f"PSM-{i:04d}-{j + 1}", "jenis": "psm", "nama": f"PSM {code} {j + 1}",
                         "wilayah_code": code, "nik": _nik_of(rng, p, alive, ages, (20, 60))})  # fmt: skip

    pools = _Pools(rng)
    n_lks = max(2, world.n_per // PERSONS_PER_LKS)
    for i in range(n_lks):
        kind, (lo, hi) = LKS_TYPES[i % len(LKS_TYPES)]
        where = desa[int(rng.integers(len(desa)))]
        ref = f"LKS-{i + 1:03d}"
        psks.append({"ref": ref, "jenis": "lks", "nama": f"{kind} {i + 1}", "wilayah_code": where,
                     "nomor_tanda_daftar": f"460/{i + 1}/{ref_day.year - int(rng.integers(1, 10))}",
                     "akreditasi": ("A", "B", "C", "belum")[int(rng.integers(4))]})  # fmt: skip
        for n in range(int(rng.integers(*RESIDENTS))):
            fault = _fault(rng)
            masks = {  # evaluated once per (kind, fault), when that pool is first drawn from
                "ppks_ganda": lambda lo=lo, hi=hi: (ages >= lo) & (ages <= hi) & alive & in_dtks,
                "ppks_meninggal": lambda lo=lo, hi=hi: (ages >= lo) & (ages <= hi) & ~alive & ~in_dtks,
                None: lambda lo=lo, hi=hi: (ages >= lo) & (ages <= hi) & alive & ~in_dtks,
            }
            person = pools.take((kind, fault), masks.get(fault, masks[None]))
            if person is None:
                continue
            nik = p["nik"][person].decode()
            shown = _typo(rng, nik) if fault == "ppks_nik_typo" and nik else nik
            age = int(ages[person])
            row_ref = f"{ref}-{n + 1:03d}"
            ppks.append(_person(p, names, person, row_ref, shown, where, _kinds(rng, kind, age), ref_day, rng,
                                lks_ref=ref))  # fmt: skip
            truth.append({"ref": row_ref, "person_id": person + 1, "true_nik": nik, "fault": fault or ""})

    street = {"anak_jalanan": (6, 17), "gelandangan": (18, 70), "pengemis": (18, 80), "pemulung": (15, 65)}
    kinds = list(street)
    for n in range(max(1, int(world.n_per * STREET_PER_PERSON))):
        kind = kinds[int(rng.integers(len(kinds)))]
        lo, hi = street[kind]
        person = pools.take(
            ("jalan", kind), lambda lo=lo, hi=hi: (ages >= lo) & (ages <= hi) & alive & ~in_dtks
        )
        if person is None:
            continue
        nik = p["nik"][person].decode() if rng.random() < STREET_NIK_SHARE else ""
        row_ref = f"JLN-{n + 1:04d}"
        where = desa[int(rng.integers(len(desa)))]
        ppks.append(_person(p, names, person, row_ref, nik, where, [kind], ref_day, rng, tempat="jalanan"))
        truth.append(
            {"ref": row_ref, "person_id": person + 1, "true_nik": p["nik"][person].decode(), "fault": ""}
        )

    return {
        "psks": _table(psks, PSKS_COLUMNS),
        "ppks": _table(ppks, PPKS_COLUMNS),
        "truth": _table(truth, ("ref", "person_id", "true_nik", "fault")),
    }


def _fault(rng) -> str | None:
    draw = rng.random()
    for name, rate in RATES.items():
        if draw < rate:
            return name
        draw -= rate
    return None


class _Pools:
    """People to draw from, per kind of pool: each shuffled once, then taken in turn (nobody twice)."""

    def __init__(self, rng) -> None:
        self.rng, self.rows, self.next, self.taken = rng, {}, {}, set()

    def take(self, key, mask) -> int | None:
        if key not in self.rows:
            self.rows[key] = self.rng.permutation(np.flatnonzero(mask()))
            self.next[key] = 0
        rows = self.rows[key]
        while self.next[key] < len(rows):
            person = int(rows[self.next[key]])
            self.next[key] += 1
            if person not in self.taken:
                self.taken.add(person)
                return person
        return None


def _nik_of(rng, p, alive, ages, span) -> str:
    rows = np.flatnonzero(alive & (ages >= span[0]) & (ages <= span[1]))
    return p["nik"][int(rows[int(rng.integers(len(rows)))])].decode() if len(rows) else ""


def _person(p, names, person, ref, nik, desa, kinds, ref_day, rng, *, lks_ref="", tempat="") -> dict:
    recorded = ref_day - dt.timedelta(days=int(rng.integers(30, 3 * 365)))
    born = p["birth"][person]
    return {
        "ref": ref,
        "nama": str(names[person].as_py() if hasattr(names, "to_pylist") else names[person]).title(),
        "nik": nik,
        "sex": int(p["sex"][person]),
        "tanggal_lahir": "" if np.isnat(born) else str(born),
        "lks_ref": lks_ref,
        "tempat": tempat,
        "desa_code": desa,
        "jenis_ppks": ";".join(k for k in kinds if k in PPKS_KINDS),
        "tanggal_pencatatan": recorded.isoformat(),
        "bukti": f"Register {lks_ref} {recorded.year}"
        if lks_ref
        else f"Asesmen penjangkauan {recorded.year}",
    }


def _table(rows: list[dict], columns: tuple[str, ...]) -> pa.Table:
    return pa.table({c: pa.array([str(r.get(c, "") or "") for r in rows], type=pa.string()) for c in columns})
