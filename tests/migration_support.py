"""Does a migrated database agree with the models? `model_diffs` lists what Alembic finds for some tables."""

from __future__ import annotations

import warnings
from collections.abc import Collection

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import SAWarning

import siks.store.models  # noqa: F401 - every table on Base.metadata
from siks.store.base import Base


def _table_of(diff) -> str | None:
    item = diff[-1] if diff[0].startswith("modify") else diff[1]
    table = getattr(item, "table", None)
    return getattr(table, "name", None) or getattr(item, "name", None) or diff[2]


def model_diffs(engine, tables: Collection[str]) -> list:
    """Alembic's differences between the database behind `engine` and the models, for `tables` only."""
    with engine.connect() as conn, warnings.catch_warnings():
        # SQLite reflection cannot read expression-based indexes (ix_member_nama_prefix): SQLAlchemy skips
        # them with this warning. Expected, and only that one notice is silenced; the rest still compares.
        warnings.filterwarnings(
            "ignore", message="Skipped unsupported reflection of expression-based index", category=SAWarning
        )
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    return [d for d in flat if _table_of(d) in tables]
