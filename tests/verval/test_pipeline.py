"""The pipeline finds the errors `siks synth` injected, leaves clean records alone, and is deterministic."""

from __future__ import annotations

import csv
import json
import re

import sqlglot

from siks.verval.evaluate import evaluate

from .conftest import run


def _errors(kab):
    with open(kab["truth"] / "errors.csv") as fh:
        return list(csv.DictReader(fh))


def _titled(kab) -> set[str]:
    """id_art of the DTKS rows whose name carries a title Dukcapil does not (synth pattern `gelar`)."""
    with open(kab["truth"] / "patterns.csv") as fh:
        persons = {r["person_id"] for r in csv.DictReader(fh) if r["pola"] == "gelar"}
    with open(kab["truth"] / "members.csv") as fh:
        return {r["id_art"] for r in csv.DictReader(fh) if r["person_id"] in persons}


def _first(kab, kind, pred=lambda e: True):
    return next(e for e in _errors(kab) if e["kind"] == kind and pred(e))


def _codes(outcome, member_ref):
    return {
        r["code"]
        for r in outcome.engine.query(
            f"SELECT code FROM findings WHERE member_ref = '{member_ref}'"
        ).to_pylist()
    }


def _top(outcome, member_ref):
    rows = outcome.engine.query(
        f"SELECT related_nik FROM findings WHERE code = 'NIK_SUGGESTION' AND rank = 1 "
        f"AND member_ref = '{member_ref}'"
    ).to_pylist()
    return rows[0]["related_nik"] if rows else None


def test_named_injected_errors_are_found(kab, outcome):
    errs = _errors(kab)
    dup_ids = {e["id_art"] for e in errs if e["kind"].startswith("duplicate")}
    for kind in ("nik_typo", "nik_transposed"):
        e = _first(kab, kind, lambda e: e["id_art"] not in dup_ids)
        assert _codes(outcome, e["id_art"]) & {"PADAN_NIK_UNKNOWN", "PADAN_OTHER_PERSON"}, kind
        assert _top(outcome, e["id_art"]) == e["true_value"], kind
    borrowed = _first(kab, "nik_other_person")
    assert "PADAN_OTHER_PERSON" in _codes(outcome, borrowed["id_art"])
    missing = _first(kab, "nik_missing")
    assert "PADAN_NO_NIK" in _codes(outcome, missing["id_art"])
    dead = _first(kab, "deceased_active")
    assert "DECEASED" in _codes(outcome, dead["id_art"])
    asn = _first(kab, "asn_member")
    assert "ASN" in _codes(outcome, asn["id_art"])
    hh = outcome.engine.scalar(
        f"SELECT COUNT(*) FROM findings WHERE code = 'HOUSEHOLD_ASN' AND household_ref = '{asn['id_ruta']}'"
    )
    assert hh == 1
    stale = _first(kab, "kk_stale")
    assert "KK_CHANGED" in _codes(outcome, stale["id_art"])
    for kind in ("duplicate_same_desa", "duplicate_other_desa"):
        e = _first(kab, kind)
        pair = outcome.engine.query(
            f"SELECT a.cluster_id FROM duplicate_cluster a JOIN duplicate_cluster b "
            f"ON a.cluster_id = b.cluster_id WHERE a.member_ref = '{e['id_art']}' "
            f"AND b.member_ref = '{e['true_value']}'"
        ).to_pylist()
        assert pair, kind


def test_clean_records_are_not_flagged(kab, outcome):
    bad = {e["id_art"] for e in _errors(kab)}
    bad_ruta = {e["id_ruta"] for e in _errors(kab) if e["kind"] in ("moved", "kk_stale")}
    errorish = ("PADAN_%", "NIK_SUGGESTION", "DUP%", "DECEASED", "ASN")
    cond = " OR ".join(f"code LIKE '{c}'" for c in errorish)
    flagged = {
        r["member_ref"]
        for r in outcome.engine.query(
            f"SELECT DISTINCT member_ref FROM findings WHERE ({cond}) AND member_ref IS NOT NULL"
        ).to_pylist()
    }
    # the original of an injected duplicate, and the owner of a borrowed NIK, are flagged with it
    partners = {
        r["related_ref"]
        for r in outcome.engine.query("SELECT related_ref FROM findings WHERE code LIKE 'DUP%'").to_pylist()
    }
    # titled names (synth pattern `gelar`) are clean: the name check strips titles
    assert _titled(kab) - bad, "the test kabupaten has titled names"
    wrongly = flagged - bad - partners
    assert not wrongly, sorted(wrongly)[:20]
    kk = {
        r["household_ref"]
        for r in outcome.engine.query(
            "SELECT DISTINCT household_ref FROM findings WHERE code IN ('KK_CHANGED', 'MOVED')"
        ).to_pylist()
    }
    assert len(kk - bad_ruta) <= 0.2 * len(kk)  # natural moves and KK changes after pendataan


def test_accuracy_against_truth(kab, outcome):
    ev = evaluate(outcome.engine.query("SELECT * FROM findings"), kab["truth"])
    k = ev.by_kind()
    for kind in ("deceased_active", "asn_member"):
        assert k[kind].precision == 1.0 and k[kind].recall == 1.0, kind
    assert k["nik_typo"].recall >= 0.99 and k["nik_transposed"].recall >= 0.99
    assert k["ganda (pasangan)"].f1 >= 0.97
    assert ev.suggestion_top1 is not None and ev.suggestion_top1 >= 0.95


