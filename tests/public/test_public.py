"""Public cek status (both backends): masking, no listing, caps, rate limit, usul and sanggah, kedaluwarsa."""

from __future__ import annotations

import datetime as dt

import pytest

from siks.errors import Invalid, NotFound
from siks.penetapan import service as penetapan
from siks.penetapan.sources import Score, ScoreTable
from siks.public import service, submissions
from siks.store.models.penetapan import PenetapanMember, PublicRequest
from siks.store.models.registry import Family, Household, Member
from siks.store.models.usulan import Usulan, UsulanEvent
from workflow_support import DESA, DESA_B

SCORES = ScoreTable(
    {"R1": Score(2), "R2": Score(7), "R3": Score(4), "RB": Score(1), "RK": Score(3)}, {"kind": "uji"}
)
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100
TODAY = dt.date(2027, 1, 10)


@pytest.fixture
def p(wf_session, wf_seed, user, monkeypatch, tmp_path):
    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    for i, (_ref, mid) in enumerate(sorted(wf_seed.members.items())):
        wf_session.get(Member, mid).nik = f"35091501017{i:05d}"
    return penetapan.create(
        wf_session,
        user("supkab"),
        title="DTKS Januari 2027",
        periode="2027-01",
        berlaku_mulai=dt.date(2027, 1, 1),
        scores=SCORES,
    )


def find(session, nama, desa=DESA, ip="1.1.1.1"):
    return service.search(session, desa, nama, ip, today=TODAY)


