"""The verval runs recorded in the store, as every reader sees them: the one "latest finished run" query.

Penetapan takes its findings from the latest finished run, the household page and the ganda queue show
that run's findings, the dashboard charts the last few. One definition of "latest": the most recent
`finished_at`, then `started_at`, then id — so every page and command names the same run.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from siks.domain.status import RunStatus
from siks.errors import Invalid
from siks.settings import settings
from siks.store.models.verval import VervalRun

FINISHED = RunStatus.SELESAI


def _finished() -> Select:
    return (
        select(VervalRun)
        .where(VervalRun.status == FINISHED)
        .order_by(VervalRun.finished_at.desc(), VervalRun.started_at.desc(), VervalRun.id.desc())
    )


def finished_runs(session: Session, limit: int) -> list[VervalRun]:
    """The last `limit` finished runs, newest first."""
    return list(session.scalars(_finished().limit(limit)))


def latest_finished(session: Session) -> VervalRun | None:
    """The latest finished run, or None when none has finished."""
    return session.scalars(_finished().limit(1)).first()


def finished_run(session: Session, run_id: str | None) -> VervalRun | None:
    """The named run, which must have finished; the latest finished one when `run_id` is None."""
    if run_id is None:
        return latest_finished(session)
    run = session.get(VervalRun, run_id)
    if run is None or run.status != FINISHED:
        raise Invalid(f"Verval run {run_id} tidak ada atau belum selesai.")
    return run


def latest_finished_id(session: Session) -> str | None:
    run = latest_finished(session)
    return run.id if run is not None else None


def run_dirs() -> list[Path]:
    """Where verval run directories live: `siks verval run` writes `$SIKS_DATA_DIR/runs/<run>/`."""
    root = settings().data_dir
    return [root / "runs", root / "verval" / "runs", root / "verval"]


def household_pmt_file(run: VervalRun | None) -> Path | None:
    """The PMT step's `household_pmt.parquet` of a run (desil per ruta, PMT and official), if it exists."""
    if run is None:
        return None
    candidates = [d / run.id / "household_pmt.parquet" for d in run_dirs()]
    if run.snapshot_dir:  # the snapshot sits inside the run directory
        snap = Path(run.snapshot_dir)
        candidates += [snap.parent / "household_pmt.parquet", snap / "household_pmt.parquet"]
    return next((path for path in candidates if path.is_file()), None)
