"""The pmt and eligibility steps on a generated snapshot: SQL agrees with the Python twins, runs on Spark."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot

from siks.domain import bps14, pmt
from siks.domain import eligibility as el
from siks.domain.pmt_features import FEATURES, household_features, present_members
from siks.verval.engines import open_engine
from siks.verval.pipeline import Step, StepContext
from siks.verval.runs import RunInputs, execute
from siks.verval.steps import eligibility as eligibility_step
from siks.verval.steps import pmt as pmt_step
from siks.verval.steps import prepare

from .synthetic import AS_OF, generate

ASN_MEMBER = "K00003-2"


def write_snapshot(world, directory: Path) -> Path:
    def table(rows: list[dict]) -> pa.Table:
        columns = sorted({k for r in rows for k in r})
        return pa.table({c: [r.get(c) for r in rows] for c in columns})

    directory.mkdir(parents=True, exist_ok=True)
    households = [dict(h) for h in world.households]
    members = [
        dict(m, member_id=i, household_id=m["id_ruta"], family_id=m["id_keluarga"])
        for i, m in enumerate(world.members)
    ]
    pq.write_table(table(households), directory / "household.parquet")
    pq.write_table(table(members), directory / "member.parquet")
    return directory


def fake_exclusions(ctx: StepContext) -> None:
    """Stands in for the exclusions step: one ASN finding from the (imaginary) BKN extract."""
    ctx.emit_findings(
        f"SELECT 'ASN' AS code, p.member_ref AS member_ref, p.family_ref AS family_ref, "
        f"p.household_ref AS household_ref, p.kode_desa AS kode_desa, p.nama AS nama, 'PNS' AS jenis, "
        f"'Dinas' AS instansi FROM person AS p WHERE p.member_ref = '{ASN_MEMBER}'"
    )


FAKE_EXCLUSIONS = Step(
    "exclusions", "uji", "0", fake_exclusions, inputs=("person",), outputs=("findings_exclusions",),
    codes=("ASN",),
)  # fmt: skip


@pytest.fixture(scope="module")
def world():
    return generate(500, seed=11, messy=True)


@pytest.fixture(
    scope="module",
    params=["duckdb", pytest.param("spark", marks=(pytest.mark.spark, pytest.mark.xdist_group("spark")))],
)
def run(world, tmp_path_factory, request):
    """The steps on each engine (issue #11): the Spark run shares the `spark` xdist worker and its JVM."""
    base = tmp_path_factory.mktemp("pmt")
    snapshot = write_snapshot(world, base / "snapshot")
    outcome = execute(
        RunInputs(snapshot),
        params={"tanggal_acuan": AS_OF.isoformat(), "desil_populasi": "kabupaten"},
        work_dir=base / "work",
        steps=[prepare.STEP, FAKE_EXCLUSIONS, pmt_step.STEP, eligibility_step.STEP],
        hash_files=False,
        engine=open_engine(request.param, temp_dir=base / "tmp"),
    )
    yield outcome
    outcome.engine.close()


def rows(outcome, sql: str) -> list[dict]:
    return outcome.engine.query(sql).to_pylist()


def close(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, abs_tol=1e-9)
    return a == b


def test_features_agree_with_python(world, run):
    by_ref = {r["household_ref"]: r for r in rows(run, "SELECT * FROM pmt_features")}
    assert len(by_ref) == len(world.households)
    for h in world.households:
        expected = household_features(h, world.members_of(h["id_ruta"]), AS_OF)
        got = by_ref[h["id_ruta"]]
        for f in FEATURES:
            assert close(got[f.name], expected[f.name]), (h["id_ruta"], f.name, got[f.name], expected[f.name])


def test_scores_criteria_and_desil_agree_with_python(world, run):
    model = pmt.default_model()
    by_ref = {r["household_ref"]: r for r in rows(run, "SELECT * FROM household_pmt")}
    scored, sizes, refs = [], [], []
    for h in world.households:
        members = world.members_of(h["id_ruta"])
        got = by_ref[h["id_ruta"]]
        crit = bps14.assess(h, members)
        assert (got["kriteria_bps"], got["kriteria_bps_terjawab"], got["miskin_bps"]) == (
            crit.met,
            crit.known,
            crit.poor,
        )
        size = len(present_members(members))
        assert got["jumlah_art"] == size
        if size == 0:
            assert got["score"] is None and got["desil"] is None
            continue
        features = household_features(h, members, AS_OF)
        expected = pmt.score(model, features, h["kode_desa"])
        assert got["score"] == pytest.approx(expected.value, abs=2e-6)
        assert got["jawaban_kurang"] == pmt.too_sparse(features)
        assert got["model"] == model.key
        parts = {c.name: c.contribution for c in expected.contributions}
        for name, value in parts.items():
            assert got[f"c_{name}"] == pytest.approx(value, abs=1e-6), name
        assert got["c_region"] == pytest.approx(expected.region_effect)
        if pmt.too_sparse(features):  # not enough answers: scored for the record, never ranked
            assert got["desil"] is None
            continue
        scored.append(got["score"])  # rank the SQL scores: rounding ties must not differ
        sizes.append(size)
        refs.append(h["id_ruta"])
    for ref, d in zip(refs, pmt.assign_desil(scored, sizes), strict=True):
        assert by_ref[ref]["desil"] == d


def test_desil_holds_ten_percent_of_people(run):
    counts = rows(
        run, "SELECT desil, SUM(jumlah_art) AS jiwa FROM household_pmt WHERE desil IS NOT NULL GROUP BY desil"
    )
    total = float(sum(r["jiwa"] for r in counts))
    assert len(counts) == 10
    assert all(abs(float(r["jiwa"]) / total - 0.1) < 0.02 for r in counts)


def test_pmt_findings(run):
    found = rows(run, "SELECT code, household_ref, explanation, evidence FROM findings_pmt")
    codes = {r["code"] for r in found}
    assert codes <= {"PMT_NO_MEMBERS", "PMT_BPS_MISMATCH", "PMT_SPARSE_ANSWERS", "PMT_DESIL_UNCERTAIN"}
    empty = rows(run, "SELECT household_ref FROM household_pmt WHERE jumlah_art = 0")
    assert {r["household_ref"] for r in empty} == {
        r["household_ref"] for r in found if r["code"] == "PMT_NO_MEMBERS"
    }
    assert all(r["explanation"] for r in found)


def test_eligibility_findings_name_their_rule(run):
    found = rows(run, "SELECT * FROM findings_eligibility")
    assert found
    rules = {r.code for r in eligibility_step.eligibility.default_rules().rules}
    for f in found:
        assert f["code"] in rules
        assert '"rule_set":"kelayakan-dtks@' in f["evidence"]
        assert f["level"] == "anggota" and f["member_ref"] and f["explanation"]


def test_eligibility_verdicts(world, run):
    verdict = {r["member_ref"]: r for r in rows(run, "SELECT * FROM eligibility")}
    assert len(verdict) == len(world.members)
    desil = {
        r["household_ref"]: r["desil"] for r in rows(run, "SELECT household_ref, desil FROM household_pmt")
    }
    for m in world.members:
        ref = f"{m['id_keluarga']}-{m['no_urut']}"
        v = verdict[ref]
        d = desil[m["id_ruta"]]
        if m["keberadaan"] == 2:
            assert v["rule_meninggal"] and not v["eligible"]
        if d is not None and d > el.DTKS_DESIL_MAX:
            assert v["rule_desil_terlalu_tinggi"] and not v["eligible"]
        if v["eligible"]:
            assert d is not None and d <= el.DTKS_DESIL_MAX and m["keberadaan"] == 1
    # The fake ASN finding excludes the whole keluarga of that member, and only it.
    family = ASN_MEMBER.split("-")[0]
    flagged = {ref for ref, v in verdict.items() if v["rule_keluarga_asn_tni_polri"]}
    assert {r for r in verdict if r.startswith(family + "-")} <= flagged
    assert sum(v["eligible"] for v in verdict.values()) == run.stats["eligibility"]["anggota_layak"]
    assert run.stats["eligibility"]["kode_temuan_tak_dikenal"] == []


def test_every_statement_transpiles_to_spark(run):
    mine = [s for s in run.engine.sql_log if "pmt_" in s or "eligib" in s or "household_pmt" in s]
    assert mine
    for sql in mine:
        sqlglot.transpile(sql, read="", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)


def test_default_desil_uses_the_model_cutoffs(world, tmp_path):
    """Without `desil_populasi` a model with cut-offs gives the kabupaten desil, not a window over DTKS."""
    snapshot = write_snapshot(world, tmp_path / "snap")
    outcome = execute(
        RunInputs(snapshot),
        params={"tanggal_acuan": AS_OF.isoformat()},
        work_dir=tmp_path / "w",
        steps=[prepare.STEP, pmt_step.STEP],
        hash_files=False,
    )
    try:
        model = pmt.default_model()
        for r in rows(
            outcome,
            "SELECT score, desil, kode_populasi FROM household_pmt "
            "WHERE score IS NOT NULL AND NOT jawaban_kurang",
        ):
            assert r["desil"] == pmt.desil_from_cutoffs(r["score"], model.desil_cutoffs)
            assert r["kode_populasi"] == "model"
    finally:
        outcome.engine.close()


def test_default_rules_refer_only_to_finding_codes_the_steps_define():
    from siks.domain.eligibility import default_rules, finding_codes
    from siks.verval.pipeline import default_steps

    emitted = {c for s in default_steps() for c in s.codes}
    used = {c for r in default_rules().rules for c in finding_codes(r.when)}
    assert used <= emitted, used - emitted
