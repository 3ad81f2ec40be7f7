"""The 0012_ppks migration builds the PPKS/PSKS tables on both databases, as the models describe them;
0016_ppks_usulan widens the usulan target for the PPKS/PSKS usulan kinds."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from migration_support import model_diffs
from siks.store.db import make_engine, migrations_dir, upgrade
from siks.store.models.ppks import PPKS_TABLES


def test_migration_creates_the_tables_and_matches_the_models(db_url):
    upgrade(db_url, "0012_ppks")
    engine = make_engine(db_url)
    assert set(PPKS_TABLES) <= set(inspect(engine).get_table_names())
    assert model_diffs(engine, PPKS_TABLES) == []
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0012_ppks"
    engine.dispose()


def test_0016_widens_the_usulan_target_for_ppks_targets_and_back(db_url):
    upgrade(db_url, "0016_ppks_usulan")
    engine = make_engine(db_url)
    assert model_diffs(engine, ("usulan",)) == []
    with engine.begin() as conn:
        width = next(c for c in inspect(conn).get_columns("usulan") if c["name"] == "target_entity")
        assert width["type"].length == 20
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", db_url)
    command.downgrade(cfg, "-1")  # to whatever 0016 follows once the migrations are chained
    with engine.connect() as conn:
        width = next(c for c in inspect(conn).get_columns("usulan") if c["name"] == "target_entity")
        assert width["type"].length == 10
    engine.dispose()
