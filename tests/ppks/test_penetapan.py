"""A penetapan freezes its own PPKS list (open kinds on berlaku_mulai, active subjects), and the public cek
status answers for a resident of an LKS without revealing the kind (both databases)."""

from __future__ import annotations

import datetime as dt

from siks.penetapan import ppks as ppks_lists
from siks.penetapan import service as penetapan
from siks.penetapan.sources import Score, ScoreTable
from siks.ppks import service
from siks.public import service as public
from workflow_support import DESA

SCORES = ScoreTable({"R1": Score(2), "R2": Score(7), "R3": Score(4)}, {"kind": "uji"})
DAY = dt.date(2025, 6, 1)


def reg(kind, day="2025-01-15"):
    return {"jenis": kind, "tanggal": day, "bukti": "Asesmen"}


def test_penetapan_lists_ppks_and_cek_status_finds_an_lks_resident(
    wf_session, wf_seed, user, monkeypatch, tmp_path
):
    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    desa = user("desa")
    home = service.create_psks(
        wf_session,
        desa,
        {
            "jenis": "lks",
            "nama": "Panti Wreda",
            "wilayah_code": DESA,
            "nomor_tanda_daftar": "1",
            "ref": "LKS-P",
        },
        today=DAY,
    )
    sarmi = service.add_person(wf_session, desa, {"nama": "Sarminah", "sex": 2, "lks_id": home.id}, today=DAY)
    service.register(wf_session, desa, "ppks", sarmi.id, reg("lansia_terlantar"), today=DAY)
    service.register(wf_session, desa, "ppks", sarmi.id, reg("penyandang_disabilitas"), today=DAY)
    service.register(wf_session, desa, "keluarga", wf_seed.families["R1"], reg("fakir_miskin"), today=DAY)
    ended = service.register(wf_session, desa, "anggota", wf_seed.members["R2-1"], reg("odha"), today=DAY)
    service.end_registration(wf_session, desa, ended.id, "salah_data", on=dt.date(2025, 2, 1))
    later = service.register(
        wf_session, desa, "anggota", wf_seed.members["R3-1"], reg("pemulung", "2025-05-20"), today=DAY
    )
    assert later.recorded_on > dt.date(2025, 3, 1)

    p = penetapan.create(
        wf_session,
        user("supkab"),
        title="DTKS Maret 2025",
        periode="2025-03",
        berlaku_mulai=dt.date(2025, 3, 1),
        scores=SCORES,
    )
    assert p.counts["ppks"] == 2
    rows = {(r.subject, r.subject_ref): r for r in ppks_lists.listing(wf_session, user("kec"), p.id)}
    assert set(rows) == {("ppks", sarmi.ref), ("keluarga", "R1-K1")}
    assert rows[("ppks", sarmi.ref)].jenis == ["lansia_terlantar", "penyandang_disabilitas"]
    assert rows[("ppks", sarmi.ref)].lks_ref == "LKS-P"
    assert [r.subject for r in ppks_lists.listing(wf_session, user("kec"), p.id, jenis="fakir_miskin")] == [
        "keluarga"
    ]
    assert ppks_lists.listing(wf_session, user("kec_out"), p.id) == []

    result = public.search(wf_session, DESA, "sarmi", "9.9.9.9", today=DAY)
    assert [(f.nama, f.terdaftar, f.sanggah) for f in result.items] == [("SA***", True, False)]
    text = result.items[0].keterangan
    assert "PPKS" in text and "lansia" not in text.lower() and "disabilitas" not in text.lower()


def test_a_program_targets_a_ppks_kind_of_a_member_or_of_their_keluarga(
    wf_session, wf_seed, user, monkeypatch, tmp_path
):
    from siks.domain.programs import program_from_dict
    from siks.programs import service as programs

    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    desa = user("desa")
    service.register(wf_session, desa, "anggota", wf_seed.members["R1-1"], reg("lansia_terlantar"), today=DAY)
    service.register(
        wf_session, desa, "keluarga", wf_seed.families["R3"], reg("korban_bencana_alam"), today=DAY
    )
    p = penetapan.create(
        wf_session,
        user("supkab"),
        title="DTKS Maret 2025",
        periode="2025-03",
        berlaku_mulai=dt.date(2025, 3, 1),
        scores=SCORES,
    )
    atensi = program_from_dict(
        {
            "format": "siks-program/1",
            "code": "atensi_uji",
            "name": "ATENSI",
            "title": "Asistensi rehabilitasi sosial",
            "version": "uji",
            "unit": "anggota",
            "components": [],
            "eligible": {
                "or": [
                    {"field": "ppks_lansia_terlantar", "op": "=", "value": True},
                    {"field": "ppks_korban_bencana_alam", "op": "=", "value": True},
                ]
            },
        }
    )
    result = programs.run(wf_session, user("opkab"), atensi, p.id)
    refs = sorted(r.entitlement.unit_ref for r in result.rows)
    assert refs == ["R1-K1-1", "R3-K1-1", "R3-K1-2", "R3-K1-3"]


def test_a_kind_approved_by_usulan_reaches_the_penetapan_and_a_program_rule(
    wf_session, wf_seed, user, monkeypatch, tmp_path
):
    """End to end: a penyandang disabilitas kind drafted at the desa and sahkan'd enters the next
    penetapan, and a program rule on that kind selects the person; a kind ended by usulan before the
    penetapan does not (R3's head had the same kind, ended in February)."""
    from siks.domain.programs import program_from_dict
    from siks.programs import service as programs
    from siks.usulan import service as usulan
    from siks.usulan.service import Target
    from workflow_support import send_up

    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    desa = user("desa")
    new = usulan.create(
        wf_session, desa, kind="baru", subkind="ppks_jenis", target=Target("member", wf_seed.members["R2-2"]),
        payload=reg("penyandang_disabilitas", "2025-02-01"),
    )  # fmt: skip
    old = service.register(
        wf_session, desa, "anggota", wf_seed.members["R3-1"], reg("penyandang_disabilitas"), today=DAY
    )
    end = usulan.create(
        wf_session, desa, kind="nonaktif", subkind="ppks_jenis", target=Target("ppks_registration", old.id),
        payload={"alasan": "pulih", "tanggal": "2025-02-20"},
    )  # fmt: skip
    send_up(wf_session, user, [new, end], tmp_path / "ba")
    p = penetapan.create(
        wf_session, user("supkab"), title="DTKS Maret 2025", periode="2025-03",
        berlaku_mulai=dt.date(2025, 3, 1), scores=SCORES,
    )  # fmt: skip
    rule = {
        "format": "siks-program/1", "code": "asistensi_disabilitas", "name": "ATENSI disabilitas",
        "title": "Asistensi rehabilitasi sosial penyandang disabilitas", "version": "uji", "unit": "anggota",
        "components": [], "eligible": {"field": "ppks_penyandang_disabilitas", "op": "=", "value": True},
    }  # fmt: skip
    result = programs.run(wf_session, user("opkab"), program_from_dict(rule), p.id)
    assert [r.entitlement.unit_ref for r in result.rows] == ["R2-K1-2"]
