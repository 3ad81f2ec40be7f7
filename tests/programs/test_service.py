"""Programs over a frozen penetapan (both backends): PKH list, exports, pergantian pengurus after a death."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from siks.domain import programs as rules
from siks.errors import Forbidden, Invalid
from siks.penetapan import service as penetapan
from siks.penetapan.sources import Score, ScoreTable
from siks.programs import export, service
from siks.store.models.registry import Assessment, AssessmentMember, Member
from workflow_support import toddler

JAN, FEB = dt.date(2027, 1, 1), dt.date(2027, 2, 1)
SCORES = ScoreTable(
    {"R1": Score(2), "R2": Score(3), "R3": Score(6), "RB": Score(1), "RK": Score(4)}, {"kind": "uji"}
)
PKH = rules.default_program("pkh")


def _setup(session, seed):
    """R1: Budi (kepala), Sri (istri, hamil), Ani (21), plus a toddler; distinct NIKs for everyone."""
    for i, (_ref, mid) in enumerate(sorted(seed.members.items())):
        session.get(Member, mid).nik = f"35091501017{i:05d}"
    sri = session.get(Member, seed.members["R1-2"])
    bayu = toddler(sri.family_id)
    session.add(bayu)
    session.flush()
    a = Assessment(household_id=seed.households["R1"], instrument="REGSOSEK2022.K", answers={})
    session.add(a)
    session.flush()
    session.add(AssessmentMember(assessment_id=a.id, member_id=sri.id, answers={"hamil": True}))
    session.flush()
    return sri, bayu


def _penetapan(session, user, on=JAN, title="DTKS Januari 2027"):
    return penetapan.create(
        session, user, title=title, periode=on.strftime("%Y-%m"), berlaku_mulai=on, scores=SCORES
    )


def _row(plist, family_ref="R1-K1"):
    return next(r for r in plist.rows if r.entitlement.unit_ref == family_ref)


def test_pkh_list_over_a_penetapan(wf_session, wf_seed, user):
    _setup(wf_session, wf_seed)
    p = _penetapan(wf_session, user("supkab"))
    plist = service.run(wf_session, user("opkab"), PKH, p.id)
    r1 = _row(plist)
    assert sorted(g.component for g in r1.entitlement.grants) == ["anak_usia_dini", "ibu_hamil"]
    assert r1.entitlement.amount_per_year == 6_000_000
    assert r1.pengurus.member.nama == "Sri R1" and r1.pengurus.problems == []
    assert {r.entitlement.unit_ref for r in plist.rows} == {"R1-K1"}  # others have no component
    # a desa operator of another desa sees none of it
    assert service.run(wf_session, user("desa_out"), PKH, p.id).rows == []
    pbi = service.run(wf_session, user("opkab"), rules.default_program("pbi_jk"), p.id)
    assert (
        len({r.entitlement.unit_ref for r in pbi.rows}) == 3 * 4 + 1
    )  # R1 (4), R2, RB, RK (3 each); R3 desil 6


def test_exports_have_the_program_fields(wf_session, wf_seed, user):
    sri, _ = _setup(wf_session, wf_seed)
    p = _penetapan(wf_session, user("supkab"))
    plist = service.run(wf_session, user("opkab"), PKH, p.id)
    rows = list(csv.DictReader(io.StringIO(export.to_csv(plist))))
    assert rows[0]["nik_pengurus"] == sri.nik and rows[0]["id_ruta"] == "R1"
    assert {"no_kks", "no_rekening", "nama_ibu_kandung", "no_kk", "id_art_pengurus"} <= set(rows[0])
    ws = load_workbook(io.BytesIO(export.to_xlsx(plist))).active
    values = list(ws.iter_rows(values_only=True))
    assert values[1][0] == "kode_wilayah" and values[2][5] == "R1"


def test_quota_per_wilayah_marks_the_rest_as_cadangan(wf_session, wf_seed, user):
    _setup(wf_session, wf_seed)
    p = _penetapan(wf_session, user("supkab"))
    bpnt = rules.default_program("bpnt")
    full = service.run(wf_session, user("opkab"), bpnt, p.id)
    assert {r.entitlement.unit_ref for r in full.rows} == {"R1-K1", "R2-K1", "RB-K1", "RK-K1"}
    limited = replace(bpnt, quota={"35.09.15": 2})
    res = service.run(wf_session, user("opkab"), limited, p.id)
    out = {r.entitlement.unit_ref for r in res.rows if not r.in_quota}
    assert out == {"R2-K1"}  # desil 3 after R1 (2) and RB (1); RK lies in another kecamatan


def test_quota_is_applied_to_the_whole_list_before_the_view_is_cut(wf_session, wf_seed, user):
    """Issue #18: a desa view (operator of the desa, or --desa) shows no more Layak than the full list."""
    _setup(wf_session, wf_seed)
    p = _penetapan(wf_session, user("supkab"))
    limited = replace(rules.default_program("bpnt"), quota={"35.09.15": 2})
    full = service.run(wf_session, user("opkab"), limited, p.id)
    layak = {r.entitlement.unit_ref for r in full.rows if r.in_quota}
    assert layak == {"R1-K1", "RB-K1", "RK-K1"}
    desa_view = service.run(wf_session, user("desa"), limited, p.id)
    desa_option = service.run(wf_session, user("opkab"), limited, p.id, desa_code="35.09.15.2001")
    for view in (desa_view, desa_option):
        assert {r.entitlement.unit_ref for r in view.rows} == {"R1-K1", "R2-K1"}
        assert {r.entitlement.unit_ref for r in view.rows if r.in_quota} == {"R1-K1"}  # R2 is cadangan


