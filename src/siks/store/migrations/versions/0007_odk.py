"""odk area: ODK credentials (Digest HA1), submissions received over OpenRosa (with the review queue), and
their attachments (docs/odk.md).

Revision ID: 0007_odk
Revises: 0006_web_speed
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_odk"
down_revision = "0006_web_speed"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
CODE13 = sa.String(13).with_variant(sa.String(13, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "odk_credential",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ha1", sa.String(32), nullable=False),
        sa.Column("issued_by_id", sa.Integer()),
        sa.Column("issued_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_odk_credential"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name="fk_odk_credential_user_id_app_user", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["app_user.id"], name="fk_odk_credential_issued_by_id_app_user"
        ),
    )
    op.create_table(
        "odk_submission",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.String(100)),
        sa.Column("deprecated_id", sa.String(100)),
        sa.Column("form_id", sa.String(100)),
        sa.Column("form_version", sa.String(100)),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("desa_code", CODE13),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("message", sa.Text()),
        sa.Column("task_id", sa.Integer()),
        sa.Column("usulan_id", sa.Integer()),
        sa.Column("resolved_by_id", sa.Integer()),
        sa.Column("resolved_at", TS),
        sa.Column("resolution_note", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_odk_submission"),
        sa.UniqueConstraint("instance_id", name="uq_odk_submission_instance_id"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_odk_submission_user_id_app_user"),
        sa.ForeignKeyConstraint(["task_id"], ["field_task.id"], name="fk_odk_submission_task_id_field_task"),
        sa.ForeignKeyConstraint(["usulan_id"], ["usulan.id"], name="fk_odk_submission_usulan_id_usulan"),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["app_user.id"], name="fk_odk_submission_resolved_by_id_app_user"
        ),
    )
    op.create_index("ix_odk_submission_user_id", "odk_submission", ["user_id"])
    op.create_index("ix_odk_submission_desa_code", "odk_submission", ["desa_code"])
    op.create_index("ix_odk_submission_status_desa", "odk_submission", ["status", "desa_code"])
    op.create_table(
        "odk_attachment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_odk_attachment"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["odk_submission.id"],
            name="fk_odk_attachment_submission_id_odk_submission",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_odk_attachment_submission_id", "odk_attachment", ["submission_id"])


def downgrade() -> None:
    op.drop_table("odk_attachment")
    op.drop_table("odk_submission")
    op.drop_table("odk_credential")
