"""Shared data for the usulan, fieldwork and adjudication tests: one schema per backend, users of every role
at both in-scope and out-of-scope wilayah, and a few households. Import the fixtures in a conftest.

The schema and seed are built once per test module and backend; every test runs in a transaction that is
rolled back, so the matrix tests stay fast on PostgreSQL too.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

import siks.store.models  # noqa: F401 - every table on Base.metadata
from siks.domain.nik import make_nik
from siks.store.base import Base
from siks.store.db import make_engine
from siks.store.models.accounts import User
from siks.store.models.registry import Assessment, Family, FamilyKK, Household, Member

with warnings.catch_warnings():  # starlette's notice about httpx, raised once at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DESA = "35.09.15.2001"  # Jubung, Kec. Sukorambi, Kab. Jember, Jawa Timur
DESA_B = "35.09.15.2002"  # Dukuhmencek, same kecamatan
DESA_OTHER_KEC = "35.09.16.2001"  # Kemuningsarikidul, Kec. Jenggawah, same kabupaten
DESA_OTHER_KAB = "35.10.01.2001"  # Sarongan, Kab. Banyuwangi, same provinsi

# username → (role, wilayah). `*_out` users hold the same role one area away: their actions must be 404.
USERS = {
    "desa": ("operator_desa", DESA),
    "desa_out": ("operator_desa", DESA_B),
    "enum": ("enumerator", DESA),
    "enum_out": ("enumerator", DESA_B),
    "kec": ("operator_kecamatan", "35.09.15"),
    "kec_out": ("operator_kecamatan", "35.09.16"),
    "opkab": ("operator_kabupaten", "35.09"),
    "supkab": ("supervisor_kabupaten", "35.09"),
    "pengesah": ("pengesah_kabupaten", "35.09"),
    "pengesah_out": ("pengesah_kabupaten", "35.10"),
    "supkab_out": ("supervisor_kabupaten", "35.10"),
    "opkab_out": ("operator_kabupaten", "35.10"),
    "prov": ("operator_provinsi", "35"),
    "prov_out": ("operator_provinsi", "33"),
    "pusat": ("pusat", None),
    "auditor": ("auditor", "35.09"),
}
# One in-scope user per role, for matrices.
BY_ROLE = {role: name for name, (role, code) in USERS.items() if not name.endswith("_out")}


@dataclass
class Seed:
    users: dict[str, int]
    households: dict[str, int]
    members: dict[str, int]
    families: dict[str, int]


def _household(session: Session, ref: str, desa: str, people: list[tuple[str, int, dt.date, int]], **kw):
    h = Household(ref=ref, desa_code=desa, **kw)
    session.add(h)
    session.flush()
    f = Family(ref=f"{ref}-K1", household_id=h.id)
    session.add(f)
    session.flush()
    kec = desa.rsplit(".", 1)[0]
    session.add(FamilyKK(family_id=f.id, kk_number=make_nik(kec, dt.date(2010, 1, 5), 1, 7), source="seed"))
    members = {}
    for no, (nama, sex, born, rel) in enumerate(people, start=1):
        m = Member(
            ref=f"{f.ref}-{no}", family_id=f.id, no_urut=no, nama=nama, sex=sex, tanggal_lahir=born,
            hubungan_kk=rel, keberadaan=1, nik=make_nik(kec, born, sex, 100 + len(ref) * 10 + no),
            status_kawin=2 if rel <= 2 else 1,
        )  # fmt: skip
        session.add(m)
        members[f"{ref}-{no}"] = m
    # each seeded ruta was once surveyed (a ruta without any pendataan gets no desil in a penetapan)
    session.add(Assessment(household_id=h.id, instrument="REGSOSEK2022.K", answers={}))
    session.flush()
    return h, f, members


PASSWORD = "rahasia-uji-123"
# One cheap argon2 hash for every seeded user: the API tests log in; production parameters are the defaults.
_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def seed(session: Session) -> Seed:
    users = {}
    for name, (role, code) in USERS.items():
        u = User(
            username=name,
            full_name=name.title(),
            role=role,
            wilayah_code=code,
            password_hash=_HASH,
            active=True,
        )
        session.add(u)
        session.flush()
        users[name] = u.id
    households, families, members = {}, {}, {}
    layout = {
        "R1": (DESA, {"dusun": "Krajan", "rw": "001", "rt": "002", "alamat": "Jl. Mawar 3"}),
        "R2": (DESA, {"dusun": "Krajan", "rw": "001", "rt": "003", "alamat": "Jl. Melati 9"}),
        "R3": (DESA, {"dusun": "Gumuk", "rw": "002", "rt": "001", "alamat": "Gumuk RT 1"}),
        "RB": (DESA_B, {"dusun": "Timur", "rw": "001", "rt": "001", "alamat": "Dukuh 1"}),
        "RK": (DESA_OTHER_KEC, {"rw": "004", "rt": "001", "alamat": "Jenggawah 2"}),
        "RX": (DESA_OTHER_KAB, {"rw": "001", "rt": "001", "alamat": "Sarongan 5"}),
    }
    for ref, (desa, place) in layout.items():
        people = [
            (f"Budi {ref}", 1, dt.date(1975, 3, 14), 1),
            (f"Sri {ref}", 2, dt.date(1979, 8, 2), 2),
            (f"Ani {ref}", 2, dt.date(2005, 11, 21), 3),
        ]
        h, f, ms = _household(session, ref, desa, people, **place)
        households[ref], families[ref] = h.id, f.id
        members.update({k: m.id for k, m in ms.items()})
    session.commit()
    return Seed(users, households, members, families)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def wf_engine(request, tmp_path_factory):
    """An engine with the full schema and the seed, once per module and backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('wf') / 'siks.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        engine.seed = seed(session)
    yield engine
    engine.dispose()


