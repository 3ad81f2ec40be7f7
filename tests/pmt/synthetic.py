"""A tiny stand-alone generator of households with known consumption, for the PMT and eligibility tests.

Answers depend on a latent log consumption, so a fitted model must rank them; rows use the import template
names and codes so the Python features, the SQL features and the step all read the same thing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

AS_OF = dt.date(2025, 7, 1)
KECAMATAN = ("35.09.01", "35.09.02", "35.09.03", "35.09.04", "35.09.05")
REGION_SHIFT = (0.0, 0.15, -0.1, 0.25, -0.2)
ASSETS = (
    "aset_lemari_es",
    "aset_sepeda_motor",
    "aset_tv_layar_datar",
    "aset_smartphone",
    "aset_mobil",
    "aset_emas",
    "aset_komputer",
    "aset_ac",
)


@dataclass
class World:
    households: list[dict]
    members: list[dict]
    truth: list[dict]  # id_ruta, consumption_per_capita, desil (ranked by ruta within the kabupaten)

    def members_of(self, id_ruta: str) -> list[dict]:
        return [m for m in self.members if m["id_ruta"] == id_ruta]


def _pick(rng: np.random.Generator, wealth: float, poor: list[int], rich: list[int]) -> int:
    """A code from the rich list with a probability rising with wealth (logistic)."""
    p = 1 / (1 + math.exp(-2.0 * wealth))
    options = rich if rng.random() < p else poor
    return int(rng.choice(options))


def generate(n: int = 600, seed: int = 7, messy: bool = False) -> World:
    rng = np.random.default_rng(seed)
    households, members, truth = [], [], []
    for i in range(n):
        k = int(rng.integers(len(KECAMATAN)))
        wealth = float(rng.normal())  # latent
        size = max(1, min(9, int(round(4.2 - 0.8 * wealth + rng.normal(0, 1.2)))))
        log_c = 13.4 + 0.45 * wealth + REGION_SHIFT[k] - 0.08 * (size - 4) + rng.normal(0, 0.12)
        hid = f"R{i:05d}"
        h: dict = {
            "id_ruta": hid,
            "kode_desa": f"{KECAMATAN[k]}.{2001 + i % 3}",
            "status_bangunan": _pick(rng, wealth, [2, 3, 5], [1]),
            "luas_lantai": int(max(9, rng.normal(36 + 14 * wealth, 8))),
            "jenis_lantai": _pick(rng, wealth, [5, 6, 7, 8], [1, 2, 4]),
            "jenis_dinding": _pick(rng, wealth, [3, 4, 6], [1]),
            "jenis_atap": _pick(rng, wealth, [3, 5, 7], [1, 2]),
            "sumber_air_minum": _pick(rng, wealth, [5, 6, 8, 9], [1, 2, 3, 4]),
            "sumber_penerangan": _pick(rng, wealth, [2, 3, 4], [1]),
            "daya_listrik": _pick(rng, wealth, [1], [2, 3, 4]),
            "bahan_bakar_memasak": _pick(rng, wealth, [7, 10], [2, 4]),
            "fasilitas_bab": _pick(rng, wealth, [2, 4, 6], [1]),
            "pembuangan_tinja": _pick(rng, wealth, [3, 4, 5], [1]),
            "internet": _pick(rng, wealth, [0], [2, 3]),
            "rekening": _pick(rng, wealth, [4], [1, 2, 3]),
            "lahan": 1 if rng.random() < 0.2 + 0.1 * wealth else 2,
            "rumah_lain": 1 if rng.random() < 0.05 + 0.05 * max(wealth, 0) else 2,
            "ternak_sapi": int(rng.poisson(0.3)),
            "ternak_kambing": int(rng.poisson(0.8)),
        }
        for a in ASSETS:
            h[a] = 1 if rng.random() < 1 / (1 + math.exp(-(1.5 * wealth - 0.5))) else 2
        if messy:  # values the way a snapshot or a spreadsheet may hold them
            h["jenis_lantai"] = f"{h['jenis_lantai']:02d}"
            h["aset_lemari_es"] = h["aset_lemari_es"] == 1
            if rng.random() < 0.1:
                h["luas_lantai"] = None
            if rng.random() < 0.1:
                h["jenis_dinding"] = None
        households.append(h)
        fid = f"K{i:05d}"
        head_age = int(rng.integers(22, 80))
        for j in range(size):
            if j == 0:
                age, rel, sex = head_age, 1, 1 if rng.random() < 0.8 else 2
            elif j == 1:
                age, rel, sex = max(18, head_age - int(rng.integers(0, 8))), 2, 2
            else:
                age, rel, sex = int(rng.integers(0, 25)), 3, int(rng.integers(1, 3))
            born = dt.date(AS_OF.year - age, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            works = age >= 15 and rng.random() < 0.7
            m = {
                "id_ruta": hid,
                "id_keluarga": fid,
                "no_urut": j + 1,
                "nama": f"Orang {i}-{j}",
                "nik": f"350901{born.day:02d}{born.month:02d}{born.year % 100:02d}{j + 1:04d}",
                "keberadaan": 1,
                "jenis_kelamin": sex,
                "tanggal_lahir": born.isoformat(),
                "status_kawin": 2 if rel in (1, 2) else 1,
                "hubungan_kk": rel,
                "partisipasi_sekolah": 3 if age >= 5 else None,
                "pendidikan": _pick(rng, wealth, [1, 3, 8], [13, 15, 19]) if age >= 7 else None,
                "bekerja": 1 if works else 2,
                "lapangan_usaha": _pick(rng, wealth, [1, 3, 11], [12, 16, 20]) if works else None,
                "status_pekerjaan": _pick(rng, wealth, [6, 7, 8], [3, 4, 5]) if works else None,
                "penyakit_kronis": 1 if rng.random() < 0.85 else 2,
                "sulit_melihat": 4 if rng.random() < 0.95 else 2,
            }
            if messy and rng.random() < 0.05:
                m["keberadaan"] = int(rng.choice([2, 3, 6]))
            if messy and rng.random() < 0.05:
                m["tanggal_lahir"] = None
            members.append(m)
        truth.append({"id_ruta": hid, "consumption_per_capita": math.exp(log_c), "size": size})
    _truth_desil(truth)
    return World(households, members, truth)


def _truth_desil(truth: list[dict]) -> None:
    """Ranked by ruta, as `siks synth` ranks its truth."""
    order = sorted(range(len(truth)), key=lambda i: truth[i]["consumption_per_capita"])
    for rank, i in enumerate(order):
        truth[i]["desil"] = rank * 10 // len(truth) + 1
