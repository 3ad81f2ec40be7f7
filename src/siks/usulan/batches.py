"""Desa batches: the usulan one Musdes agreed on, sent up together with the signed berita acara.

Why a batch: in SIKS-NG a desa must upload the Musdes berita acara and the BNBA list with its proposals
(docs/domain-facts.md §2.2). A draft usulan therefore goes up only inside a batch that has a berita acara;
submitting the batch freezes its BNBA list (the rows as they were sent) and takes `ajukan` on every draft in
it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.audit import register_entity_scope
from siks.domain import wilayah
from siks.domain.cells import safe_cell
from siks.domain.status import BatchStatus
from siks.domain.usulan import DRAFT_ROLES, Action, Status, Workflow
from siks.domain.usulan_kinds import KIND_LABEL, Kind
from siks.errors import Conflict, Forbidden, Invalid, NotFound
from siks.paging import Page, bounds
from siks.scope import Scope
from siks.store.base import utcnow
from siks.store.models.usulan import Usulan, UsulanBatch, UsulanDocument
from siks.usulan import documents
from siks.usulan.service import step

register_entity_scope("usulan_batch", lambda: select(UsulanBatch.id, UsulanBatch.desa_code))

BNBA_COLUMNS = ("no", "id_usulan", "nik", "nama", "alamat", "jenis", "status", "deskripsi")


def _require_operator(user) -> None:
    if user.role not in DRAFT_ROLES:
        raise Forbidden("Hanya operator desa yang menyusun dan mengajukan paket usulan.")


def get_batch(session: Session, user, batch_id: int) -> UsulanBatch:
    batch = session.get(UsulanBatch, batch_id)
    if batch is None:
        raise NotFound()
    Scope.of(user).check(batch.desa_code)
    return batch


def batch_usulan(session: Session, user, batch_id: int) -> tuple[UsulanBatch, list[Usulan]]:
    """A batch in the user's wilayah with its usulan in order (for the berita acara)."""
    batch = get_batch(session, user, batch_id)
    return batch, list(session.scalars(select(Usulan).where(Usulan.batch_id == batch.id).order_by(Usulan.id)))


def loose_drafts(session: Session, user, batch: UsulanBatch) -> list[Usulan]:
    """The desa's drafts in no batch yet, which a desa operator may add to this (draft) batch."""
    if batch.status != BatchStatus.DRAF or user.role not in DRAFT_ROLES:
        return []
    return list(
        session.scalars(
            select(Usulan)
            .where(
                Usulan.desa_code == batch.desa_code, Usulan.status == Status.DRAF, Usulan.batch_id.is_(None)
            )
            .order_by(Usulan.id)
        )
    )


def list_batches(session: Session, user, page: int = 1, per_page: int = 20) -> Page[UsulanBatch]:
    page, per_page, offset = bounds(page, per_page)
    stmt = select(UsulanBatch).where(Scope.of(user).where(UsulanBatch.desa_code))
    rows = session.scalars(stmt.order_by(UsulanBatch.id.desc()).offset(offset).limit(per_page + 1)).all()
    return Page.from_rows(list(rows), page, per_page)


def require_draft(batch: UsulanBatch) -> None:
    if batch.status != BatchStatus.DRAF:
        raise Invalid("Paket usulan ini sudah diajukan dan tidak dapat diubah.")


def create_batch(
    session: Session, user, title: str, musdes_date: dt.date | None, desa_code: str | None = None
) -> UsulanBatch:
    """Open a draft batch for the user's desa."""
    _require_operator(user)
    desa_code = wilayah.normalize(desa_code) if desa_code else user.wilayah_code
    Scope.of(user).check(desa_code)
    if not (title or "").strip():
        raise Invalid("Judul paket usulan wajib diisi (mis. 'Musdes Januari 2025').")
    if musdes_date and musdes_date > dt.date.today():
        raise Invalid("Tanggal Musdes tidak boleh di masa depan.")
    batch = UsulanBatch(
        desa_code=desa_code, title=title.strip(), musdes_date=musdes_date, created_by_id=user.id
    )
    session.add(batch)
    session.flush()
    return batch


