"""In Chromium: a desa drafts an usulan into a Musdes batch, uploads the berita acara and submits it; the
kecamatan verifies; the Bupati's pengesah ratifies, which (on a kabupaten-run instance) applies it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from browser_fixtures import BROWSER_MARKS, log_in, new_page, shot
from siks.store.models.registry import Member

pytestmark = BROWSER_MARKS
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_desa_batch_to_pengesahan(live_server, browser, tmp_path):
    base, engine, data = live_server
    ba = tmp_path / "berita-acara-musdes.pdf"
    ba.write_bytes(PDF)

    desa = new_page(browser)
    log_in(desa, base, "desa")
    desa.goto(base + "/usulan/paket")
    desa.get_by_label("Judul").fill("Musdes Mei 2025")
    desa.get_by_label("Tanggal Musdes").fill("2025-05-20")
    desa.get_by_role("button", name="Buat paket").click()
    desa.wait_for_url("**/usulan/paket/*")
    batch_url = desa.url

    desa.get_by_role("link", name="Buat usulan baru untuk paket ini").click()
    desa.get_by_role("link", name="Nonaktif: Meninggal").click()
    desa.get_by_label("ID ruta atau NIK salah satu anggota").fill("R1")
    desa.get_by_role("button", name="Cari").click()
    desa.get_by_label("Sri R1", exact=False).check()
    desa.get_by_label("Tanggal kejadian (bila diketahui)").fill("2025-04-11")
    shot(desa, "usulan-01-draf")
    desa.get_by_role("button", name="Simpan draf").click()
    desa.wait_for_url("**/usulan/*?pesan=dibuat")
    assert desa.get_by_text("Usulan tersimpan sebagai draf").is_visible()

    desa.goto(batch_url)
    desa.get_by_label("Hasil pindai berita acara", exact=False).set_input_files(str(ba))
    desa.get_by_role("button", name="Unggah").click()
    desa.wait_for_url("**pesan=berita-acara")
    assert len(desa.locator("#sha256").inner_text()) == 64
    assert desa.get_by_role("row", name="Sri R1").is_visible()
    shot(desa, "usulan-02-paket-berita-acara")
    desa.get_by_role("button", name="Ajukan paket ke kecamatan").click()
    desa.wait_for_url("**pesan=diajukan")
    shot(desa, "usulan-03-paket-diajukan")

    kec = new_page(browser)
    log_in(kec, base, "kec")
    kec.goto(base + "/usulan")
    kec.get_by_role("link", name="#", exact=False).first.click()
    assert kec.get_by_text("Diajukan desa").first.is_visible()
    kec.get_by_role("button", name="Verifikasi").click()
    kec.wait_for_url("**pesan=verifikasi")
    shot(kec, "usulan-04-diverifikasi")

    pengesah = new_page(browser)
    log_in(pengesah, base, "pengesah")
    pengesah.goto(base + "/usulan")
    pengesah.get_by_role("link", name="#", exact=False).first.click()
    pengesah.get_by_role("button", name="Sahkan dan terapkan ke DTKS").click()
    pengesah.wait_for_url("**pesan=sahkan")
    assert pengesah.get_by_role("term").filter(has_text="Diterapkan ke DTKS").is_visible()
    shot(pengesah, "usulan-05-disahkan")

    with Session(engine) as s:
        m = s.get(Member, data.members["R1-2"])
        assert (m.status, m.keberadaan) == ("nonaktif", 2)
    for p in (desa, kec, pengesah):
        p.context.close()


@pytest.mark.parametrize("who", ["desa_out"])
def test_outside_the_desa_sees_nothing(live_server, browser, who):
    base, _, _ = live_server
    page = new_page(browser)
    log_in(page, base, who)
    page.goto(base + "/usulan?tampil=semua")
    assert page.get_by_text("Belum ada usulan").is_visible()
    page.context.close()
