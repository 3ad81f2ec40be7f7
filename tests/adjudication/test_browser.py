"""In Chromium: the kecamatan opens the ganda queue, compares two records side by side and decides."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from browser_fixtures import BROWSER_MARKS, log_in, new_page, shot
from siks.store.models.verval import DuplicateDecision, VervalFinding, VervalRun

pytestmark = BROWSER_MARKS


def test_adjudicate_a_pair(live_server, browser):
    base, engine, _ = live_server
    with Session(engine) as s, s.begin():
        s.add(
            VervalRun(
                id="run-b", status="selesai", actor="uji", started_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
            )
        )
        s.flush()
        s.add(
            VervalFinding(
                run_id="run-b",
                code="DUP_POSSIBLE",
                level="anggota",
                member_ref="R1-K1-2",
                related_ref="RB-K1-2",
                weight=7.4,
            )
        )
    page = new_page(browser)
    log_in(page, base, "kec")
    page.goto(base + "/ganda")
    assert page.get_by_role("row", name="Sri R1").is_visible()
    shot(page, "ganda-01-antrean")
    page.get_by_role("link", name="Bandingkan").click()
    assert page.get_by_role("row", name="Nama Sri R1 Sri RB").is_visible()
    page.get_by_label("Orang berbeda").check()
    page.get_by_label("Catatan").fill("Ibu kandung dan tanggal lahir berbeda")
    shot(page, "ganda-02-bandingkan")
    page.get_by_role("button", name="Simpan putusan").click()
    page.wait_for_url("**diputuskan=*")
    assert page.get_by_text("Tidak ada pasangan yang menunggu putusan").is_visible()
    shot(page, "ganda-03-diputuskan")
    with Session(engine) as s:
        d = s.scalars(select(DuplicateDecision)).one()
        assert (d.member_ref_a, d.member_ref_b, d.same_person, d.decided_by) == (
            "R1-K1-2",
            "RB-K1-2",
            False,
            "kec",
        )
    page.context.close()
