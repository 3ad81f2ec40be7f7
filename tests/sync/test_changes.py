"""Change sets between instances on each backend: export, apply, replay, reorder, tamper, conflicts, levels.

Each test uses two or three real databases of the same backend (`db_url` runs it on SQLite and on
PostgreSQL), in one process; test_processes.py does the same across processes and HTTP.
"""

from __future__ import annotations

import io
import json
import zipfile
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from siks.errors import Forbidden, NotFound
from siks.store.db import make_engine, session_factory
from siks.store.models.registry import AuditEntry, Member
from siks.store.models.sync import SyncUpload
from siks.sync import service, signing, transport
from siks.web.syncapi import PREFIX, create_sync_app
from sync.support import apply, export, first_member_ref, link, load_registry, make_instance, rename_member


def _second(db_url: str, request, tmp_path, name: str) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / (name + '.db')}"
    return request.getfixturevalue("pg_server").create_database()


@pytest.fixture
def kab_pusat(db_url, request, tmp_path, dtks_csv):
    kab = make_instance(db_url, "kab-jember", "kabupaten", "35.09", tmp_path)
    pusat = make_instance(_second(db_url, request, tmp_path, "pusat"), "pusat", "pusat", None, tmp_path)
    link(kab, pusat)
    load_registry(kab, dtks_csv)
    return kab, pusat


def test_a_set_makes_both_sides_equal_and_applying_it_again_changes_nothing(kab_pusat):
    kab, pusat = kab_pusat
    data = export(kab, "pusat")
    first = apply(pusat, data)
    assert first.counts["diterapkan"] == len(kab.states()) == 40
    assert pusat.states() == kab.states()
    audit_before = pusat.run(
        lambda s: s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    )
    again = apply(pusat, data)
    assert again.already and "sudah pernah diterapkan" in again.message()
    assert (
        pusat.run(lambda s: s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)))
        == audit_before
    )
    # every applied change went through the audit trail, named after the sending instance
    actors = pusat.run(lambda s: set(s.scalars(select(AuditEntry.actor))))
    assert actors == {"sync:kab-jember"}


def test_acknowledgement_travels_back_and_only_new_changes_go_out(kab_pusat):
    kab, pusat = kab_pusat
    apply(pusat, export(kab, "pusat"))
    apply(kab, export(pusat, "kab-jember"))  # carries pusat's ack of kab's log
    assert kab.run(lambda s: service.outgoing_pending(s, "pusat")) == 0
    ref = first_member_ref(kab)
    rename_member(kab, ref, "NAMA BARU")
    assert kab.run(lambda s: service.outgoing_pending(s, "pusat")) == 1
    data = export(kab, "pusat")
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert manifest["count"] == 1
    assert apply(pusat, data).counts["diterapkan"] == 1
    assert pusat.states() == kab.states()


def test_sets_out_of_order_the_older_one_is_stale(kab_pusat):
    kab, pusat = kab_pusat
    ref = first_member_ref(kab)
    set1 = export(kab, "pusat")
    rename_member(kab, ref, "NAMA KEDUA")
    set2 = export(kab, "pusat")  # nothing acknowledged yet: it carries everything, newer
    second = apply(pusat, set2)
    assert second.counts["diterapkan"] == 40
    older = apply(pusat, set1)
    assert older.counts["usang"] == 1 and older.counts["diterapkan"] == 0 and older.counts["konflik"] == 0
    assert pusat.states() == kab.states()


def test_both_sides_changed_the_same_person_is_kept_as_a_conflict_never_overwritten(kab_pusat):
    kab, pusat = kab_pusat
    apply(pusat, export(kab, "pusat"))
    ref = first_member_ref(kab)
    rename_member(kab, ref, "VERSI KABUPATEN")
    rename_member(pusat, ref, "VERSI PUSAT")
    result = apply(pusat, export(kab, "pusat"))
    assert result.counts["konflik"] == 1
    name_at_pusat = pusat.run(lambda s: s.scalar(select(Member.nama).where(Member.ref == ref)))
    assert name_at_pusat == "VERSI PUSAT"
    [(cid, kind, gid, peer, status)] = pusat.conflicts()
    assert (kind, peer, status) == ("konflik", "kab-jember", "terbuka")
    both = pusat.run(
        lambda s: (s.get(service.SyncConflict, cid).local, s.get(service.SyncConflict, cid).incoming)
    )
    names = [{m["nama"] for f in doc["families"] for m in f["members"]} for doc in both]
    assert "VERSI PUSAT" in names[0] and "VERSI KABUPATEN" in names[1]
    # the same conflicting set again is not a second conflict
    apply(pusat, export(kab, "pusat"))
    assert len(pusat.conflicts()) == 1
    pusat.run(lambda s: service.resolve(s, cid, "kiriman", "operator-pusat"))
    assert pusat.states() == kab.states()
    assert pusat.conflicts()[0][4] == "selesai"


