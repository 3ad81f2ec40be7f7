"""The verval runs recorded in the store, as every reader sees them: the one "latest finished run" query.

Penetapan takes its findings from the latest finished run, the household page and the ganda queue show
that run's findings, the dashboard charts the last few. One definition of "latest": the most recent
`finished_at`, then `started_at`, then id — so every page and command names the same run.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from siks.domain.status import RunStatus
from siks.errors import Invalid
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
