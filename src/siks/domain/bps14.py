"""The BPS "14 kriteria rumah tangga miskin" (docs/domain-facts.md §4.1), counted from Regsosek answers.

Why only ten: criteria 8–11 (meat/milk once a week, one set of clothes a year, one or two meals a day,
cannot pay the puskesmas) are about consumption that Regsosek does not ask, so they are always unknown.
The BPS rule "≥ 9 criteria met → miskin" is applied to the count as it stands; with at most ten answerable
criteria it flags only households that meet nearly all of them, so it under-counts the poor. It is a
descriptive check shown next to the PMT score, never the ranking (BDT and DTSEN rank by PMT).
`siks.verval.pmt_sql` computes the same criteria in SQL; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from siks.domain.pmt_features import (
    as_code,
    as_flag,
    as_number,
    education_level,
    household_head,
    present_members,
)

POOR_THRESHOLD = 9

# Answer codes that meet each answerable criterion (Regsosek 2022 codes, docs/domain-facts.md §1.1).
FLOOR_CODES = (5, 7, 8)  # 303: kayu/papan, bambu, tanah ("kayu murahan" cannot be told from other wood)
WALL_CODES = (4, 5, 6)  # 304: anyaman bambu, batang kayu, bambu ("tembok tanpa plester" is not asked)
TOILET_CODES = (2, 3, 4, 5, 6)  # 309a: shared, MCK komunal/umum, not used, none
LIGHT_CODES = (4,)  # 307a: bukan listrik
WATER_CODES = (6, 8, 9, 10)  # 306a: sumur/mata air tak terlindung, air permukaan, air hujan
FUEL_CODES = (7, 8, 9, 10)  # 308: minyak tanah, briket, arang, kayu bakar
FARM_SECTORS = range(1, 7)  # 417: pertanian, perikanan, kehutanan
FARM_STATUS = (1, 2, 4, 6, 8)  # 418 in farming: own account, unpaid help, labourer, casual, family worker
CASUAL_STATUS = (6, 7)  # 418: pekerja bebas pertanian / non-pertanian
CONSTRUCTION = 11
# Assets worth ≥ Rp500.000 that are easy to sell (502, 503) and savings (506 codes 1–3).
SAVINGS_ASSETS = (
    "aset_lemari_es",
    "aset_ac",
    "aset_tv_layar_datar",
    "aset_emas",
    "aset_komputer",
    "aset_sepeda_motor",
    "aset_mobil",
    "aset_perahu",
    "aset_kapal_motor",
    "lahan",
    "rumah_lain",
)
LIVESTOCK = ("ternak_sapi", "ternak_kerbau", "ternak_kuda", "ternak_babi", "ternak_kambing")


@dataclass(frozen=True, slots=True)
class Criterion:
    number: int
    label: str
    met: bool | None  # None: not answerable from the form, or not answered


@dataclass(frozen=True, slots=True)
class Assessment:
    criteria: tuple[Criterion, ...]

    @property
    def met(self) -> int:
        return sum(1 for c in self.criteria if c.met)

    @property
    def known(self) -> int:
        return sum(1 for c in self.criteria if c.met is not None)

    @property
    def poor(self) -> bool:
        return self.met >= POOR_THRESHOLD


LABELS = {
    1: "Luas lantai kurang dari 8 m² per orang",
    2: "Lantai tanah/bambu/kayu murahan",
    3: "Dinding bambu/rumbia/kayu berkualitas rendah",
    4: "Tidak punya fasilitas BAB sendiri",
    5: "Penerangan bukan listrik",
    6: "Air minum dari sumur/mata air tak terlindung, sungai, air hujan",
    7: "Memasak dengan kayu bakar/arang/minyak tanah",
    8: "Makan daging/susu/ayam hanya sekali seminggu (tidak ditanyakan Regsosek)",
    9: "Membeli satu stel pakaian baru setahun (tidak ditanyakan Regsosek)",
    10: "Makan satu/dua kali sehari (tidak ditanyakan Regsosek)",
    11: "Tidak sanggup membayar puskesmas (tidak ditanyakan Regsosek)",
    12: "Kepala ruta petani kecil/buruh tani/nelayan/buruh bangunan/pekerja bebas atau tidak bekerja",
    13: "Kepala ruta tidak sekolah/tidak tamat SD/tamat SD",
    14: "Tidak punya tabungan atau barang mudah dijual ≥ Rp500.000",
}
ANSWERABLE = (1, 2, 3, 4, 5, 6, 7, 12, 13, 14)


def _in(value: object, codes: Sequence[int]) -> bool | None:
    code = as_code(value)
    return None if code is None else code in codes


def head_income_criterion(head: Mapping[str, object] | None) -> bool | None:
    """12: a head in small farming/fishing, a labourer, a casual worker, or with no work at all."""
    if head is None:
        return None
    works = as_flag(head.get("bekerja"))
    if works is False:
        return True
    status, sector = as_code(head.get("status_pekerjaan")), as_code(head.get("lapangan_usaha"))
    if works is None or status is None:
        return None
    if status in CASUAL_STATUS:
        return True
    if sector in FARM_SECTORS:
        return status in FARM_STATUS and as_flag(head.get("lahan")) is not True
    return sector == CONSTRUCTION and status == 4


def assess(household: Mapping[str, object], members: Sequence[Mapping[str, object]]) -> Assessment:
    """The 14 criteria for one ruta; criterion 12 also reads `lahan` from the household."""
    size = len(present_members(members))
    floor = as_number(household.get("luas_lantai"))
    head = household_head(members)
    head_with_land = {**head, "lahan": household.get("lahan")} if head else None
    level = education_level(head) if head else None
    owns = [as_flag(household.get(a)) for a in SAVINGS_ASSETS]
    livestock = [as_number(household.get(c)) for c in LIVESTOCK]
    savings = _in(household.get("rekening"), (1, 2, 3))
    has_something = any(owns) or any((n or 0) > 0 for n in livestock) or bool(savings)
    answered = any(o is not None for o in owns) or savings is not None
    met: dict[int, bool | None] = {
        1: (floor / size < 8) if floor and size else None,
        2: _in(household.get("jenis_lantai"), FLOOR_CODES),
        3: _in(household.get("jenis_dinding"), WALL_CODES),
        4: _in(household.get("fasilitas_bab"), TOILET_CODES),
        5: _in(household.get("sumber_penerangan"), LIGHT_CODES),
        6: _in(household.get("sumber_air_minum"), WATER_CODES),
        7: _in(household.get("bahan_bakar_memasak"), FUEL_CODES),
        12: head_income_criterion(head_with_land),
        13: None if level is None else level <= 1,
        14: (not has_something) if (has_something or answered) else None,
    }
    return Assessment(tuple(Criterion(n, LABELS[n], met.get(n)) for n in range(1, 15)))
