"""Dashboards (matplotlib SVG, CSV) and the PDF documents, through the web app."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy.orm import Session

from siks.accounts import service as accounts
from siks.penetapan import service
from siks.penetapan.sources import Score, ScoreTable
from siks.store.models.fieldwork import FieldProgress, FieldTask
from siks.store.models.registry import Household
from siks.store.models.usulan import Usulan, UsulanBatch
from web.support import nik_for

SCORES = ScoreTable(
    {"R1": Score(2), "R2": Score(3), "RB": Score(1), "RK": Score(4), "RX": Score(1)}, {"kind": "uji"}
)


@pytest.fixture(scope="module")
def data(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as s, s.begin():
        sup = accounts.get_user(s, "supkab")
        for month in (1, 2):
            p = service.create(
                s,
                sup,
                title=f"DTKS 2027-0{month}",
                periode=f"2027-0{month}",
                berlaku_mulai=dt.date(2027, month, 1),
                scores=SCORES,
            )
        enum = accounts.get_user(s, "enum")
        for ref, status in (("R1", "selesai"), ("R2", "ditugaskan")):
            h = s.query(Household).filter_by(ref=ref).one()
            s.add(FieldTask(household_id=h.id, enumerator_id=enum.id, status=status))
        # the counters the fieldwork service keeps beside its tasks (the dashboard reads these)
        s.add(FieldProgress(desa_code="35.09.15.2001", total=2, done=1))
        batch = UsulanBatch(
            desa_code="35.09.15.2001",
            title="Musdes Januari",
            musdes_date=dt.date(2027, 1, 20),
            status="diajukan",
        )
        s.add(batch)
        s.flush()
        s.add_all(
            [
                Usulan(
                    kind="sanggah",
                    subkind="mampu",
                    status="diajukan",
                    level="kecamatan",
                    desa_code=batch.desa_code,
                    batch_id=batch.id,
                    payload={},
                    subject_name="Budi Santoso R1",
                    subject_nik=nik_for("R1", 1),
                    subject_address="Jl. Mawar R1",
                    description="Sanggah (Mampu)",
                    channel="warga",
                ),
                Usulan(
                    kind="baru",
                    subkind="ruta",
                    status="diajukan",
                    level="kecamatan",
                    desa_code=batch.desa_code,
                    batch_id=batch.id,
                    payload={},
                    subject_name="Tumini",
                    description="Rumah tangga baru",
                ),
            ]
        )
    return p.id, batch.id


def test_dashboard_page_charts_and_csv(client_for, data):
    c = client_for("opkab")
    page = c.get("/dasbor")
    assert page.status_code == 200
    assert "/dasbor/grafik/desil.svg" in page.text and "Kemajuan verval lapangan" in page.text
    for name in ("desil", "dtks", "program", "verval", "temuan"):
        svg = c.get(f"/dasbor/grafik/{name}.svg")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
    assert c.get("/dasbor/grafik/lain.svg").status_code == 404
    rows = list(csv.DictReader(io.StringIO(c.get("/dasbor/ekspor.csv").text)))
    desil = {r["kategori"]: float(r["nilai"]) for r in rows if r["grafik"] == "Ruta DTKS per desil"}
    assert desil == {"1": 1, "2": 1, "3": 1, "4": 1}  # RB, R1, R2, RK (RX lies in Banyuwangi)
    progress = {
        (r["kategori"], r["seri"]): float(r["nilai"])
        for r in rows
        if r["grafik"] == "Kemajuan verval lapangan"
    }
    assert progress == {("Sukorambi", "Selesai"): 1, ("Sukorambi", "Belum"): 1}
    temuan = [r for r in rows if r["grafik"].startswith("Temuan")]
    assert {r["seri"] for r in temuan} >= {"Jenis kelamin tidak sesuai NIK"}


def test_dashboard_is_scoped(client_for, data):
    desa = client_for("desa_out")  # Dukuhmencek: only RB
    rows = list(csv.DictReader(io.StringIO(desa.get("/dasbor/ekspor.csv").text)))
    assert {r["kategori"] for r in rows if r["grafik"] == "Ruta DTKS per desil"} == {"1"}
    assert client_for("desa").get("/dasbor?wilayah=35.10").status_code == 404
    assert client_for("opkab").get("/dasbor?wilayah=35.09.15").status_code == 200


def test_pdf_documents(client_for, data):
    p_id, batch_id = data
    c = client_for("opkab")
    daftar = c.get(f"/penetapan/{p_id}/daftar.pdf")
    assert daftar.status_code == 200 and daftar.content.startswith(b"%PDF")
    ba = c.get(f"/musdes/{batch_id}/berita-acara.pdf")
    assert ba.status_code == 200 and ba.content.startswith(b"%PDF")
    assert client_for("desa_out").get(f"/musdes/{batch_id}/berita-acara.pdf").status_code == 404


def test_berita_acara_counts_the_musdes_categories():
    from types import SimpleNamespace as U

    from siks.reports import pdf

    usulan = [
        U(kind="sanggah", subkind="mampu"),
        U(kind="nonaktif", subkind="tidak_ditemukan"),
        U(kind="nonaktif", subkind="meninggal"),
        U(kind="perbaikan", subkind="nik"),
        U(kind="baru", subkind="ruta"),
    ]
    counts = {key: sum(1 for u in usulan if test(u)) for key, _, test in pdf.CATEGORIES}
    assert counts == {"a": 1, "b": 1, "c": 0, "d": 1, "e": 1, "f": 1}
    assert pdf.tanggal(dt.date(2027, 8, 17)) == "17 Agustus 2027"
