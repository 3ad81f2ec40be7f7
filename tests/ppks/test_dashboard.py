"""The dashboard counts PPKS and PSKS by kind and wilayah, within the viewer's scope (#15.3), on both
databases; the page and its JSON say the same numbers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from siks.ppks import service
from siks.reports import dashboard
from siks.scope import Scope
from workflow_support import DESA, DESA_B, DESA_OTHER_KEC

TODAY = dt.date.today()
KEC = "35.09.15"


def fill(session, user):
    """Two desa of one kecamatan and a desa of another: PPKS outside households, a member's kind, PSKS."""
    opkab = user("opkab")
    lks = service.create_psks(
        session, opkab,
        {"jenis": "lks", "nama": "Panti Wreda", "wilayah_code": "35.09", "nomor_tanda_daftar": "1/2020"},
    )  # fmt: skip
    service.create_psks(session, opkab, {"jenis": "karang_taruna", "nama": "KT Jubung", "wilayah_code": DESA})
    service.create_psks(
        session, opkab, {"jenis": "karang_taruna", "nama": "KT Dukuh", "wilayah_code": DESA_B}
    )
    kw = {"tanggal": str(TODAY), "bukti": "Asesmen"}
    for desa, kind in ((DESA, "lansia_terlantar"), (DESA, "lansia_terlantar"), (DESA_B, "anak_jalanan"),
                       (DESA_OTHER_KEC, "lansia_terlantar")):  # fmt: skip
        raw = {"nama": "X", "sex": 2, "desa_code": desa}
        raw |= {"lks_id": lks.id} if kind == "lansia_terlantar" else {"tempat": "jalanan"}
        person = service.add_person(session, opkab, raw)
        service.register(session, opkab, "ppks", person.id, {"jenis": kind, **kw})
    return lks


def test_ppks_and_psks_by_kind_and_wilayah_in_scope(wf_session, user):
    fill(wf_session, user)
    opkab = user("opkab")
    figs = dashboard.figures(wf_session, opkab, Scope.of(opkab))
    assert dict(zip(figs["ppks"].labels, figs["ppks"].values["PPKS"], strict=True)) == {
        "Lanjut usia terlantar": 3,
        "Anak jalanan": 1,
    }
    assert dict(zip(figs["psks"].labels, figs["psks"].values["PSKS"], strict=True)) == {
        "Lembaga kesejahteraan sosial (LKS)": 1,
        "Karang Taruna": 2,
    }
    by_area = figs["ppks_wilayah"]
    # per kecamatan in a kabupaten view; the kabupaten-wide LKS is counted on the kabupaten
    assert by_area.labels[1:] == ["Sukorambi", "Jenggawah"]
    assert by_area.values == {"PPKS": [0, 3, 1], "PSKS": [1, 2, 0]}
    tables = dashboard.kind_tables(wf_session, opkab, Scope.of(opkab))
    assert {(r["wilayah"], r["jenis"], r["jumlah"]) for r in tables["ppks"]} == {
        (KEC, "lansia_terlantar", 2),
        (KEC, "anak_jalanan", 1),
        ("35.09.16", "lansia_terlantar", 1),
    }
    assert {(r["wilayah"], r["jenis"], r["jumlah"]) for r in tables["psks"]} == {
        ("35.09", "lks", 1),  # a kabupaten-wide LKS keeps its own code
        (KEC, "karang_taruna", 2),
    }
    # a kecamatan operator sees its kecamatan, per desa; the other kecamatan's PPKS are not counted
    kec = user("kec")
    tables = dashboard.kind_tables(wf_session, kec, Scope.of(kec))
    assert {(r["wilayah"], r["jenis"], r["jumlah"]) for r in tables["ppks"]} == {
        (DESA, "lansia_terlantar", 2),
        (DESA_B, "anak_jalanan", 1),
    }
    assert {(r["wilayah"], r["jumlah"]) for r in tables["psks"]} == {(DESA, 1), (DESA_B, 1)}
    narrow = dashboard.figures(wf_session, opkab, dashboard.scope_for(opkab, DESA_B))
    assert narrow["ppks"].labels == ["Anak jalanan"] and narrow["psks"].values == {"PSKS": [1]}


def test_dashboard_page_and_json(api_app, client_for):
    from siks.store.models.accounts import User

    with Session(api_app.state.engine) as session:
        fill(session, lambda name: session.query(User).filter_by(username=name).one())
        session.commit()
    page = client_for("kec").get("/dasbor")
    assert page.status_code == 200
    assert "/dasbor/grafik/ppks.svg" in page.text and "PPKS menurut jenis dan wilayah" in page.text
    assert "Karang Taruna" in page.text and "Jenggawah" not in page.text
    assert client_for("kec").get("/dasbor/grafik/ppks_wilayah.svg").text.startswith("<?xml")
    data = client_for("opkab").get("/dasbor/data.json").json()
    ppks = data["grafik"]["ppks"]
    assert dict(zip(ppks["kategori"], ppks["seri"]["PPKS"], strict=True)) == {
        "Lanjut usia terlantar": 3,
        "Anak jalanan": 1,
    }
    assert {(r["wilayah"], r["jenis"], r["jumlah"]) for r in data["ppks"]} >= {
        ("35.09.16", "lansia_terlantar", 1)
    }
    assert "batas_waktu" in data["grafik"]
    assert client_for("desa").get("/dasbor/data.json?wilayah=35.09.16").status_code == 404
