"""The JSON API: create an LKS and a resident, record kinds, read counts; bad input names every rule."""

from __future__ import annotations

from workflow_support import DESA


def test_lks_resident_and_kinds_over_the_api(client_for):
    desa = client_for("desa")
    r = desa.post(
        "/api/v1/psks",
        json={
            "jenis": "lks",
            "nama": "Panti Wreda Kasih",
            "wilayah_code": DESA,
            "nomor_tanda_daftar": "460/7/2020",
            "ref": "API-LKS-1",
        },
    )
    assert r.status_code == 201, r.text
    lks_id = r.json()["id"]
    r = desa.post("/api/v1/ppks/orang", json={"nama": "Mbah Sarmi", "sex": 2, "lks_id": lks_id})
    assert r.status_code == 201, r.text
    person = r.json()
    assert person["desa_code"] == DESA and person["has_nik"] is False
    r = desa.post(
        f"/api/v1/ppks/ppks/{person['id']}/jenis",
        json={"jenis": "lansia_terlantar", "tanggal": "2025-02-01", "bukti": "Asesmen pekerja sosial"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["jenis_label"] == "Lanjut usia terlantar"
    residents = client_for("kec").get(f"/api/v1/psks/{lks_id}/penghuni").json()
    assert [p["nama"] for p in residents] == ["Mbah Sarmi"]
    rekap = client_for("opkab").get("/api/v1/ppks/rekap?tingkat=4").json()
    assert {
        "jenis": "lansia_terlantar",
        "label": "Lanjut usia terlantar",
        "wilayah": DESA,
        "jumlah": 1,
    } in rekap
    assert client_for("desa_out").get(f"/api/v1/psks/{lks_id}").status_code == 404


def test_bad_input_answers_422_with_each_rule(client_for):
    r = client_for("desa").post("/api/v1/ppks/orang", json={"sex": 5, "desa_code": DESA})
    assert r.status_code == 422
    codes = {i["code"] for i in r.json()["issues"]}
    assert codes == {"PPKS_NAMA", "PPKS_SEX", "PPKS_TEMPAT"}
    r = client_for("auditor").post(
        "/api/v1/psks", json={"jenis": "karang_taruna", "nama": "KT", "wilayah_code": DESA}
    )
    assert r.status_code == 403


def test_code_lists_are_public_reference(client_for):
    kinds = client_for("desa").get("/api/v1/ppks/jenis").json()
    assert len(kinds) == 26 and kinds[0] == {
        "code": "anak_balita_terlantar",
        "label": "Anak balita terlantar",
        "subjects": ["perseorangan"],
    }
    assert len(client_for("desa").get("/api/v1/psks/jenis").json()) == 12
