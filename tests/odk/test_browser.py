"""In Chromium against uvicorn on 127.0.0.1: the kecamatan issues an enumerator's ODK credential and sees
the QR code; a phone (httpx, speaking OpenRosa as ODK Collect) sends a visit for a household that is not
theirs; the kecamatan finds it in the review queue, with its photo, and closes it with a reason."""

from __future__ import annotations

import httpx

from browser_fixtures import BROWSER_MARKS, log_in, new_page, shot
from odk.collect_support import JPEG, Collect, instance

pytestmark = BROWSER_MARKS


def test_issue_credential_and_review_a_queued_submission(live_server, browser):
    base, engine, data = live_server
    kec = new_page(browser)
    log_in(kec, base, "kec")
    kec.goto(base + "/odk-collect")
    kec.get_by_label("Petugas").select_option(str(data.users["enum"]))
    kec.get_by_role("button", name="Terbitkan").click()
    assert kec.get_by_role("img", name="Kode QR pengaturan ODK Collect").is_visible()
    assert kec.get_by_text(f"{base}/odk").is_visible()
    password = kec.get_by_test_id("odk-password").inner_text()
    shot(kec, "odk-01-kredensial")

    with httpx.Client(base_url=base) as http:
        phone = Collect(http, "enum", password)
        forms = phone.get("/odk/formList")
        assert forms.status_code == 200 and "siks_verval" in forms.text
        form_xml = phone.get("/odk/forms/siks_verval/form.xml").text
        # A task number the phone never received (household RB, another desa): kept for review.
        xml, _ = instance(form_xml, {"tugas": 999999, "hasil": 1, "tanggal_kunjungan": "2025-06-06"})
        r = phone.submit(xml, ("rumah.jpg", JPEG, "image/jpeg"))
        assert r.status_code == 403 and "ditinjau operator" in r.text

    kec.goto(base + "/odk-collect")
    row = kec.get_by_role("row", name="Rumah tangga tidak ditugaskan kepada Anda")
    assert row.get_by_role("link", name="rumah.jpg").is_visible()
    shot(kec, "odk-02-antrean")
    row.get_by_label("Alasan tolak").fill("Nomor tugas salah ketik")
    row.get_by_role("button", name="Tolak").click()
    assert kec.get_by_text("ditolak.").is_visible()
    kec.goto(base + "/odk-collect?status=ditolak")
    assert kec.get_by_text("Nomor tugas salah ketik").is_visible()
    kec.context.close()
