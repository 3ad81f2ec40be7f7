"""The truth population and the DTKS registry behave like the real thing, statistically."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import numpy as np

from siks.domain import template, wilayah
from siks.domain.kk import check_kk
from siks.domain.nik import check_nik

from .conftest import PERSONS

REF = date(2026, 10, 1)


def _age(born: date) -> float:
    return (REF - born).days / 365.2425


def test_every_file_is_there_with_the_scale_asked(world):
    m = world.manifest
    assert m["counts"]["penduduk"] == PERSONS == len(world.population) == world.dukcapil.num_rows
    for name in ("dtks.csv", "reference/dukcapil.parquet", "reference/asn.csv", "reference/pln.csv",
                 "reference/kendaraan.csv", "truth/population.parquet", "truth/members.csv",
                 "truth/households.csv", "truth/errors.csv"):  # fmt: skip
        assert (world.out / name).exists() and len(m["files"][name]["sha256"]) == 64
    assert world.dukcapil.column_names == [
        "nik", "no_kk", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "kode_desa", "dusun", "rw",
        "rt", "hubungan_kk", "status_hidup", "tanggal_meninggal",
    ]  # fmt: skip
    assert list(world.dtks[0]) == [c.header for c in template.COLUMNS]


def test_age_and_sex_structure_is_plausible(world):
    alive = [p for p in world.population if p["status_hidup"] == "HIDUP"]
    ages = np.array([_age(p["tanggal_lahir"]) for p in alive])
    assert 0.18 <= (ages < 15).mean() <= 0.27  # Jawa Timur ~0.22
    assert 0.06 <= (ages >= 65).mean() <= 0.14  # ~0.10
    assert 28 <= np.median(ages) <= 38  # ~33
    assert ages.max() < 105
    male = np.mean([p["jenis_kelamin"] == 1 for p in alive])
    assert 0.46 <= male <= 0.52
    dead = len(world.population) - len(alive)
    assert 0.01 <= dead / len(world.population) <= 0.06  # five years of deaths


def test_family_and_household_sizes_are_plausible(world):
    fam = Counter(p["id_keluarga"] for p in world.population)
    sizes = np.array(list(fam.values()))
    assert 2.7 <= sizes.mean() <= 3.8
    assert 0.05 <= (sizes == 1).mean() <= 0.20
    assert sizes.max() <= 20
    ruta = Counter(p["id_ruta"] for p in world.population)
    families_per_ruta = len(fam) / len(ruta)
    assert families_per_ruta >= 1.03 and families_per_ruta <= 1.25  # some ruta hold two KK


def test_roles_fit_ages(world):
    by_fam = defaultdict(list)
    for p in world.population:
        if p["status_hidup"] == "HIDUP":
            by_fam[p["id_keluarga"]].append(p)
    heads_ok = ok = total = 0
    for members in by_fam.values():
        heads = [p for p in members if p["hubungan_kk"] == 1]
        heads_ok += len(heads) == 1
        if len(heads) != 1:
            continue
        head_age = _age(heads[0]["tanggal_lahir"])
        for p in members:
            if p["hubungan_kk"] == 3:
                total += 1
                ok += head_age - _age(p["tanggal_lahir"]) >= 14
            if p["hubungan_kk"] == 1:
                assert head_age >= 15
    assert heads_ok / len(by_fam) > 0.995
    assert ok / total > 0.99


def test_every_desa_is_used(world):
    desa = {w.code.replace(".", "") for w in wilayah.desa_in("35.09")}
    assert len(desa) == 248
    assert {p["kode_desa"] for p in world.population} == desa
    assert {r["kode_desa"] for r in world.rows} == desa


def test_clean_niks_and_kks_are_valid_and_unique(world):
    niks = world.dukcapil.column("nik").to_pylist()
    assert len(set(niks)) == len(niks)
    births = world.dukcapil.column("tanggal_lahir").to_pylist()
    sexes = world.dukcapil.column("jenis_kelamin").to_pylist()
    for nik, born, sex in zip(niks, births, sexes, strict=True):
        assert check_nik(nik, sex=sex, birth_date=born, reference_date=REF) == []
    for kk in set(world.dukcapil.column("no_kk").to_pylist()):
        assert check_kk(kk, reference_date=REF) == []
    # DTKS rows without a NIK, sex or birth-date fault carry a NIK that passes every rule.
    faulty = {e["id_art"] for e in world.errors if e["field"] in ("nik", "jenis_kelamin", "tanggal_lahir")}
    dups = {e["id_art"] for e in world.errors if e["kind"].startswith("duplicate")}
    checked = 0
    for r in world.rows:
        art = f"{r['id_keluarga']}-{r['no_urut']}"
        if art in faulty or art in dups:
            continue
        born = date.fromisoformat(r["tanggal_lahir"])
        assert check_nik(r["nik"], sex=int(r["jenis_kelamin"]), birth_date=born, reference_date=REF) == []
        checked += 1
    assert checked > 0.9 * len(world.rows)


def test_dtks_passes_the_importer_error_rules(world):
    parsed, errors = [], []
    for i, raw in enumerate(world.dtks, start=2):
        row, issues = template.parse_row(raw, i, reference_date=REF)
        parsed.append(row)
        errors += [x for x in issues if x.is_error]
    errors += template.check_rows(parsed)
    assert errors == []


def test_dtks_holds_the_poorer_households(world):
    hh = world.households
    in_dtks = [h for h in hh if h["dtks"] == "1"]
    assert abs(len(in_dtks) / len(hh) - 0.40) < 0.01
    desil = np.array([int(h["desil"]) for h in in_dtks])
    assert desil.mean() < 4.0
    coverage = {d: np.mean([h["dtks"] == "1" for h in hh if int(h["desil"]) == d]) for d in (1, 10)}
    assert coverage[1] > 0.75 and coverage[10] < 0.05
    assert sorted(Counter(int(h["desil"]) for h in hh)) == list(range(1, 11))


def test_poorer_households_look_poorer(world):
    """Answers follow consumption: floors, fuel, assets and schooling, not independent columns."""
    cons = {h["id_ruta"]: int(h["consumption_per_capita"]) for h in world.households}
    first = {}
    for r in world.dtks:
        first.setdefault(r["id_ruta"], r)
    c = np.array([cons[k] for k in first])
    poor = c <= np.quantile(c, 0.25)
    rich = c >= np.quantile(c, 0.75)

    def share(col, values):
        v = np.array([first[k][col] in values for k in first])
        return v[poor].mean(), v[rich].mean()

    earth_poor, earth_rich = share("jenis_lantai", {"8"})
    assert earth_poor > earth_rich
    wood_poor, wood_rich = share("bahan_bakar_memasak", {"10"})
    assert wood_poor > wood_rich
    fridge_poor, fridge_rich = share("aset_lemari_es", {"1"})
    assert fridge_rich > fridge_poor + 0.05
    assets = np.array([sum(first[k][col] == "1" for col in ("aset_lemari_es", "aset_tv_layar_datar",
                       "aset_sepeda_motor", "aset_smartphone", "aset_emas")) for k in first])  # fmt: skip
    assert np.corrcoef(np.log(c), assets)[0, 1] > 0.15


def test_member_answers_fit_age_and_sex(world):
    flagged = {e["id_art"] for e in world.errors if e["kind"] in ("inconsistent_answers", "nik_sex_mismatch")}
    for r in world.dtks:
        age = (
            date.fromisoformat(r["tanggal_pendataan"]) - date.fromisoformat(r["tanggal_lahir"])
        ).days / 365.2425
        art = f"{r['id_keluarga']}-{r['no_urut']}"
        if r["hamil"] == "1" and art not in flagged:
            assert r["jenis_kelamin"] == "2" and 10 <= age <= 55
        if age < 5:
            assert r["partisipasi_sekolah"] == "" and r["bekerja"] == ""
    workers = [r for r in world.dtks if r["bekerja"] == "1"]
    assert workers and all(r["lapangan_usaha"] for r in workers)
    farm = np.mean([r["lapangan_usaha"] in ("1", "2", "3", "4", "5", "6") for r in workers])
    assert 0.3 <= farm <= 0.8  # DTKS households in Jember work the land
    assert not any(r["status_pekerjaan"] == "5" for r in world.dtks)  # ASN only via the asn_member fault


def test_pbdt_rows_pass_the_pbdt_template_rules(world):
    """A share of the ruta is written on the PBDT 2015 form (Patterns.pbdt2015, issue #16 point 6): the
    PBDT template's columns and codes, each ruta whole in that file and in no other."""
    assert world.pbdt, "at the default rate, the test world has PBDT ruta"
    assert list(world.pbdt[0]) == [c.header for c in template.columns_for("PBDT2015")]
    parsed, errors = [], []
    for i, raw in enumerate(world.pbdt, start=2):
        row, issues = template.parse_row(raw, i, instrument="PBDT2015", reference_date=REF)
        parsed.append(row)
        errors += [x for x in issues if x.is_error]
    errors += template.check_rows(parsed)
    assert errors == []
    assert {r["instrumen"] for r in world.pbdt} == {"PBDT2015"}
    assert not {r["id_ruta"] for r in world.pbdt} & {r["id_ruta"] for r in world.dtks}
    # one KRT per ruta; the asset quirk: column a answers 1/2, column b 3/4
    krt = Counter(r["id_ruta"] for r in world.pbdt if r["hubungan_krt"] == "1")
    assert set(krt.values()) == {1} and len(krt) == len({r["id_ruta"] for r in world.pbdt})
    assert {r["aset_tabung_gas"] for r in world.pbdt} <= {"1", "2"}
    assert {r["aset_lemari_es"] for r in world.pbdt} <= {"3", "4"}
    # registered after Regsosek, and the faults the form cannot hold stay on the Regsosek ruta
    assert min(r["tanggal_pendataan"] for r in world.pbdt) >= "2023-01-01"
    ruta = {r["id_ruta"] for r in world.pbdt}
    kinds = {e["kind"] for e in world.errors if e["id_ruta"] in ruta}
    assert not kinds & {"deceased_active", "not_found", "keberadaan_pergi", "inconsistent_answers"}
    assert kinds & {"nik_typo", "nik_missing", "name_variant", "kk_stale"}  # identity faults do occur
