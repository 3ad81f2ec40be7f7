"""Look-alikes and other naming traditions (issue #16 point 6): each is in the truth as listed in
truth/patterns.csv, is what it says it is, and its knob turns it off without touching anything else."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import replace

from siks.synth import SynthParams, generate
from siks.synth.names import pools
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
    off = replace(base, patterns=Patterns(etnis_lain=0.0, kembar=0.0, senama_ayah=0.0))
    generate(off, tmp_path / "off")
    with (tmp_path / "off" / "truth" / "patterns.csv").open(encoding="utf-8") as fh:
        assert list(csv.DictReader(fh)) == []
    only_twins = replace(base, patterns=Patterns(etnis_lain=0.0, kembar=0.05, senama_ayah=0.0))
    generate(only_twins, tmp_path / "twins")
    with (tmp_path / "twins" / "truth" / "patterns.csv").open(encoding="utf-8") as fh:
        assert {r["pola"] for r in csv.DictReader(fh)} == {"kembar"}
