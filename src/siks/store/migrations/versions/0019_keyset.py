"""Figures per penetapan: `penetapan_figure` keeps a dashboard figure of a (frozen) penetapan per wilayah
scope, so the dashboard reads a small row instead of counting millions of frozen rows per request (issue #11).

Revision ID: 0019_keyset
Revises: 0018_web_import
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siks.store.base import Json

revision = "0019_keyset"
down_revision = "0018_web_import"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "penetapan_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("penetapan_id", sa.Integer(), nullable=False),
        sa.Column("scope_code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("basis", sa.String(64), nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_penetapan_figure"),
        sa.ForeignKeyConstraint(
            ["penetapan_id"], ["penetapan.id"], name="fk_penetapan_figure_penetapan_id_penetapan"
        ),
    )
    op.create_index(
        "ix_penetapan_figure_key", "penetapan_figure", ["penetapan_id", "scope_code", "name"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_penetapan_figure_key", table_name="penetapan_figure")
    op.drop_table("penetapan_figure")
