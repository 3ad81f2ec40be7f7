"""registry: ruta, keluarga (versioned KK), anggota, assessments, audit trail, import batches.

Revision ID: 0001_registry
Revises:
Create Date: 2025-01-01

Hand-written (the models in siks.store.models.registry are the source; tests/store/test_migrations.py checks
that this file and the models agree on both SQLite and PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from siks.store.base import Json

revision = "0001_registry"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ANSWERS = sa.JSON().with_variant(postgresql.JSON(), "postgresql")  # compact documents, see siks.store.answers


def code(length: int) -> sa.String:
    """Identifiers compare byte-wise on PostgreSQL (collation "C"): cheaper indexes, same meaning."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _tracked() -> list[sa.Column]:
    """status, timestamps and the optimistic-lock version every registry entity carries."""
    return [
        sa.Column("status", sa.String(10), server_default="aktif", nullable=False),
        sa.Column("status_reason", sa.Text()),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    ]


def _batch_fk(table: str, column: str = "created_by_batch_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["import_batch.id"], name=f"fk_{table}_{column}_import_batch")


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("instrument", sa.String(20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.Column("warnings", Json),
        sa.Column("counts", Json),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_batch"),
    )
    op.create_index("ix_import_batch_sha256", "import_batch", ["sha256"])

    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", code(40), nullable=False),
        sa.Column("desa_code", code(13), nullable=False),
        sa.Column("dusun", sa.Text()),
        sa.Column("rw", sa.String(3)),
        sa.Column("rt", sa.String(3)),
        sa.Column("alamat", sa.Text()),
        sa.Column("created_by_batch_id", sa.Integer()),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name="pk_household"),
        sa.UniqueConstraint("ref", name="uq_household_ref"),
        _batch_fk("household"),
    )
    op.create_index("ix_household_desa_code", "household", ["desa_code"])

    op.create_table(
        "family",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", code(40), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("created_by_batch_id", sa.Integer()),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name="pk_family"),
        sa.UniqueConstraint("ref", name="uq_family_ref"),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], name="fk_family_household_id_household"),
        _batch_fk("family"),
    )
    op.create_index("ix_family_household_id", "family", ["household_id"])

    op.create_table(
        "family_kk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("kk_number", code(16), nullable=False),
        sa.Column("valid_from", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("valid_to", TS),
        sa.Column("source", sa.String(100)),
        sa.PrimaryKeyConstraint("id", name="pk_family_kk"),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name="fk_family_kk_family_id_family"),
    )
    op.create_index("ix_family_kk_family_id", "family_kk", ["family_id"])
    op.create_index("ix_family_kk_kk_number", "family_kk", ["kk_number"])

    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", code(50), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("no_urut", sa.Integer(), nullable=False),
        sa.Column("nama", sa.Text(), nullable=False),
        sa.Column("nik", code(16)),
        sa.Column("sex", sa.Integer(), nullable=False),
        sa.Column("tempat_lahir", sa.Text()),
        sa.Column("tanggal_lahir", sa.Date()),
        sa.Column("status_kawin", sa.Integer()),
        sa.Column("hubungan_kk", sa.Integer()),
        sa.Column("keberadaan", sa.Integer()),
        sa.Column("created_by_batch_id", sa.Integer()),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name="pk_member"),
        sa.UniqueConstraint("ref", name="uq_member_ref"),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name="fk_member_family_id_family"),
        _batch_fk("member"),
    )
    op.create_index("ix_member_family_id", "member", ["family_id"])
    op.create_index("ix_member_nik", "member", ["nik"])

    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(20), nullable=False),
        sa.Column("assessed_on", sa.Date()),
        sa.Column("assessed_by", sa.Text()),
        sa.Column("answers", ANSWERS, nullable=False),
        sa.Column("import_batch_id", sa.Integer()),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessment"),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name="fk_assessment_household_id_household"
        ),
        _batch_fk("assessment", "import_batch_id"),
    )
    op.create_index("ix_assessment_household_id", "assessment", ["household_id"])
    op.create_index("ix_assessment_import_batch_id", "assessment", ["import_batch_id"])

    op.create_table(
        "assessment_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("answers", ANSWERS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessment_member"),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name="fk_assessment_member_assessment_id_assessment"
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name="fk_assessment_member_member_id_member"),
    )
    op.create_index("ix_assessment_member_assessment_id", "assessment_member", ["assessment_id"])
    op.create_index("ix_assessment_member_member_id", "assessment_member", ["member_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.Integer()),
        sa.Column("before", Json),
        sa.Column("after", Json),
        sa.Column("reason", sa.Text()),
        sa.Column("import_batch_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        _batch_fk("audit_log", "import_batch_id"),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"])
    op.create_index("ix_audit_log_import_batch_id", "audit_log", ["import_batch_id"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "assessment_member",
        "assessment",
        "member",
        "family_kk",
        "family",
        "household",
        "import_batch",
    ):
        op.drop_table(table)