def test_tampered_or_foreign_sets_are_refused_whole(kab_pusat, tmp_path):
    kab, pusat = kab_pusat
    data = export(kab, "pusat")
    src = zipfile.ZipFile(io.BytesIO(data))
    changed = src.read("changes.jsonl").replace(b'"nama":"', b'"nama":"X', 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in src.namelist():
            z.writestr(name, changed if name == "changes.jsonl" else src.read(name))
    with pytest.raises(Forbidden, match="checksum"):
        apply(pusat, buf.getvalue())
    manifest = json.loads(src.read("manifest.json"))
    manifest["upto"] += 1
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in src.namelist():
            z.writestr(name, json.dumps(manifest).encode() if name == "manifest.json" else src.read(name))
    with pytest.raises(Forbidden, match="Tanda tangan"):
        apply(pusat, buf.getvalue())
    with pytest.raises(Forbidden, match="belum disematkan"):
        apply(kab, data)  # its own set: an instance never pins itself
    prov = make_instance(f"sqlite:///{tmp_path / 'prov.db'}", "prov-jatim", "provinsi", "35", tmp_path)
    link(kab, prov)
    with pytest.raises(Forbidden, match="untuk instansi pusat"):
        apply(prov, data)  # signed by a pinned peer, but addressed to someone else
    assert pusat.states() == {}


def test_a_kabupaten_cannot_change_another_kabupatens_rows(db_url, request, tmp_path, dtks_csv):
    """Banyuwangi (35.10) holds Jember's ruta and sends them: pusat refuses each one and lists it."""
    other = make_instance(db_url, "kab-banyuwangi", "kabupaten", "35.10", tmp_path)
    pusat = make_instance(_second(db_url, request, tmp_path, "pusat"), "pusat", "pusat", None, tmp_path)
    link(other, pusat)
    load_registry(other, dtks_csv)
    result = apply(pusat, export(other, "pusat"))
    assert result.counts["diterapkan"] == 0 and result.counts["ditolak"] == len(other.states())
    assert pusat.states() == {}
    kinds = {c[1] for c in pusat.conflicts()}
    assert kinds == {"ditolak"}
    cid = pusat.conflicts()[0][0]
    with pytest.raises(Forbidden):
        pusat.run(lambda s: service.resolve(s, cid, "kiriman", "operator"))


def test_pusat_cannot_silently_edit_a_desa_household(kab_pusat):
    kab, pusat = kab_pusat
    apply(pusat, export(kab, "pusat"))
    apply(kab, export(pusat, "kab-jember"))
    ref = first_member_ref(kab)
    rename_member(pusat, ref, "DIUBAH PUSAT")
    result = apply(kab, export(pusat, "kab-jember"))
    assert result.counts["dari_atas"] == 1 and result.counts["diterapkan"] == 0
    assert kab.run(lambda s: s.scalar(select(Member.nama).where(Member.ref == ref))) != "DIUBAH PUSAT"
    [(cid, kind, *_)] = kab.conflicts()
    assert kind == "dari_atas"
    kab.run(lambda s: service.resolve(s, cid, "kiriman", "operator-kab"))  # the kabupaten accepts it
    assert kab.run(lambda s: s.scalar(select(Member.nama).where(Member.ref == ref))) == "DIUBAH PUSAT"
    assert apply(pusat, export(kab, "pusat")).counts["diterapkan"] == 0  # already the same at pusat
    assert pusat.states() == kab.states()


def test_a_person_leaving_is_an_audited_nonaktif_never_a_deletion(kab_pusat):
    kab, pusat = kab_pusat
    apply(pusat, export(kab, "pusat"))
    ref = first_member_ref(kab)

    def leave(s):
        m = s.scalar(select(Member).where(Member.ref == ref))
        m.status, m.status_reason = "nonaktif", "meninggal"
        s.flush()
        service.records.record_change(
            s, "operator", "member", m.id, {"status": "aktif"}, {"status": "nonaktif"}, "x"
        )

    kab.run(leave)
    apply(pusat, export(kab, "pusat"))
    status = pusat.run(lambda s: s.scalar(select(Member.status).where(Member.ref == ref)))
    assert status == "nonaktif"
    assert pusat.states() == kab.states()
    deleted = pusat.run(lambda s: s.scalar(select(AuditEntry.id).where(AuditEntry.action == "hapus")))
    assert deleted is None


def test_pusat_sends_a_penetapan_down_cut_to_the_kabupaten(kab_pusat):
    """A penetapan made at pusat arrives once, cut to Jember's ruta; the same set again changes nothing."""
    import datetime as dt

    from siks.accounts import service as accounts
    from siks.penetapan import service as penetapan
    from siks.penetapan.sources import ScoreTable
    from siks.store.models.penetapan import Penetapan, PenetapanHousehold
    from siks.sync import documents

    kab, pusat = kab_pusat
    apply(pusat, export(kab, "pusat"))

    def determine(s):
        user = accounts.create_user(s, "pusdatin", "rahasia-uji-123", "pusat", None)
        return penetapan.create(
            s,
            user,
            title="DTKS Januari",
            periode="2026-01",
            berlaku_mulai=dt.date(2026, 1, 1),
            scores=ScoreTable(),
        ).id

    pid = pusat.run(determine)
    data = export(pusat, "kab-jember")
    first = apply(kab, data)
    assert first.counts["diterapkan"] == 1 and first.counts["ditolak"] == 0
    sent = pusat.run(lambda s: documents.state_of(s, "pusat", pid, "35.09"))
    gid = f"penetapan:pusat:{pid}"
    held = kab.run(
        lambda s: documents.state_of(s, "kab-jember", documents.local_id(s, "kab-jember", gid), None)
    )
    assert held == sent and len(held["households"]) == 40
    # the links point at the kabupaten's own rows
    linked = kab.run(lambda s: s.scalars(select(PenetapanHousehold.household_id)).all())
    assert None not in linked and len(linked) == 40
    assert apply(kab, export(pusat, "kab-jember")).counts["sama"] == 1  # a newer set carrying it again
    assert apply(kab, data).already
    assert kab.run(lambda s: s.scalar(select(func.count()).select_from(Penetapan))) == 1
    # a kabupaten never sends penetapan up
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(export(kab, "pusat"))).read("manifest.json"))
    assert manifest["count"] == 0


