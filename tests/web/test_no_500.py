"""Hostile numbers and codes answer 4xx with an Indonesian message, never 500 (issue #17.5)."""

from __future__ import annotations

import re

import pytest

from web.support import make_client

HUGE = str(2**64)


@pytest.fixture
def anon(app):
    return make_client(app, ip="10.9.9.9")


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/households/{HUGE}",
        f"/api/v1/households/{HUGE}/audit",
        f"/api/v1/usulan/{HUGE}",
        f"/api/v1/usulan-batches/{HUGE}",
        f"/ruta/{HUGE}",
        f"/anggota/{HUGE}",
        f"/penetapan/{HUGE}",
        f"/penetapan/{HUGE}/daftar.pdf",
        "/api/v1/usulan?desa_code=null",
        "/api/v1/usulan?page=" + HUGE,
        "/penetapan/1/daftar.pdf?desa=abc",
    ],
)
def test_get_never_500(client_for, path):
    r = client_for("pusat").get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:300])


def test_api_bodies_never_500(client_for):
    client = client_for("desa")
    r = client.post(
        "/api/v1/usulan", json={"kind": "baru", "subkind": "ruta", "desa_code": "abc", "payload": {}}
    )
    assert r.status_code == 422 and "Kode wilayah" in r.json()["detail"], r.text
    r = client.post(f"/api/v1/usulan/{HUGE}/actions", json={"action": "ajukan", "version": int(HUGE)})
    assert 400 <= r.status_code < 500, r.text
    r = client.patch(f"/api/v1/households/{HUGE}", json={"dusun": "Krajan", "reason": "uji"})
    assert 400 <= r.status_code < 500, r.text


def test_public_usul_with_a_bad_desa_code(anon):
    page = anon.get("/cek/usul?prov=35&kab=35.09&kec=35.09.15&desa=35.09.15.2001")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post(
        "/cek/usul",
        data={"desa": "abc", "pelapor": "Sri", "hubungan": "orang_lain", "alasan": "x", "alamat": "y",
              "nama": "Tumini", "nik": "3509154107650003", "sex": "2", "tanggal_lahir": "1965-07-01",
              "csrf_token": token},
    )  # fmt: skip
    assert r.status_code == 422 and "Kode wilayah" in r.text, r.text[:500]


def test_oversized_bodies_are_refused_before_reading(anon, client_for):
    """A 7 MB anonymous post is refused with 413 before CSRF or form parsing reads it (#17.6)."""
    big = b"x" * (7 * 1024 * 1024)
    r = anon.post("/cek/usul", content=big, headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "terlalu besar" in r.text
    r = anon.post("/cek/usul", content=b"a=1", headers={"content-length": "abc"})
    assert r.status_code == 413
    small = anon.post(
        "/cek/usul", content=b"x" * 1024, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert small.status_code == 403  # an ordinary body reaches the CSRF check

    def chunks():  # no Content-Length: counted while it streams
        for _ in range(8):
            yield b"y" * (1024 * 1024)

    r = anon.post(
        "/cek/usul", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code in (400, 413), r.status_code
