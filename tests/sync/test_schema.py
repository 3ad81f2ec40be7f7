"""The 0009_sync migration builds exactly the sync models, on SQLite and PostgreSQL."""

from __future__ import annotations

from migration_support import model_diffs
from siks.store.db import make_engine, upgrade

SYNC_TABLES = (
    "sync_identity",
    "sync_peer",
    "sync_applied",
    "sync_lineage",
    "sync_conflict",
    "sync_document",
    "sync_upload",
    "sync_upload_part",
)


def test_migration_matches_the_sync_models(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert model_diffs(engine, SYNC_TABLES) == []
    finally:
        engine.dispose()
