"""ODK tests: the real app over each database, and a client that speaks OpenRosa as ODK Collect does."""

from __future__ import annotations

import os
import warnings

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from browser_fixtures import browser, live_server  # noqa: F401
from odk.collect_support import Collect
from siks.store.base import Base
from siks.store.db import make_engine
from workflow_support import login, seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def odk_app(request, tmp_path_factory):
    """The web app over a seeded database of each backend (committed data; tests use distinct households)."""
    from siks.accounts import service as accounts
    from siks.web.app import create_app

    hasher, accounts._hasher = accounts._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    tmp = tmp_path_factory.mktemp("odk")
    old = os.environ.get("SIKS_DATA_DIR")
    os.environ["SIKS_DATA_DIR"] = str(tmp / "data")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'siks.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        engine.seed = seed(session)
    app = create_app(engine, secret_key="uji-" + "o" * 40)
    app.state.seed = engine.seed
    yield app
    engine.dispose()
    accounts._hasher = hasher
    if old is None:
        os.environ.pop("SIKS_DATA_DIR", None)
    else:
        os.environ["SIKS_DATA_DIR"] = old


@pytest.fixture
def web(odk_app):
    """`web(username)`: a logged-in browser-session client of the JSON API."""
    made = []

    def make(username: str) -> TestClient:
        c = TestClient(odk_app)
        made.append(c)
        return login(c, username)

    yield make
    for c in made:
        c.close()


@pytest.fixture
def collect(odk_app, web):
    """`collect(username)`: an ODK Collect with a freshly issued ODK credential (issued by the kecamatan)."""
    made = []

    def make(username: str, issuer: str = "kec") -> Collect:
        r = web(issuer).post("/api/v1/odk/credentials", json={"user_id": odk_app.state.seed.users[username]})
        assert r.status_code == 200, r.text
        c = TestClient(odk_app)
        made.append(c)
        return Collect(c, username, r.json()["password"])

    yield make
    for c in made:
        c.close()
