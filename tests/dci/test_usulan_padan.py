"""Online padan from usulan entry (#14.4): an usulan baru entered through the JSON API or the web form asks
the configured CRVS registry (the loopback server of tests/dci/crvs_server.py, which validates every
request and response against crvs_api_v1.0.0.yaml) about each new person, and shows and stores the result.
A registry that cannot be reached leaves the usulan saved and its padan `tertunda`, retried later."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from browser_fixtures import serving
from dci.crvs_server import CrvsServer, write_extract
from dci.support import Spec
from siks.cli import app
from siks.dci import trust
from siks.domain.nik import make_nik
from siks.store.models.dci import DciPadan
from siks.store.models.registry import AuditEntry

KEC = "35.09.15"
RINI = make_nik(KEC, dt.date(1991, 4, 5), 2, 71)  # agrees with the registry
ADI = make_nik(KEC, dt.date(2015, 9, 9), 1, 72)  # the registry has another birth date
NEW = make_nik(KEC, dt.date(2024, 2, 2), 1, 73)  # not (yet) in the registry
DIMAS = make_nik(KEC, dt.date(2016, 1, 1), 1, 74)  # the registry has another birth date
WATI = make_nik(KEC, dt.date(1988, 3, 3), 2, 75)  # agrees; asked while the registry is down
OTHER = make_nik(KEC, dt.date(1980, 6, 6), 1, 76)
LATER = make_nik(KEC, dt.date(2023, 3, 3), 2, 77)  # not in the registry; asked while it is down


def _row(nik: str, nama: str, born: str, sex: int) -> dict:
    return {
        "nik": nik, "no_kk": "3509150505200071", "nama": nama, "tempat_lahir": "JEMBER",
        "tanggal_lahir": born, "jenis_kelamin": str(sex), "kode_desa": "35.09.15.2001",
        "status_hidup": "HIDUP", "tanggal_meninggal": "",
    }  # fmt: skip


@pytest.fixture(scope="module")
def crvs(tmp_path_factory):
    extract = write_extract(
        tmp_path_factory.mktemp("dukcapil") / "dukcapil.csv",
        [
            _row(RINI, "RINI ASTUTI", "1991-04-05", 2),
            _row(ADI, "ADI PRATAMA", "2015-09-08", 1),
            _row(DIMAS, "DIMAS", "2016-01-02", 1),
            _row(WATI, "WATI", "1988-03-03", 2),
        ],
    )
    server = CrvsServer(extract, Spec("crvs_api_v1.0.0.yaml"))
    with serving(server.app) as url:
        yield server, url
    assert server.problems == []


@pytest.fixture
def configured(crvs, monkeypatch, tmp_path):
    """siks configured for online padan with the loopback registry, its key registered there."""
    server, url = crvs
    monkeypatch.setenv("SIKS_DCI_KEY_FILE", str(tmp_path / "siks.jwk"))
    monkeypatch.setenv("SIKS_DCI_ID", "siks-jember")
    monkeypatch.setenv("SIKS_DCI_CRVS_URL", url)
    monkeypatch.setenv("SIKS_DCI_CRVS_CLIENT_ID", "siks-jember")
    monkeypatch.setenv("SIKS_DCI_CRVS_SECRET", "rahasia-crvs")
    server.register("siks-jember", "rahasia-crvs", trust.jwks(trust.load_signing_key()))
    return server


def _person(nama: str, nik: str, born: str, sex: int, rel: int) -> dict:
    return {
        "nama": nama,
        "nik": nik,
        "sex": sex,
        "tanggal_lahir": born,
        "hubungan_kk": rel,
        "status_kawin": 2,
    }


def _new_household(desa, *people: dict, rt: str = "7"):
    body = {
        "kind": "baru",
        "subkind": "ruta",
        "payload": {
            "dusun": "Krajan",
            "rw": "2",
            "rt": rt,
            "alamat": "Jl. Kenanga 3",
            "members": list(people),
        },
    }
    return desa.post("/api/v1/usulan", json=body)


def test_the_api_answers_with_each_new_persons_padan(configured, client_for):
    desa = client_for("desa")
    got = _new_household(
        desa,
        _person("Rini Astuti", RINI, "1991-04-05", 2, 1),
        _person("Adi Pratama", ADI, "2015-09-09", 1, 3),
        _person("Bayu", NEW, "2024-02-02", 1, 3),
    )
    assert got.status_code == 201, got.text
    padan = {p["nama"]: p for p in got.json()["padan"]}
    assert padan["Rini Astuti"]["status"] == "padan" and padan["Rini Astuti"]["reasons"] == []
    assert padan["Adi Pratama"]["status"] == "tidak_padan"
    assert padan["Adi Pratama"]["reasons"] == [
        "Tanggal lahir berbeda: tercatat 2015-09-09, registri sipil 2015-09-08."
    ]
    assert padan["Bayu"]["status"] == "tidak_ditemukan"
    assert padan["Bayu"]["status_label"] == "Tidak ditemukan di Dukcapil"
    asked = [
        s["message"]["search_request"][0]["search_criteria"]["query"]["value"] for s in configured.searches
    ]
    assert asked[-3:] == [RINI, ADI, NEW]
    again = desa.get(f"/api/v1/usulan/{got.json()['id']}").json()["padan"]
    assert [p["status"] for p in again] == ["padan", "tidak_padan", "tidak_ditemukan"]


def test_the_form_shows_the_padan_on_the_usulan_page(configured, client_for):
    desa = client_for("desa")
    form = {
        "jenis": "baru", "rincian": "ruta", "dusun": "Krajan", "rw": "3", "rt": "8", "alamat": "Jl. Dahlia 1",
        "art0_nama": "Dimas", "art0_nik": DIMAS, "art0_sex": "1", "art0_tanggal_lahir": "2016-01-01",
        "art0_hubungan_kk": "1", "art0_status_kawin": "1",
    }  # fmt: skip
    r = desa.post("/usulan/baru", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = desa.get(r.headers["location"]).text
    assert "Padan online Dukcapil" in page and "Tidak padan" in page
    assert "Tanggal lahir berbeda: tercatat 2016-01-01, registri sipil 2016-01-02." in page


def test_an_unreachable_registry_keeps_the_usulan_and_marks_the_padan_pending(
    configured, client_for, api_app, monkeypatch, crvs
):
    _, url = crvs
    monkeypatch.setenv("SIKS_DCI_CRVS_URL", "http://127.0.0.1:9")  # nothing listens there
    desa = client_for("desa")
    asked = len(configured.searches)
    got = _new_household(
        desa, _person("Wati", WATI, "1988-03-03", 2, 1), _person("Sari", LATER, "2023-03-03", 2, 3), rt="9"
    )
    assert got.status_code == 201, got.text
    padan, second = got.json()["padan"]
    assert padan["status"] == "tertunda" and "tidak dapat dihubungi" in padan["reasons"][0]
    assert second["status"] == "tertunda" and second["reasons"] == padan["reasons"]  # not asked again
    assert len(configured.searches) == asked
    usulan_id = got.json()["id"]
    page = desa.get(f"/usulan/{usulan_id}").text
    assert "Tertunda (registri sipil tidak dapat dihubungi)" in page and "Usulan tetap tersimpan" in page

    monkeypatch.setenv("SIKS_DCI_CRVS_URL", url)  # the registry is back: the cron job asks again
    db = api_app.state.engine.url.render_as_string(hide_password=False)
    retried = CliRunner().invoke(app, ["dci", "padan-tertunda", "--oleh", "cron", "--db", db])
    assert retried.exit_code == 0, retried.output
    assert "2 padan diulang, 0 masih tertunda." in retried.output
    padan, second = desa.get(f"/api/v1/usulan/{usulan_id}").json()["padan"]
    assert padan["status"] == "padan" and second["status"] == "tidak_ditemukan"
    with Session(api_app.state.engine) as session:
        rows = session.scalars(select(DciPadan).where(DciPadan.usulan_id == usulan_id)).all()
        assert [r.status for r in rows if r.nik == WATI] == [
            "tertunda",
            "padan",
        ]  # both kept: what was known when
        audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "dci_padan")).all()
        assert {e.after["usulan"] for e in audited} >= {usulan_id}


def test_without_a_configured_registry_nothing_is_asked(client_for, monkeypatch):
    monkeypatch.delenv("SIKS_DCI_CRVS_URL", raising=False)
    got = _new_household(client_for("desa"), _person("Joko", OTHER, "1980-06-06", 1, 1), rt="10")
    assert got.status_code == 201 and got.json()["padan"] == []
