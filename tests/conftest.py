"""Shared fixtures. Store tests take `db_url`, which runs them once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import settings

from siks.devtools.pgserver import TemporaryPostgres

# Property tests check behaviour, not speed (speed lives in bench/): no per-example deadline, which a busy
# 2-core machine would otherwise trip at random.
settings.register_profile("siks", deadline=None)
settings.load_profile("siks")


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL server per test process, started from Debian's binaries."""
    with TemporaryPostgres() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """An empty database on each backend; store tests use this and run twice."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'siks.db'}"
    return request.getfixturevalue("pg_server").create_database()
