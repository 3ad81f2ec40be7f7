"""Issue #19: a model knows its wilayah, calibration for another region, official desil, sparse answers,
and the uncertainty of each desil sent to the field."""

from __future__ import annotations

import math
from dataclasses import replace

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from siks.domain import pmt, pmt_fit
from siks.domain.pmt_features import household_features
from siks.pmt import data
from siks.verval.runs import RunInputs, execute
from siks.verval.steps import pmt as pmt_step
from siks.verval.steps import prepare

from .synthetic import AS_OF, generate
from .test_steps import write_snapshot


def samples_of(world, shift: float = 0.0) -> list[pmt_fit.Sample]:
    """The world's households as fitting samples; `shift` moves every log consumption (a price level)."""
    truth = {t["id_ruta"]: t for t in world.truth}
    out = []
    for h in world.households:
        members = world.members_of(h["id_ruta"])
        t = truth[h["id_ruta"]]
        out.append(
            pmt_fit.Sample(
                household_features(h, members, AS_OF),
                data.region_key(h["kode_desa"]),
                math.log(t["consumption_per_capita"]) + shift,
                t["desil"],
            )
        )
    return out


@pytest.fixture(scope="module")
def world():
    return generate(500, seed=11)


@pytest.fixture(scope="module")
def model(world):
    return pmt_fit.fit(samples_of(world), name="uji", version="1", created="2026-01-01")


def run_step(world, tmp_path, params):
    snapshot = write_snapshot(world, tmp_path / "snap")
    return execute(
        RunInputs(snapshot),
        params={"tanggal_acuan": AS_OF.isoformat(), **params},
        work_dir=tmp_path / "w",
        steps=[prepare.STEP, pmt_step.STEP],
        hash_files=False,
    )


def rows(outcome, sql: str) -> list[dict]:
    return outcome.engine.query(sql).to_pylist()


# -- 1. a model knows where it belongs ---------------------------------------------------------------------


def test_fit_records_wilayah_and_sigma_and_the_file_keeps_them(model, tmp_path):
    assert model.wilayah == ("3509",) and model.fitted_on["cara"] == "fit"
    assert 0.05 < model.residual_sd < 0.5
    path = tmp_path / "m.json"
    pmt.save(replace(model, survey="Susenas uji"), path)
    back = pmt.load(path)
    assert (back.wilayah, back.survey, back.residual_sd) == (("3509",), "Susenas uji", model.residual_sd)
    assert back.covers("35.09.01.2001") and not back.covers("35.10.01.2001")


def test_a_bad_wilayah_code_is_refused(model):
    raw = pmt.to_dict(model) | {"wilayah": ["35.9"]}
    with pytest.raises(pmt.ModelError, match="Wilayah model"):
        pmt.from_dict(raw)


def test_step_refuses_a_model_of_another_wilayah_unless_overridden(world, model, tmp_path):
    path = tmp_path / "lain.json"
    pmt.save(replace(model, wilayah=("3510",)), path)
    with pytest.raises(ValueError, match="bukan untuk kabupaten 3509"):
        run_step(world, tmp_path / "a", {"pmt_model": str(path)})
    outcome = run_step(world, tmp_path / "b", {"pmt_model": str(path), "pmt_di_luar_wilayah": "ya"})
    try:
        assert outcome.stats["pmt"]["model_di_luar_wilayah"] == ["3509"]
        flags = rows(outcome, "SELECT DISTINCT model_di_luar_wilayah AS f FROM household_pmt")
        assert flags == [{"f": True}]
    finally:
        outcome.engine.close()


# -- 3. not enough data, no desil ---------------------------------------------------------------------------


def test_household_without_member_answers_gets_no_desil_but_a_finding(world, model, tmp_path):
    path = tmp_path / "m.json"
    pmt.save(model, path)
    blank = world.households[0]["id_ruta"]
    members = [
        {**m, "pendidikan": None, "partisipasi_sekolah": None, "bekerja": None, "status_pekerjaan": None,
         "lapangan_usaha": None} if m["id_ruta"] == blank else m
        for m in world.members
    ]  # fmt: skip
    sparse = replace(world, members=members)
    assert pmt.too_sparse(household_features(world.households[0], sparse.members_of(blank), AS_OF))
    outcome = run_step(sparse, tmp_path, {"pmt_model": str(path)})
    try:
        got = rows(outcome, f"SELECT * FROM household_pmt WHERE household_ref = '{blank}'")[0]
        assert got["score"] is not None and got["desil"] is None and got["jawaban_kurang"]
        found = rows(
            outcome, f"SELECT explanation FROM findings_pmt WHERE household_ref = '{blank}' "
            "AND code = 'PMT_SPARSE_ANSWERS'"
        )  # fmt: skip
        assert found and "tidak terjawab" in found[0]["explanation"]
        others = rows(
            outcome, "SELECT COUNT(*) AS n FROM household_pmt WHERE desil IS NULL AND jumlah_art > 0"
        )
        assert others[0]["n"] == 1
    finally:
        outcome.engine.close()


