"""Fixtures of the DCI tests: a migrated, seeded database per backend, the siks app over it (DCI mounted at
/dci as in production), three onboarded agencies, a callback receiver, and `call` — which validates each
request and response against the shipped OpenAPI documents."""

from __future__ import annotations

import warnings

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dci.support import BASE, Receiver, Spec, register, seed_registry
from siks.dci import service
from siks.store.db import make_engine, upgrade
from siks.web.app import create_app
from workflow_support import api_app, client_for  # noqa: F401 - the usulan app, for online padan

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2():
    original = service._hasher
    service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    service._hasher = original


@pytest.fixture(scope="session")
def social_spec() -> Spec:
    return Spec("social_api_v1.0.0.yaml")


@pytest.fixture(scope="session")
def jwks_spec() -> Spec:
    return Spec("jwks_core_api_v1.0.0.yaml", check_document=False)


@pytest.fixture(scope="session")
def authz_spec() -> Spec:
    return Spec("authz_core_api_v1.0.0.yaml")


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dci_engine(request, tmp_path_factory, _cheap_argon2):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('dci') / 'siks.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        seed_registry(session)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def agencies(dci_engine, receiver):
    with Session(dci_engine, expire_on_commit=False) as session, session.begin():
        return {
            "bpjs": register(session, "bpjs", callback_uri=receiver.url),
            "bank": register(
                session,
                "bank",
                fields=["nama", "wilayah", "jumlah_art"],
                wilayah_code="35.09.15",
                callback_uri=receiver.url,
                kind="rs256",
            ),
            "opd": register(session, "opd", rate=2, callback_uri=receiver.url),
            # BPNT for desil 1 only: H1 (and H5, nonaktif); not H2 (desil 3) nor H3 (not in DTKS)
            "pkh": register(session, "pkh", programs=[("bpnt", {"desil_max": 1})], callback_uri=receiver.url),
        }


@pytest.fixture(scope="module")
def http(dci_engine, agencies, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SIKS_DCI_KEY_FILE", str(tmp_path_factory.mktemp("kunci") / "dci.json"))
        app = create_app(dci_engine, secret_key="uji-dci")
        with TestClient(app) as client:
            for agency in agencies.values():
                got = client.post(
                    f"{BASE}/oauth2/client/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": agency.client_id,
                        "client_secret": agency.secret,
                    },
                )
                assert got.status_code == 200, got.text
                agency.token = got.json()["access_token"]
            yield client


@pytest.fixture
def call(http, social_spec):
    """POST an envelope as an agency; both directions checked against the Social Registry spec."""

    def do(agency, path: str, body: dict, *, valid_request: bool = True):
        headers = {"Authorization": f"Bearer {agency.token}"}
        if valid_request:
            social_spec.check_request(path, body, headers=headers)
        got = http.post(BASE + path, json=body, headers=headers)
        social_spec.check_response(path, body, got.status_code, got.json(), headers=headers)
        return got

    return do
