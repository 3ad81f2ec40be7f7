"""The accounts tables on both databases: the migration matches the models, constraints hold."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from migration_support import model_diffs
from siks.accounts import service as accounts
from siks.store.db import make_engine, transaction, upgrade
from siks.store.models.accounts import ACCOUNT_TABLES, LoginAttempt, User, UserSession


def test_migration_creates_account_tables_matching_models(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    assert set(ACCOUNT_TABLES) <= set(inspect(engine).get_table_names())
    assert model_diffs(engine, ACCOUNT_TABLES) == []
    engine.dispose()


def test_users_sessions_attempts_roundtrip(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    with transaction(engine) as s:
        u = accounts.create_user(s, "budi", "kata-sandi-1", "operator_kabupaten", "35.09")
        token = accounts.start_session(s, u)
    with transaction(engine) as s:
        found = accounts.user_for_token(s, token)
        assert found is not None and found.username == "budi"
        assert s.scalar(select(UserSession.token_hash)) != token  # only the hash is stored
        accounts.end_session(s, token)
    with transaction(engine) as s:
        assert accounts.user_for_token(s, token) is None
        s.add(LoginAttempt(username="budi", ip="::1", success=False))
    with transaction(engine) as s:
        assert accounts.is_blocked(s, "budi", "::1") is False
        old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)  # outside the window: not counted
        s.add_all([LoginAttempt(username="budi", ip="::1", success=False, at=old) for _ in range(10)])
    with transaction(engine) as s:
        assert accounts.is_blocked(s, "budi", "::1") is False
    with pytest.raises(IntegrityError), transaction(engine) as s:
        s.add(User(username="budi", role="pusat", password_hash="x", active=True))
    engine.dispose()


def test_expired_session_is_refused(db_url):
    upgrade(db_url)
    engine = make_engine(db_url)
    with transaction(engine) as s:
        u = accounts.create_user(s, "sari", "kata-sandi-1", "pusat", None)
        token = accounts.start_session(s, u)
        s.flush()
        row = s.scalar(select(UserSession))
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with transaction(engine) as s:
        assert accounts.user_for_token(s, token) is None
    engine.dispose()
