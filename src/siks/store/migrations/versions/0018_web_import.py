"""Import in the browser: `web_import` holds an uploaded template file from upload to outcome (issue #18).

Revision ID: 0018_web_import
Revises: 0016_ppks_usulan
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from siks.store.base import Json

revision = "0018_web_import"
down_revision = "0016_ppks_usulan"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _code(n: int):
    return sa.String(n).with_variant(sa.String(n, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "web_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("scope_code", _code(20)),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("instrument", sa.String(20), nullable=False),
        sa.Column("content", sa.LargeBinary()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rows", sa.Integer()),
        sa.Column("summary", Json),
        sa.Column("issues", Json),
        sa.Column("import_batch_id", sa.Integer()),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_web_import"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_web_import_user_id_app_user"),
        sa.ForeignKeyConstraint(
            ["import_batch_id"], ["import_batch.id"], name="fk_web_import_import_batch_id_import_batch"
        ),
    )
    op.create_index("ix_web_import_user_id", "web_import", ["user_id"])
    op.create_index("ix_web_import_scope_code", "web_import", ["scope_code"])


def downgrade() -> None:
    op.drop_index("ix_web_import_scope_code", table_name="web_import")
    op.drop_index("ix_web_import_user_id", table_name="web_import")
    op.drop_table("web_import")
