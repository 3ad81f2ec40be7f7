"""The 0013_desil_bps migration builds the official desil tables on both databases, as the models say."""

from __future__ import annotations

from alembic.migration import MigrationContext
from sqlalchemy import inspect

from migration_support import model_diffs
from siks.store.db import make_engine, upgrade
from siks.store.models.pmt import OFFICIAL_DESIL_TABLES


def test_migration_creates_the_tables_and_matches_the_models(db_url):
    upgrade(db_url, "0013_desil_bps")
    engine = make_engine(db_url)
    assert set(OFFICIAL_DESIL_TABLES) <= set(inspect(engine).get_table_names())
    assert model_diffs(engine, OFFICIAL_DESIL_TABLES) == []
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0013_desil_bps"
    engine.dispose()
