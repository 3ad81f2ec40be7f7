"""Import in the browser, in Chromium (issue #18.1): the happy path (upload → check → preview → save) and
a file with errors (row table and the downloadable report). Screenshots in test-artifacts/impor-*.png."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from browser_fixtures import BROWSER_MARKS, log_in, serving, shot
from siks.store.models.registry import Member
from web.support import DESA_B, _build
from web.test_web_import import _csv

pytestmark = BROWSER_MARKS
WAIT = 120_000  # ms: the check runs in the background and the page refreshes itself; a loaded machine is slow


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, _cheap_argon2):
    from siks.web.app import create_app

    engine = _build(f"sqlite:///{tmp_path_factory.mktemp('impor') / 'siks.db'}")
    with serving(create_app(engine, secret_key="uji-impor-" + "z" * 32)) as base:
        yield base, engine
    engine.dispose()


def _members(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Member))


def _upload(page, base: str, path) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name="Impor berkas").click()
    page.get_by_label("Berkas template").set_input_files(str(path))
    shot(page, "impor-01-unggah")
    page.get_by_role("button", name="Unggah dan periksa").click()
    page.wait_for_url("**/impor/*")


def test_upload_check_preview_and_save(live_server, page, tmp_path):
    base, engine = live_server
    path = tmp_path / "jubung.csv"
    path.write_bytes(_csv(60, seed=21, prefix="BR"))
    before = _members(engine)
    log_in(page, base, "desa")
    _upload(page, base, path)
    expect(page.get_by_role("heading", name="Ringkasan: belum ada yang disimpan")).to_be_visible(timeout=WAIT)
    assert "60 anggota baru" in page.locator("#ringkasan").inner_text()
    assert _members(engine) == before  # nothing written before the confirmation
    shot(page, "impor-02-ringkasan")
    page.get_by_role("button", name="Simpan ke registri").click()
    expect(page.locator("#ringkasan")).to_contain_text("Tersimpan: 60 anggota baru", timeout=WAIT)
    assert _members(engine) == before + 60
    shot(page, "impor-03-tersimpan")
    page.get_by_role("link", name="Impor berkas").first.click()
    expect(page.get_by_role("row", name="jubung.csv")).to_contain_text("Tersimpan")


def test_a_file_with_errors_shows_rows_and_a_report(live_server, page, tmp_path):
    base, engine = live_server
    rows = list(csv.DictReader(io.StringIO(_csv(30, seed=22, prefix="BS", others={1: DESA_B}).decode())))
    rows[0]["nik"] = "12345"  # a NIK that is not 16 digits
    path = tmp_path / "salah.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    before = _members(engine)
    log_in(page, base, "desa")
    _upload(page, base, path)
    expect(page.locator("#ringkasan")).to_contain_text("Berkas ditolak", timeout=WAIT)
    table = page.locator("#laporan")
    expect(table).to_contain_text("OUT_OF_SCOPE")
    assert page.get_by_role("button", name="Simpan ke registri").count() == 0
    assert _members(engine) == before
    shot(page, "impor-04-ditolak")
    with page.expect_download() as got:
        page.get_by_role("link", name="CSV", exact=True).click()
    report = list(csv.DictReader(io.StringIO(got.value.path().read_text(encoding="utf-8-sig"))))
    codes = {r["kode"] for r in report}
    assert "OUT_OF_SCOPE" in codes and any(r["baris"] == "2" and r["kolom"] == "nik" for r in report), report
    shown = table.locator("tbody tr").count()
    assert shown == len(report)  # the table and the report list the same issues