def test_every_finding_is_explained(outcome):
    n = outcome.engine.scalar("SELECT COUNT(*) FROM findings WHERE explanation IS NULL OR explanation = ''")
    assert n == 0


def test_identical_between_runs(kab, outcome, tmp_path):
    again = run(kab, tmp_path, engine=outcome.engine_kind)
    q = (
        "SELECT code, member_ref, household_ref, nik, related_nik, related_ref, cluster_id, "
        "ROUND(weight, 6) AS w, rank FROM findings ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
    )
    a = outcome.engine.query(q).to_pylist()
    b = again.engine.query(q).to_pylist()
    again.engine.close()
    assert a == b


def test_stored_model_used_and_kept_with_the_run(outcome):
    stats = {r.name: r.stats for r in outcome.results}
    for step in ("padan", "ganda"):
        assert stats[step]["model"]["sumber"] == "tersimpan"
        doc = json.loads((outcome.work_dir / f"model_{step}.json").read_text())
        assert doc["siks"]["name"] == step and doc["splink"]["comparisons"]


def test_retrain_estimates_and_stores(kab, tmp_path):
    model_dir = tmp_path / "model"
    out = run(kab, tmp_path / "run", params={"retrain": "1", "model_dir": str(model_dir), "u_pairs": 2e5})
    stats = {r.name: r.stats for r in out.results}
    out.engine.close()
    assert stats["padan"]["model"]["sumber"] == "dilatih"
    assert (model_dir / "padan.json").exists() and (model_dir / "ganda.json").exists()
    assert (tmp_path / "run" / "model_ganda.json").exists()


def test_every_statement_transpiles_to_spark(duckdb_outcome):
    assert duckdb_outcome.engine.sql_log
    for sql in duckdb_outcome.engine.sql_log:
        sqlglot.transpile(sql, read="", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)


def test_explanations_show_desa_codes_dotted(outcome):
    """People read desa codes as 35.09.15.2001 everywhere; the pipeline compares them as bare digits."""
    rows = outcome.engine.query(
        "SELECT explanation FROM findings WHERE code = 'MOVED' AND kode_desa IS NOT NULL"
    ).to_pylist()
    assert rows, "the synthetic kabupaten has members who moved"
    pattern = re.compile(r"desa (\d\d\.\d\d\.\d\d\.\d{4}), bukan (\d\d\.\d\d\.\d\d\.\d{4})")
    assert all(pattern.search(r["explanation"]) for r in rows), rows[:3]
    assert not any(re.search(r"\b\d{10}\b", r["explanation"]) for r in rows)


def test_a_run_without_extracts_says_which_checks_it_skipped(kab, duckdb_outcome, tmp_path, capsys):
    """Issue #18: without the ASN, PLN and vehicle extracts those checks were skipped silently and
    `evaluate` showed recall 0. The run's stats (kept on the run record), the CLI and evaluate say it."""
    from siks.verval import cli
    from siks.verval.pipeline import checks_run, skipped_checks

    only_dukcapil = {k: v for k, v in kab["refs"].items() if k == "dukcapil"}
    assert set(kab["refs"]) > set(only_dukcapil)  # the synthetic kabupaten has the other extracts too
    partial = run({**kab, "refs": only_dukcapil}, tmp_path / "w")
    try:
        skipped = skipped_checks(partial.stats)
        assert set(skipped) == {"ASN", "HOUSEHOLD_ASN", "ASN_POSSIBLE", "PLN_NONSUBSIDI", "CAR_OWNER"}
        assert "ASN/TNI/Polri" in skipped["ASN"] and "reference load pln" in skipped["PLN_NONSUBSIDI"]
        assert {"DECEASED", "KK_CHANGED", "PADAN_NIK_UNKNOWN"} <= set(checks_run(partial.stats))
        assert skipped_checks(duckdb_outcome.stats) == {}  # every extract loaded: nothing skipped

        cli.print_checks(partial.stats)
        said = capsys.readouterr().out
        assert "Dilewati karena daftar ASN/TNI/Polri" in said and "HOUSEHOLD_ASN" not in said

        findings = partial.engine.query("SELECT * FROM findings")
        scores = evaluate(findings, kab["truth"], skipped).by_kind()
        assert scores["asn_member"].skipped and "ASN/TNI/Polri" in scores["asn_member"].skipped
        assert scores["asn_member"].recall == 0.0  # what the table used to show without a word
        assert scores["deceased_active"].skipped is None and scores["deceased_active"].recall > 0.9
    finally:
        partial.engine.close()


def test_titles_are_not_a_name_mismatch(kab, outcome):
    """DRS., H., S.PD in a DTKS name that Dukcapil writes without (synth pattern `gelar`): the same
    person, so neither a name mismatch nor a resolved-name difference (siks.domain.names)."""
    titled = _titled(kab)
    assert len(titled) >= 10
    flagged = {
        r["member_ref"]
        for r in outcome.engine.query(
            "SELECT DISTINCT member_ref FROM findings "
            "WHERE code IN ('PADAN_NAME_MISMATCH', 'PADAN_RESOLVED_NAME')"
        ).to_pylist()
    }
    assert not titled & flagged, sorted(titled & flagged)[:10]
