"""Running the pipeline: inputs in, tables out, and the record of a run (inputs, versions, timings).

Why separate from the store: the bench and the tests run the same code with or without a database; the
store part (`siks.verval.store`) only records what this produced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import splink
import sqlglot

from siks.verval.engines import BatchEngine, open_engine
from siks.verval.pipeline import Step, StepContext, StepResult, default_steps, run_steps

REFERENCE_KINDS = ("dukcapil", "asn", "pln", "kendaraan")


_LOCK_NAME = "berjalan.lock"


def lock_run(work_dir: Path):
    """Hold an exclusive lock on the run's work directory for as long as this process lives (or the returned
    file is closed). A run killed with -9 loses it at once: that is how the next run knows it is dead."""
    import fcntl

    work_dir.mkdir(parents=True, exist_ok=True)
    f = open(work_dir / _LOCK_NAME, "w")  # noqa: SIM115 - kept open on purpose: the open file is the lock
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return f


def run_is_alive(work_dir: Path) -> bool:
    """True while some process holds the run's lock (`lock_run`); a run without a lock file is not alive."""
    import fcntl

    try:
        with open(work_dir / _LOCK_NAME, "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


def new_run_id() -> str:
    """Sortable and unique: UTC time plus a random suffix."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The file's digest; for a partitioned directory, one digest over its files' paths and contents."""
    h = hashlib.sha256()
    files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
    for file in files:
        if Path(path).is_dir():
            h.update(file.relative_to(path).as_posix().encode())
        with open(file, "rb") as f:
            while block := f.read(chunk):
                h.update(block)
    return h.hexdigest()


@dataclass
class RunInputs:
    snapshot_dir: Path
    references: dict[str, Path] = field(default_factory=dict)  # kind → Parquet (or CSV) file
    decisions: pa.Table | None = None  # duplicate_decision rows
    previous_clusters: pa.Table | None = None  # member_ref, cluster_id of the last run

    def files(self) -> dict[str, Path]:
        out = {
            "member": self.snapshot_dir / "member.parquet",
            "household": self.snapshot_dir / "household.parquet",
        }
        if (self.snapshot_dir / "ppks_person.parquet").exists():  # PPKS outside households (step `ppks`)
            out["ppks_person"] = self.snapshot_dir / "ppks_person.parquet"
        if (self.snapshot_dir / "desil_resmi.parquet").exists():  # official desil (step `pmt`)
            out["desil_resmi"] = self.snapshot_dir / "desil_resmi.parquet"
        out.update({f"ref_{k}": Path(v) for k, v in self.references.items()})
        return out


@dataclass
class RunOutcome:
    run_id: str
    engine: BatchEngine
    results: list[StepResult]
    inputs: dict[str, dict[str, Any]]
    versions: dict[str, Any]
    params: dict[str, Any]

    @property
    def timings(self) -> dict[str, float]:
        return {r.name: round(r.seconds, 3) for r in self.results}

    @property
    def stats(self) -> dict[str, Any]:
        return {r.name: r.stats | ({"skipped": r.skipped} if r.skipped else {}) for r in self.results}


DECISION_SCHEMA = pa.schema(
    [
        ("member_ref_a", pa.string()),
        ("member_ref_b", pa.string()),
        ("same_person", pa.bool_()),
        ("decided_by", pa.string()),
        ("decided_at", pa.timestamp("us", tz="UTC")),
        ("note", pa.string()),
    ]
)
CLUSTER_SCHEMA = pa.schema([("member_ref", pa.string()), ("cluster_id", pa.string())])


def register_inputs(engine: BatchEngine, inputs: RunInputs, hash_files: bool = True) -> dict[str, dict]:
    """Expose snapshot, references and state as tables; return what was used (path, sha256, rows)."""
    used: dict[str, dict] = {}
    for name, path in inputs.files().items():
        if not path.exists():
            raise FileNotFoundError(f"berkas masukan tidak ada: {path}")
        if path.suffix.lower() == ".csv":
            raise ValueError(f"{path}: muat dulu dengan `siks reference load` (Parquet)")
        engine.register_parquet(name, path)
        used[name] = {"path": str(path), "rows": engine.count(name)}
        if hash_files:
            used[name]["sha256"] = sha256_file(path)
    engine.register_arrow("duplicate_decision", inputs.decisions or DECISION_SCHEMA.empty_table())
    engine.register_arrow("previous_cluster", inputs.previous_clusters or CLUSTER_SCHEMA.empty_table())
    used["duplicate_decision"] = {"rows": engine.count("duplicate_decision")}
    used["previous_cluster"] = {"rows": engine.count("previous_cluster")}
    return used


def execute(
    inputs: RunInputs,
    *,
    run_id: str | None = None,
    params: dict[str, Any] | None = None,
    work_dir: Path,
    steps: Sequence[Step] | None = None,
    engine: BatchEngine | None = None,
    on_start: Callable[[Step, int], None] | None = None,
    on_done: Callable[[StepResult], None] | None = None,
    hash_files: bool = True,
) -> RunOutcome:
    """Run the pipeline over the inputs. The caller owns the returned engine (query it, then close it)."""
    run_id = run_id or new_run_id()
    params = dict(params or {})
    work_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or open_engine(temp_dir=work_dir / "tmp")
    steps = list(steps or default_steps())
    used = register_inputs(engine, inputs, hash_files=hash_files)
    results = run_steps(
        steps,
        lambda step: StepContext(engine, run_id, params, work_dir, step=step),
        on_start=on_start,
        on_done=on_done,
    )
    versions = {s.name: s.version for s in steps}
    versions["engine"] = type(engine).__name__
    versions["splink"] = splink.__version__
    versions.update(engine.versions())
    versions["sqlglot"] = sqlglot.__version__
    return RunOutcome(run_id, engine, results, used, versions, params)
