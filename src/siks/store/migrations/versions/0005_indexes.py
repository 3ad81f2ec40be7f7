"""indexes the web pages need at a million persons (found by bench/web_bench.py, see docs/benchmarks.md).

PostgreSQL only; on SQLite this revision does nothing.

- `household (desa_code varchar_pattern_ops)`: every scoped query says `desa_code = X OR desa_code LIKE
  'X.%'` (siks.scope). A plain btree serves that LIKE only when the database collation is "C";
  under C.UTF-8 or any real locale PostgreSQL cannot use it and scans all households for every desa or
  kecamatan user. The pattern-ops index turns the LIKE into an index range.
- `member (lower(nama) gin_trgm_ops)`: the name search is `lower(nama) LIKE '%text%'` (contains), which no
  btree can serve: without this, every name search reads all members. Needs the pg_trgm extension (in
  PostgreSQL's contrib, which Debian's postgresql package includes; trusted, so the database owner may
  create it).

Revision ID: 0005_indexes
Revises: 0004_penetapan
"""

from __future__ import annotations

from alembic import op

revision = "0005_indexes"
down_revision = "0004_penetapan"
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    op.execute("CREATE INDEX ix_household_desa_code_pattern ON household (desa_code varchar_pattern_ops)")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_member_nama_trgm ON member USING gin (lower(nama) gin_trgm_ops)")


def downgrade() -> None:
    if not _postgresql():
        return
    op.execute("DROP INDEX IF EXISTS ix_member_nama_trgm")
    op.execute("DROP INDEX IF EXISTS ix_household_desa_code_pattern")
    # pg_trgm stays: other objects may use it, and it costs nothing unused.
