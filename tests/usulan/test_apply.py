"""Each usulan kind, from the desa draft through the batch with its berita acara to acceptance: the registry
changes in the same transaction and audit_log holds before/after."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from siks.domain.nik import make_nik
from siks.domain.usulan import Workflow
from siks.errors import Forbidden, Invalid, NotFound
from siks.store.models.registry import AuditEntry, Family, Household, Member
from siks.usulan import service
from siks.usulan.service import Target
from workflow_support import DESA, send_up

KAB = Workflow("kabupaten")
PUSAT = Workflow("pusat")
NEW_NIK = make_nik("35.09.15", dt.date(1990, 2, 3), 2, 41)


def audit(session, entity, entity_id):
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
    ).all()


def person(nama, nik, sex, born, rel):
    return {
        "nama": nama,
        "nik": nik,
        "sex": sex,
        "tanggal_lahir": born,
        "hubungan_kk": rel,
        "status_kawin": 1,
    }


def test_new_household(wf_session, user, tmp_path):
    head = person("Sumarni", NEW_NIK, 2, "1990-02-03", 1)
    u = service.create(
        wf_session, user("desa"), kind="baru", subkind="ruta",
        payload={"dusun": "Krajan", "rw": "1", "rt": "4", "alamat": "Jl. Baru 1", "members": [head]},
    )  # fmt: skip
    send_up(wf_session, user, [u], tmp_path)
    assert (u.status, u.level) == ("disahkan", None) and u.applied_at is not None
    h = wf_session.get(Household, u.result["household_id"])
    assert h.desa_code == DESA and h.rt == "004"
    m = wf_session.get(Member, u.result["member_ids"][0])
    assert (m.nama, m.nik, m.family.household_id) == ("Sumarni", NEW_NIK, h.id)
    assert audit(wf_session, "household", h.id)[0].before is None
    assert audit(wf_session, "member", m.id)[0].after["nik"] == NEW_NIK


def test_new_member(wf_session, wf_seed, user, tmp_path):
    baby = person("Bayi", make_nik("35.09.15", dt.date(2024, 7, 1), 1, 3), 1, "2024-07-01", 3)
    target = Target("family", wf_seed.families["R1"])
    u = service.create(
        wf_session, user("desa"), kind="baru", subkind="anggota", target=target, payload={"member": baby}
    )
    send_up(wf_session, user, [u], tmp_path)
    m = wf_session.get(Member, u.result["member_id"])
    assert (m.family_id, m.no_urut, m.keberadaan) == (wf_seed.families["R1"], 4, 5)
    assert audit(wf_session, "member", m.id)[0].after["nama"] == "Bayi"


def test_member_correction(wf_session, wf_seed, user, tmp_path):
    mid = wf_seed.members["R1-2"]
    u = service.create(
        wf_session, user("desa"), kind="perbaikan", subkind="data", target=Target("member", mid),
        payload={"changes": {"nama": "Sri Wahyuni", "tanggal_lahir": "1979-08-12"}},
    )  # fmt: skip
    send_up(wf_session, user, [u], tmp_path)
    m = wf_session.get(Member, mid)
    assert (m.nama, m.tanggal_lahir) == ("Sri Wahyuni", dt.date(1979, 8, 12))
    entry = audit(wf_session, "member", mid)[-1]
    assert entry.before == {"nama": "Sri R1", "tanggal_lahir": "1979-08-02"}
    assert entry.after == {"nama": "Sri Wahyuni", "tanggal_lahir": "1979-08-12"}


def test_household_correction(wf_session, wf_seed, user, tmp_path):
    hid = wf_seed.households["R2"]
    u = service.create(
        wf_session, user("desa"), kind="perbaikan", subkind="data", target=Target("household", hid),
        payload={"changes": {"alamat": "Jl. Melati 11"}},
    )  # fmt: skip
    send_up(wf_session, user, [u], tmp_path)
    assert wf_session.get(Household, hid).alamat == "Jl. Melati 11"
    assert audit(wf_session, "household", hid)[-1].before == {"alamat": "Jl. Melati 9"}


def test_nik_repair(wf_session, wf_seed, user, tmp_path):
    mid = wf_seed.members["R2-1"]
    old = wf_session.get(Member, mid).nik
    u = service.create(
        wf_session, user("desa"), kind="perbaikan", subkind="nik", target=Target("member", mid),
        payload={"nik": NEW_NIK},
    )  # fmt: skip
    send_up(wf_session, user, [u], tmp_path)
    assert wf_session.get(Member, mid).nik == NEW_NIK
    entry = audit(wf_session, "member", mid)[-1]
    assert (entry.before, entry.after) == ({"nik": old}, {"nik": NEW_NIK})


def test_kk_change_keeps_history(wf_session, wf_seed, user, tmp_path):
    fid = wf_seed.families["R2"]
    new_kk = make_nik("35.09.15", dt.date(2024, 1, 9), 1, 88)
    old_kk = wf_session.get(Family, fid).kk_number
    u = service.create(
        wf_session, user("desa"), kind="perbaikan", subkind="kk", target=Target("family", fid),
        payload={"kk_number": new_kk},
    )  # fmt: skip
    send_up(wf_session, user, [u], tmp_path)
    family = wf_session.get(Family, fid)
    assert family.kk_number == new_kk
    assert [k.kk_number for k in family.kk_history] == [old_kk, new_kk]
    assert family.kk_history[0].valid_to is not None
    entry = audit(wf_session, "family", fid)[-1]
    # The same audit keys as a KK change through an import (tests/registry/test_import.py).
    assert (entry.before, entry.after) == ({"kk_number": old_kk}, {"kk_number": new_kk})


def test_move_to_another_desa(wf_session, wf_seed, user, tmp_path):
    hid = wf_seed.households["R3"]
    u = service.create(
        wf_session, user("desa"), kind="perbaikan", subkind="pindah", target=Target("household", hid),
        payload={"desa_code": "3509162002", "rw": "3", "rt": "7", "alamat": "Wonojati 7"},
    )  # fmt: skip
    send_up(wf_session, user, [u], tmp_path)
    h = wf_session.get(Household, hid)
    assert (h.desa_code, h.rw, h.alamat) == ("35.09.16.2002", "003", "Wonojati 7")
    assert audit(wf_session, "household", hid)[-1].before["desa_code"] == DESA
    with pytest.raises(NotFound):  # the desa that proposed it no longer sees the household
        service.create(
            wf_session, user("desa"), kind="perbaikan", subkind="data", target=Target("household", hid),
            payload={"changes": {"alamat": "x"}},
        )  # fmt: skip


def test_deceased_member(wf_session, wf_seed, user, tmp_path):
    mid = wf_seed.members["R2-2"]
    u = service.create(
        wf_session, user("desa"), kind="nonaktif", subkind="meninggal", target=Target("member", mid),
        payload={"tanggal": "2025-01-10"},
    )  # fmt: skip
    send_up(wf_session, user, [u], tmp_path)
    m = wf_session.get(Member, mid)
    assert (m.status, m.keberadaan, m.status_reason) == ("nonaktif", 2, "meninggal; 2025-01-10")
    entry = audit(wf_session, "member", mid)[-1]
    assert entry.before == {"status": "aktif", "status_reason": None, "keberadaan": 1}


def test_well_off_household_deactivates_everyone(wf_session, wf_seed, user, tmp_path):
    hid = wf_seed.households["R1"]
    u = service.create(
        wf_session,
        user("desa"),
        kind="nonaktif",
        subkind="mampu",
        target=Target("household", hid),
        payload={},
    )
    send_up(wf_session, user, [u], tmp_path)
    h = wf_session.get(Household, hid)
    assert h.status == "nonaktif" and all(m.status == "nonaktif" for f in h.families for m in f.members)
    assert {e for e, _ in u.result["deactivated"]} == {"household", "family", "member"}
    assert len(u.result["deactivated"]) == 5


def test_citizen_sanggah_through_the_channel(wf_session, wf_seed, user, tmp_path):
    hid = wf_seed.households["R2"]
    args = dict(
        channel="warga", actor_name="3509150101900001", kind="sanggah", subkind="mampu",
        target=Target("household", hid), desa_code="3509152001", external_ref="cekbansos-77",
        payload={"alasan": "Punya mobil dan toko", "lat": "-8.17", "lon": "113.65"},
    )  # fmt: skip
    u = service.create_from_channel(wf_session, **args)
    assert (u.status, u.level, u.channel, u.created_by_id) == ("draf", "desa", "warga", None)
    assert service.create_from_channel(wf_session, **args).id == u.id  # a retry is the same usulan
    with pytest.raises(NotFound):  # only someone in the same desa
        service.create_from_channel(
            wf_session, **(args | {"desa_code": "35.09.15.2002", "external_ref": "x"})
        )
    send_up(wf_session, user, [u], tmp_path)
    h = wf_session.get(Household, hid)
    assert h.status == "nonaktif" and h.status_reason == "sanggah_mampu"


def test_applied_only_at_the_top_of_a_national_instance(wf_session, wf_seed, user, tmp_path):
    mid = wf_seed.members["R1-3"]
    u = service.create(
        wf_session, user("desa"), kind="nonaktif", subkind="pindah", target=Target("member", mid), payload={}
    )
    send_up(wf_session, user, [u], tmp_path, PUSAT, ("kec", "pengesah", "prov"))
    assert (u.status, u.level, u.applied_at) == ("diteruskan", "pusat", None)
    assert wf_session.get(Member, mid).status == "aktif"
    service.act(wf_session, user("pusat"), u.id, "terima", u.version, None, PUSAT)
    assert wf_session.get(Member, mid).status == "nonaktif"
    assert [e.action for e in u.events] == [
        "buat", "ajukan", "verifikasi", "sahkan", "teruskan", "terima", "terapkan",
    ]  # fmt: skip


def test_sent_back_edited_and_sent_up_again(wf_session, wf_seed, user, tmp_path):
    mid = wf_seed.members["R2-1"]
    u = service.create(
        wf_session, user("desa"), kind="perbaikan", subkind="nik", target=Target("member", mid),
        payload={"nik": NEW_NIK},
    )  # fmt: skip
    send_up(wf_session, user, [u], tmp_path, KAB, ("kec",))
    service.act(wf_session, user("supkab"), u.id, "kembalikan", u.version, "NIK tidak padan", KAB)
    assert (u.status, u.level, u.last_note) == ("dikembalikan", "kecamatan", "NIK tidak padan")
    service.act(wf_session, user("kec"), u.id, "kembalikan", u.version, "Cek KTP", KAB)
    assert u.level == "desa"
    fixed = make_nik("35.09.15", dt.date(1975, 3, 14), 1, 5)
    service.update(wf_session, user("desa"), u.id, u.version, {"nik": fixed}, "sudah dicek")
    service.act(wf_session, user("desa"), u.id, "ajukan", u.version, None, KAB)
    service.act(wf_session, user("kec"), u.id, "verifikasi", u.version, None, KAB)
    service.act(wf_session, user("pengesah"), u.id, "sahkan", u.version, None, KAB)
    assert wf_session.get(Member, mid).nik == fixed


def test_refused_usulan_changes_nothing(wf_session, wf_seed, user, tmp_path):
    mid = wf_seed.members["R1-1"]
    u = service.create(
        wf_session, user("desa"), kind="nonaktif", subkind="mampu", target=Target("member", mid), payload={}
    )
    send_up(wf_session, user, [u], tmp_path, KAB, ("kec",))
    service.act(wf_session, user("supkab"), u.id, "tolak", u.version, "Masih miskin", KAB)
    assert (u.status, u.level, u.applied_at) == ("ditolak", None, None)
    assert wf_session.get(Member, mid).status == "aktif"


def test_one_open_usulan_per_target_and_kind(wf_session, wf_seed, user):
    target = Target("member", wf_seed.members["R1-1"])
    service.create(wf_session, user("desa"), kind="nonaktif", subkind="mampu", target=target, payload={})
    with pytest.raises(Invalid):
        service.create(wf_session, user("desa"), kind="nonaktif", subkind="pindah", target=target, payload={})


def test_only_the_desa_operator_drafts(wf_session, wf_seed, user):
    target = Target("member", wf_seed.members["R1-1"])
    for name in ("kec", "enum", "auditor", "opkab"):
        with pytest.raises(Forbidden):
            service.create(
                wf_session, user(name), kind="nonaktif", subkind="mampu", target=target, payload={}
            )
    with pytest.raises(NotFound):
        service.create(
            wf_session, user("desa_out"), kind="nonaktif", subkind="mampu", target=target, payload={}
        )


def test_apply_fails_whole_step_when_target_already_inactive(wf_session, wf_seed, user, tmp_path):
    mid = wf_seed.members["R1-2"]
    u = service.create(
        wf_session, user("desa"), kind="nonaktif", subkind="pindah", target=Target("member", mid), payload={}
    )
    send_up(wf_session, user, [u], tmp_path, KAB, ("kec",))
    wf_session.get(Member, mid).status = "nonaktif"
    wf_session.flush()
    with pytest.raises(Invalid):
        service.act(wf_session, user("pengesah"), u.id, "sahkan", u.version, None, KAB)


def test_a_nik_already_active_or_proposed_is_held_for_adjudication(wf_session, wf_seed, user, tmp_path):
    """No second active person with one NIK through usulan (#17.3): a collision at creation becomes a case
    in the adjudication queue and the usulan cannot go up; one arising later is refused at the next level."""
    from siks.errors import Conflict
    from siks.store.models.usulan import NikConflict

    taken = wf_session.get(Member, wf_seed.members["R1-1"])
    taken.nik = make_nik("35.09.15", dt.date(1970, 1, 1), 1, 7)
    wf_session.flush()
    place = {"dusun": "Krajan", "rw": "1", "rt": "4", "alamat": "Jl. Baru 1"}
    clash = person("Orang Lain", taken.nik, 1, "1970-01-01", 1)
    held = service.create(
        wf_session, user("desa"), kind="baru", subkind="ruta", payload={**place, "members": [clash]}
    )
    case = wf_session.scalars(select(NikConflict).where(NikConflict.usulan_id == held.id)).one()
    assert (case.nik, case.other_member_id, case.status) == (taken.nik, taken.id, "terbuka")
    assert "adjudikasi" in held.last_note
    with pytest.raises(Conflict, match=f"menunggu adjudikasi #{case.id}"):
        send_up(wf_session, user, [held], tmp_path, through=())
    first = service.create(
        wf_session, user("desa"), kind="baru", subkind="ruta",
        payload={**place, "members": [person("Sumarni", NEW_NIK, 2, "1990-02-03", 1)]},
    )  # fmt: skip
    second = service.create(  # the same NIK pending in another usulan: held too, pointing at the first
        wf_session, user("desa"), kind="baru", subkind="anggota",
        target=Target("family", wf_seed.families["R1"]),
        payload={"member": person("Sumarni Lain", NEW_NIK, 2, "1990-02-03", 3)},
    )  # fmt: skip
    other = wf_session.scalars(select(NikConflict).where(NikConflict.usulan_id == second.id)).one()
    assert other.other_usulan_id == first.id
    send_up(wf_session, user, [first], tmp_path, through=("kec",))  # the held one does not block the first
    # meanwhile the NIK arrives in the registry by another way (an import): the next level refuses to go on
    taken.nik = NEW_NIK
    wf_session.flush()
    with pytest.raises(Conflict, match="sudah terdaftar aktif"):
        service.act(wf_session, user("pengesah"), first.id, "sahkan", first.version, None, KAB)
    assert first.applied_at is None
    active = wf_session.scalars(select(Member).where(Member.nik == NEW_NIK, Member.status == "aktif")).all()
    assert len(active) == 1
