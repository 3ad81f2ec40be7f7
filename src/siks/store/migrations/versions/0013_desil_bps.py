"""pmt area: official BPS/DTSEN desil per keluarga, one version per imported file (issue #19.2c).

Revision ID: 0013_desil_bps
Revises: 0009_sync
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_desil_bps"
down_revision = "0009_sync"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _code(n: int):
    return sa.String(n).with_variant(sa.String(n, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "official_desil_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("periode", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("wilayah_code", _code(13)),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_official_desil_version"),
    )
    op.create_index("ix_official_desil_version_periode", "official_desil_version", ["periode"])
    op.create_table(
        "official_desil",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("desil", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_official_desil"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["official_desil_version.id"],
            name="fk_official_desil_version_id_official_desil_version",
        ),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name="fk_official_desil_family_id_family"),
        sa.UniqueConstraint("version_id", "family_id", name="uq_official_desil_version_family"),
        sa.CheckConstraint("desil BETWEEN 1 AND 10", name="ck_official_desil_desil_range"),
    )
    op.create_index("ix_official_desil_version_id", "official_desil", ["version_id"])
    op.create_index("ix_official_desil_family_id", "official_desil", ["family_id"])


def downgrade() -> None:
    op.drop_table("official_desil")
    op.drop_table("official_desil_version")
