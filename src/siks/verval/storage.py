"""What a run leaves in the store: the run record, its findings and clusters; reference extracts; decisions.

Why bulk: a kabupaten run yields hundreds of thousands of findings. They go in with one COPY on
PostgreSQL and batched executemany on SQLite (SQLAlchemy Core), never one ORM object per row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from siks.audit import record_change
from siks.domain.status import RunStatus
from siks.store import verval_runs
from siks.store.db import make_engine
from siks.store.models.verval import (
    DuplicateDecision,
    ReferenceExtract,
    VervalCluster,
    VervalFinding,
    VervalRun,
)
from siks.verval.findings import FINDING_COLUMNS, dotted_desa_sql
from siks.verval.runs import CLUSTER_SCHEMA, DECISION_SCHEMA, RunOutcome

STORED_COLUMNS = list(FINDING_COLUMNS)


def engine(url: str | None) -> Engine:
    return make_engine(url)


def record_reference(
    db: Engine, kind: str, path: Path, sha256: str, rows: int, source: str, actor: str
) -> int:
    with db.begin() as conn:
        res = conn.execute(
            insert(ReferenceExtract).values(
                kind=kind,
                path=str(path),
                sha256=sha256,
                rows=rows,
                source_name=source,
                actor=actor,
                loaded_at=dt.datetime.now(dt.UTC),
            )
        )
        return int(res.inserted_primary_key[0])


def latest_references(db: Engine) -> dict[str, Path]:
    """kind → Parquet path of the most recently loaded extract of that kind."""
    out: dict[str, Path] = {}
    with db.connect() as conn:
        rows = conn.execute(
            select(ReferenceExtract.kind, ReferenceExtract.path).order_by(ReferenceExtract.id)
        )
        for kind, path in rows:
            out[kind] = Path(path)
    return out


def start_run(db: Engine, run_id: str, actor: str, snapshot_dir: Path, params: dict[str, Any]) -> None:
    with db.begin() as conn:
        conn.execute(
            insert(VervalRun).values(
                id=run_id,
                status=RunStatus.BERJALAN,
                started_at=dt.datetime.now(dt.UTC),
                actor=actor,
                snapshot_dir=str(snapshot_dir),
                params=params,
                finding_count=0,
            )
        )


STALE_ERROR = (
    "proses terhenti tanpa selesai (dimatikan atau mesin mati); ditandai gagal oleh proses berikutnya"
)


def fail_stale_runs(db: Engine, alive) -> list[str]:
    """Runs still `berjalan` whose process is gone (`alive(run_id)` is False) become `gagal`; their ids.

    Called when a run starts, so a run killed with -9 does not stay `berjalan` for ever.
    """
    with db.begin() as conn:
        running = conn.execute(select(VervalRun.id).where(VervalRun.status == "berjalan")).scalars().all()
        stale = [r for r in running if not alive(r)]
        if stale:
            conn.execute(delete(VervalFinding).where(VervalFinding.run_id.in_(stale)))
            conn.execute(
                update(VervalRun)
                .where(VervalRun.id.in_(stale), VervalRun.status == "berjalan")
                .values(status="gagal", error=STALE_ERROR, finished_at=dt.datetime.now(dt.UTC))
            )
    return stale


def fail_run(db: Engine, run_id: str, error: str) -> None:
    with db.begin() as conn:
        conn.execute(
            update(VervalRun)
            .where(VervalRun.id == run_id)
            .values(status=RunStatus.GAGAL, error=error[:4000], finished_at=dt.datetime.now(dt.UTC))
        )


# The pipeline compares wilayah codes as bare digits; the store keeps them dotted like every other table,
# so scope filters (`desa_code LIKE '35.09.%'`) work on findings too.
_DOTTED_DESA = f"{dotted_desa_sql('kode_desa')} AS kode_desa"


def finish_run(db: Engine, outcome: RunOutcome, batch_size: int = 20_000) -> int:
    """Write findings and clusters, then mark the run done (all in one transaction)."""
    e = outcome.engine
    cols = ", ".join(_DOTTED_DESA if c == "kode_desa" else c for c in STORED_COLUMNS)
    with db.begin() as conn:
        conn.execute(delete(VervalFinding).where(VervalFinding.run_id == outcome.run_id))
        n = 0
        if conn.dialect.name == "postgresql":
            n = _copy_findings(conn, e.batches(f"SELECT {cols} FROM findings", batch_size))
        else:
            for batch in e.batches(f"SELECT {cols} FROM findings", batch_size):
                rows = batch.to_pylist()
                conn.execute(insert(VervalFinding), rows)
                n += len(rows)
        clusters = (
            e.query("SELECT member_ref, cluster_id FROM duplicate_cluster").to_pylist()
            if e.has_table("duplicate_cluster")
            else []
        )
        if clusters:
            conn.execute(insert(VervalCluster), [dict(r, run_id=outcome.run_id) for r in clusters])
        conn.execute(
            update(VervalRun)
            .where(VervalRun.id == outcome.run_id)
            .values(
                status=RunStatus.SELESAI,
                finished_at=dt.datetime.now(dt.UTC),
                inputs=outcome.inputs,
                versions=outcome.versions,
                timings=outcome.timings,
                stats=_jsonable(outcome.stats),
                finding_count=n,
            )
        )
        # A finished run is a change like any other: audited, and the position sync sends its results from.
        actor = conn.execute(select(VervalRun.actor).where(VervalRun.id == outcome.run_id)).scalar()
        with Session(bind=conn) as s:
            after = {"run": outcome.run_id, "temuan": n}
            record_change(s, actor or "verval", "verval_run", None, None, after, None, action="selesai")
            s.flush()
    return n


def _copy_findings(conn, batches) -> int:
    """PostgreSQL COPY through psycopg 3 (text format)."""
    raw = conn.connection.driver_connection
    n = 0
    with raw.cursor() as cur, cur.copy(f"COPY verval_finding ({', '.join(STORED_COLUMNS)}) FROM STDIN") as cp:
        for batch in batches:
            for row in zip(*(batch.column(c).to_pylist() for c in STORED_COLUMNS), strict=True):
                cp.write_row(row)
                n += 1
    return n


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def last_run_id(db: Engine) -> str | None:
    """The latest finished run (`siks.verval.history`), for commands that hold an Engine."""
    with Session(db) as session:
        return verval_runs.latest_finished_id(session)


def decisions(db: Engine) -> pa.Table:
    with db.connect() as conn:
        rows = conn.execute(
            select(
                DuplicateDecision.member_ref_a,
                DuplicateDecision.member_ref_b,
                DuplicateDecision.same_person,
                DuplicateDecision.decided_by,
                DuplicateDecision.decided_at,
                DuplicateDecision.note,
            )
        ).all()
    data = [dict(zip(DECISION_SCHEMA.names, r, strict=True)) for r in rows]
    for d in data:
        at = d["decided_at"]
        if at is not None and at.tzinfo is None:
            d["decided_at"] = at.replace(tzinfo=dt.UTC)
    return pa.Table.from_pylist(data, schema=DECISION_SCHEMA)


def add_decision(
    db: Engine, a: str, b: str, same_person: bool, decided_by: str, note: str | None = None
) -> None:
    with db.begin() as conn:
        conn.execute(
            insert(DuplicateDecision).values(
                member_ref_a=a,
                member_ref_b=b,
                same_person=same_person,
                decided_by=decided_by,
                decided_at=dt.datetime.now(dt.UTC),
                note=note,
            )
        )


def previous_clusters(db: Engine) -> pa.Table:
    run_id = last_run_id(db)
    if run_id is None:
        return CLUSTER_SCHEMA.empty_table()
    with db.connect() as conn:
        rows = conn.execute(
            select(VervalCluster.member_ref, VervalCluster.cluster_id).where(VervalCluster.run_id == run_id)
        ).all()
    return pa.Table.from_pylist([{"member_ref": a, "cluster_id": b} for a, b in rows], schema=CLUSTER_SCHEMA)


def findings(db: Engine, run_id: str, where: Any = None) -> list[dict[str, Any]]:
    q = select(*[getattr(VervalFinding, c) for c in STORED_COLUMNS]).where(VervalFinding.run_id == run_id)
    if where is not None:
        q = q.where(where)
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(VervalFinding.id))]


def count_findings(db: Engine, run_id: str) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(VervalFinding).where(VervalFinding.run_id == run_id)
            ).scalar()
            or 0
        )


def run_row(db: Engine, run_id: str) -> dict[str, Any] | None:
    with db.connect() as conn:
        row = conn.execute(select(VervalRun.__table__).where(VervalRun.id == run_id)).first()
    return dict(row._mapping) if row else None
