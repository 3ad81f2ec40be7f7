"""Web speed at a million persons (bench/web_bench.py, docs/benchmarks.md "## Web"): name search, progress.

- `member ((lower(nama) COLLATE "C"), id)` (PostgreSQL; `(lower(nama), id)` on SQLite, whose default
  collation is already binary): the name search first takes names *starting* with the text in this index's
  order, `LIMIT page + 1`, instead of sorting every match. Expression index, so it is declared here only
  (autogenerate cannot compare it), like the indexes of 0005_indexes.
- `field_progress (desa_code, total, done)`: tasks per desa, kept by the fieldwork service in the same
  transaction as the tasks, so the progress page no longer counts every task. Filled here from the
  existing tasks.

Revision ID: 0006_web_speed
Revises: 0005_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_web_speed"
down_revision = "0005_indexes"
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        op.execute('CREATE INDEX ix_member_nama_prefix ON member ((lower(nama) COLLATE "C"), id)')
    else:
        op.execute("CREATE INDEX ix_member_nama_prefix ON member (lower(nama), id)")
    op.create_table(
        "field_progress",
        sa.Column("desa_code", sa.String(13).with_variant(sa.String(13, collation="C"), "postgresql")),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("desa_code", name="pk_field_progress"),
    )
    op.execute(
        "INSERT INTO field_progress (desa_code, total, done) "
        "SELECT h.desa_code, count(*), sum(CASE WHEN t.status = 'selesai' THEN 1 ELSE 0 END) "
        "FROM field_task t JOIN household h ON h.id = t.household_id GROUP BY h.desa_code"
    )


def downgrade() -> None:
    op.drop_table("field_progress")
    op.execute("DROP INDEX IF EXISTS ix_member_nama_prefix")
