"""In Chromium: the kabupaten sees PPKS counted by kind and kecamatan, opens an LKS and reads its residents
(NIK masked, a resident without NIK said so); the desa drafts a PPKS usulan on the usulan form."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from browser_fixtures import BROWSER_MARKS, log_in, new_page, shot
from siks.domain.nik import make_nik
from siks.ppks import service
from siks.store.models.accounts import User
from workflow_support import DESA

pytestmark = BROWSER_MARKS


def test_counts_and_an_lks_with_its_residents(live_server, browser):
    base, engine, _ = live_server
    nik = make_nik("35.09.15", dt.date(1940, 5, 6), 2, 3)
    with Session(engine) as s, s.begin():
        desa = s.scalar(select(User).where(User.username == "desa"))
        home = service.create_psks(
            s,
            desa,
            {
                "jenis": "lks",
                "nama": "Panti Wreda Sejahtera",
                "wilayah_code": DESA,
                "nomor_tanda_daftar": "460/1/2019",
                "akreditasi": "A",
            },
        )
        for nama, nik_ in (("Mbah Sarmi", nik), ("Mbah Karto", None)):
            p = service.add_person(s, desa, {"nama": nama, "sex": 2, "lks_id": home.id, "nik": nik_})
            service.register(
                s,
                desa,
                "ppks",
                p.id,
                {"jenis": "lansia_terlantar", "tanggal": "2025-01-02", "bukti": "Asesmen"},
            )
        home_id = home.id
    page = new_page(browser)
    log_in(page, base, "opkab")
    page.get_by_role("link", name="PPKS & PSKS").click()
    row = page.get_by_role("row", name="Lanjut usia terlantar")
    assert row.get_by_role("cell").last.inner_text() == "2"
    shot(page, "ppks-01-rekap")
    page.get_by_role("link", name="Panti Wreda Sejahtera").click()
    assert page.url.endswith(f"/ppks/lks/{home_id}")
    table = page.locator("#penghuni")
    assert table.get_by_text("tanpa NIK").is_visible()
    assert nik not in table.inner_text() and "Lanjut usia terlantar" in table.inner_text()
    shot(page, "ppks-02-lks")
    page.context.close()


def test_desa_drafts_a_street_child_as_ppks_usulan(live_server, browser):
    """The desa operator proposes a street child (no NIK) on the usulan form; the draft lists the kinds."""
    base, _, _ = live_server
    page = new_page(browser)
    log_in(page, base, "desa")
    page.goto(f"{base}/usulan/baru")
    page.get_by_role("link", name="Usulan baru: PPKS baru di luar rumah tangga").click()
    page.get_by_label("Nama (nama panggilan bila tidak diketahui)").fill("Ucok")
    page.get_by_label("Jenis kelamin").select_option("1")
    page.get_by_label("atau tempat ditemukan").select_option("jalanan")
    page.get_by_label("Anak jalanan").check()
    page.get_by_label("Tanggal pencatatan").fill("2025-05-02")
    page.get_by_label("Bukti (surat keterangan, hasil asesmen, register LKS)").fill("BAP Satpol PP 3/2025")
    shot(page, "ppks-03-usulan-form")
    page.get_by_role("button", name="Simpan draf").click()
    page.wait_for_url("**/usulan/*?pesan=dibuat")
    body = page.locator("main").inner_text()
    assert "Ucok" in body and "Anak jalanan" in body and "Draf" in body
    shot(page, "ppks-04-usulan-draf")
    page.context.close()