@pytest.fixture
def wf_seed(wf_engine) -> Seed:
    return wf_engine.seed


@pytest.fixture
def wf_session(wf_engine):
    """A session whose every change is rolled back after the test (commits become savepoints)."""
    yield from rolled_back_session(wf_engine)


def rolled_back_session(engine):
    """Yields a session in an outer transaction that is rolled back afterwards; its commits are savepoints."""
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    conn.close()


@pytest.fixture
def user(wf_session, wf_seed):
    """`user("kec")` → that seeded User, loaded in the test's session."""
    return lambda name: wf_session.get(User, wf_seed.users[name])


def forced_usulan(session: Session, seed: Seed, status: str, level: str | None, member: str = "R1-3"):
    """An usulan placed directly in a workflow position (the pure tests cover how it gets there).

    It deactivates member `member` as `pindah` and sits in a submitted batch with a berita acara, so every
    step that needs one is possible.
    """
    from siks.store.models.usulan import Usulan, UsulanBatch, UsulanDocument

    doc = UsulanDocument(
        kind="berita_acara", desa_code=DESA, sha256="0" * 64, media_type="application/pdf", size=10,
        file_name="ba.pdf", storage_path="berita_acara/00/x.pdf",
    )  # fmt: skip
    session.add(doc)
    session.flush()
    batch = UsulanBatch(desa_code=DESA, title="Musdes uji", status="diajukan", berita_acara_id=doc.id)
    session.add(batch)
    session.flush()
    u = Usulan(
        kind="nonaktif", subkind="pindah", status=status, level=level, desa_code=DESA, batch_id=batch.id,
        target_entity="member", target_id=seed.members[member], payload={"tanggal": None},
        subject_name="Ani", description="Nonaktif: Pindah", channel="operator",
    )  # fmt: skip
    session.add(u)
    session.flush()
    return u


def toddler(family_id: int) -> Member:
    """Bayu (born January 2025), fourth member of R1's family: the under-five the program rules see."""
    return Member(
        ref="R1-K1-4",
        family_id=family_id,
        no_urut=4,
        nama="Bayu R1",
        sex=1,
        hubungan_kk=3,
        keberadaan=1,
        nik="3509150101250004",
        tanggal_lahir=dt.date(2025, 1, 10),
    )


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    """The web app over a seeded SQLite database (HTTP tests; the service matrix covers PostgreSQL).

    Data is committed, so each test creates the usulan it works on. Uploads go to a temporary data dir.
    """
    tmp = tmp_path_factory.mktemp("api")
    with seeded_app(tmp, f"sqlite:///{tmp / 'siks.db'}", "uji-" + "x" * 40) as app:
        yield app


@contextmanager
def seeded_app(tmp, url: str, secret_key: str):
    """The web app over a freshly seeded database at `url`, with uploads under `tmp/data` and a fast
    password hasher; everything is put back on exit."""
    from siks.accounts import service as accounts
    from siks.web.app import create_app

    hasher, accounts._hasher = accounts._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    old = os.environ.get("SIKS_DATA_DIR")
    os.environ["SIKS_DATA_DIR"] = str(tmp / "data")
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            engine.seed = seed(session)
        app = create_app(engine, secret_key=secret_key)
        app.state.seed = engine.seed
        yield app
    finally:
        engine.dispose()
        accounts._hasher = hasher
        if old is None:
            os.environ.pop("SIKS_DATA_DIR", None)
        else:
            os.environ["SIKS_DATA_DIR"] = old


def login(client, username: str, password: str = PASSWORD):
    """Log in through the JSON API; the client then sends the CSRF header on every request."""
    token = client.get("/api/v1/session").json()["csrf_token"]
    r = client.post("/api/v1/session", json={"username": username, "password": password},
                    headers={"X-CSRF-Token": token})  # fmt: skip
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def logged_in_clients(new_client):
    """Yields `client_for(username)`: a client from `new_client()`, logged in; all are closed afterwards."""
    made = []

    def make(username: str):
        c = new_client()
        made.append(c)
        return login(c, username)

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client_for(api_app):
    """`client_for("kec")` → a TestClient logged in as that seeded user."""
    yield from logged_in_clients(lambda: TestClient(api_app))


BERITA_ACARA_PDF = b"%PDF-1.4\n% berita acara musdes\n"


def send_up(session, user, usulan, tmp_path, workflow=None, through=("kec", "pengesah")):
    """Batch with berita acara → submit → each level's forward step (a kabupaten-run instance unless
    `workflow` says otherwise). Returns the usulan list."""
    from siks.domain.usulan import Workflow
    from siks.usulan import batches, service

    workflow = workflow or Workflow("kabupaten")
    desa = user("desa")
    batch = batches.create_batch(session, desa, "Musdes Mei", dt.date(2025, 5, 20))
    batches.add_usulan(session, desa, batch.id, [u.id for u in usulan])
    batches.attach_berita_acara(session, desa, batch.id, "ba.pdf", BERITA_ACARA_PDF, tmp_path)
    batches.submit_batch(session, desa, batch.id, batch.version, workflow)
    actions = {"kec": "verifikasi", "pengesah": "sahkan", "prov": "teruskan", "pusat": "terima"}
    for name in through:
        for u in usulan:
            service.act(session, user(name), u.id, actions[name], u.version, None, workflow)
    return usulan
