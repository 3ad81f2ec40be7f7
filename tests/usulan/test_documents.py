"""The Musdes berita acara: type by magic bytes, size limit, sha256 stored, never served out of scope."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from siks.errors import Invalid, NotFound
from siks.usulan import batches, documents, service
from siks.usulan.service import Target

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32


@pytest.mark.parametrize(
    ("data", "media_type"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
def test_accepted_types(data, media_type):
    assert documents.check(data)[0] == media_type


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a....",
        b"MZ\x90\x00 windows program",
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04 a zip or xlsx",
        b" %PDF- hidden after a space",
    ],
)
def test_refused_types(data):
    with pytest.raises(Invalid):
        documents.check(data)


def test_size_limit(monkeypatch):
    with pytest.raises(Invalid, match="terlalu besar"):
        documents.check(PDF + b"0" * 2000, max_bytes=1000)
    monkeypatch.setenv("SIKS_MAX_UPLOAD_MB", "0.001")
    with pytest.raises(Invalid):
        documents.check(PDF + b"0" * 2000)


def test_upload_stores_hash_and_file_once(wf_session, user, tmp_path):
    desa = user("desa")
    batch = batches.create_batch(wf_session, desa, "Musdes Juni", dt.date(2025, 6, 2))
    doc = batches.attach_berita_acara(wf_session, desa, batch.id, "../../etc/BA Musdes.pdf", PDF, tmp_path)
    digest = hashlib.sha256(PDF).hexdigest()
    assert (doc.sha256, doc.media_type, doc.size, doc.file_name) == (
        digest,
        "application/pdf",
        len(PDF),
        "BA Musdes.pdf",
    )
    path = tmp_path / doc.storage_path
    assert path.read_bytes() == PDF and path.name == f"{digest}.pdf"
    again = batches.attach_berita_acara(wf_session, desa, batch.id, "lagi.pdf", PDF, tmp_path)
    assert again.storage_path == doc.storage_path and batch.berita_acara_id == again.id
    assert len(list(tmp_path.rglob("*.pdf"))) == 1


def test_bad_upload_leaves_no_file(wf_session, user, tmp_path):
    desa = user("desa")
    batch = batches.create_batch(wf_session, desa, "Musdes Juni", None)
    with pytest.raises(Invalid):
        batches.attach_berita_acara(wf_session, desa, batch.id, "ba.pdf", b"not a pdf", tmp_path)
    assert list(tmp_path.rglob("*")) == [] and batch.berita_acara_id is None


def test_served_only_in_scope_and_checked(wf_session, user, tmp_path):
    desa = user("desa")
    batch = batches.create_batch(wf_session, desa, "Musdes Juni", None)
    doc = batches.attach_berita_acara(wf_session, desa, batch.id, "ba.pdf", PDF, tmp_path)
    for name in ("desa", "kec", "pengesah", "prov", "pusat", "auditor"):
        path, _ = batches.open_document(wf_session, user(name), doc.id, tmp_path)
        assert path.read_bytes() == PDF
    for name in ("desa_out", "kec_out", "pengesah_out", "prov_out"):
        with pytest.raises(NotFound):
            batches.open_document(wf_session, user(name), doc.id, tmp_path)
    (tmp_path / doc.storage_path).write_bytes(PDF + b"tampered")
    with pytest.raises(Invalid):
        batches.open_document(wf_session, desa, doc.id, tmp_path)


def test_batch_needs_berita_acara_and_freezes_bnba(wf_session, wf_seed, user, tmp_path):
    desa = user("desa")
    batch = batches.create_batch(wf_session, desa, "Musdes Juli", None)
    u = service.create(
        wf_session, desa, kind="nonaktif", subkind="mampu",
        target=Target("household", wf_seed.households["R2"]), payload={}, batch_id=batch.id,
    )  # fmt: skip
    with pytest.raises(Invalid, match="berita acara"):
        batches.submit_batch(wf_session, desa, batch.id, batch.version)
    batches.attach_berita_acara(wf_session, desa, batch.id, "ba.jpg", JPEG, tmp_path)
    batches.submit_batch(wf_session, desa, batch.id, batch.version)
    assert batch.status == "diajukan" and (u.status, u.level) == ("diajukan", "kecamatan")
    assert batch.bnba == [
        {"no": 1, "id_usulan": u.id, "nik": u.subject_nik, "nama": "Budi R2",
         "alamat": "Jl. Melati 9, RT 003/RW 001, Dusun Krajan", "jenis": "Nonaktif", "status": "diajukan",
         "deskripsi": "Nonaktif: Mampu"},
    ]  # fmt: skip
    assert (
        batches.bnba_csv(batch.bnba).splitlines()[0] == "no,id_usulan,nik,nama,alamat,jenis,status,deskripsi"
    )
    with pytest.raises(Invalid):  # a submitted batch is closed
        batches.attach_berita_acara(wf_session, desa, batch.id, "ba.pdf", PDF, tmp_path)


def test_empty_batch_and_stale_batch(wf_session, user, tmp_path):
    from siks.errors import Conflict

    desa = user("desa")
    batch = batches.create_batch(wf_session, desa, "Musdes", None)
    batches.attach_berita_acara(wf_session, desa, batch.id, "ba.png", PNG, tmp_path)
    with pytest.raises(Conflict):
        batches.submit_batch(wf_session, desa, batch.id, batch.version - 1)
    with pytest.raises(Invalid, match="belum berisi"):
        batches.submit_batch(wf_session, desa, batch.id, batch.version)


def test_batches_are_desa_operator_work(wf_session, user):
    from siks.errors import Forbidden

    with pytest.raises(Forbidden):
        batches.create_batch(wf_session, user("kec"), "x", None, "35.09.15.2001")
    with pytest.raises(NotFound):
        batches.create_batch(wf_session, user("desa"), "x", None, "35.09.15.2002")
