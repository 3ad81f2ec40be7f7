"""The conflict page in a real browser: an operator of the kabupaten sees both versions of a change pusat
made to a desa's ruta, accepts it, and the registry and the audit trail show the decision."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from browser_fixtures import BROWSER_MARKS, browser, log_in, new_page, serving  # noqa: F401
from siks.store.models.registry import AuditEntry, Member
from sync.support import Instance, apply, export, link, make_instance, rename_member
from web.support import _build, _cheap_argon2  # noqa: F401

pytestmark = BROWSER_MARKS


@pytest.fixture
def kab_with_a_change_from_above(tmp_path, _cheap_argon2):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'kab.db'}"
    engine = _build(url)  # the web seed: users, ruta R1… in Jember
    kab = Instance("kab-jember", url, tmp_path / "kab.key")
    from siks.sync import service

    kab.run(lambda s: service.keygen(s, "kab-jember", "kabupaten", "35.09", kab.key))
    pusat = make_instance(f"sqlite:///{tmp_path / 'pusat.db'}", "pusat", "pusat", None, tmp_path)
    link(kab, pusat)
    apply(pusat, export(kab, "pusat", full=True))  # the seed's rows predate the audit trail
    rename_member(pusat, "R1-K1-2", "Siti Aminah (koreksi pusat)", actor="pusdatin")
    assert apply(kab, export(pusat, "kab-jember")).counts["dari_atas"] == 1
    yield engine, kab
    engine.dispose()


def test_an_operator_sees_both_versions_and_accepts_the_change(kab_with_a_change_from_above, browser):  # noqa: F811
    engine, kab = kab_with_a_change_from_above
    from siks.web.app import create_app

    with serving(create_app(engine, secret_key="uji-sync-" + "s" * 32)) as base:
        page = new_page(browser)
        log_in(page, base, "opkab")
        page.get_by_role("link", name="Sinkronisasi").click()
        assert page.get_by_role("cell", name="pusat", exact=True).first.is_visible()
        row = page.locator("#konflik tbody tr")
        assert row.count() == 1 and "dari_atas" in row.inner_text() and "ruta:R1" in row.inner_text()
        row.get_by_role("link").click()
        differs = page.locator("#versi tr.differs")
        assert differs.count() == 1
        assert (
            "Siti Aminah R1" in differs.inner_text() and "Siti Aminah (koreksi pusat)" in differs.inner_text()
        )
        assert "3509151403751102" in page.content()  # an operator kabupaten sees full NIK to decide
        page.get_by_role("button", name="Terima versi kiriman").click()
        assert "versi kiriman diterima oleh opkab" in page.locator("#status").inner_text()
        page.context.close()

        auditor = new_page(browser)
        log_in(auditor, base, "auditor")  # reads conflicts, NIK masked, cannot decide
        auditor.goto(base + "/sinkronisasi?tampil=semua")
        auditor.locator("#konflik tbody tr a").first.click()
        assert "3509151403751102" not in auditor.content()
        assert auditor.get_by_role("button", name="Pertahankan versi lokal").count() == 0
        auditor.context.close()

    nama = kab.run(lambda s: s.scalar(select(Member.nama).where(Member.ref == "R1-K1-2")))
    assert nama == "Siti Aminah (koreksi pusat)"
    entry = kab.run(
        lambda s: s.scalars(select(AuditEntry).where(AuditEntry.actor == "opkab")).all()[-1].after
    )
    assert entry == {"nama": "Siti Aminah (koreksi pusat)"}
