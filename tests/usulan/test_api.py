"""The usulan JSON API and pages over HTTP: the same rules as the service, with the right status codes."""

from __future__ import annotations

import pytest

PDF = b"%PDF-1.4\n% berita acara musdes desa Jubung\n%%EOF\n"


def members(api_app):
    return api_app.state.seed.members


def households(api_app):
    return api_app.state.seed.households


def submitted(client_for, api_app, target_entity, target_id, kind="nonaktif", subkind="mampu", payload=None):
    """Draft → batch → berita acara → submit, through the API as the desa operator: (usulan, batch)."""
    desa = client_for("desa")
    r = desa.post("/api/v1/usulan", json={"kind": kind, "subkind": subkind, "target_entity": target_entity,
                                          "target_id": target_id, "payload": payload or {}})  # fmt: skip
    assert r.status_code == 201, r.text
    u = r.json()
    b = desa.post("/api/v1/usulan-batches", json={"title": "Musdes API", "musdes_date": "2025-05-02"}).json()
    assert (
        desa.post(f"/api/v1/usulan-batches/{b['id']}/usulan", json={"usulan_ids": [u["id"]]}).status_code
        == 200
    )
    r = desa.post(
        f"/api/v1/usulan-batches/{b['id']}/berita-acara", files={"file": ("ba.pdf", PDF, "application/pdf")}
    )
    assert r.status_code == 200, r.text
    b = r.json()
    r = desa.post(f"/api/v1/usulan-batches/{b['id']}/submit", json={"version": b["version"]})
    assert r.status_code == 200, r.text
    return desa.get(f"/api/v1/usulan/{u['id']}").json(), r.json()


