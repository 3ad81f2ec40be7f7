"""The 0012_ppks migration builds the PPKS/PSKS tables on both databases, as the models describe them."""

from __future__ import annotations

from alembic.migration import MigrationContext
from sqlalchemy import inspect

from migration_support import model_diffs
from siks.store.db import make_engine, upgrade
from siks.store.models.ppks import PPKS_TABLES


def test_migration_creates_the_tables_and_matches_the_models(db_url):
    upgrade(db_url, "0012_ppks")
    engine = make_engine(db_url)
    assert set(PPKS_TABLES) <= set(inspect(engine).get_table_names())
    assert model_diffs(engine, PPKS_TABLES) == []
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0012_ppks"
    engine.dispose()
