"""One small synthetic kabupaten from the real generator (`siks synth`) and one pipeline run, shared by the
verval tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from siks.synth.generate import generate
from siks.synth.params import SynthParams
from siks.verval.pipeline import default_steps
from siks.verval.runs import RunInputs, execute
from siks.verval.synthdata import inputs_from_synth

MY_STEPS = [s.name for s in default_steps() if s.name not in ("pmt", "eligibility")]
PERSONS = 20_000
SEED = 11


def run(kab: dict, work: Path, params: dict | None = None, **kw):
    return execute(
        RunInputs(kab["snapshot"], kab["refs"], **kw),
        work_dir=work,
        steps=[s for s in default_steps() if s.name in MY_STEPS],
        hash_files=False,
        params=params,
    )


@pytest.fixture(scope="session")
def kab(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("synth")
    generate(SynthParams(persons=PERSONS, seed=SEED, reference_date=date(2026, 10, 1)), out)
    snapshot, refs = inputs_from_synth(out, tmp_path_factory.mktemp("inputs"))
    return {"dir": out, "truth": out / "truth", "snapshot": snapshot, "refs": refs}


@pytest.fixture(scope="session")
def outcome(kab, tmp_path_factory):
    work = tmp_path_factory.mktemp("run")
    out = run(kab, work)
    out.work_dir = work  # where the run keeps its model copies
    yield out
    out.engine.close()
