"""Adjudication over HTTP: the queue page, the comparison, a decision, and the API."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from siks.store.models.verval import VervalFinding, VervalRun


def _findings(api_app):
    with Session(api_app.state.engine) as s, s.begin():
        s.add(
            VervalRun(
                id="run-http",
                status="selesai",
                actor="uji",
                started_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
            )
        )
        s.flush()
        ids = []
        for a, b, w in (
            ("R1-K1-1", "RB-K1-1", 8.0),
            ("R2-K1-2", "RB-K1-2", 6.5),
            ("R1-K1-3", "RK-K1-3", 5.0),
        ):
            f = VervalFinding(
                run_id="run-http", code="DUP_POSSIBLE", level="anggota", member_ref=a, related_ref=b, weight=w
            )
            s.add(f)
            s.flush()
            ids.append(f.id)
    return ids


def test_queue_compare_decide(client_for, api_app):
    same, different, other_kec = _findings(api_app)
    kec = client_for("kec")
    page = kec.get("/ganda")
    assert page.status_code == 200 and "Budi R1" in page.text and "Ani RK" not in page.text
    assert [p["finding_id"] for p in kec.get("/api/v1/adjudication/queue").json()] == [same, different]
    r = kec.get(f"/ganda/{same}")
    assert r.status_code == 200 and "Bandingkan dua ART" in r.text and 'class="differs"' in r.text
    assert kec.get(f"/ganda/{other_kec}").status_code == 404
    r = kec.post(
        f"/ganda/{same}",
        data={"putusan": "sama", "nonaktifkan": "RB-K1-1", "catatan": "KTP sama"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "usulan=" in r.headers["location"]
    assert kec.post(f"/ganda/{same}", data={"putusan": "beda"}).status_code == 409
    r = client_for("supkab").post(f"/api/v1/adjudication/{different}/decision", json={"same_person": False})
    assert r.status_code == 200 and r.json()["same_person"] is False
    assert kec.get("/api/v1/adjudication/queue").json() == []
    assert client_for("desa").get("/ganda").status_code == 403
    assert (
        client_for("auditor")
        .post(f"/api/v1/adjudication/{other_kec}/decision", json={"same_person": True})
        .status_code
        == 403
    )