def test_pergantian_pengurus_after_the_holder_died(wf_session, wf_seed, user):
    sri, bayu = _setup(wf_session, wf_seed)
    supkab, opkab = user("supkab"), user("opkab")
    _penetapan(wf_session, supkab)
    sri.keberadaan = 2  # the account holder died
    wf_session.flush()
    feb = _penetapan(wf_session, supkab, FEB, "DTKS Februari 2027")
    r1 = _row(service.run(wf_session, opkab, PKH, feb.id))
    assert r1.pengurus.member.nama == "Sri R1" and "meninggal" in r1.pengurus.problems
    assert r1.pengurus.replacement.nama == "Ani R1"  # PKH prefers a woman of the family
    assert "perlu pergantian" in r1.pengurus.note

    with pytest.raises(Forbidden):
        service.replace_pengurus(wf_session, user("desa"), PKH, feb.id, "R1-K1", "R1-K1-1", "meninggal")
    with pytest.raises(Invalid, match="17"):
        service.replace_pengurus(wf_session, opkab, PKH, feb.id, "R1-K1", bayu.ref, "meninggal")
    with pytest.raises(Invalid, match="meninggal"):
        service.replace_pengurus(wf_session, opkab, PKH, feb.id, "R1-K1", sri.ref, "meninggal")
    with pytest.raises(Invalid, match="keluarga yang sama"):
        service.replace_pengurus(wf_session, opkab, PKH, feb.id, "R1-K1", "R2-K1-2", "meninggal")
    with pytest.raises(Invalid, match="Alasan"):
        service.replace_pengurus(wf_session, opkab, PKH, feb.id, "R1-K1", "R1-K1-1", " ")

    row = service.replace_pengurus(
        wf_session, opkab, PKH, feb.id, "R1-K1", "R1-K1-3", "Pengurus meninggal 3/1/2027"
    )
    assert row.previous_member_ref == sri.ref and row.nama == "Ani R1"
    again = _row(service.run(wf_session, opkab, PKH, feb.id))
    assert (
        again.pengurus.member.nama == "Ani R1" and again.pengurus.recorded and again.pengurus.problems == []
    )


def test_no_pergantian_for_a_family_without_a_component_or_with_a_ganda_candidate(wf_session, wf_seed, user):
    from siks.store.models.verval import VervalFinding, VervalRun

    _setup(wf_session, wf_seed)
    wf_session.add(
        VervalRun(
            id="run-p", status="selesai", actor="uji", finished_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        )
    )
    wf_session.flush()
    wf_session.add(
        VervalFinding(
            run_id="run-p", code="DUP_NIK", level="anggota", member_ref="R1-K1-1", household_ref="R1"
        )
    )
    wf_session.flush()
    p = _penetapan(wf_session, user("supkab"))
    with pytest.raises(Invalid, match="adminduk"):
        service.replace_pengurus(wf_session, user("opkab"), PKH, p.id, "R1-K1", "R1-K1-1", "uji")
    with pytest.raises(Invalid, match="tidak lagi menerima"):
        service.replace_pengurus(wf_session, user("opkab"), PKH, p.id, "R2-K1", "R2-K1-1", "uji")