def test_masking():
    assert service.mask_name("Suparni") == "SU***"
    for short in ("Budi", "Sri", "Tuti", "Andika", "An", "Al"):  # a short name never shows whole (#17.6)
        masked = service.mask_name(short)
        assert sum(c.isalpha() for c in masked) <= max(len(short) // 2, 1) and masked != short.upper(), masked
    # the mask has one length whatever the word's: the length of a name is not told either
    assert {len(service.mask_name(w)) for w in ("Ani", "Budi", "Andika")} == {4}
    assert service.mask_name("Budi Santoso") == "B*** SA***"
    assert service.mask_name("Ani") == "A***"
    assert service.mask_name("") == "-"


def test_search_shows_masked_status_and_programs(wf_session, p):
    result = find(wf_session, "budi")
    assert result.penetapan.id == p.id
    refs = {wf_session.get(PenetapanMember, f.member_id).household_ref: f for f in result.items}
    assert set(refs) == {"R1", "R2", "R3"} and {f.nama for f in result.items} == {"B*** R***"}
    assert refs["R1"].terdaftar and "PBI-JK" in refs["R1"].programs
    assert not refs["R2"].terdaftar and refs["R2"].programs == ()  # desil 7
    assert not any(hasattr(f, "nik") or hasattr(f, "desil") for f in result.items)


def test_no_listing_of_a_desa(wf_session, p):
    for bad in ("", "  ", "bu", "%", "a%", "_ _ _", "***", "s?i", "b1 2"):
        with pytest.raises(Invalid):
            find(wf_session, bad)
    with pytest.raises(Invalid):
        find(wf_session, "budi", desa="35.09.15")  # a kecamatan is not a desa
    only_b = find(wf_session, "budi", desa=DESA_B).items  # only that desa
    assert [wf_session.get(PenetapanMember, f.member_id).household_ref for f in only_b] == ["RB"]


def test_too_many_matches_asks_for_a_longer_name(wf_session, wf_seed, user, monkeypatch, tmp_path):
    monkeypatch.setenv("SIKS_DATA_DIR", str(tmp_path))
    fam = wf_session.get(Family, wf_seed.families["R1"])
    for i, second in enumerate(("Ayu", "Wati", "Sari", "Rahayu", "Lestari", "Utami")):
        wf_session.add(
            Member(
                ref=f"R1-K1-{10 + i}",
                family_id=fam.id,
                no_urut=10 + i,
                nama=f"Sumarni {second}",
                sex=2,
                hubungan_kk=3,
                keberadaan=1,
                tanggal_lahir=dt.date(1990, 1, 1),
            )
        )
    wf_session.flush()
    penetapan.create(
        wf_session,
        user("supkab"),
        title="DTKS Jan",
        periode="2027-01",
        berlaku_mulai=dt.date(2027, 1, 1),
        scores=SCORES,
    )
    many = find(wf_session, "suma")
    assert many.too_many and many.items == ()
    assert len(find(wf_session, "sumarni lest").items) == 1
    assert len(find(wf_session, "lestari").items) == 1


def test_rate_limit_per_ip_is_stored(wf_session, p):
    window, allowed = service.LIMITS["cari"]
    for _ in range(allowed):
        find(wf_session, "budi", ip="9.9.9.9")
    with pytest.raises(service.RateLimited):
        find(wf_session, "budi", ip="9.9.9.9")
    find(wf_session, "budi", ip="8.8.8.8")  # another address is not affected
    stored = wf_session.query(PublicRequest).all()
    assert stored and all(len(r.ip_hash) == 64 and "9.9.9.9" not in r.ip_hash for r in stored)
    later = dt.datetime.now(dt.UTC) + window + dt.timedelta(seconds=1)
    service.check_rate(wf_session, "9.9.9.9", "cari", now=later)  # the window has passed


_IPS = iter(f"10.1.{i // 250}.{i % 250}" for i in range(10_000))


def _sanggah(session, member_id, ip=None, **kw):
    values = dict(
        member_id=member_id,
        reporter_desa=DESA,
        pelapor="Warga Jubung",
        pelapor_nik="3509154107890001",
        alasan_kode="mampu",
        alasan="Punya mobil dan toko",
        lat="-8.16",
        lon="113.65",
        photo=JPEG,
    )
    values.update(kw)
    return submissions.sanggah(session, submissions.SanggahForm(**values), ip or next(_IPS))


def _member_id(session, p, ref):
    return session.query(PenetapanMember).filter_by(penetapan_id=p.id, member_ref=ref).one().id


def test_sanggah_enters_the_workflow_at_desa(wf_session, wf_seed, p):
    row = _sanggah(wf_session, _member_id(wf_session, p, "R1-K1-1"))
    u = wf_session.get(Usulan, row.usulan_id)
    assert (u.kind, u.subkind, u.status, u.level, u.channel) == ("sanggah", "mampu", "draf", "desa", "warga")
    assert u.desa_code == DESA and u.target_entity == "household" and u.target_id == wf_seed.households["R1"]
    assert u.payload["lat"] == -8.16 and row.photo_id is not None and len(row.tracking_code) == 10
    died = _sanggah(wf_session, _member_id(wf_session, p, "R3-K1-2"), alasan_kode="meninggal")
    assert wf_session.get(Usulan, died.usulan_id).target_entity == "member"
    # A squatter's open sanggah (unregistered NIK) does not block a genuine one on the same household (#17.4)
    again = _sanggah(wf_session, _member_id(wf_session, p, "R1-K1-2"), pelapor_nik="3509154107900002")
    second = wf_session.get(Usulan, again.usulan_id)
    assert (second.target_entity, second.target_id, second.status) == ("household", u.target_id, "draf")


def test_sanggah_rules(wf_session, p):
    r1 = _member_id(wf_session, p, "R1-K1-1")
    with pytest.raises(Invalid, match="desa/kelurahan yang sama"):
        _sanggah(wf_session, r1, reporter_desa=DESA_B)
    with pytest.raises(Invalid, match="Foto"):
        _sanggah(wf_session, r1, photo=b"")
    with pytest.raises(Invalid, match="JPEG"):
        _sanggah(wf_session, r1, photo=b"%PDF-1.4 ...")
    with pytest.raises(Invalid, match="luar wilayah Indonesia"):
        _sanggah(wf_session, r1, lat="48.85", lon="2.35")
    with pytest.raises(Invalid, match="NIK pelapor"):
        _sanggah(wf_session, r1, pelapor_nik="123")
    with pytest.raises(Invalid, match="terdaftar dalam DTKS"):
        _sanggah(wf_session, _member_id(wf_session, p, "R2-K1-1"))  # R2 is desil 7: not a recipient
    rb_nik = wf_session.get(Member, wf_session.query(Member).filter_by(ref="RB-K1-1").one().id).nik
    with pytest.raises(Invalid, match="desa/kelurahan yang sama"):
        _sanggah(wf_session, r1, pelapor_nik=rb_nik)  # the registry places this reporter in Dukuhmencek
    with pytest.raises(NotFound):
        _sanggah(wf_session, 10**9)


def test_usul_enters_the_workflow_at_desa(wf_session, p):
    form = submissions.UsulForm(
        desa_code=DESA,
        pelapor="Sri",
        hubungan="orang_lain",
        alasan="Janda, tidak bekerja",
        alamat="Dusun Krajan",
        rt="1",
        rw="2",
        nama="Tumini",
        nik="3509154107650003",
        sex="2",
        tanggal_lahir="1965-07-01",
    )
    row = submissions.usul(wf_session, form, "3.3.3.3")
    u = wf_session.get(Usulan, row.usulan_id)
    assert (u.kind, u.subkind, u.level, u.channel, u.subject_name) == (
        "baru",
        "ruta",
        "desa",
        "warga",
        "Tumini",
    )
    assert "orang lain" in u.last_note
    with pytest.raises(Invalid, match="NIK"):
        submissions.usul(wf_session, submissions.UsulForm(**{**form.__dict__, "nik": "12"}), "3.3.3.3")


@pytest.mark.parametrize(
    "field, value",
    [("nama", "=cmd|' /C calc'!A0"), ("nama", "Tu\u202emini"), ("alamat", "@SUM(A1)"), ("pelapor", "+Sri()")],
)
def test_usul_refuses_what_import_refuses(wf_session, p, field, value):
    """A formula or invisible character typed by an anonymous citizen never reaches the BNBA (#17.1)."""
    form = submissions.UsulForm(desa_code=DESA, pelapor="Sri", hubungan="orang_lain", alasan="Janda",
                                alamat="Dusun Krajan", nama="Tumini", nik="3509154107650003", sex="2",
                                tanggal_lahir="1965-07-01")  # fmt: skip
    with pytest.raises(Invalid, match="rumus|tak terlihat"):
        submissions.usul(wf_session, submissions.UsulForm(**{**form.__dict__, field: value}), "3.3.3.3")
    assert wf_session.query(Usulan).count() == 0


def test_sanggah_kedaluwarsa_is_computed_on_read(wf_session, p):
    row = _sanggah(wf_session, _member_id(wf_session, p, "R1-K1-1"))
    u = wf_session.get(Usulan, row.usulan_id)
    now = dt.datetime.now(dt.UTC)
    assert not submissions.expired(u, now)
    assert submissions.track(wf_session, row.tracking_code, "4.4.4.4", now).status == "Draf"
    later = now + dt.timedelta(days=submissions.SANGGAH_DAYS, minutes=1)
    assert submissions.expired(u, later)
    tracked = submissions.track(wf_session, row.tracking_code.lower(), "4.4.4.4", later)
    assert tracked.status == "Kedaluwarsa" and "tidak layak" in tracked.note
    wf_session.add(
        UsulanEvent(usulan_id=u.id, actor="supkab", role="supervisor_kabupaten", action="kembalikan")
    )
    wf_session.flush()
    wf_session.refresh(u)
    assert not submissions.expired(u, later)  # the kabupaten acted in time
    with pytest.raises(NotFound):
        submissions.track(wf_session, "TIDAKADA00", "4.4.4.4")


def test_submissions_are_rate_limited(wf_session, p):
    window, allowed = service.LIMITS["kirim"]
    for _ in range(allowed):
        service.check_rate(wf_session, "5.5.5.5", "kirim")
    with pytest.raises(service.RateLimited):
        _sanggah(wf_session, _member_id(wf_session, p, "R1-K1-1"), ip="5.5.5.5")


def test_nothing_when_no_penetapan_is_in_force(wf_session, wf_seed):
    assert service.search(wf_session, DESA, "budi", "6.6.6.6", today=TODAY).penetapan is None
    assert wf_session.get(Household, wf_seed.households["R1"]).desa_code == DESA
