"""siks as an OpenRosa server, driven as ODK Collect drives it, on SQLite and PostgreSQL.

assign → formList → download form and manifest → fill the instance offline → HEAD + multipart POST with a
JPEG → visit recorded → progress updated; and every way a submission is kept for review instead.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from odk.collect_support import JPEG, instance
from siks.store.models.fieldwork import FieldTask
from siks.store.models.odk import OdkAttachment, OdkSubmission
from siks.store.models.registry import Assessment
from siks.store.models.usulan import Usulan
from workflow_support import DESA

NS = {
    "x": "http://openrosa.org/xforms/xformsList",
    "m": "http://openrosa.org/xforms/xformsManifest",
    "r": "http://openrosa.org/http/response",
}


def _assign(web, seed, dusun: str | None = None, rt: str | None = None, enumerator: str = "enum"):
    body = {"enumerator_id": seed.users[enumerator], "desa_code": DESA, "dusun": dusun, "rt": rt}
    r = web("kec").post("/api/v1/fieldwork/assignments", json=body)
    assert r.status_code == 200, r.text


def _download(collect, form_id: str) -> tuple[str, dict[str, list[dict]]]:
    """formList → form.xml → manifest → media, checking every hash as Collect does."""
    r = collect.get("/odk/formList")
    assert r.status_code == 200 and r.headers["x-openrosa-version"] == "1.0"
    entry = next(
        x for x in ET.fromstring(r.text).findall("x:xform", NS) if x.findtext("x:formID", "", NS) == form_id
    )
    form = collect.get(entry.findtext("x:downloadUrl", "", NS))
    assert form.status_code == 200
    import hashlib

    assert entry.findtext("x:hash", "", NS) == "md5:" + hashlib.md5(form.content).hexdigest()
    media = {}
    manifest_url = entry.findtext("x:manifestUrl", None, NS)
    if manifest_url:
        manifest = ET.fromstring(collect.get(manifest_url).text)
        for f in manifest.findall("m:mediaFile", NS):
            content = collect.get(f.findtext("m:downloadUrl", "", NS)).content
            assert f.findtext("m:hash", "", NS) == "md5:" + hashlib.md5(content).hexdigest()
            media[f.findtext("m:filename", "", NS)] = list(csv.DictReader(io.StringIO(content.decode())))
    return form.text, media


def _message(r) -> str:
    return ET.fromstring(r.text).findtext("r:message", "", NS)


def test_assign_download_submit_and_progress(odk_app, web, collect):
    seed = odk_app.state.seed
    _assign(web, seed, dusun="Krajan", rt="2")  # R1 only
    enum = collect("enum")
    form_xml, media = _download(enum, "siks_verval")
    assert enum.challenges >= 1  # every request was answered with a Digest challenge first
    tasks = media["tugas.csv"]
    assert [t["id_ruta"] for t in tasks] == ["R1"] and "Budi R1" in tasks[0]["label"]
    members = [m for m in media["anggota.csv"] if m["tugas"] == tasks[0]["name"]]
    assert sorted(m["label"] for m in members) == ["1. Budi R1", "2. Sri R1", "3. Ani R1"]
    ids = {m["label"].split(". ")[1]: m["name"] for m in members}

    xml, iid = instance(
        form_xml,
        {
            "tugas": tasks[0]["name"],
            "hasil": 1,
            "tanggal_kunjungan": "2025-06-03",
            "jenis_lantai": 2,
            "aset_lemari_es": 1,
            "catatan": "Rumah sudah diplester",
        },
        [
            {"anggota_id": ids["Budi R1"], "keberadaan": 1, "bekerja": 1},
            {"anggota_id": ids["Sri R1"], "keberadaan": 1},
            {"anggota_id": ids["Ani R1"], "keberadaan": 3},
        ],
    )
    r = enum.submit(xml, ("foto_rumah.jpg", JPEG, "image/jpeg"))
    assert r.status_code == 201, r.text
    assert r.headers["x-openrosa-version"] == "1.0" and "Kunjungan dicatat" in _message(r)

    with Session(odk_app.state.engine) as s:
        task = s.get(FieldTask, int(tasks[0]["name"]))
        assert task.status == "selesai" and task.result == 1 and task.visited_on == dt.date(2025, 6, 3)
        a = s.get(Assessment, task.assessment_id)
        assert a.answers["jenis_lantai"] == 2 and a.answers["aset_lemari_es"] is True
        sub = s.scalar(select(OdkSubmission).where(OdkSubmission.instance_id == iid))
        assert sub.status == "diterapkan" and sub.task_id == task.id
        assert [(x.name, x.media_type, x.content) for x in sub.attachments] == [
            ("foto_rumah.jpg", "image/jpeg", JPEG)
        ]
        pindah = s.scalar(select(Usulan).where(Usulan.external_ref.like(f"tugas{task.id}-member%")))
        assert pindah is not None and pindah.subkind == "pindah"  # Ani moved: a draft nonaktif at the desa

    progress = web("kec").get("/api/v1/fieldwork/progress").json()["desa"]
    assert progress == [{"code": DESA, "name": "Jubung", "done": 1, "total": 1}]

    # The same instance again (Collect retries after a lost answer): accepted, nothing recorded twice.
    again = enum.submit(xml, ("foto_rumah.jpg", JPEG, "image/jpeg"))
    assert again.status_code == 201 and "sudah diterima" in _message(again)
    with Session(odk_app.state.engine) as s:
        assert (
            s.scalar(select(func.count()).select_from(OdkSubmission).where(OdkSubmission.instance_id == iid))
            == 1
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(Assessment)
                .where(Assessment.household_id == seed.households["R1"])
            )
            == 2  # the seeded pendataan and the one visit, not two
        )
    # After the visit, the household is no longer in the enumerator's media.
    assert all(t["id_ruta"] != "R1" for t in _download(enum, "siks_verval")[1]["tugas.csv"])

    # An edit (deprecatedID) of a visit already applied: kept for review, never overwrites silently.
    edit, edit_id = instance(
        form_xml,
        {"tugas": tasks[0]["name"], "hasil": 1, "tanggal_kunjungan": "2025-06-03"},
        [{"anggota_id": ids["Budi R1"], "keberadaan": 1}],
        deprecated_id=iid,
    )
    r = enum.submit(edit)
    assert r.status_code == 409 and "ditinjau operator" in _message(r)
    queue = web("kec").get("/api/v1/odk/submissions").json()
    assert any(q["instance_id"] == edit_id and q["reason"] == "ODK_SUNTINGAN" for q in queue)


def test_out_of_scope_unassigned_old_and_malformed_are_kept_for_review(odk_app, web, collect):
    seed = odk_app.state.seed
    _assign(web, seed, dusun="Gumuk")  # R3 → enum
    enum, other = collect("enum"), collect("enum_out")
    form_xml, media = _download(enum, "siks_verval")
    r3 = next(t for t in media["tugas.csv"] if t["id_ruta"] == "R3")
    head = next(m for m in media["anggota.csv"] if m["tugas"] == r3["name"] and m["no_urut"] == "1")
    values = {"tugas": r3["name"], "hasil": 1, "tanggal_kunjungan": "2025-06-04"}
    rows = [{"anggota_id": head["name"], "keberadaan": 1}]

    # Another desa's enumerator sends a visit for R3 (outside their wilayah), with a photo.
    xml, iid = instance(form_xml, values, rows)
    r = other.submit(xml, ("rumah.jpg", JPEG, "image/jpeg"))
    assert r.status_code == 403 and "Di luar wilayah tugas" in _message(r)
    # A form version that is no longer current.
    old, old_id = instance(form_xml, values, rows, version="versi-lama")
    r = enum.submit(old)
    assert r.status_code == 409 and "Versi formulir" in _message(r)
    # Malformed XML, with its photo.
    r = enum.submit(b"<data id='siks_verval'><tugas>", ("x.jpg", JPEG, "image/jpeg"))
    assert r.status_code == 400 and "tidak dapat dibaca" in _message(r)
    # The same instanceID with other content.
    clash, _ = instance(form_xml, values | {"catatan": "beda"}, rows, instance_id=old_id)
    r = enum.submit(clash)
    assert r.status_code == 409 and "instanceID" in _message(r)

    with Session(odk_app.state.engine) as s:
        kept = {
            x.instance_id: x
            for x in s.scalars(select(OdkSubmission).where(OdkSubmission.status == "ditinjau"))
        }
        assert kept[iid].reason == "ODK_LUAR_WILAYAH" and kept[iid].attachments[0].content == JPEG
        assert kept[old_id].reason == "ODK_VERSI_LAMA"
        broken = s.scalar(select(OdkSubmission).where(OdkSubmission.reason == "ODK_RUSAK"))
        assert broken.xml.startswith("<data") and broken.attachments[0].name == "x.jpg"
        assert s.scalar(select(func.count()).select_from(OdkAttachment)) >= 2
        assert s.get(FieldTask, int(r3["name"])).status == "ditugaskan"  # nothing applied

    # The kecamatan sees the queue of its wilayah (with the photo); another kecamatan does not.
    kec = web("kec")
    queue = kec.get("/api/v1/odk/submissions").json()
    assert {"ODK_VERSI_LAMA", "ODK_RUSAK"} <= {q["reason"] for q in queue}
    assert all(q["instance_id"] != iid for q in web("kec_out").get("/api/v1/odk/submissions").json())
    out_of_scope = next(
        q for q in web("opkab").get("/api/v1/odk/submissions").json() if q["instance_id"] == iid
    )
    photo = web("opkab").get(f"/api/v1/odk/submissions/{out_of_scope['id']}/attachments/rumah.jpg")
    assert photo.status_code == 200 and photo.content == JPEG
    assert web("kec_out").get(f"/api/v1/odk/submissions/{out_of_scope['id']}").status_code == 404
    # Dismissing needs a reason, and is audited.
    old_row = next(q for q in queue if q["instance_id"] == old_id)
    assert kec.post(f"/api/v1/odk/submissions/{old_row['id']}/dismiss", json={"note": ""}).status_code == 422
    r = kec.post(
        f"/api/v1/odk/submissions/{old_row['id']}/dismiss", json={"note": "Formulir lama, kirim ulang"}
    )
    assert r.status_code == 200 and r.json()["status"] == "ditolak"


def test_unassigned_household_then_assigned_and_retried_from_the_queue(odk_app, web, collect):
    seed = odk_app.state.seed
    _assign(web, seed, dusun="Krajan", rt="3")  # R2 → enum
    enum = collect("enum")
    form_xml, media = _download(enum, "siks_verval")
    r2 = next(t for t in media["tugas.csv"] if t["id_ruta"] == "R2")
    # The phone's list is stale: the kecamatan gave R2 to another enumerator before the visit arrives.
    from siks.store.models.accounts import User

    with Session(odk_app.state.engine) as s:
        u = User(
            username="enum2",
            full_name="Enum Dua",
            role="enumerator",
            wilayah_code=DESA,
            password_hash="x",
            active=True,
        )
        s.add(u)
        s.commit()
        seed.users["enum2"] = u.id
    _assign(web, seed, dusun="Krajan", rt="3", enumerator="enum2")
    xml, iid = instance(form_xml, {"tugas": r2["name"], "hasil": 2, "tanggal_kunjungan": "2025-06-05"})
    r = enum.submit(xml)
    assert r.status_code == 403 and "tidak ditugaskan" in _message(r)
    row = next(q for q in web("kec").get("/api/v1/odk/submissions").json() if q["instance_id"] == iid)
    assert row["reason"] == "ODK_TIDAK_DITUGASKAN"
    # Still not theirs: retrying fails and the submission stays queued.
    r = web("kec").post(f"/api/v1/odk/submissions/{row['id']}/retry")
    assert r.status_code == 422 and "tidak ditugaskan" in r.json()["detail"]
    assert web("kec").get(f"/api/v1/odk/submissions/{row['id']}").json()["status"] == "ditinjau"
    _assign(web, seed, dusun="Krajan", rt="3", enumerator="enum")  # the kecamatan gives it back
    r = web("kec").post(f"/api/v1/odk/submissions/{row['id']}/retry")
    assert r.status_code == 200 and r.json()["status"] == "diterapkan", r.text
    with Session(odk_app.state.engine) as s:
        task = s.get(FieldTask, int(r2["name"]))
        assert task.status == "selesai" and task.result == 2


def test_usulan_baru_from_the_registration_form(odk_app, collect):
    from siks.domain.nik import make_nik

    enum = collect("enum")
    form_xml, media = _download(enum, "siks_usulan_baru")
    assert media == {}
    born_a, born_b = dt.date(1988, 4, 9), dt.date(1990, 12, 30)
    members = [
        {
            "nama": "Slamet",
            "jenis_kelamin": 1,
            "tanggal_lahir": born_a.isoformat(),
            "hubungan_kk": 1,
            "status_kawin": 2,
            "nik": make_nik("35.09.15", born_a, 1, 4321),
        },
        {
            "nama": "Siti",
            "jenis_kelamin": 2,
            "tanggal_lahir": born_b.isoformat(),
            "hubungan_kk": 2,
            "status_kawin": 2,
            "nik": make_nik("35.09.15", born_b, 2, 4322),
        },
    ]
    xml, iid = instance(
        form_xml, {"dusun": "Krajan", "rw": "1", "rt": "4", "alamat": "Jl. Kenanga 1"}, members
    )
    r = enum.submit(xml, ("kk.jpg", JPEG, "image/jpeg"))
    assert r.status_code == 201, r.text
    with Session(odk_app.state.engine) as s:
        u = s.scalar(select(Usulan).where(Usulan.external_ref == iid))
        assert (u.kind, u.subkind, u.status, u.channel, u.desa_code) == ("baru", "ruta", "draf", "odk", DESA)
        assert [m["nama"] for m in u.payload["members"]] == ["Slamet", "Siti"] and u.payload["rt"] == "004"
    # A NIK whose birth date disagrees: the server rule refuses it, and the submission waits for review.
    bad = [dict(members[0], nik=make_nik("35.09.15", dt.date(1970, 1, 1), 1, 1111))]
    xml, iid = instance(form_xml, {"alamat": "Jl. Kenanga 2"}, bad)
    r = enum.submit(xml)
    assert r.status_code == 400 and "NIK" in _message(r)


def test_credential_settings_qr_code(odk_app, web):
    import base64
    import json
    import zlib

    r = web("kec").post("/api/v1/odk/credentials", json={"user_id": odk_app.state.seed.users["enum"]})
    body = r.json()
    settings = json.loads(zlib.decompress(base64.b64decode(body["settings"])))
    assert settings["general"]["server_url"] == "http://testserver/odk" == body["server_url"]
    assert (settings["general"]["username"], settings["general"]["password"]) == ("enum", body["password"])
    assert "<svg" in body["qr_svg"] and "<path" in body["qr_svg"]
    # Only an assigner in scope issues credentials, only for enumerators and desa operators.
    user_id = odk_app.state.seed.users["enum"]
    assert web("kec_out").post("/api/v1/odk/credentials", json={"user_id": user_id}).status_code == 404
    assert web("desa").post("/api/v1/odk/credentials", json={"user_id": user_id}).status_code == 403
    kec_id = odk_app.state.seed.users["kec"]
    assert web("opkab").post("/api/v1/odk/credentials", json={"user_id": kec_id}).status_code == 404


def test_authentication(odk_app, collect):
    enum = collect("enum")
    r = enum.client.get("/odk/formList", headers={"X-OpenRosa-Version": "1.0"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith('Digest realm="siks"')
    assert 'qop="auth"' in r.headers["www-authenticate"] and r.headers["x-openrosa-version"] == "1.0"
    wrong = type(enum)(enum.client, "enum", "bukan-kata-sandi")
    assert wrong.get("/odk/formList").status_code == 401
    # The login password is not the ODK credential.
    from workflow_support import PASSWORD

    assert type(enum)(enum.client, "enum", PASSWORD).get("/odk/formList").status_code == 401
    # Basic is refused over plain HTTP (the password would travel in clear).
    import base64

    basic = base64.b64encode(f"enum:{enum.password}".encode()).decode()
    assert enum.client.get("/odk/formList", headers={"Authorization": f"Basic {basic}"}).status_code == 401
    assert (
        enum.client.get(
            "https://testserver/odk/formList", headers={"Authorization": f"Basic {basic}"}
        ).status_code
        == 200
    )
    # A new credential replaces the old one at once (a lost phone).
    old = enum.password
    enum = collect("enum")
    assert (
        enum.password != old and type(enum)(enum.client, "enum", old).get("/odk/formList").status_code == 401
    )
    assert enum.get("/odk/formList").status_code == 200
    # Forms by role: a desa operator gets only the registration forms.
    desa = collect("desa")
    ids = [
        x.findtext("x:formID", "", NS)
        for x in ET.fromstring(desa.get("/odk/formList").text).findall("x:xform", NS)
    ]
    assert ids == ["siks_usulan_baru", "siks_usulan_baru_pbdt"]
    assert desa.get("/odk/forms/siks_verval/form.xml").status_code == 404
