"""One small synthetic kabupaten from the real generator (`siks synth`) and one pipeline run per engine,
shared by the verval tests.

The step tests take `outcome`, which runs them once on DuckDB and once on Spark (issue #11, the way Splink
tests each dialect): the Spark ones are marked `spark` and share one xdist worker (group `spark`), so one
JVM serves them and each engine runs the pipeline once per session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from siks.synth.generate import generate
from siks.synth.params import SynthParams
from siks.verval.engines import open_engine
from siks.verval.pipeline import default_steps, identity_steps
from siks.verval.runs import RunInputs, execute
from siks.verval.synthdata import inputs_from_synth

MY_STEPS = [s.name for s in identity_steps()]
PERSONS = 20_000
SEED = 11


#: Marks of a test (or a parameter) that runs on Spark: one xdist worker, one JVM for all of them.
SPARK = (pytest.mark.spark, pytest.mark.xdist_group("spark"))
ENGINES = ["duckdb", pytest.param("spark", marks=SPARK)]


def run(kab: dict, work: Path, params: dict | None = None, engine: str = "duckdb", **kw):
    out = execute(
        RunInputs(kab["snapshot"], kab["refs"], **kw),
        work_dir=work,
        steps=[s for s in default_steps() if s.name in MY_STEPS],
        hash_files=False,
        params=params,
        engine=open_engine(engine, temp_dir=work / "tmp"),
    )
    out.engine_kind = engine
    return out


@pytest.fixture(scope="session")
def kab(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("synth")
    generate(SynthParams(persons=PERSONS, seed=SEED, reference_date=date(2026, 10, 1)), out)
    snapshot, refs = inputs_from_synth(out, tmp_path_factory.mktemp("inputs"))
    return {"dir": out, "truth": out / "truth", "snapshot": snapshot, "refs": refs}


def _outcome(kab, tmp_path_factory, engine: str):
    work = tmp_path_factory.mktemp(f"run-{engine}")
    out = run(kab, work, engine=engine)
    out.work_dir = work  # where the run keeps its model copies
    return out


@pytest.fixture(scope="session")
def duckdb_outcome(kab, tmp_path_factory):
    out = _outcome(kab, tmp_path_factory, "duckdb")
    yield out
    out.engine.close()


@pytest.fixture(scope="session")
def spark_outcome(kab, tmp_path_factory):
    out = _outcome(kab, tmp_path_factory, "spark")
    yield out
    out.engine.close()


@pytest.fixture(params=ENGINES)
def outcome(request):
    """The shared run on each engine: a test taking it runs on DuckDB and on Spark."""
    return request.getfixturevalue(f"{request.param}_outcome")
