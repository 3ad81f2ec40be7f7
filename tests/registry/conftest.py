"""Helpers for registry tests: a migrated database and table counts."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from siks.store.db import make_engine, upgrade

DATA_TABLES = (
    "household",
    "family",
    "family_kk",
    "member",
    "assessment",
    "assessment_member",
    "audit_log",
    "import_batch",
)


def table_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in DATA_TABLES}


@pytest.fixture
def counts():
    """`counts(engine)`: rows per registry table, to prove a rejected file wrote nothing."""
    return table_counts


@pytest.fixture
def engine(db_url):
    """A registry on each backend (SQLite and PostgreSQL), migrated to head."""
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()
