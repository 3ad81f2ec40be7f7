"""PPKS and PSKS through the usulan workflow (#15.3), on SQLite and PostgreSQL: drafted at the desa, sent up
with the Musdes batch, applied at pengesahan by the ppks service, audited; nothing changes before that."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from siks.domain.nik import make_nik
from siks.errors import Forbidden, Invalid, NotFound
from siks.ppks import service as ppks
from siks.store.models.ppks import PpksPerson, PpksRegistration, Psks
from siks.store.models.registry import AuditEntry
from siks.usulan import service
from siks.usulan.service import Target
from workflow_support import DESA, DESA_B, send_up

TODAY = dt.date(2025, 6, 1)
KARANG_TARUNA = {"jenis": "karang_taruna", "nama": "Karang Taruna Tunas Jubung", "wilayah_code": DESA}


def lks(session, actor, wilayah=DESA):
    raw = {
        "jenis": "lks",
        "nama": "Panti Wreda Kasih",
        "wilayah_code": wilayah,
        "nomor_tanda_daftar": "460/7/2020",
        "ref": "LKS-KASIH",
    }
    return ppks.create_psks(session, actor, raw, today=TODAY)


def audit(session, entity, entity_id):
    return session.scalars(
        select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
    ).all()


def test_a_new_lks_resident_is_registered_only_at_pengesahan(wf_session, user, tmp_path):
    desa = user("desa")
    home = lks(wf_session, user("opkab"))
    payload = {
        "nama": "Mbah Darmi",
        "sex": 2,
        "tanggal_lahir": "1941-04-02",
        "lks_ref": home.ref,
        "jenis": ["lansia_terlantar", "penyandang_disabilitas"],
        "tanggal": "2025-05-02",
        "bukti": "Asesmen pekerja sosial 12/2025",
    }
    u = service.create(wf_session, desa, kind="baru", subkind="ppks_orang", payload=payload)
    assert u.desa_code == DESA and u.subject_name == "Mbah Darmi"
    assert "Lanjut usia terlantar" in u.description
    send_up(wf_session, user, [u], tmp_path, through=("kec",))
    assert wf_session.scalar(select(PpksPerson).where(PpksPerson.nama == "Mbah Darmi")) is None
    service.act(
        wf_session, user("pengesah"), u.id, "sahkan", u.version, None, service.config.workflow("kabupaten")
    )
    person = wf_session.get(PpksPerson, u.result["ppks_person_id"])
    assert (
        person.lks_id == home.id and person.desa_code == DESA and person.tanggal_lahir == dt.date(1941, 4, 2)
    )
    kinds = {r.jenis for r in ppks.registrations_of(wf_session, desa, "ppks", person.id)}
    assert kinds == {"lansia_terlantar", "penyandang_disabilitas"}
    entry = audit(wf_session, "ppks_person", person.id)[0]
    assert entry.actor == "pengesah" and entry.reason.startswith(f"Usulan #{u.id}")
    regs = [audit(wf_session, "ppks_registration", rid)[0] for rid in u.result["registration_ids"]]
    assert all(e.reason.startswith(f"Usulan #{u.id}") for e in regs)


def test_ppks_payloads_are_checked_by_the_ppks_rules(wf_session, user):
    desa = user("desa")
    with pytest.raises(Invalid, match="LKS tempat tinggal"):  # neither an LKS nor a place
        service.create(
            wf_session,
            desa,
            kind="baru",
            subkind="ppks_orang",
            payload={
                "nama": "X",
                "sex": 1,
                "jenis": ["gelandangan"],
                "tanggal": "2025-05-02",
                "bukti": "BAP Satpol PP",
            },
        )
    with pytest.raises(Invalid, match="minimal satu jenis"):
        service.create(
            wf_session,
            desa,
            kind="baru",
            subkind="ppks_orang",
            payload={"nama": "X", "sex": 1, "tempat": "jalanan", "tanggal": "2025-05-02", "bukti": "BAP"},
        )
    with pytest.raises(Invalid, match="Komunitas adat terpencil dicatat pada kelompok"):
        service.create(
            wf_session,
            desa,
            kind="baru",
            subkind="ppks_jenis",
            target=Target("member", _member(wf_session, "Budi R1")),
            payload={"jenis": "komunitas_adat_terpencil", "tanggal": "2025-05-02", "bukti": "SK"},
        )
    with pytest.raises(Invalid, match="nomor tanda daftar"):
        service.create(
            wf_session,
            desa,
            kind="baru",
            subkind="psks",
            payload={"jenis": "lks", "nama": "Panti", "wilayah_code": DESA},
        )
    with pytest.raises(Invalid, match="bukan di desa pengusul"):  # a street child found in another desa
        service.create(
            wf_session,
            desa,
            kind="baru",
            subkind="ppks_orang",
            payload={
                "nama": "Ucok",
                "sex": 1,
                "tempat": "jalanan",
                "desa_code": DESA_B,
                "jenis": ["anak_jalanan"],
                "tanggal": "2025-05-02",
                "bukti": "BAP",
            },
        )


def _member(session, nama):
    from siks.store.models.registry import Member

    return session.scalar(select(Member.id).where(Member.nama == nama))


def test_kind_on_a_household_member_then_ended(wf_session, user, tmp_path):
    desa = user("desa")
    budi = _member(wf_session, "Budi R1")
    u = service.create(
        wf_session,
        desa,
        kind="baru",
        subkind="ppks_jenis",
        target=Target("member", budi),
        payload={
            "jenis": "penyandang_disabilitas",
            "tanggal": "2025-04-01",
            "bukti": "Surat keterangan dokter",
        },
    )
    with pytest.raises(Invalid, match="masih berjalan"):  # one open usulan per target and kind
        service.create(
            wf_session,
            desa,
            kind="baru",
            subkind="ppks_jenis",
            target=Target("member", budi),
            payload={"jenis": "lansia_terlantar", "tanggal": "2025-04-01", "bukti": "SK"},
        )
    send_up(wf_session, user, [u], tmp_path)
    reg = wf_session.get(PpksRegistration, u.result["registration_id"])
    assert (reg.member_id, reg.jenis, reg.recorded_by) == (budi, "penyandang_disabilitas", "pengesah")
    with pytest.raises(Invalid, match="sudah tercatat"):  # registered now: a second usulan is refused
        service.create(
            wf_session,
            desa,
            kind="baru",
            subkind="ppks_jenis",
            target=Target("member", budi),
            payload={"jenis": "penyandang_disabilitas", "tanggal": "2025-04-01", "bukti": "SK"},
        )
    end = service.create(
        wf_session,
        desa,
        kind="nonaktif",
        subkind="ppks_jenis",
        target=Target("ppks_registration", reg.id),
        payload={"alasan": "pulih", "tanggal": "2025-05-30"},
    )
    assert end.subject_name == "Budi R1 (Penyandang disabilitas)"
    send_up(wf_session, user, [end], tmp_path)
    wf_session.refresh(reg)
    assert (reg.ended_on, reg.end_reason) == (dt.date(2025, 5, 30), "pulih")
    with pytest.raises(Invalid, match="sudah nonaktif"):
        service.create(
            wf_session,
            desa,
            kind="nonaktif",
            subkind="ppks_jenis",
            target=Target("ppks_registration", reg.id),
            payload={"alasan": "pulih"},
        )


def test_psks_registered_changed_and_stopped(wf_session, user, tmp_path):
    desa = user("desa")
    new = service.create(wf_session, desa, kind="baru", subkind="psks", payload=KARANG_TARUNA)
    send_up(wf_session, user, [new], tmp_path)
    psks = wf_session.get(Psks, new.result["psks_id"])
    assert (psks.jenis, psks.form, psks.wilayah_code) == ("karang_taruna", "lembaga", DESA)
    fix = service.create(
        wf_session,
        desa,
        kind="perbaikan",
        subkind="psks",
        target=Target("psks", psks.id),
        payload={"changes": {"alamat": "Balai Desa Jubung", "akreditasi": "B"}},
    )
    with pytest.raises(Invalid, match="akreditasi 'Z'"):  # a second draft, refused by the PSKS rules
        service.update(wf_session, desa, fix.id, fix.version, {"changes": {"akreditasi": "Z"}})
    send_up(wf_session, user, [fix], tmp_path)
    wf_session.refresh(psks)
    assert (psks.alamat, psks.akreditasi) == ("Balai Desa Jubung", "B")
    stop = service.create(
        wf_session,
        desa,
        kind="nonaktif",
        subkind="psks",
        target=Target("psks", psks.id),
        payload={"alasan": "Tidak aktif sejak 2024"},
    )
    send_up(wf_session, user, [stop], tmp_path)
    wf_session.refresh(psks)
    assert (psks.status, psks.status_reason) == ("nonaktif", "Tidak aktif sejak 2024")
    actions = [(e.action, e.reason) for e in audit(wf_session, "psks", psks.id)]
    assert len(actions) == 3 and all(reason.startswith("Usulan #") for _, reason in actions)


def test_a_psks_of_the_kabupaten_is_not_changed_by_a_desa_usulan(wf_session, user):
    home = lks(wf_session, user("opkab"), wilayah="35.09")
    with pytest.raises(NotFound):  # outside the desa operator's wilayah
        service.create(
            wf_session,
            user("desa"),
            kind="nonaktif",
            subkind="psks",
            target=Target("psks", home.id),
            payload={"alasan": "tutup"},
        )
    # a new LKS sitting in the desa may serve the whole kabupaten
    u = service.create(
        wf_session,
        user("desa"),
        kind="baru",
        subkind="psks",
        payload={
            "jenis": "lks",
            "nama": "LKS Bina Insani",
            "wilayah_code": "35.09",
            "nomor_tanda_daftar": "12/2024",
        },
    )
    assert u.desa_code == DESA
    with pytest.raises(Invalid, match="wilayah yang memuatnya"):
        service.create(
            wf_session,
            user("desa"),
            kind="baru",
            subkind="psks",
            payload=KARANG_TARUNA | {"wilayah_code": DESA_B},
        )


def test_a_person_outside_households_is_corrected_then_deactivated(wf_session, user, tmp_path):
    desa = user("desa")
    person = ppks.add_person(
        wf_session, desa, {"nama": "Ujang", "sex": 1, "tempat": "jalanan", "desa_code": DESA}, today=TODAY
    )
    ppks.register(
        wf_session,
        desa,
        "ppks",
        person.id,
        {"jenis": "anak_jalanan", "tanggal": "2025-01-10", "bukti": "BAP"},
        today=TODAY,
    )
    nik = make_nik("35.09.15", dt.date(2011, 7, 1), 1, 55)
    fix = service.create(
        wf_session,
        desa,
        kind="perbaikan",
        subkind="ppks_orang",
        target=Target("ppks_person", person.id),
        payload={"changes": {"nik": nik, "tanggal_lahir": "2011-07-01"}},
    )
    with pytest.raises(Invalid, match="tidak dapat diubah"):
        service.create(
            wf_session,
            desa,
            kind="perbaikan",
            subkind="ppks_orang",
            target=Target("ppks_person", person.id),
            payload={"changes": {"desa_code": DESA_B}},
        )
    send_up(wf_session, user, [fix], tmp_path)
    wf_session.refresh(person)
    assert (person.nik, person.tanggal_lahir) == (nik, dt.date(2011, 7, 1))
    gone = service.create(
        wf_session,
        desa,
        kind="nonaktif",
        subkind="pindah",
        target=Target("ppks_person", person.id),
        payload={"tanggal": "2025-05-20"},
    )
    send_up(wf_session, user, [gone], tmp_path)
    wf_session.refresh(person)
    assert (person.status, person.status_reason) == ("nonaktif", "pindah")
    reg = wf_session.scalar(select(PpksRegistration).where(PpksRegistration.person_id == person.id))
    assert (reg.ended_on, reg.end_reason) == (dt.date(2025, 5, 20), "pindah")


def test_other_wilayah_and_roles_follow_the_workflow(wf_session, user, tmp_path):
    person = ppks.add_person(
        wf_session,
        user("desa"),
        {"nama": "Ujang", "sex": 1, "tempat": "jalanan", "desa_code": DESA},
        today=TODAY,
    )
    with pytest.raises(NotFound):  # the neighbouring desa does not see the person
        service.create(
            wf_session,
            user("desa_out"),
            kind="nonaktif",
            subkind="meninggal",
            target=Target("ppks_person", person.id),
            payload={},
        )
    u = service.create(
        wf_session,
        user("desa"),
        kind="nonaktif",
        subkind="meninggal",
        target=Target("ppks_person", person.id),
        payload={"tanggal": "2025-05-01"},
    )
    send_up(wf_session, user, [u], tmp_path, through=("kec",))
    with pytest.raises(Forbidden):  # the supervisor may send back or refuse, not sahkan
        service.act(
            wf_session, user("supkab"), u.id, "sahkan", u.version, None, service.config.workflow("kabupaten")
        )
    service.act(
        wf_session,
        user("supkab"),
        u.id,
        "tolak",
        u.version,
        "Masih hidup, cek Dukcapil",
        service.config.workflow("kabupaten"),
    )
    wf_session.refresh(person)
    assert person.status == "aktif"
