"""Field verval over HTTP: assignment, the phone list, a visit through the form and the API, progress."""

from __future__ import annotations

from workflow_support import DESA


def test_assign_visit_and_progress(client_for, api_app):
    seed = api_app.state.seed
    kec = client_for("kec")
    assert kec.get("/verval-lapangan/penugasan").status_code == 200
    r = kec.post(
        "/verval-lapangan/penugasan", data={"enumerator": seed.users["enum"], "desa": DESA, "dusun": "Krajan"}
    )
    assert r.status_code == 200 and "2 rumah tangga ditugaskan" in r.text
    enum = client_for("enum")
    page = enum.get("/verval-lapangan").text
    assert "Budi R1" in page and "Budi R2" in page and "Budi R3" not in page
    tasks = enum.get("/api/v1/fieldwork/tasks").json()
    t1 = next(t for t in tasks if t["household_ref"] == "R1")
    visit = enum.get(f"/verval-lapangan/tugas/{t1['id']}")
    assert (
        visit.status_code == 200
        and "Hasil verivali rumah tangga" in visit.text
        and 'name="j_jenis_lantai"' in visit.text
    )
    m = seed.members
    form = {
        "versi": t1["version"],
        "hasil": "1",
        f"keberadaan_{m['R1-1']}": "1",
        f"keberadaan_{m['R1-2']}": "2",
        f"keberadaan_{m['R1-3']}": "1",
        "j_jenis_lantai": "2",
        "tanggal": "2025-05-02",
    }
    r = enum.post(f"/verval-lapangan/tugas/{t1['id']}", data=form, follow_redirects=False)
    assert r.status_code == 303 and "usulan=1" in r.headers["location"]
    r = enum.post(f"/verval-lapangan/tugas/{t1['id']}", data=form)  # the same form again: stale
    assert r.status_code == 409
    t2 = next(t for t in tasks if t["household_ref"] == "R2")
    # issue #18: the task carries its anggota, whose keberadaan a visit needs, keyed as the visit keys them
    detail = enum.get(f"/api/v1/fieldwork/tasks/{t2['id']}").json()
    assert {x["id"]: x["nama"] for x in detail["members"]} == {
        m[f"R2-{i}"]: n for i, n in ((1, "Budi R2"), (2, "Sri R2"), (3, "Ani R2"))
    }
    assert {x["ref"] for x in detail["members"]} == {"R2-K1-1", "R2-K1-2", "R2-K1-3"}
    assert all(x["family_ref"] == "R2-K1" and "nik" not in x for x in detail["members"])
    assert (
        client_for("enum_out")
        .post(f"/api/v1/fieldwork/tasks/{t2['id']}/visit", json={"version": t2["version"], "result": 2})
        .status_code
        == 404
    )
    r = enum.post(f"/api/v1/fieldwork/tasks/{t2['id']}/visit", json={"version": t2["version"], "result": 2})
    assert (
        r.status_code == 200 and r.json()["task"]["status"] == "selesai" and len(r.json()["usulan_ids"]) == 1
    )
    progress = kec.get("/api/v1/fieldwork/progress").json()
    assert progress["desa"] == [{"code": DESA, "name": "Jubung", "done": 2, "total": 2}]
    page = kec.get("/verval-lapangan").text
    assert "Sukorambi" in page and "2 / 2" in page
    assert client_for("kec_out").get("/api/v1/fieldwork/progress").json()["desa"] == []
    assert client_for("desa").get("/verval-lapangan").status_code == 403
