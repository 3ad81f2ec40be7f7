"""The verval tables: loaded reference extracts, runs, their findings and ganda clusters, adjudications.

Why this shape:
- A run row records everything needed to reproduce it: input files and their sha256, step and model
  versions, parameters and timings. Findings hang off the run and are never updated, only superseded by
  the next run.
- Findings are written in bulk (thousands per desa), so they are plain rows without ORM relationships;
  `evidence` is JSON kept as text, exactly as the engine rendered it.
- `verval_cluster` keeps every ganda cluster's members, so the next run can carry cluster ids over.
- `duplicate_decision` is written by the adjudication screen; the next run obeys it (forced link/break).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siks.store.base import Base, Json, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY


class ReferenceExtract(Base):
    """One loaded reference file (Dukcapil, ASN, PLN, kendaraan); its Parquet copy lives in the data dir."""

    __tablename__ = "reference_extract"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    source_name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))


class VervalRun(Base):
    """One execution of the verval pipeline over one snapshot."""

    __tablename__ = "verval_run"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # siks.domain.status.RunStatus
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    actor: Mapped[str] = mapped_column(String(100))
    snapshot_dir: Mapped[str | None] = mapped_column(Text)
    inputs: Mapped[dict | None] = mapped_column(Json)  # name → {path, sha256, rows}
    versions: Mapped[dict | None] = mapped_column(Json)  # step → version; splink, duckdb, model params
    params: Mapped[dict | None] = mapped_column(Json)
    timings: Mapped[dict | None] = mapped_column(Json)  # step → seconds
    stats: Mapped[dict | None] = mapped_column(Json)
    finding_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class VervalFinding(Base):
    """A finding: code, who, evidence, explanation (columns = siks.verval.findings.FINDING_COLUMNS)."""

    __tablename__ = "verval_finding"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("verval_run.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    member_ref: Mapped[str | None] = mapped_column(String(90))
    family_ref: Mapped[str | None] = mapped_column(String(40))
    household_ref: Mapped[str | None] = mapped_column(String(40))
    kode_desa: Mapped[str | None] = mapped_column(String(13))
    nik: Mapped[str | None] = mapped_column(String(40))
    related_nik: Mapped[str | None] = mapped_column(String(40))
    related_ref: Mapped[str | None] = mapped_column(String(90))
    cluster_id: Mapped[str | None] = mapped_column(String(90))
    weight: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_verval_finding_run_code", "run_id", "code"),
        Index("ix_verval_finding_run_member", "run_id", "member_ref"),
        Index("ix_verval_finding_run_household", "run_id", "household_ref"),
        Index("ix_verval_finding_nik", "nik"),
    )


class VervalCluster(Base):
    """Membership of a ganda cluster (only clusters of two or more records) in one run."""

    __tablename__ = "verval_cluster"

    run_id: Mapped[str] = mapped_column(ForeignKey("verval_run.id", ondelete="CASCADE"), primary_key=True)
    member_ref: Mapped[str] = mapped_column(String(90), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(90), index=True)


class DuplicateDecision(Base):
    """A person's decision on a pair: the same person (forced link) or not (forced break). Latest wins."""

    __tablename__ = "duplicate_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_ref_a: Mapped[str] = mapped_column(String(90), index=True)
    member_ref_b: Mapped[str] = mapped_column(String(90), index=True)
    same_person: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
