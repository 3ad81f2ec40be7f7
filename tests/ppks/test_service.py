"""PPKS and PSKS through the service, on SQLite and PostgreSQL: scope, permissions, history and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from siks.domain.nik import make_nik
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.ppks import service
from siks.ppks.service import RecordInvalid
from siks.store.models.ppks import PpksRegistration
from siks.store.models.registry import AuditEntry
from workflow_support import DESA, DESA_B

TODAY = dt.date(2025, 6, 1)


def lks(session, actor, **kw):
    raw = {
        "jenis": "lks",
        "nama": "Panti Asuhan Harapan",
        "wilayah_code": DESA,
        "nomor_tanda_daftar": "460/12/2021",
        "akreditasi": "B",
        **kw,
    }
    return service.create_psks(session, actor, raw, today=TODAY)


def resident(session, actor, lks_id, nama="Rudi", **kw):
    return service.add_person(session, actor, {"nama": nama, "sex": 1, "lks_id": lks_id, **kw}, today=TODAY)


def reg(kind, day="2025-01-15", bukti="Register LKS 17/2025"):
    return {"jenis": kind, "tanggal": day, "bukti": bukti}


def test_an_lks_lists_its_residents_with_their_ppks_kinds(wf_session, user):
    desa = user("desa")
    home = lks(wf_session, desa)
    rudi = resident(wf_session, desa, home.id)
    assert rudi.desa_code == DESA  # an LKS registered at desa level: its residents live there
    sari = resident(
        wf_session, desa, home.id, nama="Sari", nik=make_nik("35.09.15", dt.date(2012, 3, 4), 2, 9)
    )
    service.register(wf_session, desa, "ppks", rudi.id, reg("anak_terlantar"), today=TODAY)
    service.register(wf_session, desa, "ppks", rudi.id, reg("anak_disabilitas"), today=TODAY)
    service.register(wf_session, desa, "ppks", sari.id, reg("anak_terlantar"), today=TODAY)
    names = [p.nama for p in service.lks_residents(wf_session, user("kec"), home.id)]
    assert names == ["Rudi", "Sari"]
    kinds = [r.jenis for r in service.registrations_of(wf_session, desa, "ppks", rudi.id)]
    assert kinds == ["anak_terlantar", "anak_disabilitas"]
    rows = {
        (c.jenis, c.wilayah_code): c.count for c in service.counts(wf_session, user("opkab"), as_of=TODAY)
    }
    assert rows[("anak_terlantar", "35.09.15")] == 2 and rows[("anak_disabilitas", "35.09.15")] == 1
    entry = wf_session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "ppks_registration").order_by(AuditEntry.id.desc())
    )
    assert entry.actor == "desa" and entry.after["jenis"] == "anak_terlantar"


def test_kinds_attach_to_members_families_and_kelompok(wf_session, wf_seed, user):
    desa = user("desa")
    r1 = service.register(
        wf_session, desa, "anggota", wf_seed.members["R1-1"], reg("penyandang_disabilitas"), today=TODAY
    )
    assert r1.desa_code == DESA and r1.member_id == wf_seed.members["R1-1"] and r1.recorded_by == "desa"
    fam = service.register(
        wf_session,
        desa,
        "keluarga",
        wf_seed.families["R2"],
        reg("keluarga_bermasalah_psikologis"),
        today=TODAY,
    )
    assert fam.family_id == wf_seed.families["R2"]
    kat = service.add_kelompok(
        wf_session, desa, {"nama": "Suku Anak Dalam", "desa_code": DESA, "jumlah_kk": 40}, today=TODAY
    )
    service.register(wf_session, desa, "kelompok", kat.id, reg("komunitas_adat_terpencil"), today=TODAY)
    with pytest.raises(RecordInvalid) as err:  # a family kind on one person
        service.register(
            wf_session, desa, "anggota", wf_seed.members["R1-2"], reg("komunitas_adat_terpencil"), today=TODAY
        )
    assert [i.code for i in err.value.issues] == ["PPKS_SUBJEK"]


def test_the_same_open_kind_twice_is_a_conflict_and_an_ended_one_is_kept(wf_session, wf_seed, user):
    desa = user("desa")
    member = wf_seed.members["R3-1"]
    first = service.register(wf_session, desa, "anggota", member, reg("lansia_terlantar"), today=TODAY)
    with pytest.raises(Conflict):
        service.register(wf_session, desa, "anggota", member, reg("lansia_terlantar"), today=TODAY)
    with pytest.raises(Invalid):
        service.end_registration(wf_session, desa, first.id, "bosan", on=TODAY)
    service.end_registration(wf_session, desa, first.id, "pulih", on=dt.date(2025, 3, 1))
    again = service.register(
        wf_session, desa, "anggota", member, reg("lansia_terlantar", "2025-05-01"), today=TODAY
    )
    history = service.registrations_of(wf_session, desa, "anggota", member)
    assert [(r.id, r.ended_on) for r in history] == [(first.id, dt.date(2025, 3, 1)), (again.id, None)]
    # counts are as of a day: in February the first registration was open, in April none was
    feb = service.counts(wf_session, desa, level=4, as_of=dt.date(2025, 2, 1))
    apr = service.counts(wf_session, desa, level=4, as_of=dt.date(2025, 4, 1))
    assert [(c.jenis, c.count) for c in feb if c.jenis == "lansia_terlantar"] == [("lansia_terlantar", 1)]
    assert [c for c in apr if c.jenis == "lansia_terlantar"] == []


def test_scope_and_permissions(wf_session, wf_seed, user):
    home = lks(wf_session, user("desa"))
    with pytest.raises(NotFound):
        service.get_psks(wf_session, user("desa_out"), home.id)
    with pytest.raises(NotFound):
        resident(wf_session, user("desa_out"), home.id)
    with pytest.raises(Forbidden):
        service.register(wf_session, user("auditor"), "anggota", wf_seed.members["R1-1"], reg("fakir_miskin"))
    with pytest.raises(NotFound):
        service.register(wf_session, user("desa"), "anggota", wf_seed.members["RB-1"], reg("fakir_miskin"))
    with pytest.raises(NotFound):  # a desa operator cannot register a kabupaten-wide LKS
        lks(wf_session, user("desa"), wilayah_code="35.09")
    assert service.get_psks(wf_session, user("auditor"), home.id).nama == "Panti Asuhan Harapan"
    assert service.list_psks(wf_session, user("desa_out")) == []


def test_street_person_outside_an_lks_and_residents_must_live_in_the_lks_area(wf_session, user):
    kab = user("opkab")
    home = lks(wf_session, kab, wilayah_code="35.09.15", ref="LKS-KEC")
    with pytest.raises(RecordInvalid) as err:  # a kecamatan LKS needs the desa of the resident
        resident(wf_session, kab, home.id)
    assert "PPKS_WILAYAH" in [i.code for i in err.value.issues]
    with pytest.raises(RecordInvalid):
        resident(wf_session, kab, home.id, desa_code="35.09.16.2001")
    assert resident(wf_session, kab, home.id, desa_code=DESA_B).desa_code == DESA_B
    street = service.add_person(
        wf_session, kab, {"nama": "Udin", "sex": 1, "tempat": "jalanan", "desa_code": DESA}, today=TODAY
    )
    assert street.lks_id is None and street.nik is None


def test_deactivating_a_person_ends_open_kinds_and_an_lks_with_residents_cannot_close(wf_session, user):
    desa = user("desa")
    home = lks(wf_session, desa)
    rudi = resident(wf_session, desa, home.id)
    r = service.register(wf_session, desa, "ppks", rudi.id, reg("anak_terlantar"), today=TODAY)
    with pytest.raises(Conflict):
        service.deactivate_psks(wf_session, desa, home.id, "tutup")
    service.deactivate_person(wf_session, desa, rudi.id, "meninggal", on=TODAY)
    assert (r.ended_on, r.end_reason) == (TODAY, "meninggal")
    assert service.deactivate_psks(wf_session, desa, home.id, "tutup").status == "nonaktif"
    with pytest.raises(Invalid):
        resident(wf_session, desa, home.id, nama="Baru")


def test_tksk_account_links_to_its_psks_record(wf_session, wf_seed, user):
    kab = user("opkab")
    nik = make_nik("35.09.15", dt.date(1980, 1, 2), 1, 5)
    tksk = service.create_psks(
        wf_session,
        kab,
        {"jenis": "tksk", "nama": "Pak Tono", "nik": nik, "wilayah_code": "35.09.15"},
        today=TODAY,
    )
    with pytest.raises(Invalid):  # a desa operator is not a TKSK
        service.link_account(wf_session, kab, tksk.id, "desa")
    with pytest.raises(Invalid):  # a TKSK of another kecamatan
        service.link_account(wf_session, kab, tksk.id, "kec_out")
    service.link_account(wf_session, kab, tksk.id, "kec")
    assert service.psks_of_user(wf_session, wf_seed.users["kec"]).id == tksk.id
    other = service.create_psks(
        wf_session,
        kab,
        {"jenis": "tksk", "nama": "Bu Tini", "nik": nik, "wilayah_code": "35.09.15"},
        today=TODAY,
    )
    with pytest.raises(Conflict):
        service.link_account(wf_session, kab, other.id, "kec")


def test_the_database_refuses_a_registration_with_two_subjects(wf_session, wf_seed):
    wf_session.add(
        PpksRegistration(
            jenis="fakir_miskin",
            member_id=wf_seed.members["R1-1"],
            family_id=wf_seed.families["R1"],
            desa_code=DESA,
            recorded_on=TODAY,
            recorded_by="x",
            evidence="x",
        )
    )
    with pytest.raises(IntegrityError), wf_session.begin_nested():
        wf_session.flush()
