"""siks as a DCI CRVS client: online padan of one person against a CRVS registry on loopback.

The registry (tests/dci/crvs_server.py) validates every request and response against crvs_api_v1.0.0.yaml;
`problems` must stay empty.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from browser_fixtures import serving
from dci.crvs_server import CrvsServer, write_extract
from dci.support import Spec, nik_of
from siks.cli import app
from siks.dci import trust
from siks.dci.crvs import CrvsClient, CrvsError, compare, padan_online
from siks.store.db import make_engine, upgrade
from siks.store.models.registry import AuditEntry

BUDI = nik_of("H1", 1)
SITI = nik_of("H1", 2)
MARNI = nik_of("H4", 1)
UNKNOWN = "3509150000000099"


def _siks_client(url: str, key) -> CrvsClient:
    """SIKS Jember's client of the registry at `url`, registered with `key`."""
    return CrvsClient(
        url,
        client_id="siks-jember",
        client_secret="rahasia-crvs",
        key=key,
        sender_id="siks-jember",
        receiver_id="crvs",
    )


@pytest.fixture(scope="module")
def crvs(tmp_path_factory):
    extract = write_extract(
        tmp_path_factory.mktemp("dukcapil") / "dukcapil.csv",
        [
            {
                "nik": BUDI,
                "no_kk": "3509150202200001",
                "nama": "BUDI SANTOSO",
                "tempat_lahir": "JEMBER",
                "tanggal_lahir": "1975-03-14",
                "jenis_kelamin": "1",
                "kode_desa": "35.09.15.2001",
                "status_hidup": "HIDUP",
                "tanggal_meninggal": "",
            },
            {
                "nik": SITI,
                "no_kk": "3509150202200001",
                "nama": "SITI AMINAH",
                "tempat_lahir": "JEMBER",
                "tanggal_lahir": "1979-08-20",
                "jenis_kelamin": "2",
                "kode_desa": "35.09.15.2001",
                "status_hidup": "HIDUP",
                "tanggal_meninggal": "",
            },
            {
                "nik": MARNI,
                "no_kk": "3510010202200004",
                "nama": "MARNI",
                "tempat_lahir": "BANYUWANGI",
                "tanggal_lahir": "1960-01-01",
                "jenis_kelamin": "2",
                "kode_desa": "35.10.01.2001",
                "status_hidup": "MATI",
                "tanggal_meninggal": "2026-05-01",
            },
        ],
    )
    server = CrvsServer(extract, Spec("crvs_api_v1.0.0.yaml"))
    siks_key = trust.generate_key()
    server.register("siks-jember", "rahasia-crvs", trust.jwks(siks_key))
    with serving(server.app) as url:
        client = _siks_client(url, siks_key)
        yield server, client, url, siks_key
    assert server.problems == []


def test_padan_when_everything_agrees(crvs):
    server, client, _, _ = crvs
    result = client.padan(BUDI, "Budi  Santoso", dt.date(1975, 3, 14), 1)
    assert result.padan and result.reasons == []
    assert server.searches[-1]["message"]["search_request"][0]["search_criteria"]["query"] == {
        "type": "NIK",
        "value": BUDI,
    }
    assert server.problems == []


def test_tidak_padan_names_the_field(crvs):
    _, client, _, _ = crvs
    result = client.padan(SITI, "Siti Aminah", dt.date(1979, 8, 2), 2)
    assert result.status == "tidak_padan"
    assert result.reasons == ["Tanggal lahir berbeda: tercatat 1979-08-02, registri sipil 1979-08-20."]
    dead = client.padan(MARNI, "Marni", dt.date(1960, 1, 1), 2)
    assert dead.status == "tidak_padan" and dead.meninggal
    assert "meninggal pada 2026-05-01" in dead.reasons[0]


def test_unknown_nik(crvs):
    _, client, _, _ = crvs
    result = client.padan(UNKNOWN, "Siapa", dt.date(1990, 1, 1), 1)
    assert result.status == "tidak_ditemukan" and UNKNOWN in result.reasons[0]


