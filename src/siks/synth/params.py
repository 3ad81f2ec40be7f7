"""What a synthetic kabupaten is made from: the scale, the seed, the reference date and the error rates.

The defaults follow the priors derived from BPK, KPK and Dukcapil findings (docs/domain-facts.md §6.2).
Every rate is a share of a stated unit, so that the ground truth can be checked against it exactly:

- per DTKS anggota row (before duplicates are added): the NIK, name, sex/birth-date, deceased, ASN and
  duplicate kinds;
- per DTKS keluarga: `kk_stale`;
- per DTKS ruta: `moved`, `not_found`, `inconsistent_answers`, `domisili`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date

#: Which unit each error rate counts (see the module docstring and docs/synth.md).
RATE_UNIT: dict[str, str] = {
    "nik_typo": "anggota",
    "nik_transposed": "anggota",
    "nik_other_person": "anggota",
    "nik_missing": "anggota",
    "kk_stale": "keluarga",
    "name_variant": "anggota",
    "duplicate_same_desa": "anggota",
    "duplicate_other_desa": "anggota",
    "deceased_active": "anggota",
    "asn_member": "anggota",
    "moved": "ruta",
    "not_found": "ruta",
    "inconsistent_answers": "ruta",
    "nik_sex_mismatch": "anggota",
    "nik_birthdate_mismatch": "anggota",
    "domisili": "ruta",
    "birthdate_default": "anggota",
    "keberadaan_pergi": "anggota",
}


@dataclass(frozen=True)
class ErrorRates:
    """Share of records given each fault (design.md §5 kind names). 0 turns a kind off."""

    nik_typo: float = 0.02  # one digit substituted
    nik_transposed: float = 0.01  # two adjacent digits swapped
    nik_other_person: float = 0.005  # the NIK of a relative or neighbour
    nik_missing: float = 0.02  # §6.2: NIK invalid/unmatched 5–17%; these four add up to 5.5%
    kk_stale: float = 0.10  # §6.2: KK stale/invalid ~10–13%
    name_variant: float = 0.04  # §6.2: "common, a few %" (Wawan for Hermawan)
    duplicate_same_desa: float = 0.003  # §6.2: duplicate NIK 0.05–1%
    duplicate_other_desa: float = 0.002
    deceased_active: float = 0.01  # §6.2: 0.2–2%
    asn_member: float = 0.01  # §6.2: ASN/above-UMP 0.5–5%
    moved: float = 0.02  # §6.2: moved / not found "a few %"
    not_found: float = 0.01
    inconsistent_answers: float = 0.02
    nik_sex_mismatch: float = 0.003
    nik_birthdate_mismatch: float = 0.005
    # surveyed in one desa while their KK (same number, no move) is registered in another: merantau,
    # renting, living with relatives; not a fault of the record, a hard negative for `moved`
    domisili: float = 0.02
    # a member without NIK recorded with a default birth date (1 Jan, 31 Dec, 1 Jul of the right year),
    # drawn among the `nik_missing` rows: weak evidence that must not resolve them to a stranger
    birthdate_default: float = 0.006
    # a member aged 18-45 recorded as away (keberadaan 3: elsewhere in Indonesia, 85%; 4: abroad) while
    # Dukcapil still has them on the family's KK: not a fault, a hard negative (true_value "1" = on the KK)
    keberadaan_pergi: float = 0.01

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 0.5:
                raise ValueError(f"Laju galat {f.name}={value} harus antara 0 dan 0,5.")
        exclusive = self.nik_typo + self.nik_transposed + self.nik_other_person + self.nik_missing
        if exclusive + self.nik_sex_mismatch + self.nik_birthdate_mismatch > 0.6:
            raise ValueError("Jumlah laju galat NIK terlalu besar (maks. 0,6).")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Patterns:
    """Look-alikes, naming traditions and ways sources are written (synth/patterns.py); not faults, so a
    check that flags them is wrong. 0 turns one off."""

    etnis_lain: float = 0.05  # share of ruta named in another tradition (Sunda, Batak, Bugis, Minang, ...)
    kembar: float = 0.01  # share of children born the same day as their elder sibling
    senama_ayah: float = 0.01  # share of sons carrying their father's exact name
    # share of DTKS anggota aged 23+ whose DTKS name carries a title Dukcapil does not (DRS., IR., H., HJ.,
    # S.PD, S.E): the same person, a hard negative for the name check
    gelar: float = 0.01
    # share of PNS rows of the ASN list that come without NIK (only NIP, name and kabupaten); may be 1
    asn_tanpa_nik: float = 0.2
    # share of DTKS ruta written on the PBDT 2015 form (their own file, dtks_pbdt2015.csv), drawn among
    # the ruta registered after Regsosek whose faults the form can hold (synth/pbdt.py)
    pbdt2015: float = 0.1

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            top = 1.0 if f.name == "asn_tanpa_nik" else 0.5
            if not 0.0 <= value <= top:
                raise ValueError(f"Pola {f.name}={value} harus antara 0 dan {str(top).replace('.', ',')}.")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class SynthParams:
    """One synthetic world. The same parameters (seed included) always give byte-identical files."""

    kabupaten: str = "35.09"
    persons: int = 20_000
    seed: int = 1
    reference_date: date = date(2026, 10, 1)
    dtks_share: float = 0.40  # share of ruta in DTKS: roughly the poorer 40%
    targeting_noise: float = 0.30  # sd of the error in the log-consumption ranking that picks DTKS
    errors: ErrorRates = field(default_factory=ErrorRates)
    patterns: Patterns = field(default_factory=Patterns)
    # Another kabupaten for PMT transfer tests (docs/pmt-eligibility.md §6): prices multiply every rupiah
    # figure; `welfare_shift` (in sd of log consumption) makes the whole kabupaten really poorer (< 0) or
    # richer (> 0), so its answers look poorer and a larger share is poor by another kabupaten's rupiah.
    price_level: float = 1.0
    welfare_shift: float = 0.0

    def __post_init__(self) -> None:
        if not 1_000 <= self.persons <= 10_000_000:
            raise ValueError(f"Jumlah penduduk {self.persons} harus antara 1.000 dan 10.000.000.")
        if not 0.05 <= self.dtks_share <= 0.9:
            raise ValueError(f"Porsi DTKS {self.dtks_share} harus antara 0,05 dan 0,9.")
        if self.seed < 0:
            raise ValueError("Seed harus bilangan bulat ≥ 0.")
        if not 0.2 <= self.price_level <= 5.0:
            raise ValueError(f"Tingkat harga {self.price_level} harus antara 0,2 dan 5.")
        if not -2.0 <= self.welfare_shift <= 2.0:
            raise ValueError(f"Geser kesejahteraan {self.welfare_shift} harus antara -2 dan 2.")

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["reference_date"] = self.reference_date.isoformat()
        return d