# -- 4. uncertainty goes to the field -----------------------------------------------------------------------


def test_interval_and_probabilities_match_python_and_the_field_list(world, model, tmp_path):
    path = tmp_path / "m.json"
    pmt.save(model, path)
    outcome = run_step(world, tmp_path, {"pmt_model": str(path)})
    try:
        got = rows(outcome, "SELECT * FROM household_pmt WHERE desil IS NOT NULL")
        straddle = set()
        for r in got:
            low, high = pmt.desil_interval(r["score"], model.desil_cutoffs, model.residual_sd)
            assert (r["desil_bawah"], r["desil_atas"]) == (low, high)
            assert low <= r["desil"] <= high
            for k in range(1, 10):
                p = pmt.prob_desil_at_most(r["score"], model.desil_cutoffs, model.residual_sd, k)
                assert r[f"p_desil_{k}"] == pytest.approx(p, abs=1e-6)
            if low <= 4 < high:
                straddle.add(r["household_ref"])
        assert straddle and len(straddle) < len(got)
        field = rows(outcome, "SELECT * FROM pmt_field_priority ORDER BY kode_desa, urutan")
        assert {r["household_ref"] for r in field} == straddle
        for desa in {r["kode_desa"] for r in field}:
            mine = [r for r in field if r["kode_desa"] == desa]
            assert [r["urutan"] for r in mine] == list(range(1, len(mine) + 1))
            nearness = [abs(r["peluang_miskin"] - 0.5) for r in mine]
            assert nearness == sorted(nearness)  # the least sure first
        found = rows(outcome, "SELECT household_ref FROM findings_pmt WHERE code = 'PMT_DESIL_UNCERTAIN'")
        assert {r["household_ref"] for r in found} == straddle
        stats = outcome.stats["pmt"]
        assert sum(stats["prioritas_lapangan_per_desa"].values()) == len(straddle)
        expected_excl = sum(r["p_desil_4"] for r in got if r["desil"] > 4)
        assert stats["harapan_galat"]["eksklusi"] == pytest.approx(expected_excl, abs=0.1)
    finally:
        outcome.engine.close()


def test_probability_is_a_normal_tail():
    cut = tuple(float(c) for c in range(1, 10))
    assert pmt.prob_desil_at_most(4.0, cut, 0.5, 4) == pytest.approx(0.5)
    assert pmt.prob_desil_at_most(3.0, cut, 0.5, 4) == pytest.approx(0.97725, abs=1e-4)
    assert pmt.prob_desil_at_most(3.0, cut, 0.0, 4) is None
    assert pmt.desil_interval(4.4, cut, 0.5, z=1.0) == (4, 5)  # 3.9 … 4.9


# -- 2(c). official desil per keluarga ----------------------------------------------------------------------


def test_official_desil_wins_and_both_are_kept(world, model, tmp_path):
    path = tmp_path / "m.json"
    pmt.save(model, path)
    official = tmp_path / "desil_bps.csv"
    family = world.members[0]["id_keluarga"]
    pacsv.write_csv(pa.table({"id_keluarga": [family], "desil": [7], "periode": ["2026-Q3"]}), official)
    outcome = run_step(world, tmp_path, {"pmt_model": str(path), "desil_resmi": str(official)})
    try:
        ref = world.members[0]["id_ruta"]
        got = rows(outcome, f"SELECT * FROM household_pmt WHERE household_ref = '{ref}'")[0]
        assert (got["desil"], got["desil_resmi"], got["sumber_desil"]) == (7, 7, "resmi")
        assert got["desil_pmt"] is not None and got["periode_desil_resmi"] == "2026-Q3"
        others = rows(
            outcome, "SELECT DISTINCT sumber_desil AS s FROM household_pmt WHERE desil_resmi IS NULL"
        )
        assert {r["s"] for r in others} <= {"pmt", None}
        assert outcome.stats["pmt"]["desil_resmi"]["periode"] == ["2026-Q3"]
        assert len(outcome.stats["pmt"]["desil_resmi"]["sha256"]) == 64
    finally:
        outcome.engine.close()


def test_official_desil_out_of_range_names_the_row(world, model, tmp_path):
    official = tmp_path / "desil_bps.csv"
    pacsv.write_csv(
        pa.table({"id_keluarga": ["K1", "K2"], "desil": [3, 11], "periode": ["q", "q"]}), official
    )
    with pytest.raises(ValueError, match="baris 3"):
        run_step(world, tmp_path, {"desil_resmi": str(official)})


