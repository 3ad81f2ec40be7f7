"""One verval pipeline: an ordered list of named steps with declared inputs and outputs.

Why this shape: the order and the data flow are visible in one place (`default_steps`, a list of step
objects in `siks.verval.steps`), every step can be timed and recorded with its version, and a step only
ever sees tables by name through a `BatchEngine`, so the whole pipeline can move to another engine (Spark)
without touching a step. Every step declares the finding codes it emits; a code that is not declared or
has no entry in the finding catalog stops the run, so no person ever reads a bare code. See docs/verval.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siks.domain import finding_catalog
from siks.verval.engines.base import BatchEngine
from siks.verval.findings import FINDING_COLUMNS, findings_select

#: Tables every run starts with (`member`/`household` from the snapshot; references when loaded).
BASE_TABLES = ("member", "household")
REFERENCE_TABLES = ("ref_dukcapil", "ref_asn", "ref_pln", "ref_kendaraan")
STATE_TABLES = ("duplicate_decision", "previous_cluster")
#: what each reference extract is, as a person asks for it (`siks reference load <kind> FILE`)
REFERENCE_LABEL = {
    "dukcapil": "ekstrak Dukcapil (siks reference load dukcapil)",
    "asn": "daftar ASN/TNI/Polri (siks reference load asn)",
    "pln": "data pelanggan PLN (siks reference load pln)",
    "kendaraan": "data kendaraan (siks reference load kendaraan)",
}


@dataclass(frozen=True)
class Step:
    """A named unit of work. `run(ctx)` creates every table in `outputs` from tables in `inputs`.

    - `inputs` must exist before the step runs (the pipeline checks); `optional_inputs` may be missing
      (e.g. a reference extract that was never loaded) and the step decides what that means.
    - An output named `findings_<name>` holds findings in the standard shape (`ctx.emit_findings`); the
      pipeline collects every such table into `findings`.
    - `exports` are outputs kept as Parquet in the run directory (e.g. household PMT scores).
    - `codes` are the finding codes the step may emit (each needs a finding catalog entry); a step whose
      codes are data (eligibility rules) declares the rest at run time with `ctx.declare_codes`.
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
    codes: tuple[str, ...] = ()
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
    declared_codes: set[str] = field(default_factory=set)

    def declare_codes(self, codes: Iterable[str]) -> None:
        """Codes this run of the step may emit besides `Step.codes` (rules loaded from data)."""
        self.declared_codes.update(codes)

    def has(self, table: str) -> bool:
        return self.engine.has_table(table)

    def check(self, codes: Iterable[str], reference: str, available: bool) -> bool:
        """Record the checks behind `codes` as run, or as skipped for want of the `reference` extract
        (a REFERENCE_LABEL key): the CLI, the run record and `evaluate` say so instead of a silent 0."""
        if available:
            self.stats.setdefault("dijalankan", []).extend(codes)
        else:
            skipped = self.stats.setdefault("dilewati", {})
            skipped.update(dict.fromkeys(codes, REFERENCE_LABEL.get(reference, reference)))
        return available

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


def default_steps() -> list[Step]:
    """The pipeline definition: the step objects of `siks.verval.steps.DEFAULT_STEPS`, in order, checked."""
    from siks.verval.steps import DEFAULT_STEPS  # the steps import this module for `Step`

    steps = list(DEFAULT_STEPS)
    check_definition(steps, available=BASE_TABLES + REFERENCE_TABLES + STATE_TABLES)
    return steps


def identity_steps() -> list[Step]:
    """Every step but pmt and eligibility: the data checks alone, which benchmarks and the accuracy and
    parity runs measure (welfare ranking and eligibility need a PMT model and are measured on their own)."""
    return [s for s in default_steps() if s.name not in ("pmt", "eligibility")]


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
        check_codes(engine, step, ctx.declared_codes)
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


def check_codes(engine: BatchEngine, step: Step, declared: Iterable[str] = ()) -> None:
    """Every code in the step's findings is declared by the step and has a finding catalog entry."""
    if step.findings_table not in step.outputs or not engine.has_table(step.findings_table):
        return
    emitted = {
        r["code"] for r in engine.query(f"SELECT DISTINCT code FROM {step.findings_table}").to_pylist()
    }
    allowed = set(step.codes) | set(declared)
    undeclared = sorted(c for c in emitted if c not in allowed)
    if undeclared:
        raise PipelineError(
            f"langkah '{step.name}' menghasilkan kode temuan yang tidak dideklarasikan: {undeclared}"
        )
    uncatalogued = sorted(c for c in emitted if finding_catalog.get(c) is None)
    if uncatalogued:
        raise PipelineError(f"kode temuan tanpa entri katalog temuan: {uncatalogued}")


def collect_findings(engine: BatchEngine, steps: Sequence[Step]) -> int:
    parts = [
        f"SELECT {', '.join(FINDING_COLUMNS)} FROM {s.findings_table}"
        for s in steps
        if s.findings_table in s.outputs and engine.has_table(s.findings_table)
    ]
    if not parts:
        parts = [findings_select("SELECT CAST(NULL AS VARCHAR) AS code WHERE 1 = 0", "")]
    return engine.create_table("findings", " UNION ALL ".join(parts))


def skipped_checks(stats: dict[str, Any] | None) -> dict[str, str]:
    """Finding code → the reference whose absence skipped its check, over every step of a run's stats."""
    out: dict[str, str] = {}
    for step_stats in (stats or {}).values():
        if isinstance(step_stats, dict):
            out.update(step_stats.get("dilewati") or {})
    return out


def checks_run(stats: dict[str, Any] | None) -> list[str]:
    """Finding codes whose reference-dependent check ran, over every step of a run's stats."""
    return [c for s in (stats or {}).values() if isinstance(s, dict) for c in s.get("dijalankan") or ()]
