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


def test_ppks_usulan_through_the_form_and_the_api(client_for):
    """The desa operator drafts PPKS/PSKS usulan on the usulan form and over the API; the form offers the
    PPKS kinds and finds a PPKS record by its ref; another desa's record is not found."""
    desa = client_for("desa")
    assert "/usulan/baru?jenis=baru&amp;rincian=ppks_orang" in desa.get("/ppks").text
    assert "rincian=ppks_orang" not in client_for("kec").get("/ppks").text  # only the desa drafts usulan
    page = desa.get("/usulan/baru?jenis=baru&rincian=ppks_orang")
    assert page.status_code == 200 and "Lanjut usia terlantar" in page.text and 'name="lks_ref"' in page.text
    form = {
        "jenis": "baru", "rincian": "ppks_orang", "jenis_ppks": ["anak_jalanan", "pengemis"], "nama": "Ucok",
        "sex": "1", "tempat": "jalanan", "tanggal": "2025-05-02", "bukti": "BAP Satpol PP 3/2025",
    }  # fmt: skip
    r = desa.post("/usulan/baru", data=form | {"bukti": ""}, follow_redirects=False)
    assert r.status_code == 422 and "bukti wajib diisi" in r.text
    assert 'value="pengemis" checked' in r.text  # the ticked kinds stay ticked
    r = desa.post("/usulan/baru", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    body = desa.get("/api/v1/usulan/" + r.headers["location"].split("/")[2].split("?")[0]).json()
    assert body["desa_code"] == DESA and body["subject_name"] == "Ucok"
    assert body["payload"]["jenis"] == ["anak_jalanan", "pengemis"]
    assert "Anak jalanan, Pengemis" in body["description"]
    edit = desa.get(f"/usulan/{body['id']}/ubah")
    assert 'value="anak_jalanan" checked' in edit.text and 'value="korban_napza" checked' not in edit.text
    r = desa.post(
        "/api/v1/usulan",
        json={"kind": "baru", "subkind": "ppks_jenis", "target_entity": "member", "target_id": 1,
              "payload": {"jenis": "lansia_terlantar", "tanggal": "2025-05-02", "bukti": "Asesmen"}},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["target_entity"] == "member"
    detail = desa.get(f"/usulan/{body['id']}")
    assert "Anak jalanan, Pengemis" in detail.text
    r = desa.post(
        "/api/v1/psks",
        json={"jenis": "karang_taruna", "nama": "KT Jubung", "wilayah_code": DESA, "ref": "KT-JUBUNG"},
    )
    assert r.status_code == 201, r.text
    page = desa.get("/usulan/baru?jenis=nonaktif&rincian=psks&ref=KT-JUBUNG")
    assert page.status_code == 200 and 'value="psks:' in page.text
    assert (
        client_for("desa_out").get("/usulan/baru?jenis=nonaktif&rincian=psks&ref=KT-JUBUNG").status_code
        == 404
    )
    target = page.text.split('value="psks:')[1].split('"')[0]
    r = desa.post(
        "/usulan/baru",
        data={"jenis": "nonaktif", "rincian": "psks", "sasaran": f"psks:{target}", "ref": "KT-JUBUNG",
              "alasan": "Bubar sejak 2024"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    uid = r.headers["location"].split("/")[2].split("?")[0]
    shown = desa.get(f"/api/v1/usulan/{uid}").json()
    assert (shown["target_entity"], shown["payload"]["alasan"]) == ("psks", "Bubar sejak 2024")
    detail = desa.get(f"/usulan/{uid}")
    assert detail.status_code == 200 and "KT Jubung" in detail.text and "Bubar sejak 2024" in detail.text


def test_the_form_finds_a_members_open_kind_through_the_household(client_for, api_app):
    desa = client_for("desa")
    member = api_app.state.seed.members["R3-2"]
    r = desa.post(
        f"/api/v1/ppks/anggota/{member}/jenis",
        json={"jenis": "korban_kekerasan", "tanggal": "2025-02-01", "bukti": "Laporan UPTD PPA"},
    )
    assert r.status_code == 201, r.text
    start = desa.get("/usulan/baru?jenis=nonaktif&rincian=ppks_jenis")
    assert 'name="ruta"' in start.text and 'name="ref"' in start.text  # both ways to find the target
    page = desa.get("/usulan/baru?jenis=nonaktif&rincian=ppks_jenis&ruta=R3")
    assert page.status_code == 200
    assert (
        f'value="ppks_registration:{r.json()["id"]}"' in page.text and "Korban tindak kekerasan" in page.text
    )
    assert 'value="member:' not in page.text  # only open kinds are targets of this usulan
