"""Browser test of the public pages: cek status through the wilayah selects, then a sanggah with a photo.

Debian's Chromium through Playwright against uvicorn on a free port; screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy.orm import Session

from browser_fixtures import ARTIFACTS, BROWSER_MARKS, serving
from siks.accounts import service as accounts
from siks.penetapan import service
from siks.penetapan.sources import Score, ScoreTable
from web.support import _build, nik_for

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def live(tmp_path_factory, _cheap_argon2):
    """uvicorn over the web tests' seed with a penetapan in force since yesterday; yields the base URL."""
    from siks.web.app import create_app

    data = tmp_path_factory.mktemp("data")
    os.environ["SIKS_DATA_DIR"] = str(data)
    engine = _build(f"sqlite:///{tmp_path_factory.mktemp('cek') / 'siks.db'}")
    with Session(engine, expire_on_commit=False) as s, s.begin():
        start = dt.date.today() - dt.timedelta(days=1)
        scores = ScoreTable({"R1": Score(2), "R2": Score(8), "RB": Score(1)}, {"kind": "uji"})
        service.create(
            s,
            accounts.get_user(s, "supkab"),
            title="DTKS Uji Peramban",
            periode=start.strftime("%Y-%m"),
            berlaku_mulai=start,
            scores=scores,
        )
    with serving(create_app(engine, secret_key="uji-cek-" + "c" * 40)) as base:
        yield base
    engine.dispose()
    os.environ.pop("SIKS_DATA_DIR", None)


def test_cek_status_and_sanggah(live, browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live}/cek")
    for select, value in (
        ("#prov", "35"),
        ("#kab", "35.09"),
        ("#kec", "35.09.15"),
        ("#desa", "35.09.15.2001"),
    ):
        page.select_option(select, value)
        page.click("#pilih-wilayah")
    page.fill("#nama", "budi")
    page.click("#cari")
    page.wait_for_selector(".result-list")
    text = page.inner_text("main")
    assert "B*** SA*** R***" in text and "Terdaftar dalam DTKS" in text
    assert nik_for("R1", 1) not in page.content() and "Budi Santoso" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "cek-status-hasil.png"), full_page=True)
    page.click(".result-list li:first-child summary")  # "Mengapa?" opens the reasons
    why = page.inner_text(".result-list li:first-child .alasan")
    assert "Alasan:" in why and "berlaku sejak" in why and "Desil rumah tangga Anda" not in why
    page.screenshot(path=str(ARTIFACTS / "cek-status-alasan.png"), full_page=True)

    page.click("a[href^='/cek/sanggah/']")
    page.fill("#pelapor", "Warga Jubung")
    page.fill("#nik", "3509154107890001")
    page.select_option("#alasan_kode", "mampu")
    page.fill("#alasan", "Memiliki mobil dan toko bangunan.")
    page.fill("#lat", "-8.1712")
    page.fill("#lon", "113.6601")
    photo = tmp_path / "rumah.jpg"
    photo.write_bytes(JPEG)
    page.set_input_files("#foto", str(photo))
    page.screenshot(path=str(ARTIFACTS / "cek-sanggah-form.png"), full_page=True)
    page.click("#kirim-sanggah")
    page.wait_for_selector("#kode")
    code = page.inner_text("#kode")
    assert len(code) == 10
    page.screenshot(path=str(ARTIFACTS / "cek-sanggah-terkirim.png"), full_page=True)

    page.goto(f"{live}/cek/lacak")
    page.fill("#kode", code)
    page.click("button[type=submit]")
    assert "Draf" in page.inner_text("main")
    context.close()
