"""ODK tests: the real app over each database, and a client that speaks OpenRosa as ODK Collect does."""

from __future__ import annotations

import warnings

import pytest

from browser_fixtures import browser, live_server  # noqa: F401
from odk.collect_support import Collect
from workflow_support import logged_in_clients, seeded_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def odk_app(request, tmp_path_factory):
    """The web app over a seeded database of each backend (committed data; tests use distinct households)."""
    tmp = tmp_path_factory.mktemp("odk")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'siks.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    with seeded_app(tmp, url, "uji-" + "o" * 40) as app:
        yield app


@pytest.fixture
def web(odk_app):
    """`web(username)`: a logged-in browser-session client of the JSON API."""
    yield from logged_in_clients(lambda: TestClient(odk_app))


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
