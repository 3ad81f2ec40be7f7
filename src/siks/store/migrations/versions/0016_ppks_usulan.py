"""PPKS and PSKS usulan: `usulan.target_entity` widens to hold the PPKS/PSKS targets.

An usulan may now point at `ppks_person`, `ppks_kelompok`, `ppks_registration` or `psks` (docs/usulan.md §2,
docs/ppks-psks.md §8), names longer than the ten characters `household`/`family`/`member` needed. Only the
column's length changes: batch_alter_table recreates the table on SQLite, PostgreSQL alters in place.

Revision ID: 0016_ppks_usulan
Revises: 0015_dci_scope
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_ppks_usulan"
down_revision = "0015_dci_scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usulan") as batch:
        batch.alter_column(
            "target_entity", existing_type=sa.String(10), type_=sa.String(20), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("usulan") as batch:
        batch.alter_column(
            "target_entity", existing_type=sa.String(20), type_=sa.String(10), existing_nullable=True
        )
