"""The 14-day rule for operators (#18.3), on SQLite and PostgreSQL: each usul and sanggah has a deadline,
the queue filters what is overdue, and the counts per desa and kecamatan say where they wait."""

from __future__ import annotations

import datetime as dt

from siks.store.models.usulan import UsulanEvent
from siks.usulan import service, sla
from siks.usulan.service import Target
from workflow_support import DESA, DESA_B

NOW = dt.datetime.now(dt.UTC)


def sanggah(session, seed, household: str, desa: str, days_ago: float, ref: str):
    u = service.create_from_channel(
        session, channel="warga", actor_name="3509150101900001", kind="sanggah", subkind="mampu",
        target=Target("household", seed.households[household]), desa_code=desa, external_ref=ref,
        payload={"alasan": "Punya mobil"},
    )  # fmt: skip
    u.created_at = NOW - dt.timedelta(days=days_ago)
    session.flush()
    return u


def usul(session, days_ago: float, ref: str):
    u = service.create_from_channel(
        session, channel="warga", actor_name="3509150101900001", kind="baru", subkind="ruta",
        desa_code=DESA, external_ref=ref,
        payload={"alamat": "Krajan", "members": [{"nama": "Tumini", "nik": "3509154107650003", "sex": 2,
                                                   "tanggal_lahir": "1965-07-01", "hubungan_kk": 1}]},
    )  # fmt: skip
    u.created_at = NOW - dt.timedelta(days=days_ago)
    session.flush()
    return u


def test_deadlines_before_and_after_14_days(wf_session, wf_seed, user):
    late = sanggah(wf_session, wf_seed, "R1", DESA, 20, "s-late")
    fresh = sanggah(wf_session, wf_seed, "R2", DESA, 5, "s-fresh")
    edge = sanggah(wf_session, wf_seed, "R3", DESA, 13.9, "s-edge")
    citizen = usul(wf_session, 15, "u-late")
    own = service.create(wf_session, user("desa"), kind="nonaktif", subkind="pindah",
                         target=Target("member", wf_seed.members["R1-3"]), payload={})  # fmt: skip
    due = sla.deadline_of(late, NOW)
    assert due.overdue and due.days_left == -6 and due.label == "Terlambat 6 hari"
    assert due.due.date() == (late.created_at + dt.timedelta(days=14)).date()
    assert sla.deadline_of(fresh, NOW).label == "Sisa 9 hari" and not sla.deadline_of(fresh, NOW).overdue
    assert not sla.deadline_of(edge, NOW).overdue
    assert sla.deadline_of(citizen, NOW).overdue  # a citizen's usul runs on the same clock
    assert sla.deadline_of(own, NOW) is None  # an operator's own usulan has no deadline
    found = service.search(wf_session, user("opkab"), overdue=True).items
    assert [u.id for u in found] == [late.id, citizen.id]
    # a kabupaten step stops the clock, even on a late item
    wf_session.add(
        UsulanEvent(usulan_id=late.id, actor="supkab", role="supervisor_kabupaten", action="kembalikan")
    )
    wf_session.flush()
    wf_session.refresh(late)
    assert sla.deadline_of(late, NOW).met and not sla.deadline_of(late, NOW).overdue
    assert [u.id for u in service.search(wf_session, user("opkab"), overdue=True).items] == [citizen.id]


def test_counts_per_desa_and_kecamatan_within_scope(wf_session, wf_seed, user):
    sanggah(wf_session, wf_seed, "R1", DESA, 20, "a")
    sanggah(wf_session, wf_seed, "R2", DESA, 2, "b")
    sanggah(wf_session, wf_seed, "RB", DESA_B, 30, "c")
    sanggah(wf_session, wf_seed, "RK", "35.09.16.2001", 16, "d")
    desa = {(c.wilayah_code, c.waiting, c.overdue) for c in sla.counts(wf_session, user("kec"), depth=4)}
    assert desa == {(DESA, 2, 1), (DESA_B, 1, 1)}  # the other kecamatan is not in scope
    kec = {(c.wilayah_code, c.waiting, c.overdue) for c in sla.counts(wf_session, user("opkab"), depth=3)}
    assert kec == {("35.09.15", 3, 2), ("35.09.16", 1, 1)}
    assert [c.name for c in sla.counts(wf_session, user("desa"), depth=4)] == ["Jubung"]
    later = NOW + dt.timedelta(days=13)  # the fresh one is overdue too by then
    assert {c.overdue for c in sla.counts(wf_session, user("desa"), depth=4, now=later)} == {2}


def test_queue_page_and_api_show_the_deadline(api_app, client_for):
    from sqlalchemy.orm import Session

    with Session(api_app.state.engine) as session:
        late = sanggah(session, api_app.state.seed, "R2", DESA, 20, "http-late")
        fresh = sanggah(session, api_app.state.seed, "R3", DESA, 3, "http-fresh")
        session.commit()
        late_id, fresh_id = late.id, fresh.id
    kec = client_for("kec")
    page = kec.get("/usulan?tampil=semua")
    assert page.status_code == 200
    assert "Terlambat 6 hari" in page.text and "Sisa 11 hari" in page.text
    assert "Menunggu kabupaten" in page.text and "Per desa" in page.text
    assert "Terlambat 6 hari" in kec.get(f"/usulan/{late_id}").text  # the usulan's own page too
    only = kec.get("/usulan?tampil=semua&terlambat=1").text
    assert f"#{late_id}<" in only and f"#{fresh_id}<" not in only
    body = kec.get("/api/v1/usulan?overdue=true").json()
    assert [(u["id"], u["overdue"]) for u in body["items"]] == [(late_id, True)]
    shown = kec.get(f"/api/v1/usulan/{fresh_id}").json()
    assert shown["overdue"] is False and shown["deadline"].startswith(
        str((NOW + dt.timedelta(days=11)).date())
    )
    counts = client_for("opkab").get("/api/v1/usulan/batas-waktu?tingkat=3").json()
    assert counts == [{"wilayah_code": "35.09.15", "name": "Sukorambi", "waiting": 2, "overdue": 1}]
    assert client_for("desa_out").get("/api/v1/usulan/batas-waktu").json() == []
    dash = client_for("opkab").get("/dasbor/data.json").json()["grafik"]["batas_waktu"]
    assert (dash["kategori"], dash["seri"]) == (
        ["Sukorambi"],
        {"Menunggu kabupaten": [2], "Lewat batas": [1]},
    )
    assert "Usul dan sanggah: batas 14 hari" in client_for("kec").get("/dasbor").text
