"""Issue #19 in penetapan: expected errors from the PMT intervals, and a model outside its wilayah."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from siks.domain.penetapan import default_criteria
from siks.errors import Invalid
from siks.penetapan import service, simulation
from siks.penetapan.sources import Score, ScoreTable
from siks.reports import pdf

ON = dt.date(2027, 1, 15)


def chances(p3: float) -> tuple[float, ...]:
    """P(desil ≤ k) for k = 1…9 with P(≤ 3) = p3 (monotone around it)."""
    return tuple(
        min(1.0, p3 * (k / 3)) if k <= 3 else min(1.0, p3 + (1 - p3) * (k - 3) / 6) for k in range(1, 10)
    )


def test_simulation_reports_expected_errors_from_the_intervals(wf_session, user):
    scores = ScoreTable(
        {
            "R1": Score(2, 12.0, "m@1", peluang=chances(0.9)),  # in, 10 % chance it should not be
            "R2": Score(7, 14.0, "m@1", peluang=chances(0.05)),  # out, 5 % chance it should be in
            "R3": Score(4, 13.0, "m@1", peluang=chances(0.6)),  # out at desil ≤ 3, 60 % it should be in
            "RB": Score(1, 11.0, "m@1", resmi=True),  # official desil: certain
            "RK": Score(3, 12.5, "m@1", peluang=chances(0.5)),  # in, a coin flip
        },
        {"kind": "uji"},
    )
    candidate = dataclasses.replace(default_criteria(), desil_max=3)
    sim = simulation.simulate(
        wf_session, user("opkab"), candidate, title="Harapan", scores=scores, on=ON, save=False
    )
    t = sim.totals
    included = {"R1", "RB", "RK"}
    assert t["candidate"] == len(included) and t["harapan_ruta"] == 5
    assert t["harapan_inclusion"] == pytest.approx(0.1 + 0.0 + 0.5)
    assert t["harapan_exclusion"] == pytest.approx(0.05 + 0.6)
    assert t["harapan_layak"] == pytest.approx(0.9 + 0.05 + 0.6 + 1.0 + 0.5)
    assert t["harapan_tingkat_exclusion_error"] == round(0.65 / 3.05, 4)
    assert t["harapan_tingkat_inclusion_error"] == round(0.6 / 3, 4)


def test_penetapan_refuses_desil_of_a_model_outside_its_wilayah_unless_allowed(wf_session, user):
    scores = ScoreTable(
        {"R1": Score(2, 12.0, "m@1"), "R2": Score(7, 14.0, "m@1")},
        {"kind": "uji", "models": ["m@1"], "model_di_luar_wilayah": 2},
    )
    kwargs = {"title": "DTKS Januari 2027", "periode": "2027-01", "berlaku_mulai": dt.date(2027, 1, 1)}
    with pytest.raises(Invalid, match="di luar wilayah"):
        service.create(wf_session, user("supkab"), scores=scores, **kwargs)
    p = service.create(wf_session, user("supkab"), scores=scores, allow_model_outside_wilayah=True, **kwargs)
    assert p.score_source["izin_di_luar_wilayah"] == "supkab"
    warning = dict(pdf.model_warning(p))
    assert "2 ruta" in warning["PERHATIAN"] and "supkab" in warning["PERHATIAN"]
    assert pdf.daftar_penetapan(p, [], {}, "Jember", lambda nik: nik)[:4] == b"%PDF"


def test_a_penetapan_says_how_many_ruta_took_an_official_desil(wf_session, user, tmp_path):
    """The PMT step's output names the source of each desil; the penetapan keeps the count and periode."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from siks.penetapan.sources import read_scores

    path = tmp_path / "household_pmt.parquet"
    pq.write_table(
        pa.table({
            "household_ref": ["R1", "R2", "R3", "RB", "RK"], "desil": [2, 7, 4, 1, 3],
            "sumber_desil": ["resmi", "pmt", "pmt", "resmi", None],
            "periode_desil_resmi": ["2026-Q3", None, None, "2026-Q3", None], "model": ["m@1"] * 5,
        }),
        path,
    )  # fmt: skip
    scores = read_scores(path, kind="verval:uji")
    assert scores.source["desil_resmi"] == 2 and scores.source["periode_desil_resmi"] == ["2026-Q3"]
    assert scores.get("R1").resmi and not scores.get("R2").resmi
    p = service.create(
        wf_session, user("supkab"), title="DTKS", periode="2027-01", berlaku_mulai=ON, scores=scores
    )
    assert p.score_source["desil_resmi"] == 2
