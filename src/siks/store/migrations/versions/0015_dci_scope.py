"""DCI scope and delivery: per-program client scope (frozen program lists), the notify delivery log, and
online padan results (kept with the usulan they were asked for).

Revision ID: 0015_dci_scope
Revises: 0014_audit_chain
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015_dci_scope"
down_revision = "0014_audit_chain"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dci_client_program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(20), nullable=False),
        sa.Column("program_key", sa.String(80), nullable=False),
        sa.Column("params", Json, nullable=False),
        sa.Column("penetapan_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("set_at", When, nullable=False),
        sa.Column("set_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["dci_client.id"], name="fk_dci_client_program_client_id_dci_client"
        ),
        sa.ForeignKeyConstraint(
            ["penetapan_id"], ["penetapan.id"], name="fk_dci_client_program_penetapan_id_penetapan"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dci_client_program"),
    )
    op.create_index("ix_dci_client_program", "dci_client_program", ["client_id", "program"], unique=True)
    op.create_table(
        "dci_program_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_program_id", sa.Integer(), nullable=False),
        sa.Column("household_ref", sa.String(40), nullable=False),
        sa.Column("member_ref", sa.String(50), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_program_id"],
            ["dci_client_program.id"],
            name="fk_dci_program_member_client_program_id_dci_client_program",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dci_program_member"),
    )
    op.create_index(
        "ix_dci_program_member", "dci_program_member", ["client_program_id", "member_ref"], unique=True
    )
    op.create_table(
        "dci_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("cursor_from", sa.Integer(), nullable=False),
        sa.Column("cursor_to", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", When, nullable=False),
        sa.Column("next_try_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["dci_subscription.id"],
            name="fk_dci_delivery_subscription_id_dci_subscription",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dci_delivery"),
    )
    op.create_index("ix_dci_delivery_subscription_id", "dci_delivery", ["subscription_id"])
    op.create_table(
        "dci_padan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("usulan_id", sa.Integer(), nullable=True),
        sa.Column("nik", sa.String(16), nullable=False),
        sa.Column("nama", sa.Text(), nullable=False),
        sa.Column("tanggal_lahir", sa.Date(), nullable=True),
        sa.Column("sex", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reasons", Json, nullable=False),
        sa.Column("crvs_url", sa.Text(), nullable=True),
        sa.Column("asked_at", When, nullable=False),
        sa.Column("asked_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(["usulan_id"], ["usulan.id"], name="fk_dci_padan_usulan_id_usulan"),
        sa.PrimaryKeyConstraint("id", name="pk_dci_padan"),
    )
    op.create_index("ix_dci_padan_usulan_id", "dci_padan", ["usulan_id"])
    op.create_index("ix_dci_padan_nik", "dci_padan", ["nik"])


def downgrade() -> None:
    op.drop_table("dci_padan")
    op.drop_table("dci_delivery")
    op.drop_table("dci_program_member")
    op.drop_table("dci_client_program")
