"""In Chromium: the kecamatan assigns a dusun to an enumerator; the enumerator, on a phone-sized screen,
records a visit (result, keberadaan, one changed answer); the kecamatan sees the progress."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from browser_fixtures import BROWSER_MARKS, PHONE, log_in, new_page, shot
from siks.store.models.registry import Assessment

pytestmark = BROWSER_MARKS


def test_assign_visit_progress(live_server, browser):
    base, engine, data = live_server
    kec = new_page(browser)
    log_in(kec, base, "kec")
    kec.goto(base + "/verval-lapangan/penugasan")
    kec.get_by_label("Desa/kelurahan").select_option("35.09.15.2001")
    kec.get_by_label("Dusun").fill("Krajan")
    kec.get_by_label("Enumerator").select_option(str(data.users["enum"]))
    kec.get_by_role("button", name="Tugaskan").click()
    assert kec.get_by_text("2 rumah tangga ditugaskan").is_visible()
    shot(kec, "verval-01-penugasan")

    enum = new_page(browser, PHONE)
    log_in(enum, base, "enum")
    enum.goto(base + "/verval-lapangan")
    assert enum.get_by_role("link", name="Budi R1", exact=False).is_visible()
    shot(enum, "verval-02-daftar-ponsel")
    enum.get_by_role("link", name="Budi R2", exact=False).click()
    enum.get_by_label("1. Selesai diverivali").check()
    enum.get_by_label("Ani R2").select_option("3")
    enum.get_by_text("Perbarui jawaban pendataan rumah tangga").click()
    enum.get_by_label("Jenis lantai terluas").select_option("2")
    enum.get_by_label("Catatan").fill("Ani bekerja di Surabaya")
    shot(enum, "verval-03-kunjungan-ponsel")
    enum.get_by_role("button", name="Simpan kunjungan").click()
    enum.wait_for_url("**tersimpan=*")
    assert enum.get_by_text("1 draf usulan nonaktif dibuat").is_visible()
    assert enum.get_by_role("link", name="Budi R2", exact=False).count() == 0
    shot(enum, "verval-04-tersimpan-ponsel")

    kec.goto(base + "/verval-lapangan")
    assert kec.get_by_role("row", name="Jubung").get_by_text("1 / 2").is_visible()
    shot(kec, "verval-05-kemajuan")
    with Session(engine) as s:
        visit = select(Assessment).where(Assessment.household_id == data.households["R2"])
        a = s.scalars(visit.order_by(Assessment.id.desc())).first()  # the visit's, after the seeded one
        assert (a.answers["jenis_lantai"], a.assessed_by) == (2, "enum")
    kec.context.close()
    enum.context.close()
