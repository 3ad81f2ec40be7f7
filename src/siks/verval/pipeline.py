"""One verval pipeline: an ordered list of named steps with declared inputs and outputs.

Why this shape: the order and the data flow are visible in one place (`default_steps`), every step can be
timed and recorded with its version, and a step only ever sees tables by name through a `BatchEngine`, so
the whole pipeline can move to another engine (Spark) without touching a step. See docs/verval.md.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siks.verval.engines.base import BatchEngine
from siks.verval.findings import FINDING_COLUMNS, findings_select

#: Tables every run starts with (`member`/`household` from the snapshot; references when loaded).
BASE_TABLES = ("member", "household")
REFERENCE_TABLES = ("ref_dukcapil", "ref_asn", "ref_pln", "ref_kendaraan")
STATE_TABLES = ("duplicate_decision", "previous_cluster")


@dataclass(frozen=True)
class Step:
    """A named unit of work. `run(ctx)` creates every table in `outputs` from tables in `inputs`.

    - `inputs` must exist before the step runs (the pipeline checks); `optional_inputs` may be missing
      (e.g. a reference extract that was never loaded) and the step decides what that means.
    - An output named `findings_<name>` holds findings in the standard shape (`ctx.emit_findings`); the
      pipeline collects every such table into `findings`.
    - `exports` are outputs kept as Parquet in the run directory (e.g. household PMT scores).
    - Bump `version` whenever the step's logic changes: it is recorded with every run.
    """

    name: str
    title: str
    version: str
    run: Callable[[StepContext], None]
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    optional_inputs: tuple[str, ...] = ()
    exports: tuple[str, ...] = ()
    probabilistic: bool = False

    @property
    def findings_table(self) -> str:
        return f"findings_{self.name}"


@dataclass
class StepContext:
    """What a step gets: the engine, run parameters, a scratch directory and a place for its numbers."""

    engine: BatchEngine
    run_id: str
    params: dict[str, Any]
    work_dir: Path
    stats: dict[str, Any] = field(default_factory=dict)
    step: Step | None = None

    def has(self, table: str) -> bool:
        return self.engine.has_table(table)

    def param(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    def create(self, name: str, select_sql: str) -> int:
        """Create table `name` from neutral SQL and return its row count."""
        return self.engine.create_table(name, select_sql)

    def emit_findings(self, select_sql: str, table: str | None = None) -> int:
        """Store findings from `select_sql` in the step's findings table, in the standard column order.

        `select_sql` returns any subset of FINDING_COLUMNS (missing ones become NULL) plus `code`; the
        explanation is rendered from the code's template unless the query gives one.
        """
        assert self.step is not None
        name = table or self.step.findings_table
        if self.engine.has_table(name):  # a step may emit in several parts
            return self.engine.append(name, findings_select(select_sql, self.run_id))
        return self.engine.create_table(name, findings_select(select_sql, self.run_id))


@dataclass
class StepResult:
    name: str
    version: str
    seconds: float
    rows: dict[str, int]
    stats: dict[str, Any]
    skipped: str | None = None


class PipelineError(RuntimeError):
    pass


#: Modules that define the default steps, in order. Each exposes `STEP` (or `STEPS`, a list).
STEP_MODULES = (
    "siks.verval.steps.prepare",
    "siks.verval.steps.structure",
    "siks.verval.steps.padan",
    "siks.verval.steps.kk",
    "siks.verval.steps.ganda",
    "siks.verval.steps.exclusions",
    "siks.verval.steps.pmt",
    "siks.verval.steps.eligibility",
)


def default_steps(modules: Iterable[str] | None = None) -> list[Step]:
    """The pipeline definition. A module that is not written yet is skipped (others add theirs later)."""
    steps: list[Step] = []
    for name in STEP_MODULES if modules is None else modules:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue
            raise
        steps.extend(getattr(mod, "STEPS", None) or [mod.STEP])
    check_definition(steps, available=BASE_TABLES + REFERENCE_TABLES + STATE_TABLES)
    return steps


def check_definition(steps: Sequence[Step], available: Iterable[str]) -> None:
    """Every required input is a base table or an earlier step's output; names are unique."""
    have = set(available)
    seen: set[str] = set()
    for s in steps:
        if s.name in seen:
            raise PipelineError(f"langkah '{s.name}' didefinisikan dua kali")
        seen.add(s.name)
        missing = [t for t in s.inputs if t not in have]
        if missing:
            raise PipelineError(
                f"langkah '{s.name}' membutuhkan tabel {missing} yang tidak dibuat sebelumnya"
            )
        have.update(s.outputs)


def run_steps(
    steps: Sequence[Step],
    ctx_for: Callable[[Step], StepContext],
    on_start: Callable[[Step, int], None] | None = None,
    on_done: Callable[[StepResult], None] | None = None,
) -> list[StepResult]:
    """Run the steps in order, timing each; then collect every findings table into `findings`."""
    results: list[StepResult] = []
    engine: BatchEngine | None = None
    for i, step in enumerate(steps):
        ctx = ctx_for(step)
        engine = ctx.engine
        if on_start:
            on_start(step, i)
        missing = [t for t in step.inputs if not engine.has_table(t)]
        if missing:
            raise PipelineError(f"langkah '{step.name}': tabel masukan tidak ada: {', '.join(missing)}")
        t0 = time.perf_counter()
        step.run(ctx)
        seconds = time.perf_counter() - t0
        rows = {}
        for out in step.outputs:
            if not engine.has_table(out):
                raise PipelineError(f"langkah '{step.name}' tidak membuat tabel keluaran '{out}'")
            rows[out] = engine.count(out)
        res = StepResult(step.name, step.version, seconds, rows, ctx.stats, ctx.stats.pop("skipped", None))
        results.append(res)
        if on_done:
            on_done(res)
    if engine is not None:
        collect_findings(engine, steps)
    return results


def collect_findings(engine: BatchEngine, steps: Sequence[Step]) -> int:
    parts = [
        f"SELECT {', '.join(FINDING_COLUMNS)} FROM {s.findings_table}"
        for s in steps
        if s.findings_table in s.outputs and engine.has_table(s.findings_table)
    ]
    if not parts:
        parts = [findings_select("SELECT CAST(NULL AS VARCHAR) AS code WHERE 1 = 0", "")]
    return engine.create_table("findings", " UNION ALL ".join(parts))
