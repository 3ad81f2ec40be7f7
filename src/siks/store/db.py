"""Engines and sessions. SQLite (`siks.db`, WAL) is the default; `SIKS_DATABASE_URL` selects PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from siks.settings import settings

DEFAULT_URL = "sqlite:///siks.db"


def database_url(url: str | None = None) -> str:
    return url or settings().database_url


def make_engine(url: str | None = None, **kw) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        # busy timeout: a write waits this long for another writer, then `database is locked` (#17.8)
        engine = create_engine(url, connect_args={"timeout": settings().sqlite_busy_seconds}, **kw)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL: readers never block the writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back everything on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session


def migrations_dir() -> Path:
    return Path(__file__).parent / "migrations"


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (what `siks db upgrade` runs)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", database_url(url))
    command.upgrade(cfg, revision)
