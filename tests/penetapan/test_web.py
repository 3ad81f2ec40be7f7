"""Penetapan pages: list, create (role-gated, CSRF), detail within scope, diff, status per date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy.orm import Session

from siks.accounts import service as accounts
from siks.penetapan import service
from siks.penetapan.sources import Score, ScoreTable
from siks.store.models.registry import Household
from web.support import nik_for

SCORES = ScoreTable(
    {"R1": Score(2), "R2": Score(3), "RB": Score(8), "RK": Score(1), "RX": Score(1)}, {"kind": "uji"}
)


@pytest.fixture(scope="module")
def two(sqlite_engine):
    """Two penetapan of Kab. Jember: January, then February after R2 was deactivated."""
    with Session(sqlite_engine, expire_on_commit=False) as s, s.begin():
        sup = accounts.get_user(s, "supkab")
        a = service.create(
            s,
            sup,
            title="DTKS Januari 2027",
            periode="2027-01",
            berlaku_mulai=dt.date(2027, 1, 1),
            scores=SCORES,
        )
        h = s.query(Household).filter_by(ref="R2").one()
        h.status, h.status_reason = "nonaktif", "Mampu (hasil Musdes)"
        s.flush()
        b = service.create(
            s,
            sup,
            title="DTKS Februari 2027",
            periode="2027-02",
            berlaku_mulai=dt.date(2027, 2, 1),
            scores=SCORES,
        )
    return a.id, b.id


def test_list_and_detail_are_scoped(client_for, two):
    a, b = two
    page = client_for("desa").get("/penetapan")
    assert page.status_code == 200 and "DTKS Februari 2027" in page.text
    detail = client_for("desa").get(f"/penetapan/{a}")
    assert detail.status_code == 200
    # another kecamatan's ruta stays hidden (as a whole word: a random CSRF token may contain the letters)
    assert "R1" in detail.text and not re.search(r"\bRK\b", detail.text)
    assert nik_for("R1", 1) not in detail.text  # NIK masked in lists
    assert client_for("opkab_out").get(f"/penetapan/{a}").status_code == 404


def test_diff_page_shows_the_removed_household_and_reason(client_for, two):
    a, b = two
    r = client_for("opkab").get(f"/penetapan/{b}/banding")
    assert r.status_code == 200
    assert "R2" in r.text and "Mampu (hasil Musdes)" in r.text


def test_create_is_for_authorised_roles_only(client_for, two):
    assert client_for("desa").get("/penetapan/baru").status_code == 403
    form = {"judul": "DTKS Maret 2027", "periode": "2027-03", "berlaku": "2027-03-01", "desil_max": "5"}
    denied = client_for("opkab").post("/penetapan/baru", data=form, follow_redirects=False)
    assert denied.status_code == 403
    sup = client_for("supkab")
    r = sup.post("/penetapan/baru", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "DTKS Maret 2027" in sup.get(r.headers["location"]).text
    bad = sup.post("/penetapan/baru", data={**form, "periode": "Maret"}, follow_redirects=False)
    assert bad.status_code == 422 and "Periode" in bad.text


def test_status_per_date(client_for, two):
    c = client_for("opkab")
    jan = c.post("/penetapan/status", data={"nik": nik_for("R2", 1), "tanggal": "2027-01-15"})
    assert jan.status_code == 200 and "Terdaftar dalam DTKS" in jan.text
    feb = c.post("/penetapan/status", data={"nik": nik_for("R2", 1), "tanggal": "2027-02-15"})
    assert "Tidak termasuk DTKS" in feb.text and "Mampu" in feb.text
    outside = client_for("desa_out").post(
        "/penetapan/status", data={"nik": nik_for("R2", 1), "tanggal": "2027-01-15"}
    )
    assert "tidak tercantum" in outside.text


def test_program_page_and_exports(client_for, two):
    a, b = two
    page = client_for("opkab").get(f"/program?penetapan={a}&program=bpnt")
    assert page.status_code == 200 and "BPNT" in page.text and "Unduh CSV" in page.text
    assert client_for("desa").get(f"/program/bpnt/ekspor.csv?penetapan={a}").status_code == 403
    csv_text = client_for("opkab").get(f"/program/bpnt/ekspor.csv?penetapan={a}")
    assert (
        csv_text.status_code == 200 and "nik_pengurus" in csv_text.text and nik_for("R1", 2) in csv_text.text
    )
    xlsx = client_for("opkab").get(f"/program/pbi_jk/ekspor.xlsx?penetapan={a}")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pengurus = client_for("opkab").get(f"/program/bpnt/pengurus?penetapan={a}&keluarga=R1-K1")
    assert pengurus.status_code == 200 and "Catat pergantian pengurus" in pengurus.text
    r = client_for("opkab").post(
        "/program/bpnt/pengurus",
        data={"penetapan": a, "keluarga": "R1-K1", "pengganti": "R1-K1-1", "alasan": "uji"},
    )
    assert r.status_code == 200 and "Pergantian pengurus dicatat" in r.text


def test_simulation_page(client_for, two):
    assert client_for("desa").get("/simulasi").status_code == 403
    c = client_for("opkab")
    assert "Jalankan simulasi" in c.get("/simulasi").text
    r = c.post(
        "/simulasi",
        data={
            "judul": "Desil 1-3",
            "desil_max": "3",
            "exclusions": "RUTA_ASN_TNI_POLRI",
            "max_komponen": "3",
            "umur_lansia": "60",
            "tingkat": "3",
        },
    )
    assert r.status_code == 200, r.text
    assert "Desil 1-3" in r.text and "Sukorambi" in r.text and "PKH" in r.text
    sim_id = int(r.text.split("/simulasi/")[1].split('"')[0].split("/")[0])  # the chart's URL comes first
    assert "Desil 1-3" in c.get(f"/simulasi/{sim_id}").text
    assert client_for("opkab_out").get(f"/simulasi/{sim_id}").status_code == 404


def test_program_page_and_export_read_the_stored_list(client_for, two, sqlite_engine):
    """Issue #11.6: the page and the export read the list stored at freeze (a stored row changed by hand
    shows), cut to the viewer's wilayah; reading writes no audit entry and computes no list."""
    from sqlalchemy import func, select, update

    from siks.store.models.penetapan import ProgramList, ProgramListRow
    from siks.store.models.registry import AuditEntry

    _, b = two
    with Session(sqlite_engine) as s:
        header = s.scalar(
            select(ProgramList).where(ProgramList.penetapan_id == b, ProgramList.program == "pbi_jk")
        )
        list_id, key = header.id, (header.id, header.computed_at)
        audit = s.scalar(select(func.count()).select_from(AuditEntry))
        amounts = dict(
            s.execute(
                select(ProgramListRow.id, ProgramListRow.amount).where(ProgramListRow.list_id == header.id)
            ).all()
        )
        s.execute(update(ProgramListRow).where(ProgramListRow.list_id == list_id).values(amount=424_242))
        s.commit()
    try:
        page = client_for("opkab").get(f"/program?penetapan={b}&program=pbi_jk")
        assert page.status_code == 200 and "424.242" in page.text and "Dihitung" in page.text
        assert "Budi Santoso R1" in page.text and "Budi Santoso RK" in page.text
        csv_text = client_for("opkab").get(f"/program/pbi_jk/ekspor.csv?penetapan={b}").text
        assert "R1-K1-1" in csv_text and "RK-K1-1" in csv_text
        desa = client_for("desa").get(f"/program?penetapan={b}&program=pbi_jk")
        assert desa.status_code == 200 and "Budi Santoso R1" in desa.text
        assert "Budi Santoso RK" not in desa.text  # RK lies in another kecamatan
        with Session(sqlite_engine) as s:
            again = s.get(ProgramList, list_id)
            assert (again.id, again.computed_at) == key
            assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit
            lists = select(func.count()).select_from(ProgramList).where(ProgramList.penetapan_id == b)
            assert s.scalar(lists) == 4  # the shipped programs, stored at freeze; none computed since
    finally:
        with Session(sqlite_engine) as s:
            for row_id, amount in amounts.items():
                s.execute(update(ProgramListRow).where(ProgramListRow.id == row_id).values(amount=amount))
            s.commit()
