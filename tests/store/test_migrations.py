"""Migrations build the registry schema from empty, on SQLite and PostgreSQL, and agree with the models."""

from __future__ import annotations

from alembic.migration import MigrationContext
from sqlalchemy import inspect

from migration_support import model_diffs
from siks.store.db import make_engine, upgrade
from siks.store.models.registry import REGISTRY_TABLES


def test_upgrade_from_empty_creates_the_registry(db_url):
    upgrade(db_url, "0001_registry")
    engine = make_engine(db_url)
    names = set(inspect(engine).get_table_names())
    assert set(REGISTRY_TABLES) <= names
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0001_registry"
    engine.dispose()


def test_migration_matches_the_models(db_url):
    upgrade(db_url, "0001_registry")
    engine = make_engine(db_url)
    # audit_log gains its hash chain in 0014 (checked at head below)
    assert model_diffs(engine, set(REGISTRY_TABLES) - {"audit_log"}) == []
    engine.dispose()


def test_the_audit_chain_migration_matches_the_models(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    assert model_diffs(engine, ("audit_log", "audit_chain", "nik_conflict")) == []
    engine.dispose()


def test_upgrade_to_head_is_repeatable(db_url):
    upgrade(db_url)
    upgrade(db_url)  # a second run is a no-op, not an error
    engine = make_engine(db_url)
    assert set(REGISTRY_TABLES) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_model_check_would_catch_drift(tmp_path):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    upgrade(url, "0001_registry")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_member_nik")
    assert [d[0] for d in model_diffs(engine, set(REGISTRY_TABLES) - {"audit_log"})] == ["add_index"]
    engine.dispose()
