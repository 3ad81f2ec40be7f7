"""The usulan and field verval tables (0003_usulan, widened by 0016_ppks_usulan) agree with the models, on
both backends."""

from __future__ import annotations

from sqlalchemy import inspect

from migration_support import model_diffs
from siks.store.db import make_engine, upgrade
from siks.store.models.fieldwork import FIELDWORK_TABLES
from siks.store.models.usulan import USULAN_TABLES

OURS = set(USULAN_TABLES) | set(FIELDWORK_TABLES)


def test_migration_creates_and_matches_the_models(db_url):
    upgrade(db_url, "head")
    engine = make_engine(db_url)
    assert set(inspect(engine).get_table_names()) >= OURS
    assert model_diffs(engine, OURS) == []
    engine.dispose()
