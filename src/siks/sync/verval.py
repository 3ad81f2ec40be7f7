"""Verval results travel up: the findings of a finished run at a kabupaten, to its provinsi and pusat.

A finished run is frozen (its findings are never edited), so it travels like a penetapan: a document that
is either new at the receiver (inserted once, audited) or already held. Its global id is
`verval:<instance that ran it>:<run id there>`. The receiver keeps it as a `verval_run` with status
`kiriman` and its findings, so `siks verval report --run` and the queries by ruta/NIK read it, while this
instance's own "latest finished run" (penetapan, the household page) stays its own. Per-household verval
decisions in the field (keberadaan, a new pendataan) change the registry and travel as ruta states.

Only a lower level sends results, and only findings in its own wilayah: a kabupaten cannot report on
another kabupaten's people.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from siks.audit import jsonable, record_change
from siks.domain import wilayah
from siks.domain.status import RunStatus
from siks.store.models.verval import VervalFinding, VervalRun

KIND = "verval"
_SKIP = {"id", "run_id"}
_HEADER = ("started_at", "finished_at", "versions", "params", "stats", "finding_count")


def _finding_columns() -> list[str]:
    return [c.key for c in inspect(VervalFinding).column_attrs if c.key not in _SKIP]


def local_run_id(gid: str) -> str:
    """The receiver's id of a received run: the sender's id and a tag of the sender (ids are per instance)."""
    _, origin, run_id = gid.split(":", 2)
    tag = hashlib.sha256(origin.encode()).hexdigest()[:8]
    text = f"{run_id}-{tag}"
    return text if len(text) <= 40 else hashlib.sha256(gid.encode()).hexdigest()[:40]


def _ts(value):
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return jsonable(value)


def gid_of(me_id: str, run: VervalRun) -> str:
    received = (run.params or {}).get("sync")
    return received["gid"] if received else f"{KIND}:{me_id}:{run.id}"


def state_of(session: Session, me_id: str, run_id: str) -> dict | None:
    """The run and its findings as they travel; None for a run that did not finish."""
    run = session.get(VervalRun, run_id)
    if run is None or run.status not in (RunStatus.SELESAI, RunStatus.KIRIMAN):
        return None
    params = dict(run.params or {})
    received = params.pop("sync", None)
    cols = _finding_columns()
    findings = [
        {k: getattr(f, k) for k in cols}
        for f in session.scalars(
            select(VervalFinding).where(VervalFinding.run_id == run.id).order_by(VervalFinding.id)
        )
    ]
    return {
        "run": {
            "id": received["id"] if received else run.id,
            "actor": received["actor"] if received else run.actor,
            **{k: _ts(getattr(run, k)) for k in _HEADER if k != "params"},
            "params": params,
        },
        "findings": findings,
    }


def refusal(me, p, rank: dict, state: dict) -> str | None:
    """Why `p` may not bring these results here, or None."""
    if rank[p.level] >= rank[me.level]:
        return f"hasil verval hanya diterima dari tingkat di bawah; {p.instance_id} tingkat {p.level}"
    for f in state["findings"]:
        desa = f.get("kode_desa")
        if desa and p.wilayah_code and not wilayah.contains(p.wilayah_code, desa):
            return f"temuan di desa {desa} di luar wilayah {p.instance_id} ({p.wilayah_code})"
        if desa and me.wilayah_code and not wilayah.contains(me.wilayah_code, desa):
            return f"temuan di desa {desa} di luar wilayah instansi ini ({me.wilayah_code})"
    return None


def _parse(value):
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC) if isinstance(value, str) else value


def apply(session: Session, origin: str, gid: str, state: dict, actor: str, reason: str) -> bool:
    """Insert the received run once; False when it is already held here."""
    run_id = local_run_id(gid)
    if session.get(VervalRun, run_id) is not None:
        return False
    head = state["run"]
    session.add(
        VervalRun(
            id=run_id,
            status=RunStatus.KIRIMAN.value,
            started_at=_parse(head["started_at"]),
            finished_at=_parse(head["finished_at"]),
            actor=f"{gid.split(':')[1]}: {head['actor']}"[:100],  # who ran it, not who relayed it
            versions=head.get("versions"),
            params={
                **(head.get("params") or {}),
                "sync": {"gid": gid, "id": head["id"], "actor": head["actor"]},
            },
            stats=head.get("stats"),
            finding_count=len(state["findings"]),
        )
    )
    session.flush()
    if state["findings"]:
        session.execute(
            VervalFinding.__table__.insert(), [{**f, "run_id": run_id} for f in state["findings"]]
        )
    record_change(
        session,
        actor,
        "verval_run",
        None,
        None,
        {"run": run_id, "gid": gid, "temuan": len(state["findings"])},
        reason,
        action="terima",
    )
    return True
