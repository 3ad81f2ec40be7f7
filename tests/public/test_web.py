"""Public pages over HTTP (no login): selects, masked results, no NIK, CSRF, sanggah from a search, limits."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.accounts import service as accounts
from siks.penetapan import service
from siks.penetapan.sources import Score, ScoreTable
from siks.store.models.penetapan import PenetapanMember
from siks.store.models.usulan import Usulan
from web.support import DESA, make_client, nik_for

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200


@pytest.fixture(scope="module")
def in_force(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as s, s.begin():
        scores = ScoreTable({"R1": Score(2), "R2": Score(8), "RB": Score(1), "RK": Score(1)}, {"kind": "uji"})
        start = dt.date.today() - dt.timedelta(days=3)
        p = service.create(
            s,
            accounts.get_user(s, "supkab"),
            title="DTKS Uji",
            periode=start.strftime("%Y-%m"),
            berlaku_mulai=start,
            scores=scores,
        )
    return p.id


@pytest.fixture
def web(app, monkeypatch, tmp_path):
    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    clients = []

    def make(ip="10.9.0.1"):
        c = make_client(app, ip)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def search(client, nama="budi", desa=DESA):
    page = client.get(f"/cek?prov=35&kab=35.09&kec=35.09.15&desa={desa}")
    return client.post("/cek", data={"desa": desa, "nama": nama, "csrf_token": token(page.text)})


def test_selects_cascade_without_login(web, in_force):
    c = web()
    start = c.get("/cek")
    assert start.status_code == 200 and "Jawa Timur" in start.text and 'id="kab"' not in start.text
    deeper = c.get("/cek?prov=35&kab=35.09&kec=35.09.15")
    assert "Sukorambi" in deeper.text and "Jubung" in deeper.text and 'id="nama"' not in deeper.text
    assert 'id="nama"' in c.get(f"/cek?prov=35&kab=35.09&kec=35.09.15&desa={DESA}").text
    mismatched = c.get("/cek?prov=33&kab=35.09")  # a kabupaten outside the provinsi is ignored
    assert 'id="kec"' not in mismatched.text


def test_results_are_masked_and_never_show_a_nik(web, in_force):
    r = search(web())
    assert r.status_code == 200
    assert "B*** SA*** R***" in r.text and "Budi Santoso" not in r.text
    assert nik_for("R1", 1) not in r.text and nik_for("R2", 1) not in r.text
    assert "Terdaftar dalam DTKS" in r.text and "Tidak terdaftar dalam DTKS" in r.text
    results = r.text.split('class="result-list"')[1].split("</ul>")[0]
    assert "PBI-JK" in results
    # the rules are named (desil 1–5), never a person's own desil: that needs their NIK (test_reasons.py)
    assert "Desil rumah tangga Anda" not in results and "Data Anda yang dipakai" not in results


def _session_doc(client) -> dict:
    """The session cookie as anyone holding it can read it: base64 JSON before the signature."""
    raw = next(v for k, v in client.cookies.items() if k.startswith("siks"))
    body = raw.split(".")[0]
    return json.loads(base64.b64decode(body + "=" * (-len(body) % 4)))


def test_the_session_cookie_carries_no_member_ids(web, in_force, sqlite_engine):
    c = web("10.9.1.7")
    search(c, "budi")
    with Session(sqlite_engine) as s:
        ids = s.scalars(select(PenetapanMember.id).where(PenetapanMember.penetapan_id == in_force)).all()
    doc = _session_doc(c)
    assert ids and "cek_hasil" in doc
    sealed = doc["cek_hasil"]
    assert isinstance(sealed, str) and not sealed.startswith("[")  # an opaque token, not a list of ids
    assert not [v for v in doc.values() if isinstance(v, list | int)]
    assert c.get("/cek/sanggah/0").status_code == 200  # the server still finds the person it showed
    assert c.get("/cek/sanggah/5").status_code == 404


def test_no_listing_and_csrf(web, in_force):
    c = web()
    for bad in ("", "bu", "%", "___"):
        r = search(c, bad)
        assert r.status_code == 422
    assert c.post("/cek", data={"desa": DESA, "nama": "budi"}).status_code == 403  # no CSRF token
    assert c.get("/cek/sanggah/0").status_code == 404  # nothing searched in this session


def test_rate_limit_over_http(web, in_force):
    c = web("10.9.9.9")
    page = c.get(f"/cek?desa={DESA}")
    t = token(page.text)
    codes = [
        c.post("/cek", data={"desa": DESA, "nama": "budi", "csrf_token": t}).status_code for _ in range(21)
    ]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    assert (
        web("10.9.9.10").post("/cek", data={"desa": DESA, "nama": "budi", "csrf_token": t}).status_code == 403
    )


def test_sanggah_from_a_search(web, in_force, sqlite_engine):
    c = web("10.9.1.1")
    results = search(c, "budi")
    assert 'href="/cek/sanggah/0"' in results.text
    form = c.get("/cek/sanggah/0")
    assert form.status_code == 200 and "B***" in form.text
    data = {
        "pelapor": "Warga",
        "nik": "3509154107890001",
        "alasan_kode": "mampu",
        "alasan": "Punya toko besar",
        "lat": "-8.17",
        "lon": "113.66",
        "csrf_token": token(form.text),
    }
    bad = c.post("/cek/sanggah/0", data=data, files={"foto": ("x.pdf", b"%PDF-1.4", "application/pdf")})
    assert bad.status_code == 422 and "JPEG" in bad.text
    ok = c.post("/cek/sanggah/0", data=data, files={"foto": ("rumah.jpg", JPEG, "image/jpeg")})
    assert ok.status_code == 200, ok.text
    code = re.search(r'id="kode">([A-Z0-9]+)<', ok.text).group(1)
    with Session(sqlite_engine) as s:
        u = s.query(Usulan).filter_by(kind="sanggah", channel="warga").order_by(Usulan.id.desc()).first()
        assert (u.level, u.status, u.desa_code) == ("desa", "draf", DESA)
    lacak = c.get("/cek/lacak")
    tracked = c.post("/cek/lacak", data={"kode": code, "csrf_token": token(lacak.text)})
    assert "Draf" in tracked.text


def test_usul_form(web, in_force, sqlite_engine):
    c = web("10.9.2.2")
    page = c.get(f"/cek/usul?prov=35&kab=35.09&kec=35.09.15&desa={DESA}")
    data = {
        "desa": DESA,
        "pelapor": "Sri",
        "hubungan": "diri_sendiri",
        "nama": "Tumini",
        "nik": "3509154107650003",
        "sex": "2",
        "tanggal_lahir": "1965-07-01",
        "alamat": "Krajan",
        "alasan": "Tidak bekerja",
        "csrf_token": token(page.text),
    }
    r = c.post("/cek/usul", data=data)
    assert r.status_code == 200 and "Usul Anda telah diterima" in r.text
    bad = c.post("/cek/usul", data={**data, "nik": "123"})
    assert bad.status_code == 422 and "NIK" in bad.text
