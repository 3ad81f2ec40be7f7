"""Shared data and fixtures for the web/accounts tests (conftest.py imports the fixtures): a migrated
database with households in and out of every scope, one user per role (and one a wilayah away), an app
over it, and logged-in clients.

The schema comes from the real migrations (`upgrade`), once per module and backend; tests that change data
only touch records no other test reads, or check relative changes.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from siks.accounts import service as accounts
from siks.store.db import make_engine, upgrade
from siks.store.models.registry import Assessment, Family, FamilyKK, Household, Member
from workflow_support import (  # the wilayah, password and log-in are the same as the workflow tests'
    DESA,
    DESA_B,
    DESA_OTHER_KAB,
    DESA_OTHER_KEC,
    PASSWORD,
    logged_in_clients,
    login,  # noqa: F401 - the web tests import it from here
    rolled_back_session,
)

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)

DESA_OTHER_PROV = "33.74.01.1001"  # Kota Semarang, Jawa Tengah

# username -> (role, wilayah). `*_out` hold the same role one area away.
USERS = {
    "desa": ("operator_desa", DESA),
    "desa_out": ("operator_desa", DESA_B),
    "enum": ("enumerator", DESA),
    "kec": ("operator_kecamatan", "35.09.15"),
    "kec_out": ("operator_kecamatan", "35.09.16"),
    "opkab": ("operator_kabupaten", "35.09"),
    "opkab_out": ("operator_kabupaten", "35.10"),
    "supkab": ("supervisor_kabupaten", "35.09"),
    "pengesah": ("pengesah_kabupaten", "35.09"),
    "prov": ("operator_provinsi", "35"),
    "prov_out": ("operator_provinsi", "33"),
    "pusat": ("pusat", None),
    "auditor": ("auditor", "35.09"),
    "auditor_desa": ("auditor", DESA_B),
}
# household ref -> desa
HOUSEHOLDS = {
    "R1": DESA,
    "R2": DESA,
    "RB": DESA_B,
    "RK": DESA_OTHER_KEC,
    "RX": DESA_OTHER_KAB,
    "RP": DESA_OTHER_PROV,
}


def nik_for(ref: str, no: int) -> str:
    """A 16-digit NIK per seeded member; 'R1' member 1 → 3509151403750101-like, unique per ref."""
    base = {"R1": 11, "R2": 12, "RB": 21, "RK": 31, "RX": 41, "RP": 51}[ref]
    return f"350915140375{base:02d}{no:02d}"


KK_OLD = "3509150101100001"
KK_R1 = "3509150202200002"


@dataclass
class Seed:
    users: dict[str, int]
    households: dict[str, int]
    members: dict[str, int]


def _seed(session: Session) -> Seed:
    users = {}
    for name, (role, code) in USERS.items():
        users[name] = accounts.create_user(session, name, PASSWORD, role, code, full_name=name.title()).id
    households, members = {}, {}
    for ref, desa in HOUSEHOLDS.items():
        h = Household(ref=ref, desa_code=desa, dusun="Krajan", rw="001", rt="002", alamat=f"Jl. Mawar {ref}")
        session.add(h)
        session.flush()
        f = Family(ref=f"{ref}-K1", household_id=h.id)
        session.add(f)
        session.flush()
        if ref == "R1":  # a KK that changed: the old number must still find the family
            session.add(
                FamilyKK(
                    family_id=f.id,
                    kk_number=KK_OLD,
                    valid_from=dt.datetime(2015, 1, 1, tzinfo=dt.UTC),
                    valid_to=dt.datetime(2021, 6, 1, tzinfo=dt.UTC),
                    source="impor 2015",
                )
            )
            session.add(FamilyKK(family_id=f.id, kk_number=KK_R1, source="impor 2021"))
        people = [
            (f"Budi Santoso {ref}", 1, dt.date(1975, 3, 14), 1),
            (f"Siti Aminah {ref}", 2, dt.date(1979, 8, 2), 2),
            (f"Ani {ref}", 2, dt.date(2005, 11, 21), 3),
        ]
        for no, (nama, sex, born, rel) in enumerate(people, start=1):
            m = Member(
                ref=f"{f.ref}-{no}", family_id=f.id, no_urut=no, nama=nama, nik=nik_for(ref, no), sex=sex,
                tanggal_lahir=born, hubungan_kk=rel, keberadaan=1, status_kawin=2 if rel <= 2 else 1,
            )  # fmt: skip
            session.add(m)
            session.flush()
            members[f"{ref}-{no}"] = m.id
        session.add(
            Assessment(
                household_id=h.id,
                instrument="REGSOSEK2022.K",
                assessed_on=dt.date(2024, 5, 2),
                assessed_by="PPL 0007",
                answers={"status_bangunan": 1, "luas_lantai": 36, "jenis_lantai": 8},
            )
        )
        households[ref] = h.id
    _seed_verval(session)
    return Seed(users, households, members)


def _seed_verval(session: Session) -> None:
    """Two verval runs: the household page must show the latest one's findings only."""
    from siks.store.models.verval import VervalFinding, VervalRun

    def at(day: int) -> dt.datetime:
        return dt.datetime(2025, 7, day, 9, 0, tzinfo=dt.UTC)

    session.add_all([
        VervalRun(id="uji-lama", status="selesai", actor="uji", started_at=at(1), finished_at=at(1)),
        VervalRun(id="uji-baru", status="selesai", actor="uji", started_at=at(8), finished_at=at(8)),
    ])  # fmt: skip
    session.flush()
    nik = nik_for("R1", 2)
    session.add_all([
        VervalFinding(run_id="uji-lama", code="NIK_EMPTY", level="anggota", member_ref="R1-K1-2",
                      household_ref="R1", kode_desa=DESA, explanation="Temuan lama yang sudah diganti."),
        VervalFinding(run_id="uji-baru", code="NIK_SEX_MISMATCH", level="anggota", member_ref="R1-K1-2",
                      family_ref="R1-K1", household_ref="R1", kode_desa=DESA, nik=nik,
                      explanation=f"NIK {nik} menunjukkan laki-laki, padahal tercatat perempuan."),
        VervalFinding(run_id="uji-baru", code="PMT_SPARSE_ANSWERS", level="ruta", household_ref="R1",
                      kode_desa=DESA, explanation="Jawaban perumahan banyak yang kosong."),
    ])  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2():
    """Tests hash many passwords; production parameters are the argon2-cffi defaults."""
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = original


def _build(url: str):
    upgrade(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        engine.seed = _seed(session)
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web_engine(request, tmp_path_factory, _cheap_argon2):
    """A migrated, seeded database: once per test module and backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'siks.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database()
    engine = _build(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory, _cheap_argon2):
    """The same seeded database, SQLite only (HTTP-level tests)."""
    engine = _build(f"sqlite:///{tmp_path_factory.mktemp('websq') / 'siks.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def seed(web_engine) -> Seed:
    return web_engine.seed


@pytest.fixture
def session(web_engine):
    """A session whose changes are rolled back after the test."""
    yield from rolled_back_session(web_engine)


def user(session: Session, name: str):
    return accounts.get_user(session, name)


@pytest.fixture(scope="module")
def app(sqlite_engine):
    from siks.web.app import create_app

    return create_app(sqlite_engine, secret_key="uji-" + "x" * 40)


def make_client(app, ip: str = "10.0.0.1"):
    from fastapi.testclient import TestClient

    return TestClient(app, client=(ip, 50000))


@pytest.fixture
def client_for(app):
    """`client_for("opkab")` → a TestClient logged in as that seeded user."""
    yield from logged_in_clients(lambda: make_client(app))