def add_usulan(session: Session, user, batch_id: int, usulan_ids: list[int]) -> UsulanBatch:
    """Put drafts of the same desa into a draft batch (drafts from other channels included)."""
    _require_operator(user)
    batch = get_batch(session, user, batch_id)
    require_draft(batch)
    for uid in usulan_ids:
        u = session.get(Usulan, uid)
        if u is None or u.desa_code != batch.desa_code:
            raise NotFound()
        if u.status != Status.DRAF:
            raise Invalid(f"Usulan #{u.id} bukan draf.")
        u.batch_id = batch.id
    session.flush()
    return batch


def remove_usulan(session: Session, user, batch_id: int, usulan_id: int) -> UsulanBatch:
    _require_operator(user)
    batch = get_batch(session, user, batch_id)
    require_draft(batch)
    u = session.get(Usulan, usulan_id)
    if u is None or u.batch_id != batch.id:
        raise NotFound()
    u.batch_id = None
    session.flush()
    return batch


def attach_berita_acara(
    session: Session, user, batch_id: int, file_name: str, data: bytes, root: Path | None = None
) -> UsulanDocument:
    """Check (magic bytes, size), store by sha256 and link the Musdes berita acara to a draft batch."""
    _require_operator(user)
    batch = get_batch(session, user, batch_id)
    require_draft(batch)
    media_type, ext = documents.check(data)
    digest, rel = documents.store(data, ext, root)
    doc = UsulanDocument(
        kind="berita_acara", desa_code=batch.desa_code, sha256=digest, media_type=media_type, size=len(data),
        file_name=Path(file_name or f"berita_acara.{ext}").name[:200], storage_path=rel,
        uploaded_by_id=user.id,
    )  # fmt: skip
    session.add(doc)
    session.flush()
    batch.berita_acara_id = doc.id
    session.flush()
    return doc


def open_document(
    session: Session, user, document_id: int, root: Path | None = None
) -> tuple[Path, UsulanDocument]:
    """The file of a document in the user's scope (NotFound otherwise), after checking its hash."""
    doc = session.get(UsulanDocument, document_id)
    if doc is None:
        raise NotFound()
    Scope.of(user).check(doc.desa_code)
    return documents.resolve(doc.storage_path, root, doc.sha256), doc


def bnba_rows(usulan: list[Usulan]) -> list[dict]:
    """The by-name-by-address list (docs/domain-facts.md §2.3): one row per usulan."""
    return [
        {
            "no": i,
            "id_usulan": u.id,
            "nik": u.subject_nik or "",
            "nama": u.subject_name or "",
            "alamat": u.subject_address or "",
            "jenis": KIND_LABEL[Kind(u.kind)],
            "status": u.status,
            "deskripsi": u.description or "",
        }
        for i, u in enumerate(usulan, start=1)
    ]


def bnba_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=BNBA_COLUMNS)
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in r.items()} for r in rows)
    return buf.getvalue()


def submit_batch(
    session: Session, user, batch_id: int, version: int | None, workflow: Workflow | None = None
) -> UsulanBatch:
    """Send the batch up: needs a berita acara and a draft; `ajukan` on each draft; freezes the BNBA."""
    _require_operator(user)
    batch = get_batch(session, user, batch_id)
    if version is None or int(version) != batch.version:
        raise Conflict("Paket usulan telah diubah oleh pengguna lain. Muat ulang halaman lalu coba lagi.")
    require_draft(batch)
    if batch.berita_acara_id is None:
        raise Invalid("Unggah berita acara Musdes (PDF/JPEG/PNG) sebelum mengajukan paket usulan.")
    drafts = [u for u in batch.usulan if u.status == Status.DRAF]
    if not drafts:
        raise Invalid("Paket usulan belum berisi usulan.")
    for u in drafts:
        step(session, u, user, Action.AJUKAN.value, None, workflow, in_batch=True)
    batch.bnba = bnba_rows(drafts)
    batch.status, batch.submitted_at, batch.submitted_by_id = BatchStatus.DIAJUKAN, utcnow(), user.id
    session.flush()
    return batch
