"""Sync between instances (kabupaten, provinsi, pusat): identity, peers, applied sets, lineage, conflicts.

The change log is `audit_log` itself; these tables hold only positions, state hashes and what was not
applied (docs/sync.md).

Revision ID: 0009_sync
Revises: 0012_ppks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siks.store.base import Json

revision = "0009_sync"
down_revision = "0012_ppks"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(40), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("wilayah_code", sa.String(13), nullable=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("key_path", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_identity"),
        sa.UniqueConstraint("instance_id", name="uq_sync_identity_instance_id"),
    )
    op.create_table(
        "sync_peer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(40), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("wilayah_code", sa.String(13), nullable=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("pinned_at", TS, nullable=False),
        sa.Column("acked_upto", sa.Integer(), nullable=False),
        sa.Column("received_upto", sa.Integer(), nullable=False),
        sa.Column("export_seq", sa.Integer(), nullable=False),
        sa.Column("last_contact_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_peer"),
        sa.UniqueConstraint("instance_id", name="uq_sync_peer_instance_id"),
    )
    op.create_table(
        "sync_applied",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("set_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_pos", sa.Integer(), nullable=False),
        sa.Column("upto", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("counts", Json, nullable=True),
        sa.Column("applied_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_applied"),
        sa.UniqueConstraint("origin", "set_id", name="uq_sync_applied_origin_set"),
    )
    op.create_table(
        "sync_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gid", sa.String(80), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_lineage"),
        sa.UniqueConstraint("gid", "hash", name="uq_sync_lineage_gid_hash"),
    )
    op.create_table(
        "sync_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gid", sa.String(80), nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_document"),
        sa.UniqueConstraint("gid", name="uq_sync_document_gid"),
    )
    op.create_index("ix_sync_document_local", "sync_document", ["entity", "local_id"], unique=True)
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("peer", sa.String(40), nullable=False),
        sa.Column("gid", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("local", Json, nullable=True),
        sa.Column("incoming", Json, nullable=False),
        sa.Column("incoming_hash", sa.String(64), nullable=False),
        sa.Column("lineage", Json, nullable=False),
        sa.Column("set_id", sa.String(64), nullable=False),
        sa.Column("detected_at", TS, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("resolution", sa.String(10), nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_conflict"),
        sa.UniqueConstraint("peer", "gid", "incoming_hash", name="uq_sync_conflict_peer_gid_hash"),
    )
    op.create_index("ix_sync_conflict_gid", "sync_conflict", ["gid"])
    op.create_index("ix_sync_conflict_status", "sync_conflict", ["status"])
    op.create_table(
        "sync_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("set_id", sa.String(64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_upload"),
        sa.UniqueConstraint("origin", "set_id", name="uq_sync_upload_origin_set"),
    )
    op.create_table(
        "sync_upload_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["sync_upload.id"], name="fk_sync_upload_part_upload_id_sync_upload"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sync_upload_part"),
    )
    op.create_index("ix_sync_upload_part_upload", "sync_upload_part", ["upload_id", "offset"], unique=True)


def downgrade() -> None:
    for table in (
        "sync_upload_part",
        "sync_upload",
        "sync_conflict",
        "sync_document",
        "sync_lineage",
        "sync_applied",
        "sync_peer",
        "sync_identity",
    ):
        op.drop_table(table)
