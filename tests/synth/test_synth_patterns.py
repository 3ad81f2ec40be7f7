"""Look-alikes and other naming traditions (issue #16 point 6): each is in the truth as listed in
truth/patterns.csv, is what it says it is, and its knob turns it off without touching anything else."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import replace

import pyarrow.parquet as pq

from siks.synth import SynthParams, generate
from siks.synth.names import TITLES, pools
from siks.synth.params import Patterns
from siks.synth.patterns import GROUPS


def _patterns(world):
    with (world.out / "truth" / "patterns.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_twins_are_born_the_same_day_as_a_sibling_and_named_apart(world):
    people = {str(p["person_id"]): p for p in world.population}
    twins = [r for r in _patterns(world) if r["pola"] == "kembar"]
    assert len(twins) >= 20
    by_family: dict[str, list[dict]] = {}
    for p in world.population:
        by_family.setdefault(p["id_keluarga"], []).append(p)
    for t in twins:
        me = people[t["person_id"]]
        others = [o for o in by_family[me["id_keluarga"]] if o["person_id"] != me["person_id"]]
        twin = [o for o in others if o["tanggal_lahir"] == me["tanggal_lahir"] and o["hubungan_kk"] == 3]
        assert twin, t
        # never the same name, nor one holding the other's words
        for o in twin:
            a, b = set(me["nama"].split()), set(o["nama"].split())
            assert not (a <= b or b <= a), (me["nama"], o["nama"])


def test_sons_named_after_their_father(world):
    people = {str(p["person_id"]): p for p in world.population}
    juniors = [r for r in _patterns(world) if r["pola"] == "senama_ayah"]
    assert len(juniors) >= 10
    heads = {p["id_keluarga"]: p for p in world.population if p["hubungan_kk"] == 1}
    for j in juniors:
        son = people[j["person_id"]]
        assert son["jenis_kelamin"] == 1 and son["hubungan_kk"] == 3
        assert son["nama"] == heads[son["id_keluarga"]]["nama"]


def test_other_traditions_use_their_own_pools_and_pass_family_names_on(world):
    rows = [r for r in _patterns(world) if r["pola"] == "etnis_lain"]
    groups = Counter(r["detail"] for r in rows)
    assert set(groups) == set(GROUPS), groups
    people = {str(p["person_id"]): p for p in world.population}
    marga = set(pools()["batak_marga"])
    batak = [people[r["person_id"]] for r in rows if r["detail"] == "batak"]
    assert all(p["nama"].split()[-1] in marga for p in batak)
    # a Batak father's marga is his children's
    fathers = {p["id_keluarga"]: p for p in batak if p["hubungan_kk"] == 1 and p["jenis_kelamin"] == 1}
    children = [p for p in batak if p["hubungan_kk"] == 3 and p["id_keluarga"] in fathers]
    assert children
    for c in children:
        assert c["nama"].split()[-1] == fathers[c["id_keluarga"]]["nama"].split()[-1]
    bali = [people[r["person_id"]]["nama"] for r in rows if r["detail"] == "bali"]
    assert bali and all(n.split()[0] in ("I", "NI") for n in bali)


def test_members_away_are_recorded_with_keberadaan_3_or_4_and_are_no_fault(world):
    away = [e for e in world.errors if e["kind"] == "keberadaan_pergi"]
    assert away
    rows = {f"{r['id_keluarga']}-{r['no_urut']}": r for r in world.dtks}
    for e in away:
        assert rows[e["id_art"]]["keberadaan"] in ("3", "4")
        assert rows[e["id_art"]]["hubungan_kk"] != "1"
    assert {rows[e["id_art"]]["keberadaan"] for e in away} == {"3", "4"}


def test_each_knob_turns_its_pattern_off(tmp_path):
    base = SynthParams(persons=3_000, seed=5)
    none = {"etnis_lain": 0.0, "kembar": 0.0, "senama_ayah": 0.0, "gelar": 0.0, "asn_tanpa_nik": 0.0}
    none["pbdt2015"] = 0.0
    off = replace(base, patterns=Patterns(**none))
    generate(off, tmp_path / "off")
    with (tmp_path / "off" / "truth" / "patterns.csv").open(encoding="utf-8") as fh:
        assert list(csv.DictReader(fh)) == []
    assert not (tmp_path / "off" / "dtks_pbdt2015.csv").exists()
    only_twins = replace(base, patterns=Patterns(**(none | {"kembar": 0.05})))
    generate(only_twins, tmp_path / "twins")
    with (tmp_path / "twins" / "truth" / "patterns.csv").open(encoding="utf-8") as fh:
        assert {r["pola"] for r in csv.DictReader(fh)} == {"kembar"}


def test_titles_are_in_dtks_names_only_and_are_no_fault(world):
    titled = {r["person_id"]: r["detail"] for r in _patterns(world) if r["pola"] == "gelar"}
    assert len(titled) >= 20, "~1% of the adult anggota carry a title"
    assert set(titled.values()) <= {t for t, _, _ in TITLES}
    people = {str(p["person_id"]): p for p in world.population}
    dtks = {f"{r['id_keluarga']}-{r['no_urut']}": r for r in world.rows}
    seen = 0
    for id_art, m in world.members.items():
        title = titled.get(m["person_id"])
        if title is None or id_art not in dtks:
            continue
        seen += 1
        true_name = people[m["person_id"]]["nama"]
        assert title not in true_name.split(), "Dukcapil (the truth) carries no title"
        assert dtks[id_art]["nama"] in (f"{title} {true_name}", f"{true_name} {title}")
    assert seen >= len(titled)
    faulted = {(r["id_art"], r["kind"]) for r in world.errors}
    assert not any(
        (a, "name_variant") in faulted for a, m in world.members.items() if m["person_id"] in titled
    )


def _asn(out):
    with (out / "reference" / "asn.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_asn_rows_without_nik_follow_their_knob_and_are_listed(world, tmp_path):
    for out, share in ((world.out, Patterns().asn_tanpa_nik), (tmp_path / "half", 0.5)):
        if share != Patterns().asn_tanpa_nik:
            generate(SynthParams(persons=20_000, seed=11, patterns=Patterns(asn_tanpa_nik=share)), out)
        rows = _asn(out)
        pns = [r for r in rows if r["jenis"] == "ASN"]
        bare = [r for r in rows if r["nik"] == ""]
        assert all(r["jenis"] == "ASN" and r["nip"] for r in bare), "only PNS rows, and they keep the NIP"
        assert len(bare) == int(share * len(pns) + 0.5)
        with (out / "truth" / "patterns.csv").open(encoding="utf-8", newline="") as fh:
            listed = [r["person_id"] for r in csv.DictReader(fh) if r["pola"] == "asn_tanpa_nik"]
        assert len(listed) == len(set(listed)) == len(bare)
        population = pq.read_table(out / "truth" / "population.parquet").to_pylist()
        nip_birth = {
            p["tanggal_lahir"].strftime("%Y%m%d") for p in population if str(p["person_id"]) in listed
        }
        assert {r["nip"][:8] for r in bare} <= nip_birth


def test_pbdt_ruta_are_an_exact_share_and_listed(world):
    """`pbdt2015`: round(rate × DTKS ruta) ruta (as many qualify at 20k), every person of them listed in
    patterns.csv with the ruta; the knob at 0 writes no PBDT file."""
    listed = [r for r in _patterns(world) if r["pola"] == "pbdt2015"]
    ruta = {r["id_ruta"] for r in world.pbdt}
    n_ruta = len({r["id_ruta"] for r in world.rows})
    assert len(ruta) == round(Patterns().pbdt2015 * n_ruta)
    assert world.manifest["counts"]["dtks_ruta_pbdt2015"] == len(ruta)
    assert {r["detail"] for r in listed} == ruta
    pbdt_arts = {f"{r['id_keluarga']}-{r['no_urut']}" for r in world.pbdt}
    persons = {m["person_id"] for a, m in world.members.items() if a in pbdt_arts}
    assert {r["person_id"] for r in listed} == persons
    # a NIK written in a PBDT ruta is written in no other ruta (the second file must import cleanly)
    niks = Counter(r["nik"] for r in world.rows if r["nik"])
    assert all(niks[r["nik"]] == 1 or r["id_ruta"] in ruta for r in world.pbdt if r["nik"])
    assert not {r["nik"] for r in world.pbdt if r["nik"]} & {r["nik"] for r in world.dtks if r["nik"]}