def test_flow_and_refusals_through_the_api(client_for, api_app):
    u, batch = submitted(client_for, api_app, "member", members(api_app)["R1-3"])
    assert (u["status"], u["level"], u["actions"]) == ("diajukan", "kecamatan", [])
    assert batch["status"] == "diajukan" and batch["bnba"][0]["id_usulan"] == u["id"]
    assert len(batch["berita_acara"]["sha256"]) == 64
    path = f"/api/v1/usulan/{u['id']}/actions"
    for outsider in ("kec_out", "desa_out", "pengesah_out", "prov_out"):
        c = client_for(outsider)
        assert c.get(f"/api/v1/usulan/{u['id']}").status_code == 404
        r = c.post(path, json={"action": "verifikasi", "version": u["version"]})
        assert r.status_code == 404 and r.json()["code"] == "tidak_ditemukan"
    r = client_for("pengesah").post(path, json={"action": "verifikasi", "version": u["version"]})
    assert (r.status_code, r.json()["code"]) == (403, "tidak_berwenang")
    r = client_for("pengesah").post(path, json={"action": "sahkan", "version": u["version"]})
    assert (r.status_code, r.json()["code"]) == (409, "transisi_tidak_sah")
    kec = client_for("kec")
    assert {x["id"] for x in kec.get("/api/v1/usulan?to_act=true").json()["items"]} >= {u["id"]}
    assert kec.get(f"/api/v1/usulan/{u['id']}").json()["actions"] == ["verifikasi", "kembalikan", "tolak"]
    r = kec.post(path, json={"action": "verifikasi", "version": u["version"] - 1})
    assert (r.status_code, r.json()["code"]) == (409, "konflik")
    r = kec.post(path, json={"action": "kembalikan", "version": u["version"]})
    assert (r.status_code, r.json()["code"]) == (422, "tidak_valid")  # a note is required
    r = kec.post(path, json={"action": "verifikasi", "version": u["version"]})
    assert r.status_code == 200 and (r.json()["status"], r.json()["level"]) == ("diverifikasi", "kabupaten")
    r = client_for("pengesah").post(path, json={"action": "sahkan", "version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "disahkan"
    assert [e["action"] for e in r.json()["events"]] == ["buat", "ajukan", "verifikasi", "sahkan"]


def test_berita_acara_download_scoped_and_bad_types_refused(client_for, api_app):
    _, batch = submitted(client_for, api_app, "member", members(api_app)["R2-3"])
    url = batch["berita_acara"]["url"]
    r = client_for("kec").get(url)
    assert r.status_code == 200 and r.content == PDF
    assert (
        r.headers["content-disposition"].startswith("attachment")
        and r.headers["x-content-type-options"] == "nosniff"
    )
    assert client_for("desa_out").get(url).status_code == 404
    assert client_for("kec_out").get(url).status_code == 404
    desa = client_for("desa")
    b = desa.post("/api/v1/usulan-batches", json={"title": "Musdes dua"}).json()
    for name, data in (("ba.pdf", b"<script>alert(1)</script>"), ("ba.png", b"GIF89a"), ("ba.pdf", b"")):
        r = desa.post(
            f"/api/v1/usulan-batches/{b['id']}/berita-acara", files={"file": (name, data, "application/pdf")}
        )
        assert r.status_code == 422, r.text
    r = desa.post(f"/api/v1/usulan-batches/{b['id']}/submit", json={"version": b["version"]})
    assert r.status_code == 422


def test_workflow_table_and_create_refusals(client_for, api_app):
    rows = client_for("auditor").get("/api/v1/usulan/workflow").json()
    assert {"action": "sahkan", "source": "diverifikasi", "level": "kabupaten", "target": "disahkan",
            "target_level": "provinsi", "roles": ["pengesah_kabupaten"], "note_required": False,
            "applies": False} in rows  # fmt: skip
    body = {
        "kind": "nonaktif",
        "subkind": "mampu",
        "target_entity": "household",
        "target_id": households(api_app)["R3"],
    }
    assert client_for("kec").post("/api/v1/usulan", json=body).status_code == 403
    assert client_for("desa_out").post("/api/v1/usulan", json=body).status_code == 404
    r = client_for("desa").post("/api/v1/usulan", json=body | {"subkind": "bosan"})
    assert r.status_code == 422 and "tidak dikenal" in r.json()["detail"]


def test_nik_case_through_the_api(client_for, api_app):
    """An usulan baru with an active NIK is kept, held in the adjudication queue, decided by API (#17.3)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from siks.store.models.registry import Member

    with Session(api_app.state.engine) as s:
        nik = s.scalar(select(Member.nik).where(Member.id == members(api_app)["R2-2"]))
    head = {"nama": "Orang Baru", "nik": nik, "sex": 2, "tanggal_lahir": "1979-08-02", "hubungan_kk": 1,
            "status_kawin": 1}  # fmt: skip
    place = {"dusun": "Krajan", "rw": "1", "rt": "9", "alamat": "Jl. Api 1"}
    body = {"kind": "baru", "subkind": "ruta", "payload": {**place, "members": [head]}}
    r = client_for("desa").post("/api/v1/usulan", json=body)
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    queue = client_for("kec").get("/api/v1/adjudication/nik")
    assert queue.status_code == 200
    mine = [c for c in queue.json() if c["usulan_id"] == uid]  # (the seed gives one NIK to several people)
    [case] = [c for c in mine if "R2-K1-2" in c["data_lain"]]
    assert case["nik"] == nik  # the kecamatan operator sees full NIK; a read-only role sees it masked
    seen = [c for c in client_for("auditor").get("/api/v1/adjudication/nik").json() if c["usulan_id"] == uid]
    assert seen and all("*" in c["nik"] for c in seen)
    assert client_for("kec_out").get("/api/v1/adjudication/nik").json() == []
    assert client_for("desa").get("/api/v1/adjudication/nik").status_code == 403
    r = client_for("kec").post(f"/api/v1/adjudication/nik/{case['case_id']}", json={"same_person": True})
    assert r.status_code == 200 and r.json()["usulan_status"] == "ditolak"
    assert not [c for c in client_for("kec").get("/api/v1/adjudication/nik").json() if c["usulan_id"] == uid]
    r = client_for("kec").post(f"/api/v1/adjudication/nik/{case['case_id']}", json={"same_person": False})
    assert r.status_code == 409


def test_nik_case_on_the_ganda_page(client_for, api_app):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from siks.store.models.registry import Member

    with Session(api_app.state.engine) as s:
        nik = s.scalar(select(Member.nik).where(Member.id == members(api_app)["R3-1"]))
    head = {"nama": "Orang Halaman", "nik": nik, "sex": 1, "tanggal_lahir": "1975-03-14", "hubungan_kk": 1,
            "status_kawin": 1}  # fmt: skip
    place = {"dusun": "Krajan", "rw": "1", "rt": "8", "alamat": "Jl. Halaman 2"}
    r = client_for("desa").post("/api/v1/usulan", json={"kind": "baru", "subkind": "ruta",
                                                        "payload": {**place, "members": [head]}})  # fmt: skip
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    kec = client_for("kec")
    page = kec.get("/ganda")
    assert page.status_code == 200 and "Usulan tertahan" in page.text and f'href="/usulan/{uid}"' in page.text
    cases = [c["case_id"] for c in kec.get("/api/v1/adjudication/nik").json() if c["usulan_id"] == uid]
    auditor_page = client_for("auditor").get("/ganda").text
    assert "Usulan tertahan" in auditor_page and "Orang yang sama" not in auditor_page  # sees, not decides
    for case_id in cases:  # (the seed gives one NIK to several people: one case each)
        r = kec.post(f"/ganda/nik/{case_id}", data={"putusan": "beda"}, follow_redirects=False)
        assert r.status_code == 303 and f"usulan={uid}" in r.headers["location"]
    u = client_for("desa").get(f"/api/v1/usulan/{uid}").json()
    assert u["status"] == "draf" and "salah satu NIK keliru" in u["last_note"]
    assert kec.post(f"/ganda/nik/{case_id}", data={"putusan": "sama"}).status_code == 409


def test_csrf_is_required(client_for, api_app):
    c = client_for("desa")
    del c.headers["X-CSRF-Token"]
    assert c.post("/api/v1/usulan-batches", json={"title": "x"}).status_code == 403


@pytest.mark.parametrize("name", ["desa", "kec", "pengesah", "auditor", "pusat"])
def test_pages_render(client_for, api_app, name):
    c = client_for(name)
    for url in ("/usulan", "/usulan?tampil=semua", "/usulan/paket"):
        r = c.get(url)
        assert r.status_code == 200, (url, r.text[:500])
        assert "Usulan" in r.text


def test_pages_flow_with_forms(client_for, api_app):
    """The desa drafts in the form, uploads the berita acara, submits; the kecamatan acts on a stale page."""
    desa = client_for("desa")
    assert desa.get("/usulan/baru").status_code == 200
    r = desa.get("/usulan/baru?jenis=nonaktif&rincian=meninggal&ruta=R3")
    assert r.status_code == 200 and 'name="sasaran"' in r.text
    mid = members(api_app)["R3-1"]
    form = {
        "jenis": "nonaktif",
        "rincian": "meninggal",
        "ruta": "R3",
        "sasaran": f"member:{mid}",
        "tanggal": "2025-04-01",
    }
    r = desa.post("/usulan/baru", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    uid = int(r.headers["location"].split("/")[2].split("?")[0])
    r = desa.post(
        "/usulan/paket",
        data={"judul": "Musdes formulir", "tanggal_musdes": "2025-05-01"},
        follow_redirects=False,
    )
    bid = int(r.headers["location"].rsplit("/", 1)[1])
    assert (
        desa.post(
            f"/usulan/paket/{bid}/tambah", data={"usulan": str(uid)}, follow_redirects=False
        ).status_code
        == 303
    )
    r = desa.post(
        f"/usulan/paket/{bid}/berita-acara", files={"berkas": ("ba.txt", b"not a pdf", "text/plain")}
    )
    assert r.status_code == 422 and "Jenis berkas tidak diterima" in r.text
    r = desa.post(f"/usulan/paket/{bid}/berita-acara", files={"berkas": ("ba.pdf", PDF, "application/pdf")},
                  follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = desa.get(f"/usulan/paket/{bid}").text
    assert "sha256" in page and "Budi R3" in page
    version = desa.get(f"/api/v1/usulan-batches/{bid}").json()["version"]
    assert (
        desa.post(f"/usulan/paket/{bid}/ajukan", data={"versi": version}, follow_redirects=False).status_code
        == 303
    )
    kec = client_for("kec")
    v = kec.get(f"/api/v1/usulan/{uid}").json()["version"]
    assert (
        kec.post(
            f"/usulan/{uid}/aksi", data={"aksi": "verifikasi", "versi": v}, follow_redirects=False
        ).status_code
        == 303
    )
    r = kec.post(f"/usulan/{uid}/aksi", data={"aksi": "kembalikan", "versi": v, "catatan": "cek"})
    assert r.status_code == 409 and "diubah oleh pengguna lain" in r.text
    assert client_for("desa_out").get(f"/usulan/{uid}").status_code == 404
