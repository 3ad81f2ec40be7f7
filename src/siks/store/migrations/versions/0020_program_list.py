"""Program lists per penetapan: `program_list` (one per penetapan, program and definition digest, with
per-desa counts) and `program_list_row` (its units in order), so `/program`, the program export and the
dashboard read a computed list instead of applying the program to the whole penetapan per request
(issue #11.6).

Revision ID: 0020_program_list
Revises: 0019_keyset
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siks.store.base import Json

revision = "0020_program_list"
down_revision = "0019_keyset"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "program_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("penetapan_id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(40), nullable=False),
        sa.Column("definition_key", sa.String(64), nullable=False),
        sa.Column("program_key", sa.String(80), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("counts", Json, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("computed_by", sa.String(100), nullable=False),
        sa.Column("computed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_program_list"),
        sa.ForeignKeyConstraint(
            ["penetapan_id"], ["penetapan.id"], name="fk_program_list_penetapan_id_penetapan"
        ),
    )
    op.create_index(
        "ix_program_list_key", "program_list", ["penetapan_id", "program", "definition_key"], unique=True
    )
    op.create_table(
        "program_list_row",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("desa_code", sa.String(13), nullable=True),
        sa.Column("unit_ref", sa.String(50), nullable=False),
        sa.Column("family_ref", sa.String(40), nullable=True),
        sa.Column("household_ref", sa.String(40), nullable=True),
        sa.Column("in_quota", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("grants", Json, nullable=True),
        sa.Column("dropped", Json, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_program_list_row"),
        sa.ForeignKeyConstraint(
            ["list_id"], ["program_list.id"], name="fk_program_list_row_list_id_program_list"
        ),
    )
    op.create_index("ix_program_list_row_seq", "program_list_row", ["list_id", "seq"], unique=True)
    op.create_index("ix_program_list_row_desa", "program_list_row", ["list_id", "desa_code", "seq"])


def downgrade() -> None:
    op.drop_index("ix_program_list_row_desa", table_name="program_list_row")
    op.drop_index("ix_program_list_row_seq", table_name="program_list_row")
    op.drop_table("program_list_row")
    op.drop_index("ix_program_list_key", table_name="program_list")
    op.drop_table("program_list")
