"""Browser tests: Debian's Chromium through Playwright against a real uvicorn server on a free port.

Screenshots go to test-artifacts/ (git-ignored) so a person can look at the pages.
"""

from __future__ import annotations

import pytest

from browser_fixtures import BROWSER_MARKS, log_in, serving, shot
from siks.domain.masking import mask_nik
from web.support import _build, nik_for

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, _cheap_argon2):
    """uvicorn serving the app over the web tests' seeded SQLite database (built by the migrations)."""
    from siks.web.app import create_app

    engine = _build(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'siks.db'}")
    with serving(create_app(engine, secret_key="uji-browser-" + "z" * 32)) as base:
        yield base, engine
    engine.dispose()


def test_login_find_by_nik_and_name_open_household(live_server, page):
    base, engine = live_server
    page.goto(base + "/masuk")
    shot(page, "01-masuk")
    log_in(page, base, "desa")
    assert page.get_by_role("heading", name="Selamat datang, Desa").is_visible()
    assert "Jubung" in page.content()
    shot(page, "02-beranda")

    nik = nik_for("R1", 2)
    page.get_by_label("NIK, nomor KK, atau nama").fill(nik)
    page.get_by_role("button", name="Cari").click()
    row = page.get_by_role("row", name="Siti Aminah R1")
    assert row.is_visible()
    assert mask_nik(nik) in row.inner_text() and nik not in row.inner_text()  # lists are masked
    shot(page, "03-cari-nik")

    page.get_by_label("NIK, nomor KK, atau nama").fill("siti aminah")
    page.get_by_role("button", name="Cari").click()
    assert page.get_by_role("row", name="Siti Aminah R2").is_visible()
    assert page.get_by_role("row", name="Siti Aminah RB").count() == 0  # another desa: not in scope
    shot(page, "04-cari-nama")

    page.get_by_role("row", name="Siti Aminah R1").get_by_role("link", name="Buka rumah tangga").click()
    page.wait_for_url("**/ruta/*")
    assert page.get_by_role("heading", name="Rumah tangga R1", exact=True).is_visible()
    assert page.get_by_role("cell", name=nik, exact=True).is_visible()  # the full NIK on this page
    assert page.get_by_role("heading", name="Temuan verval terakhir").is_visible()
    assert "menunjukkan laki-laki" in page.content()
    shot(page, "05-rumah-tangga")


def test_address_correction_shows_in_history(live_server, page):
    base, engine = live_server
    log_in(page, base, "kec")
    page.goto(base + f"/ruta/{engine.seed.households['R2']}")
    page.get_by_role("link", name="Perbaiki alamat").click()
    page.get_by_label("RT").fill("4")
    page.get_by_label("Alasan perubahan").fill("RT salah saat pendataan")
    page.get_by_role("button", name="Simpan").click()
    assert page.get_by_role("status").get_by_text("Perubahan tersimpan").is_visible()
    history = page.get_by_role("region", name="Riwayat perubahan")
    assert "RT salah saat pendataan" in history.inner_text() and "004" in history.inner_text()
    shot(page, "06-riwayat-perubahan")


def test_wrong_password_and_out_of_scope(live_server, page):
    base, engine = live_server
    page.goto(base + "/masuk")
    page.get_by_label("Nama pengguna").fill("desa")
    page.get_by_label("Kata sandi").fill("bukan-ini")
    page.get_by_role("button", name="Masuk").click()
    assert page.get_by_role("alert").get_by_text("salah").is_visible()
    log_in(page, base, "desa")
    response = page.goto(base + f"/ruta/{engine.seed.households['RX']}")
    assert response.status == 404
    assert page.get_by_role("alert").get_by_text("di luar wilayah").is_visible()
    shot(page, "07-di-luar-wilayah")
