"""The DCI tables of migration 0008_dci agree with the models, on both backends, and go away on downgrade."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from migration_support import model_diffs
from siks.store.db import make_engine, migrations_dir, upgrade
from siks.store.models.dci import DCI_SCOPE_TABLES, DCI_TABLES


def test_migration_creates_and_matches_the_models(db_url):
    upgrade(db_url, "0008_dci")
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= set(DCI_TABLES)
    assert model_diffs(engine, DCI_TABLES) == []
    engine.dispose()


def test_downgrade_removes_the_tables(db_url):
    upgrade(db_url, "0008_dci")
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", db_url)
    command.downgrade(cfg, "0007_odk")
    engine = make_engine(db_url)
    assert not set(inspect(engine).get_table_names()) & set(DCI_TABLES)
    engine.dispose()


def test_scope_migration_creates_and_matches_the_models(db_url):
    upgrade(db_url, "0015_dci_scope")
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= set(DCI_SCOPE_TABLES)
    assert model_diffs(engine, DCI_SCOPE_TABLES) == []
    engine.dispose()
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", db_url)
    command.downgrade(cfg, "0009_sync")
    engine = make_engine(db_url)
    assert not set(inspect(engine).get_table_names()) & set(DCI_SCOPE_TABLES)
    engine.dispose()
