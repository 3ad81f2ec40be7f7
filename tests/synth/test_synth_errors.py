"""The ground truth is exact: every injected fault is listed with what was recorded and what is true, at
the rates asked for, and every difference between DTKS and the truth is one of the listed faults."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from siks.synth import ErrorRates
from siks.synth.params import RATE_UNIT


def _art(row: dict[str, str]) -> str:
    return f"{row['id_keluarga']}-{row['no_urut']}"


@pytest.fixture(scope="module")
def index(world):
    rows = {_art(r): r for r in world.rows}
    by_ruta = defaultdict(list)
    for r in world.rows:
        by_ruta[r["id_ruta"]].append(r)
    errors_by_art = defaultdict(set)
    for e in world.errors:
        errors_by_art[e["id_art"]].add(e["kind"])
    people = {str(p["person_id"]): p for p in world.population}
    return rows, by_ruta, errors_by_art, people


def test_kind_names_are_the_documented_ones(world):
    kinds = {e["kind"] for e in world.errors}
    assert kinds <= set(RATE_UNIT)
    assert kinds == set(RATE_UNIT)  # at the default rates, every kind occurs in 20k people


def test_error_rates_match_the_requested_ones(world, index):
    rows, by_ruta, errors_by_art, _ = index
    duplicates = {e["id_art"] for e in world.errors if e["kind"].startswith("duplicate")}
    units = {
        "anggota": len(rows) - len(duplicates),
        "keluarga": len({r["id_keluarga"] for r in world.rows}),
        "ruta": len(by_ruta),
    }
    # Faults of a keluarga or ruta are listed on each of its rows; they are counted once per unit.
    affected = defaultdict(set)
    for e in world.errors:
        unit = RATE_UNIT[e["kind"]]
        key = {"anggota": e["id_art"], "keluarga": e["id_art"].rsplit("-", 1)[0], "ruta": e["id_ruta"]}[unit]
        affected[e["kind"]].add(key)
    requested = ErrorRates().as_dict()
    for kind, unit in RATE_UNIT.items():
        rate = len(affected[kind]) / units[unit]
        # Exact by construction, up to rounding and the faults duplicates bring along (a lost NIK).
        assert abs(rate - requested[kind]) <= 0.12 * requested[kind] + 2 / units[unit], kind
        assert world.manifest["error_rates"][kind]["count"] == len(affected[kind]), kind


def test_recorded_values_are_in_the_registry_and_differ_from_the_truth(world, index):
    rows, _, _, _ = index
    for e in world.errors:
        assert e["recorded_value"] != e["true_value"], e
        assert e["id_art"] in rows and rows[e["id_art"]]["id_ruta"] == e["id_ruta"]
        if e["kind"].startswith("duplicate"):
            original, copy = rows[e["true_value"]], rows[e["id_art"]]
            assert world.members[e["true_value"]]["person_id"] == world.members[e["id_art"]]["person_id"]
            same = original["kode_desa"] == copy["kode_desa"]
            assert same == (e["kind"] == "duplicate_same_desa")
            assert original["id_keluarga"] != copy["id_keluarga"]
        else:
            assert rows[e["id_art"]][e["field"]] == e["recorded_value"], e


def test_household_faults_are_on_every_row(world, index):
    _, by_ruta, errors_by_art, _ = index
    for e in world.errors:
        if e["kind"] in ("moved", "domisili", "not_found"):
            assert all(
                e["kind"] in errors_by_art[f"{r['id_keluarga']}-{r['no_urut']}"]
                for r in by_ruta[e["id_ruta"]]
            )


def test_every_difference_from_the_truth_is_listed(world, index):
    rows, by_ruta, errors_by_art, people = index
    ruta_errors = defaultdict(set)
    for e in world.errors:
        ruta_errors[e["id_ruta"]].add(e["kind"])
    stale_families = {a.rsplit("-", 1)[0] for a, kinds in errors_by_art.items() if "kk_stale" in kinds}
    with (world.out / "truth" / "patterns.csv").open(encoding="utf-8", newline="") as fh:
        titled = {r["person_id"]: r["detail"] for r in csv.DictReader(fh) if r["pola"] == "gelar"}
    for art, r in rows.items():
        kinds = errors_by_art[art]
        if kinds & {"duplicate_same_desa", "duplicate_other_desa"}:
            continue  # the whole row is the fault
        m = world.members[art]
        p = people[m["person_id"]]
        nik_kinds = {"nik_typo", "nik_transposed", "nik_other_person", "nik_missing"}
        assert (r["nik"] == m["true_nik"]) != bool(kinds & nik_kinds), (art, kinds)
        title = titled.get(m["person_id"])  # a title is a listed pattern, not a fault
        true_name = p["nama"] if title is None else {f"{title} {p['nama']}", f"{p['nama']} {title}"}
        named = r["nama"] == true_name if title is None else r["nama"] in true_name
        assert named != ("name_variant" in kinds), art
        assert (int(r["jenis_kelamin"]) == p["jenis_kelamin"]) != ("nik_sex_mismatch" in kinds), art
        wrong_date = {"nik_birthdate_mismatch", "birthdate_default"}
        assert (r["tanggal_lahir"] == p["tanggal_lahir"].isoformat()) != bool(kinds & wrong_date), art
        assert (r["no_kk"] == m["true_no_kk"]) != (r["id_keluarga"] in stale_families), art
        away = {"moved", "domisili"}
        assert (r["kode_desa"] == p["kode_desa"]) != bool(ruta_errors[r["id_ruta"]] & away), art
        assert (p["status_hidup"] == "MATI") == ("deceased_active" in kinds), art
        assert (p["asn"] is not None) == ("asn_member" in kinds), art


def test_references_show_what_the_ground_truth_says(world, index):
    rows, _, _, people = index
    duk = {n: i for i, n in enumerate(world.dukcapil.column("nik").to_pylist())}
    status = world.dukcapil.column("status_hidup").to_pylist()
    kk = world.dukcapil.column("no_kk").to_pylist()
    desa = world.dukcapil.column("kode_desa").to_pylist()
    with open(world.out / "reference" / "asn.csv") as fh:
        asn_rows = list(csv.DictReader(fh))
    asn = {r["nik"] for r in asn_rows if r["nik"]}
    # rows without NIK carry the NIP: birth date (digits 1-8) and sex (digit 15) of the person
    by_nip = {(r["nip"][:8], r["nip"][14]) for r in asn_rows if not r["nik"]}
    assert by_nip and all(r["nip"] for r in asn_rows if not r["nik"])
    dups = {e["id_art"] for e in world.errors if e["kind"].startswith("duplicate")}
    for e in world.errors:
        if e["id_art"] in dups:
            continue
        if e["kind"] == "deceased_active":
            assert status[duk[world.members[e["id_art"]]["true_nik"]]] == "MATI"
        elif e["kind"] == "asn_member":
            p = people[world.members[e["id_art"]]["person_id"]]
            nip_key = (p["tanggal_lahir"].isoformat().replace("-", ""), str(p["jenis_kelamin"]))
            assert world.members[e["id_art"]]["true_nik"] in asn or nip_key in by_nip
        elif e["kind"] == "kk_stale":
            assert kk[duk[world.members[e["id_art"]]["true_nik"]]] == e["true_value"]
        elif e["kind"] == "nik_other_person":
            assert e["recorded_value"] in duk  # someone else's real NIK
        elif e["kind"] == "moved":
            assert desa[duk[world.members[e["id_art"]]["true_nik"]]] == e["true_value"]
        elif e["kind"] == "domisili":  # Dukcapil keeps the KK address, and the KK is the recorded one
            i = duk[world.members[e["id_art"]]["true_nik"]]
            assert desa[i] == e["true_value"] and kk[i] == rows[e["id_art"]]["no_kk"]
        elif e["kind"] == "birthdate_default":
            assert e["recorded_value"][5:] in ("01-01", "12-31", "07-01") and rows[e["id_art"]]["nik"] == ""