def test_answers_not_signed_by_the_registry_are_not_believed(crvs):
    _, client, url, siks_key = crvs
    impostor = _siks_client(url, siks_key)
    impostor._jwks = trust.jwks(trust.generate_key("rs256"))  # a key the registry never used
    with pytest.raises(CrvsError, match="Tanda tangan jawaban"):
        impostor.padan(BUDI, "Budi Santoso", dt.date(1975, 3, 14), 1)


def test_registry_refuses_a_wrong_secret_or_an_unregistered_key(crvs):
    _, _, url, siks_key = crvs
    wrong = CrvsClient(
        url, client_id="siks-jember", client_secret="salah", key=siks_key, sender_id="siks-jember"
    )
    with pytest.raises(CrvsError, match="401"):
        wrong.padan(BUDI, "Budi Santoso", dt.date(1975, 3, 14), 1)
    other_key = CrvsClient(
        url,
        client_id="siks-jember",
        client_secret="rahasia-crvs",
        key=trust.generate_key(),
        sender_id="siks-jember",
    )
    with pytest.raises(CrvsError, match="err.signature.invalid"):
        other_key.padan(BUDI, "Budi Santoso", dt.date(1975, 3, 14), 1)


def test_online_padan_is_audited(crvs, db_url):
    _, client, _, _ = crvs
    upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        result = padan_online(
            session, "operator_desa_jubung", client, BUDI, "Budi Santoso", dt.date(1975, 3, 14), 1
        )
    assert result.padan
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "dci_padan")).one()
    assert (
        entry.actor == "operator_desa_jubung"
        and entry.after["nik"] == BUDI
        and entry.after["status"] == "padan"
    )
    engine.dispose()


def test_compare_is_the_exact_match_rule():
    record = {
        "name": {"given_name": "SITI AMINAH"},
        "birth_date": "1979-08-02T00:00:00",
        "sex": "female",
        "identifier": {"identifier_type": "NIK", "identifier_value": SITI},
    }
    assert compare(SITI, "siti aminah", dt.date(1979, 8, 2), 2, record).padan
    assert compare(SITI, "Siti Amina", dt.date(1979, 8, 2), 2, record).reasons[0].startswith("Nama berbeda")
    assert compare(SITI, "Siti Aminah", dt.date(1979, 8, 2), 1, record).reasons == [
        "Jenis kelamin berbeda dengan registri sipil."
    ]


def test_padan_from_the_command_line(crvs, db_url, tmp_path, monkeypatch):
    server, _, url, _ = crvs
    monkeypatch.setenv("SIKS_DCI_KEY_FILE", str(tmp_path / "siks.jwk"))
    server.register("siks-cli", "rahasia-cli", trust.jwks(trust.load_signing_key()))
    env = {
        "SIKS_DCI_CRVS_URL": url,
        "SIKS_DCI_CRVS_CLIENT_ID": "siks-cli",
        "SIKS_DCI_CRVS_SECRET": "rahasia-cli",
        "SIKS_DCI_ID": "siks-cli",
        "COLUMNS": "200",
    }
    upgrade(db_url)
    runner = CliRunner(env=env)
    args = [
        "dci",
        "padan",
        "--nama",
        "Siti Aminah",
        "--lahir",
        "1979-08-02",
        "--jk",
        "2",
        "--oleh",
        "op",
        "--db",
    ]
    got = runner.invoke(app, [*args[:2], SITI, *args[2:], db_url])
    assert got.exit_code == 3, got.output
    assert got.output.splitlines()[0] == "TIDAK PADAN" and "Tanggal lahir berbeda" in got.output
    ok = runner.invoke(
        app,
        [
            "dci",
            "padan",
            BUDI,
            "--nama",
            "Budi Santoso",
            "--lahir",
            "1975-03-14",
            "--jk",
            "1",
            "--oleh",
            "op",
            "--db",
            db_url,
        ],
    )
    assert ok.exit_code == 0 and ok.output.strip() == "PADAN"
    missing = CliRunner(env={"SIKS_DCI_CRVS_URL": ""}).invoke(
        app, ["dci", "padan", BUDI, "--nama", "x", "--lahir", "2000-01-01", "--jk", "1", "--oleh", "op"]
    )
    assert missing.exit_code == 2 and "SIKS_DCI_CRVS_URL" in missing.output
