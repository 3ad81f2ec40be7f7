"""verval area: reference extracts, runs, findings, ganda clusters, adjudication decisions.

Revision ID: 0002_verval
Revises: 0001_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_verval"
down_revision = "0001_registry"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reference_extract",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reference_extract"),
    )
    op.create_index("ix_reference_extract_kind", "reference_extract", ["kind"])
    op.create_table(
        "verval_run",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("snapshot_dir", sa.Text()),
        sa.Column("inputs", JSON),
        sa.Column("versions", JSON),
        sa.Column("params", JSON),
        sa.Column("timings", JSON),
        sa.Column("stats", JSON),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_verval_run"),
    )
    op.create_table(
        "verval_finding",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("member_ref", sa.String(90)),
        sa.Column("family_ref", sa.String(40)),
        sa.Column("household_ref", sa.String(40)),
        sa.Column("kode_desa", sa.String(13)),
        sa.Column("nik", sa.String(40)),
        sa.Column("related_nik", sa.String(40)),
        sa.Column("related_ref", sa.String(90)),
        sa.Column("cluster_id", sa.String(90)),
        sa.Column("weight", sa.Float()),
        sa.Column("rank", sa.Integer()),
        sa.Column("evidence", sa.Text()),
        sa.Column("explanation", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_verval_finding"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["verval_run.id"], name="fk_verval_finding_run_id_verval_run", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_verval_finding_run_code", "verval_finding", ["run_id", "code"])
    op.create_index("ix_verval_finding_run_member", "verval_finding", ["run_id", "member_ref"])
    op.create_index("ix_verval_finding_run_household", "verval_finding", ["run_id", "household_ref"])
    op.create_index("ix_verval_finding_nik", "verval_finding", ["nik"])
    op.create_table(
        "verval_cluster",
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("member_ref", sa.String(90), nullable=False),
        sa.Column("cluster_id", sa.String(90), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "member_ref", name="pk_verval_cluster"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["verval_run.id"], name="fk_verval_cluster_run_id_verval_run", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_verval_cluster_cluster_id", "verval_cluster", ["cluster_id"])
    op.create_table(
        "duplicate_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_ref_a", sa.String(90), nullable=False),
        sa.Column("member_ref_b", sa.String(90), nullable=False),
        sa.Column("same_person", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("note", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_duplicate_decision"),
    )
    op.create_index("ix_duplicate_decision_member_ref_a", "duplicate_decision", ["member_ref_a"])
    op.create_index("ix_duplicate_decision_member_ref_b", "duplicate_decision", ["member_ref_b"])


def downgrade() -> None:
    op.drop_table("duplicate_decision")
    op.drop_table("verval_cluster")
    op.drop_table("verval_finding")
    op.drop_table("verval_run")
    op.drop_table("reference_extract")
