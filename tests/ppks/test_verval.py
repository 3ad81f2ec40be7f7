"""PPKS outside households through the real generator and the verval pipeline: the generator writes LKS,
residents and faults; the `ppks` step finds the planted ganda, deceased and tidak-padan residents, and the
accuracy evaluation scores them against the truth."""

from __future__ import annotations

import csv
from datetime import date

from siks.domain import finding_catalog
from siks.synth.generate import generate
from siks.synth.params import SynthParams
from siks.verval.evaluate import evaluate
from siks.verval.pipeline import default_steps
from siks.verval.runs import RunInputs, execute
from siks.verval.synthdata import inputs_from_synth

STEPS = ("prepare", "padan", "ppks")


def test_generator_faults_are_found_by_the_ppks_step(tmp_path):
    out = tmp_path / "synth"
    manifest = generate(SynthParams(persons=40_000, seed=9, reference_date=date(2026, 10, 1)), out)
    with open(out / "truth" / "ppks.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    with open(out / "ppks" / "psks.csv", encoding="utf-8") as f:
        psks = list(csv.DictReader(f))
    assert manifest["counts"]["ppks_di_luar_ruta"] == len(truth) > 0
    assert sum(1 for p in psks if p["jenis"] == "lks") == 5 and any(p["jenis"] == "tksk" for p in psks)
    faults = {r["fault"] for r in truth}
    assert {"ppks_ganda", "ppks_nik_typo", "ppks_meninggal"} <= faults  # seed 9 plants all three

    snapshot, refs = inputs_from_synth(out, tmp_path / "inputs")
    outcome = execute(RunInputs(snapshot, refs), work_dir=tmp_path / "run", hash_files=False,
                      steps=[s for s in default_steps() if s.name in STEPS])  # fmt: skip
    try:
        findings = outcome.engine.query("SELECT * FROM findings")
        rows = outcome.engine.query(
            "SELECT code, member_ref, explanation FROM findings WHERE code LIKE 'PPKS%'"
        )
        ev = evaluate(findings, out / "truth").by_kind()
    finally:
        outcome.engine.close()
    for r in rows.to_pylist():
        assert (
            finding_catalog.entry(r["code"]).step == "ppks"
            and r["explanation"]
            and "{" not in r["explanation"]
        )
    no_nik = sum(1 for r in truth if r["ref"].startswith("JLN"))
    assert any(r["code"] == "PPKS_TANPA_NIK" for r in rows.to_pylist()) or no_nik == 0
    for fault in ("ppks_ganda", "ppks_nik_typo", "ppks_meninggal"):
        score = ev[fault]
        assert score.tp > 0 and score.precision == 1.0, (fault, score)
    assert ev["ppks_nik_typo"].recall == 1.0
    assert ev["ppks_meninggal"].recall == 1.0  # an LKS resident dead in Dukcapil is always found
    # plausible rates (docs/ppks-psks.md §6): ~1 LKS per 8,000 people with 10–40 residents, ~3 per 10,000
    # on the street; faults near 3 % / 1 % / 5 % of residents
    residents = [r for r in truth if not r["ref"].startswith("JLN")]
    assert 5 * 10 <= len(residents) <= 5 * 40 and len(truth) - len(residents) <= 30
    assert sum(r["fault"] == "ppks_nik_typo" for r in residents) <= 0.15 * len(residents)
