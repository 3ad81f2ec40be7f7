"""NIK cases of usulan in the adjudication queue (#17.3), both databases: who sees them, the two decisions
and what each does to the usulan, the audit trail, and the public usul that borrows someone's NIK."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from siks.adjudication import service as adjudication
from siks.domain.nik import make_nik
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.store.models.registry import AuditEntry, Member
from siks.store.models.usulan import NikConflict, Usulan
from siks.usulan import service
from siks.usulan.service import Target
from workflow_support import DESA

PLACE = {"dusun": "Krajan", "rw": "1", "rt": "4", "alamat": "Jl. Baru 1"}


def person(nama, nik, sex=1, born="1970-01-01", rel=1):
    return {
        "nama": nama,
        "nik": nik,
        "sex": sex,
        "tanggal_lahir": born,
        "hubungan_kk": rel,
        "status_kawin": 1,
    }


@pytest.fixture
def taken(wf_session, wf_seed):
    m = wf_session.get(Member, wf_seed.members["R1-1"])
    m.nik = make_nik("35.09.15", dt.date(1970, 1, 1), 1, 7)
    wf_session.flush()
    return m


def _held(wf_session, user, nik, nama="Orang Lain"):
    u = service.create(
        wf_session,
        user("desa"),
        kind="baru",
        subkind="ruta",
        payload={**PLACE, "members": [person(nama, nik)]},
    )
    return u, wf_session.scalars(select(NikConflict).where(NikConflict.usulan_id == u.id)).one()


def test_the_case_is_in_the_queue_of_the_wilayah_only(wf_session, user, taken):
    u, case = _held(wf_session, user, taken.nik)
    for who in ("kec", "supkab", "opkab"):
        items = adjudication.nik_queue(wf_session, user(who)).items
        assert [i.case.id for i in items] == [case.id]
        assert items[0].usulan.id == u.id and taken.ref in items[0].other_label
    assert adjudication.nik_queue(wf_session, user("kec_out")).items == []
    with pytest.raises(Forbidden):
        adjudication.nik_queue(wf_session, user("desa"))
    with pytest.raises(NotFound):
        adjudication.decide_nik(wf_session, user("kec_out"), case.id, True)
    with pytest.raises(Forbidden):
        adjudication.decide_nik(wf_session, user("auditor"), case.id, True)


def test_same_person_closes_the_usulan_linked_to_the_record(wf_session, user, taken):
    u, case = _held(wf_session, user, taken.nik, nama=taken.nama)
    adjudication.decide_nik(wf_session, user("kec"), case.id, True, "KK sama, orangnya sudah terdaftar")
    assert (u.status, u.level) == ("ditolak", None)
    assert taken.ref in u.last_note and "perbaikan" in u.last_note
    assert case.status == "sama" and case.decided_by == "kec"
    assert adjudication.nik_queue(wf_session, user("kec")).items == []
    with pytest.raises(Conflict, match="sudah diputuskan"):
        adjudication.decide_nik(wf_session, user("kec"), case.id, False)
    entry = wf_session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "nik_conflict", AuditEntry.action == "putuskan_nik")
    ).one()
    assert entry.after["status"] == "sama" and entry.after["usulan_status"] == "ditolak"
    assert wf_session.scalars(select(Member).where(Member.nik == taken.nik)).all() == [taken]


def test_different_people_send_the_usulan_back_until_a_nik_is_fixed(wf_session, user, taken, tmp_path):
    from usulan.test_apply import send_up

    u, case = _held(wf_session, user, taken.nik)
    adjudication.decide_nik(wf_session, user("kec"), case.id, False)
    assert case.status == "berbeda" and u.status == "draf" and u.level == "desa"
    assert "salah satu NIK keliru" in u.last_note
    with pytest.raises(Conflict, match=f"Adjudikasi #{case.id} memutuskan"):
        send_up(wf_session, user, [u], tmp_path, through=())
    # the desa corrects the NIK on the usulan: it goes up, and a second active person never appears
    fixed = make_nik("35.09.15", dt.date(1970, 1, 1), 1, 8)
    service.update(
        wf_session, user("desa"), u.id, u.version, payload={**PLACE, "members": [person("Orang Lain", fixed)]}
    )
    send_up(wf_session, user, [u], tmp_path)
    assert u.applied_at is not None
    assert len(wf_session.scalars(select(Member).where(Member.nik == taken.nik)).all()) == 1


def test_public_usul_with_someone_elses_nik_under_another_name_never_goes_through(wf_session, taken):
    payload = {**PLACE, "members": [person("Nama Lain Sekali", taken.nik)]}
    before = wf_session.scalar(select(Usulan.id).order_by(Usulan.id.desc()).limit(1))
    with pytest.raises(Invalid, match="tidak dapat diusulkan dengan nama ini") as refused:
        service.create_from_channel(
            wf_session, channel="warga", actor_name="anon", kind="baru", subkind="ruta",
            payload=payload, desa_code=DESA,
        )  # fmt: skip
    assert taken.nama.upper() not in refused.value.message.upper() and taken.ref not in refused.value.message
    assert wf_session.scalar(select(Usulan.id).order_by(Usulan.id.desc()).limit(1)) == before
    # under the holder's own name it is the same person asking again: held for the operator to decide
    same = service.create_from_channel(
        wf_session, channel="warga", actor_name="anon", kind="baru", subkind="ruta",
        payload={**PLACE, "members": [person(taken.nama.lower(), taken.nik)]}, desa_code=DESA,
    )  # fmt: skip
    case = wf_session.scalars(select(NikConflict).where(NikConflict.usulan_id == same.id)).one()
    assert case.other_member_id == taken.id and case.status == "terbuka"


def test_new_member_with_a_pending_nik_waits_for_the_first(wf_session, wf_seed, user):
    nik = make_nik("35.09.15", dt.date(1990, 2, 3), 2, 55)
    first = service.create(
        wf_session, user("desa"), kind="baru", subkind="ruta",
        payload={**PLACE, "members": [person("Sumarni", nik, 2, "1990-02-03")]},
    )  # fmt: skip
    second = service.create(
        wf_session, user("desa"), kind="baru", subkind="anggota",
        target=Target("family", wf_seed.families["R2"]),
        payload={"member": person("Sumarni", nik, 2, "1990-02-03", 3)},
    )  # fmt: skip
    [item] = adjudication.nik_queue(wf_session, user("kec")).items
    assert item.usulan.id == second.id and item.other_usulan.id == first.id
    adjudication.decide_nik(wf_session, user("kec"), item.case.id, True)
    assert second.status == "ditolak" and f"usulan #{first.id}" in second.last_note
    assert first.status == "draf"