def _user(role: str, wilayah_code: str | None, username: str = "petugas"):
    return SimpleNamespace(role=role, wilayah_code=wilayah_code, active=True, username=username)


def test_operators_see_and_decide_only_conflicts_in_their_wilayah(kab_pusat):
    kab, pusat = kab_pusat
    apply(pusat, export(kab, "pusat"))
    ref = first_member_ref(kab)
    rename_member(pusat, ref, "DIUBAH PUSAT")
    apply(kab, export(pusat, "kab-jember"))
    [(cid, *_)] = kab.conflicts()
    jember, banyuwangi = _user("operator_kabupaten", "35.09"), _user("operator_kabupaten", "35.10")
    assert [c.id for c in kab.run(lambda s: service.conflicts_for(s, jember))] == [cid]
    assert kab.run(lambda s: service.conflicts_for(s, banyuwangi)) == []
    with pytest.raises(NotFound):  # outside the wilayah it does not exist, for this user
        kab.run(lambda s: service.conflict_for(s, banyuwangi, cid))
    with pytest.raises(NotFound):
        kab.run(lambda s: service.resolve_as(s, banyuwangi, cid, "kiriman"))
    with pytest.raises(Forbidden):  # reads the audit trail but sees NIK masked: may not decide
        kab.run(lambda s: service.resolve_as(s, _user("pengesah_kabupaten", "35.09"), cid, "kiriman"))
    with pytest.raises(Forbidden):  # no audit view at all
        kab.run(lambda s: service.conflicts_for(s, _user("operator_desa", "35.09.15.2001")))
    kab.run(lambda s: service.resolve_as(s, jember, cid, "kiriman"))
    assert kab.run(lambda s: s.scalar(select(Member.nama).where(Member.ref == ref))) == "DIUBAH PUSAT"
    entry = kab.run(lambda s: s.scalars(select(AuditEntry).where(AuditEntry.actor == "petugas")).all()[-1])
    assert entry.after == {"nama": "DIUBAH PUSAT"}


def test_the_instance_api_refuses_unsigned_unknown_and_forged_requests(kab_pusat):
    kab, pusat = kab_pusat
    data = export(kab, "pusat")
    engine = make_engine(pusat.url)
    host = FastAPI()
    host.mount(PREFIX, create_sync_app(session_factory(engine)))  # as the web app mounts it
    client = TestClient(host)
    path = "/api/v1/sync/unggah/abc?offset=0&total=" + str(len(data))
    try:
        assert client.get(PREFIX + "/identitas").json()["instance_id"] == "pusat"
        unsigned = client.put(path, content=data, headers={"X-Siks-Instance": "kab-jember"})
        assert unsigned.status_code == 403 and "tanpa tanda tangan" in unsigned.json()["detail"]
        stranger = transport.headers("kab-lain", signing.load(kab.key), "PUT", path, data)
        refused = client.put(path, content=data, headers=stranger)
        assert refused.status_code == 403 and "belum disematkan" in refused.json()["detail"]
        forged = transport.headers("kab-jember", signing.load(pusat.key), "PUT", path, data)
        refused = client.put(path, content=data, headers=forged)
        assert refused.status_code == 403 and "tidak sah" in refused.json()["detail"]
        assert pusat.run(lambda s: s.scalar(select(func.count()).select_from(SyncUpload))) == 0
        signed = transport.headers("kab-jember", signing.load(kab.key), "PUT", path, data)
        answer = client.put(path, content=data, headers=signed).json()
        assert answer["selesai"] and answer["hasil"]["counts"]["diterapkan"] == len(kab.states())
    finally:
        engine.dispose()
    assert pusat.states() == kab.states()
