"""usulan area: accounts (users, sessions, login attempts), then usulan, batches and field verval tasks.

Accounts come first in this revision because every usulan row names the user who acted.

Revision ID: 0003_usulan
Revises: 0002_verval
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_usulan"
down_revision = "0002_verval"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _accounts_upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("full_name", sa.Text()),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("wilayah_code", sa.String(13)),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("password_changed_at", TS, nullable=False),
        sa.Column("last_login_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_app_user"),
        sa.UniqueConstraint("username", name="uq_app_user_username"),
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_session"),
        sa.UniqueConstraint("token_hash", name="uq_user_session_token_hash"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name="fk_user_session_user_id_app_user", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempt"),
    )
    op.create_index("ix_login_attempt_username_at", "login_attempt", ["username", "at"])
    op.create_index("ix_login_attempt_ip_at", "login_attempt", ["ip", "at"])


def _accounts_downgrade() -> None:
    op.drop_table("login_attempt")
    op.drop_table("user_session")
    op.drop_table("app_user")


# --- usulan tables, with their own upgrade/downgrade helpers ---

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _workflow_upgrade() -> None:
    """Usulan, their history, desa batches with the berita acara, and field verval tasks."""
    op.create_table(
        "usulan_document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("desa_code", sa.String(13), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("storage_path", sa.Text(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer()),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usulan_document"),
        _fk("usulan_document", "uploaded_by_id", "app_user"),
    )
    op.create_index("ix_usulan_document_desa_code", "usulan_document", ["desa_code"])
    op.create_index("ix_usulan_document_sha256", "usulan_document", ["sha256"])
    op.create_table(
        "usulan_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("desa_code", sa.String(13), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("musdes_date", sa.Date()),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("berita_acara_id", sa.Integer()),
        sa.Column("bnba", JSON),
        sa.Column("created_by_id", sa.Integer()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("submitted_by_id", sa.Integer()),
        sa.Column("submitted_at", TS),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usulan_batch"),
        _fk("usulan_batch", "berita_acara_id", "usulan_document"),
        _fk("usulan_batch", "created_by_id", "app_user"),
        _fk("usulan_batch", "submitted_by_id", "app_user"),
    )
    op.create_index("ix_usulan_batch_desa_code", "usulan_batch", ["desa_code"])
    op.create_table(
        "usulan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("subkind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(14), nullable=False),
        sa.Column("level", sa.String(10)),
        sa.Column("desa_code", sa.String(13), nullable=False),
        sa.Column("batch_id", sa.Integer()),
        sa.Column("target_entity", sa.String(10)),
        sa.Column("target_id", sa.Integer()),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("subject_name", sa.Text()),
        sa.Column("subject_nik", sa.String(16)),
        sa.Column("subject_address", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_ref", sa.String(64)),
        sa.Column("last_note", sa.Text()),
        sa.Column("created_by_id", sa.Integer()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("applied_at", TS),
        sa.Column("applied_by_id", sa.Integer()),
        sa.Column("result", JSON),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usulan"),
        _fk("usulan", "batch_id", "usulan_batch"),
        _fk("usulan", "created_by_id", "app_user"),
        _fk("usulan", "applied_by_id", "app_user"),
    )
    for column in ("status", "desa_code", "batch_id", "external_ref", "applied_at"):
        op.create_index(f"ix_usulan_{column}", "usulan", [column])
    op.create_index("ix_usulan_level_desa", "usulan", ["level", "desa_code"])
    op.create_index("ix_usulan_target", "usulan", ["target_entity", "target_id"])
    op.create_table(
        "usulan_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("usulan_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(30)),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_status", sa.String(14)),
        sa.Column("to_status", sa.String(14)),
        sa.Column("from_level", sa.String(10)),
        sa.Column("to_level", sa.String(10)),
        sa.Column("note", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_usulan_event"),
        _fk("usulan_event", "usulan_id", "usulan"),
    )
    op.create_index("ix_usulan_event_usulan_id", "usulan_event", ["usulan_id"])
    op.create_table(
        "field_task",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("enumerator_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer()),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("result", sa.Integer()),
        sa.Column("visited_on", sa.Date()),
        sa.Column("note", sa.Text()),
        sa.Column("assessment_id", sa.Integer()),
        sa.Column("completed_at", TS),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_field_task"),
        _fk("field_task", "household_id", "household"),
        _fk("field_task", "enumerator_id", "app_user"),
        _fk("field_task", "assigned_by_id", "app_user"),
        _fk("field_task", "assessment_id", "assessment"),
    )
    op.create_index("ix_field_task_household_id", "field_task", ["household_id"])
    op.create_index("ix_field_task_enumerator_status", "field_task", ["enumerator_id", "status"])
    op.create_table(
        "field_member_result",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("keberadaan", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_field_member_result"),
        _fk("field_member_result", "task_id", "field_task"),
        _fk("field_member_result", "member_id", "member"),
    )
    op.create_index("ix_field_member_result_task_id", "field_member_result", ["task_id"])


WORKFLOW_TABLES = (
    "field_member_result", "field_task", "usulan_event", "usulan", "usulan_batch", "usulan_document",
)  # fmt: skip


def _workflow_downgrade() -> None:
    for table in WORKFLOW_TABLES:
        op.drop_table(table)


def upgrade() -> None:
    _accounts_upgrade()
    _workflow_upgrade()


def downgrade() -> None:
    _workflow_downgrade()
    _accounts_downgrade()
