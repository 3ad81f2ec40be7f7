"""Simulation before a penetapan (both backends): masuk/keluar per wilayah, error estimates, aggregates."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from siks.domain import programs as rules
from siks.domain.penetapan import default_criteria
from siks.errors import Forbidden
from siks.penetapan import service, simulation
from siks.penetapan.sources import Score, ScoreTable
from siks.store.models.fieldwork import FieldTask
from siks.store.models.penetapan import PenetapanHousehold, Simulation

SCORES = ScoreTable(
    {k: Score(v, float(v)) for k, v in {"R1": 2, "R2": 7, "R3": 4, "RB": 1, "RK": 3}.items()}, {"kind": "uji"}
)
ON = dt.date(2027, 1, 15)


@pytest.fixture
def baseline(wf_session, user):
    return service.create(
        wf_session,
        user("supkab"),
        title="DTKS Januari 2027",
        periode="2027-01",
        berlaku_mulai=dt.date(2027, 1, 1),
        scores=SCORES,
    )


def _visited(session, seed, household: str, *, result: int, assessment_id: int | None = None) -> None:
    """A finished field visit to `household` on 5 January 2027 with the given result code."""
    session.add(
        FieldTask(
            household_id=seed.households[household],
            enumerator_id=seed.users["enum"],
            status="selesai",
            result=result,
            assessment_id=assessment_id,
            visited_on=dt.date(2027, 1, 5),
        )
    )
    session.flush()


def test_candidate_threshold_per_kecamatan_with_errors_against_a_truth_file(
    wf_session, user, baseline, tmp_path
):
    truth = tmp_path / "households.csv"
    truth.write_text("id_ruta,consumption_per_capita,desil\nR1,1,2\nR2,1,8\nR3,1,3\nRB,1,6\nRK,1,3\n")
    candidate = dataclasses.replace(default_criteria(), desil_max=3)
    sim = simulation.simulate(
        wf_session,
        user("opkab"),
        candidate,
        title="Desil 1-3",
        scores=SCORES,
        truth=simulation.truth_from_file(truth),
        on=ON,
        programs=[rules.default_program("bpnt"), rules.default_program("pkh")],
    )
    t = sim.totals
    assert (t["baseline"], t["candidate"], t["masuk"], t["keluar"]) == (4, 3, 0, 1)
    assert t["inclusion_error"] == 1 and t["exclusion_error"] == 1  # RB is truly desil 6; R3 truly desil 3
    assert t["tingkat_exclusion_error"] == round(1 / 3, 4)
    rows = {r["wilayah"]: r for r in sim.rows}
    assert set(rows) == {"35.09.15", "35.09.16"} and rows["35.09.15"]["keluar"] == 1
    assert rows["35.09.15"]["nama"] == "Sukorambi"
    assert (
        t["program"]["bpnt"]["penerima"] == 3 and t["program"]["bpnt"]["nominal_per_tahun"] == 3 * 2_400_000
    )
    assert sim.id is not None and sim.baseline_penetapan_id == baseline.id
    # aggregates only: no household refs or names are kept
    assert "R3" not in repr(sim.rows) + repr(sim.totals) and "Budi" not in repr(sim.rows)
    assert wf_session.query(PenetapanHousehold).filter_by(penetapan_id=baseline.id).count() == 5  # untouched


def test_field_verval_is_the_default_truth(wf_session, wf_seed, user, baseline):
    _visited(wf_session, wf_seed, "RB", result=2)
    sim = simulation.simulate(wf_session, user("supkab"), default_criteria(), scores=SCORES, on=ON, level=4)
    assert sim.truth_source == "verval lapangan"
    assert sim.totals["truth"] == 1 and sim.totals["inclusion_error"] == 1  # the field found RB gone
    assert {r["wilayah"] for r in sim.rows} == {"35.09.15.2001", "35.09.15.2002", "35.09.16.2001"}


def test_who_may_simulate(wf_session, user, baseline):
    with pytest.raises(Forbidden):
        simulation.simulate(wf_session, user("desa"), default_criteria(), scores=SCORES)
    unsaved = simulation.simulate(
        wf_session, user("pusat"), default_criteria(), wilayah_code="35.09", scores=SCORES, save=False
    )
    assert unsaved.id is None
    assert wf_session.query(Simulation).count() == 0


def test_a_visited_household_is_rescored_against_the_current_cutoffs(wf_session, wf_seed, user, baseline):
    from siks.store.models.registry import Assessment, AssessmentMember

    a = Assessment(
        household_id=wf_seed.households["R3"], instrument="REGSOSEK2022.K", answers={"luas_lantai": 20}
    )
    wf_session.add(a)
    wf_session.flush()
    wf_session.add(
        AssessmentMember(assessment_id=a.id, member_id=wf_seed.members["R3-1"], answers={"bekerja": True})
    )
    _visited(wf_session, wf_seed, "R3", result=1, assessment_id=a.id)
    ladder = ScoreTable({f"X{d}": Score(d, 10.0 + d) for d in range(1, 11)} | SCORES.scores, {"kind": "uji"})
    truth = simulation.truth_from_fieldwork(wf_session, simulation.Scope("35.09"), ladder)
    assert set(truth.desil) == {"R3"} and 1 <= truth.desil["R3"] <= 10
    no_cutoffs = simulation.truth_from_fieldwork(wf_session, simulation.Scope("35.09"), SCORES)
    assert no_cutoffs.desil == {}