# -- 2(a), 2(b). calibration --------------------------------------------------------------------------------


def test_calibration_moves_level_and_cutoffs_to_the_new_region(model):
    other = generate(500, seed=12)
    cheaper = samples_of(other, shift=-0.3)  # the same households, 26 % cheaper rupiah
    thresholds = pmt_fit.thresholds_from_consumption([math.exp(s.log_consumption) for s in cheaper])
    assert pmt.desil_from_cutoffs  # the shipped cut-offs stay as a reference
    as_shipped = pmt_fit.evaluate(model, cheaper)
    calibrated = pmt_fit.calibrate(
        model, cheaper, version="kal", created="2026-01-02", thresholds=thresholds, wilayah=["3510"],
        survey="Susenas uji",
    )  # fmt: skip
    assert calibrated.fitted_on["cara"] == "kalibrasi" and calibrated.wilayah == ("3510",)
    assert calibrated.intercept - model.intercept == pytest.approx(-0.3, abs=0.05)
    assert calibrated.variables == model.variables  # coefficients untouched
    figures = calibrated.fit
    assert abs(figures["share_desil_1_4"] - figures["true_share_desil_1_4"]) < 0.02
    assert figures["desil_within_one"] > as_shipped["desil_within_one"]


def test_published_thresholds_become_log_cutoffs(model):
    rupiah = [400_000 + 50_000 * i for i in range(9)]
    m = pmt_fit.cutoffs_from_thresholds(model, rupiah, ["3510"], version="b", created="x", source="BPS 2026")
    assert m.desil_cutoffs == tuple(round(math.log(t), 6) for t in rupiah)
    assert m.wilayah == ("3510",) and "BPS 2026" in m.desil_reference
    with pytest.raises(ValueError, match="9 angka"):
        pmt_fit.cutoffs_from_thresholds(model, rupiah[:8], ["3510"], version="b", created="x", source="s")


def test_thresholds_are_weighted_quantiles():
    values = list(range(1, 101))
    assert pmt_fit.thresholds_from_consumption(values) == tuple(float(v) for v in range(10, 100, 10))
    heavy = pmt_fit.thresholds_from_consumption(values, [100] + [1] * 99)  # one household of 100 people
    assert heavy[:5] == (1.0,) * 5


# -- 6. household size ---------------------------------------------------------------------------------------


def test_net_household_size_effect_is_negative_where_the_data_says_so(model):
    """The synthetic world lowers per-capita consumption by 0.08 per extra person: the net effect is < 0
    even though `log_household_size` alone may carry either sign (floor per capita also moves with size)."""
    assert pmt.household_size_effect(model) < 0
    assert pmt.household_size_effect(pmt.default_model()) < 0


def test_the_size_coefficient_itself_carries_the_sign_the_data_supports(model):
    """Since pmt-siks@1.1 the floor enters as ln(floor area): the coefficient of ln(household size) is the
    size effect, and it is negative, in the shipped model and in any model `fit` makes by default."""
    for m in (model, pmt.default_model()):
        numbers = {v.name: v.coefficient for v in m.variables if v.kind == "number"}
        assert "log_floor_per_capita" not in numbers and "log_floor_area" in numbers
        assert numbers["log_household_size"] < 0
        assert pmt.household_size_effect(m) == numbers["log_household_size"]


def test_expected_cutoffs_split_the_population_by_expected_counts():
    scores = [math.log(1000 * (i + 1)) for i in range(1000)]  # 1.000 … 1.000.000 rupiah
    thresholds = [100_000 * d for d in range(1, 10)]
    cut = pmt_fit.expected_cutoffs(scores, thresholds, sd=1e-4)  # a nearly exact model
    for d, c in enumerate(cut, start=1):
        assert sum(1 for s in scores if s < c) == pytest.approx(100 * d, abs=1)
    wide = pmt_fit.expected_cutoffs(scores, thresholds, sd=1.0)  # unsure: counts pulled toward the middle
    assert sum(1 for s in scores if s < wide[0]) > 100


def test_calibration_from_the_registry_uses_every_registry_score(model):
    other = generate(500, seed=12)
    cheaper = samples_of(other, shift=-0.3)
    thresholds = pmt_fit.thresholds_from_consumption([math.exp(s.log_consumption) for s in cheaper])
    scores = [pmt.score(model, s.features, s.region).value for s in cheaper]
    calibrated = pmt_fit.calibrate(
        model, cheaper[:100], version="r", created="x", thresholds=thresholds, population=scores
    )
    assert calibrated.fitted_on["batas_dari"] == "registri"
    figures = pmt_fit.evaluate(calibrated, cheaper)
    assert abs(figures["share_desil_1_4"] - figures["true_share_desil_1_4"]) < 0.03
