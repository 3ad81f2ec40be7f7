"""Penetapan: freezing, immutability, diffs, status as of a date, and who may make one (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from siks.errors import Forbidden, Invalid, NotFound
from siks.penetapan import diff as diffing
from siks.penetapan import service
from siks.penetapan.sources import Score, ScoreTable
from siks.store.models.penetapan import Immutable, Penetapan, PenetapanHousehold, PenetapanMember
from siks.store.models.registry import Assessment, Family, FamilyKK, Household, Member
from siks.store.models.verval import VervalFinding, VervalRun
from workflow_support import DESA, DESA_OTHER_KEC

JAN, FEB = dt.date(2027, 1, 1), dt.date(2027, 2, 1)


def scores(**desil) -> ScoreTable:
    base = {"R1": 2, "R2": 7, "R3": 4, "RB": 1, "RK": 3}
    base.update(desil)
    return ScoreTable({k: Score(v, 10.0 + v, "pmt-uji@1") for k, v in base.items()}, {"kind": "uji"})


def unique_niks(session, seed) -> None:
    """The shared seed gives R1, R2 and R3 the same NIKs (same birth dates); make them distinct here."""
    for i, (_ref, mid) in enumerate(sorted(seed.members.items())):
        session.get(Member, mid).nik = f"35091501017{i:05d}"
    session.flush()


def make(session, user, title="DTKS Januari 2027", periode="2027-01", on=JAN, **kw):
    return service.create(session, user, title=title, periode=periode, berlaku_mulai=on, **kw)


def frozen(session, p, ref) -> PenetapanHousehold:
    return session.scalar(
        select(PenetapanHousehold).where(
            PenetapanHousehold.penetapan_id == p.id, PenetapanHousehold.household_ref == ref
        )
    )


def test_create_freezes_every_ruta_in_the_kabupaten_with_reasons(wf_session, wf_seed, user):
    p = make(wf_session, user("supkab"), scores=scores())
    assert p.wilayah_code == "35.09"
    refs = set(
        wf_session.scalars(
            select(PenetapanHousehold.household_ref).where(PenetapanHousehold.penetapan_id == p.id)
        )
    )
    assert refs == {"R1", "R2", "R3", "RB", "RK"}  # RX lies in Banyuwangi
    assert p.counts["ruta_dtks"] == 4 and p.counts["ruta_keluar"] == 1
    r2 = frozen(wf_session, p, "R2")
    assert not r2.included and r2.reasons[0][0] == "DESIL_DI_ATAS_BATAS"
    r1 = frozen(wf_session, p, "R1")
    assert r1.included and r1.desil == 2 and r1.pmt_model == "pmt-uji@1" and r1.jumlah_art == 3
    assert p.score_source == {"kind": "uji"}


def test_a_later_registry_edit_leaves_the_penetapan_unchanged(wf_session, wf_seed, user):
    unique_niks(wf_session, wf_seed)
    p = make(wf_session, user("supkab"), scores=scores())
    member = wf_session.get(Member, wf_seed.members["R1-1"])
    before = wf_session.scalar(
        select(PenetapanMember).where(
            PenetapanMember.penetapan_id == p.id, PenetapanMember.member_ref == member.ref
        )
    )
    name, nik, kk = before.nama, before.nik, before.kk_number
    member.nama, member.nik = "Nama Baru", "3509150101900099"
    household = wf_session.get(Household, wf_seed.households["R1"])
    household.status, household.alamat = "nonaktif", "Alamat baru"
    wf_session.execute(
        update(FamilyKK).where(FamilyKK.family_id == wf_seed.families["R1"]).values(kk_number="1" * 16)
    )
    wf_session.flush()
    wf_session.expire_all()
    again = wf_session.scalar(
        select(PenetapanMember).where(
            PenetapanMember.penetapan_id == p.id, PenetapanMember.member_ref == member.ref
        )
    )
    assert (again.nama, again.nik, again.kk_number) == (name, nik, kk)
    r1 = frozen(wf_session, p, "R1")
    assert r1.included and r1.alamat == "Jl. Mawar 3"
    # the person's status on a date inside the penetapan still answers from the frozen copy
    st = service.status_as_of(wf_session, nik, dt.date(2027, 1, 15))
    assert st.terdaftar and st.penetapan.id == p.id


def test_a_penetapan_never_changes(wf_session, wf_seed, user):
    p = make(wf_session, user("supkab"), scores=scores())
    wf_session.flush()
    with pytest.raises(service.Final):
        service.amend(wf_session, user("supkab"), p.id, title="lain")
    with pytest.raises(service.Final):
        service.remove(wf_session, user("supkab"), p.id)
    p.title = "Diubah"
    with pytest.raises(Immutable):
        wf_session.flush()
    wf_session.rollback()


def test_bulk_changes_to_frozen_rows_are_refused(wf_session, wf_seed, user):
    p = make(wf_session, user("supkab"), scores=scores())
    with pytest.raises(Immutable):
        wf_session.execute(
            update(PenetapanMember).where(PenetapanMember.penetapan_id == p.id).values(nama="x")
        )
    row = frozen(wf_session, p, "R1")
    wf_session.delete(row)
    with pytest.raises(Immutable):
        wf_session.flush()
    wf_session.rollback()


def test_only_kabupaten_and_pusat_roles_create_inside_their_wilayah(wf_session, wf_seed, user):
    for name in ("desa", "kec", "opkab", "auditor"):
        with pytest.raises(Forbidden):
            make(wf_session, user(name), scores=scores())
    with pytest.raises(NotFound):
        make(wf_session, user("supkab"), wilayah_code="35.10", scores=scores())
    with pytest.raises(Invalid):
        make(wf_session, user("pusat"), wilayah_code=DESA, scores=scores())  # below kabupaten
    with pytest.raises(Invalid):
        make(wf_session, user("supkab"), periode="Januari", scores=scores())
    national = make(wf_session, user("pusat"), wilayah_code=None, scores=scores(RX=1))
    assert national.wilayah_code is None and national.counts["ruta"] == 6


def test_findings_of_the_verval_run_exclude_an_asn_household(wf_session, wf_seed, user):
    run = VervalRun(
        id="run-uji", status="selesai", actor="uji", finished_at=dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    )
    wf_session.add(run)
    wf_session.flush()
    wf_session.add(
        VervalFinding(run_id=run.id, code="ASN", level="anggota", member_ref="RB-K1-1", household_ref="RB")
    )
    wf_session.flush()
    p = make(wf_session, user("supkab"), scores=scores())
    assert p.verval_run_id == "run-uji" and p.verval_run["id"] == "run-uji"
    rb = frozen(wf_session, p, "RB")
    assert not rb.included and rb.reasons[0][0] == "RUTA_ASN_TNI_POLRI"
    assert rb.findings == ["ASN"]


def _add_household(session, ref: str, desa: str, surveyed: bool = True) -> None:
    h = Household(ref=ref, desa_code=desa, alamat="Baru")
    session.add(h)
    session.flush()
    if surveyed:
        session.add(Assessment(household_id=h.id, instrument="REGSOSEK2022.K", answers={}))
    f = Family(ref=f"{ref}-K1", household_id=h.id)
    session.add(f)
    session.flush()
    session.add(
        Member(
            ref=f"{ref}-K1-1",
            family_id=f.id,
            no_urut=1,
            nama="Warga Baru",
            sex=2,
            hubungan_kk=1,
            keberadaan=1,
            nik="3509155505800001",
            tanggal_lahir=dt.date(1980, 5, 15),
        )
    )
    session.flush()


def test_diff_lists_added_removed_with_reason_and_changed(wf_session, wf_seed, user):
    supkab = user("supkab")
    a = make(wf_session, supkab, scores=scores())
    wf_session.get(Household, wf_seed.households["R3"]).status = "nonaktif"
    wf_session.get(Household, wf_seed.households["R3"]).status_reason = "Pindah ke luar kabupaten"
    wf_session.get(Member, wf_seed.members["R1-3"]).keberadaan = 3  # a child moved out
    _add_household(wf_session, "RN", DESA_OTHER_KEC)
    wf_session.flush()
    b = make(
        wf_session, supkab, title="DTKS Februari 2027", periode="2027-02", on=FEB, scores=scores(RK=2, RN=1)
    )
    assert b.previous_id == a.id
    d = diffing.compare(wf_session, supkab, a.id, b.id).diff
    assert [c.ref for c in d.added] == ["RN"]
    assert [c.ref for c in d.removed] == ["R3"]
    assert (
        d.removed[0].reasons[0][0] == "NONAKTIF" and "Pindah ke luar kabupaten" in d.removed[0].reasons[0][1]
    )
    changed = {c.ref: c.fields for c in d.changed}
    assert changed == {"R1": ("anggota",), "RK": ("desil",)}
    # a desa user sees the same diff cut to their desa
    d_desa = diffing.compare(wf_session, user("desa"), a.id, b.id).diff
    assert [c.ref for c in d_desa.removed] == ["R3"] and d_desa.added == []


def test_a_ruta_without_pendataan_gets_no_desil_and_waits_for_verval(wf_session, wf_seed, user):
    """Issue #18: a new ruta from an usulan baru (no assessment) got desil 2 from the score source and
    entered the penetapan. Without a pendataan there is no desil, whatever a score file says."""
    _add_household(wf_session, "USL9", DESA, surveyed=False)
    p = make(wf_session, user("supkab"), scores=scores(USL9=2))
    usl = frozen(wf_session, p, "USL9")
    assert not usl.included and usl.desil is None
    assert [code for code, _ in usl.reasons] == ["BELUM_DIDATA"] and "menunggu verval" in usl.reasons[0][1]
    assert frozen(wf_session, p, "R1").included  # surveyed ruta keep their desil


def test_status_as_of_answers_from_the_penetapan_in_force(wf_session, wf_seed, user):
    supkab = user("supkab")
    unique_niks(wf_session, wf_seed)
    nik_r3 = wf_session.get(Member, wf_seed.members["R3-1"]).nik
    nik_child = wf_session.get(Member, wf_seed.members["R1-3"]).nik
    a = make(wf_session, supkab, scores=scores())
    wf_session.get(Household, wf_seed.households["R3"]).status = "nonaktif"
    wf_session.get(Member, wf_seed.members["R1-3"]).keberadaan = 2
    wf_session.flush()
    b = make(wf_session, supkab, title="DTKS Februari 2027", periode="2027-02", on=FEB, scores=scores())

    before_any = service.status_as_of(wf_session, nik_r3, dt.date(2026, 12, 31))
    assert before_any.penetapan is None and not before_any.terdaftar
    in_jan = service.status_as_of(wf_session, nik_r3, dt.date(2027, 1, 31))
    assert in_jan.terdaftar and in_jan.penetapan.id == a.id and "desil 4" in in_jan.keterangan
    on_feb_first = service.status_as_of(wf_session, nik_r3, FEB)
    assert not on_feb_first.terdaftar and on_feb_first.penetapan.id == b.id
    assert "nonaktif" in on_feb_first.keterangan.lower()
    child = service.status_as_of(wf_session, nik_child, dt.date(2027, 3, 1))
    assert not child.terdaftar and "Meninggal" in child.keterangan
    with pytest.raises(Invalid):
        service.status_as_of(wf_session, "123", FEB)


def test_status_after_a_household_left_the_registry(wf_session, wf_seed, user):
    supkab = user("supkab")
    unique_niks(wf_session, wf_seed)
    nik = wf_session.get(Member, wf_seed.members["RK-1"]).nik
    make(wf_session, supkab, scores=scores())
    # RK's record moves to another kabupaten (out of this penetapan's wilayah)
    wf_session.get(Household, wf_seed.households["RK"]).desa_code = "35.10.01.2001"
    wf_session.flush()
    b = make(wf_session, supkab, title="DTKS Februari 2027", periode="2027-02", on=FEB, scores=scores())
    st = service.status_as_of(wf_session, nik, dt.date(2027, 2, 10))
    assert not st.terdaftar and st.penetapan.id == b.id and "tidak ada lagi" in st.keterangan


def test_usulan_applied_since_the_previous_penetapan_are_copied(wf_session, wf_seed, user):
    from workflow_support import forced_usulan

    u = forced_usulan(wf_session, wf_seed, "disahkan", None)
    u.applied_at = dt.datetime.now(dt.UTC)
    wf_session.flush()
    p = make(wf_session, user("supkab"), scores=scores())
    rows = service.usulan_of(wf_session, p)
    assert [(r.usulan_id, r.kind, r.subkind) for r in rows] == [(u.id, "nonaktif", "pindah")]
    u.description = "diubah kemudian"
    wf_session.flush()
    assert service.usulan_of(wf_session, p)[0].description == "Nonaktif: Pindah"


def test_listing_and_get_respect_the_wilayah(wf_session, wf_seed, user):
    p = make(wf_session, user("supkab"), scores=scores())
    assert [x.id for x in service.listing(wf_session, user("desa"))] == [p.id]
    assert service.listing(wf_session, user("supkab_out")) == []
    with pytest.raises(NotFound):
        service.get(wf_session, user("supkab_out"), p.id)
    assert wf_session.scalar(select(Penetapan.created_by).where(Penetapan.id == p.id)) == "supkab"


def test_desil_comes_from_the_runs_pmt_output(wf_session, wf_seed, user, monkeypatch, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    run_dir = tmp_path / "runs" / "run-pmt"
    run_dir.mkdir(parents=True)
    table = pa.table(
        {"household_ref": ["R1", "R2"], "desil": [1, 9], "score": [12.1, 14.2], "model": ["m@2"] * 2}
    )
    pq.write_table(table, run_dir / "household_pmt.parquet")
    finished = dt.datetime(2026, 12, 30, tzinfo=dt.UTC)
    snapshot = str(run_dir / "snapshot")
    wf_session.add(
        VervalRun(id="run-pmt", status="selesai", actor="uji", snapshot_dir=snapshot, finished_at=finished)
    )
    wf_session.flush()
    p = make(wf_session, user("supkab"))
    assert p.score_source["kind"] == "verval:run-pmt" and p.score_source["models"] == ["m@2"]
    assert frozen(wf_session, p, "R1").desil == 1 and frozen(wf_session, p, "R1").pmt_model == "m@2"
    assert frozen(wf_session, p, "R3").reasons[0][0] == "DESIL_KOSONG"
