"""DCI interoperability: agency clients (keys, scopes), requests, transactions, event subscriptions.

Revision ID: 0008_dci
Revises: 0007_odk (chained after it once odk landed on main)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008_dci"
down_revision = "0007_odk"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dci_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("wilayah_code", sa.String(13), nullable=True),
        sa.Column("fields", Json, nullable=False),
        sa.Column("programs", Json, nullable=False),
        sa.Column("jwks", Json, nullable=False),
        sa.Column("callback_uri", sa.Text(), nullable=True),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dci_client"),
        sa.UniqueConstraint("client_id", name="uq_dci_client_client_id"),
    )
    op.create_table(
        "dci_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["dci_client.id"], name="fk_dci_request_client_id_dci_client"),
        sa.PrimaryKeyConstraint("id", name="pk_dci_request"),
    )
    op.create_index("ix_dci_request_message", "dci_request", ["client_id", "message_id"], unique=True)
    op.create_index("ix_dci_request_at", "dci_request", ["client_id", "at"])
    op.create_table(
        "dci_transaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("correlation_id", sa.String(99), nullable=False),
        sa.Column("transaction_id", sa.String(99), nullable=False),
        sa.Column("txn_type", sa.String(20), nullable=False),
        sa.Column("status", sa.String(4), nullable=False),
        sa.Column("reference_ids", Json, nullable=False),
        sa.Column("response", Json, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("completed_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["dci_client.id"], name="fk_dci_transaction_client_id_dci_client"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dci_transaction"),
        sa.UniqueConstraint("correlation_id", name="uq_dci_transaction_correlation_id"),
    )
    op.create_index("ix_dci_transaction_client_id", "dci_transaction", ["client_id"])
    op.create_index("ix_dci_transaction_txn", "dci_transaction", ["client_id", "transaction_id"])
    op.create_table(
        "dci_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(99), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("reg_event_type", sa.String(60), nullable=False),
        sa.Column("filter_type", sa.String(20), nullable=False),
        sa.Column("filter", Json, nullable=False),
        sa.Column("notify_record_type", sa.String(60), nullable=False),
        sa.Column("sender_uri", sa.Text(), nullable=False),
        sa.Column("status", sa.String(11), nullable=False),
        sa.Column("last_audit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("ended_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["dci_client.id"], name="fk_dci_subscription_client_id_dci_client"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dci_subscription"),
        sa.UniqueConstraint("code", name="uq_dci_subscription_code"),
    )
    op.create_index("ix_dci_subscription_client_id", "dci_subscription", ["client_id"])


def downgrade() -> None:
    op.drop_table("dci_subscription")
    op.drop_table("dci_transaction")
    op.drop_table("dci_request")
    op.drop_table("dci_client")
