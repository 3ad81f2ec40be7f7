"""The usulan and field verval tables of migration 0003_usulan agree with the models, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from siks.store.base import Base
from siks.store.db import make_engine, upgrade
from siks.store.models.fieldwork import FIELDWORK_TABLES
from siks.store.models.usulan import USULAN_TABLES

OURS = set(USULAN_TABLES) | set(FIELDWORK_TABLES)


def _diffs(engine) -> list:
    def ours(diff) -> bool:
        item = diff[-1] if diff[0].startswith("modify") else diff[1]
        table = getattr(item, "table", None)
        name = getattr(table, "name", None) or getattr(item, "name", None) or diff[2]
        return name in OURS

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    return [d for d in flat if ours(d)]


def test_migration_creates_and_matches_the_models(db_url):
    upgrade(db_url, "0003_usulan")
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= OURS
    assert _diffs(engine) == []
    engine.dispose()
