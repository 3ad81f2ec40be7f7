"""Import in the browser (issue #18): upload → check in the background → preview → confirm → write.

Why it looks like this:
- One importer. The check is `import_file(..., dry_run=True)`: every rule, the identity checks against the
  registry and the exact counts, inside a transaction that is rolled back. The confirmation runs the same
  `import_file` on the same bytes (kept in `web_import.content` until then), so what is written is what
  was previewed, all or nothing, and a file imported before is recognised by its sha256 as `siks import`
  recognises it.
- The uploader's wilayah is the importer's `scope`: a row of another desa, or a row that would change a
  ruta or keluarga recorded elsewhere, is an `OUT_OF_SCOPE` row error, named in the same report.
- Long files: checking and writing run in a thread; the page polls (a meta refresh, no script) and shows
  the rows checked so far. The numbers live in this process (`_progress`); with several server workers
  another worker shows "sedang diperiksa" without them until the outcome is stored.
- Audited: the upload, the outcome of the check, the confirmation or cancellation, and the outcome of the
  write (the importer adds its own entry for the import batch).
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from siks.audit import record_change, register_entity_scope
from siks.domain.instruments import DEFAULT_INSTRUMENT, INSTRUMENTS
from siks.domain.issues import Issue, SplitsIssues
from siks.domain.roles import IMPORT_REGISTRY, has_permission
from siks.domain.status import ImportStatus, UploadStatus
from siks.domain.template import RowIssue
from siks.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from siks.registry.importer import ImportResult, import_file
from siks.scope import Scope
from siks.store.db import transaction
from siks.store.models.registry import WebImport

log = logging.getLogger("siks.registry.web_import")

PART_ROWS = 10_000  # finer parts than `siks import`'s 100,000: the progress page moves on a long file
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet")
OPEN = (UploadStatus.MEMERIKSA, UploadStatus.MENULIS)
CANCELLABLE = (UploadStatus.SIAP, UploadStatus.DITOLAK, UploadStatus.SUDAH_DIMUAT, UploadStatus.TIDAK_BERUBAH)

_progress: dict[int, tuple[str, int, int]] = {}  # upload id → (stage, rows done, rows), this process
_jobs: dict[int, threading.Thread] = {}

register_entity_scope("web_import", lambda: select(WebImport.id, WebImport.scope_code))


@dataclass(frozen=True)
class UploadView(SplitsIssues):
    """What the pages show of an upload (never its bytes)."""

    id: int
    file_name: str
    actor: str
    user_id: int
    scope_code: str | None
    instrument: str
    status: UploadStatus
    rows: int | None
    summary: dict
    issues: list[Issue]
    import_batch_id: int | None
    created_at: object
    progress: tuple[str, int, int] | None

    @property
    def busy(self) -> bool:
        return self.status in OPEN

    @property
    def can_confirm(self) -> bool:
        return self.status == UploadStatus.SIAP


def may_import(user) -> bool:
    return has_permission(getattr(user, "role", ""), IMPORT_REGISTRY)


def _safe_name(name: str) -> str:
    """The uploaded file's own name (no folders), in plain characters; its suffix says XLSX or not."""
    base = Path((name or "").replace("\\", "/")).name.strip()
    base = re.sub(r"[^\w.\- ()]", "_", base)[:200]
    return base or "unggahan.csv"


# --- upload, confirm, cancel (they commit themselves: the background job reads what they wrote) --------


def upload(engine: Engine, user, file_name: str, data: bytes, instrument: str = DEFAULT_INSTRUMENT) -> int:
    """Keep the file and start its check; returns the upload's id."""
    if not may_import(user):
        raise Forbidden(
            "Impor berkas hanya untuk operator desa/kelurahan dan operator Dinas Sosial kabupaten."
        )
    if instrument not in INSTRUMENTS:
        raise Invalid(f"Instrumen '{instrument}' tidak dikenal; pilih {' atau '.join(INSTRUMENTS)}.")
    name = _safe_name(file_name)
    if not data:
        raise Invalid("Pilih berkas template (CSV, XLSX atau Parquet) yang akan diimpor; berkas kosong.")
    if not name.lower().endswith(SUFFIXES):
        raise Invalid(
            f"Berkas {name}: gunakan template CSV, XLSX atau Parquet (dari halaman ini atau `siks template`)."
        )
    digest = hashlib.sha256(data).hexdigest()
    scope = Scope.of(user).code
    with transaction(engine) as s:
        row = WebImport(
            user_id=user.id, actor=user.username, scope_code=scope, file_name=name, sha256=digest,
            size=len(data), instrument=instrument, content=data, status=UploadStatus.MEMERIKSA,
        )  # fmt: skip
        s.add(row)
        s.flush()
        after = {"file_name": name, "sha256": digest, "size": len(data), "instrument": instrument,
                 "wilayah": scope, "status": UploadStatus.MEMERIKSA}  # fmt: skip
        record_change(
            s, user, "web_import", row.id, None, after, f"unggah berkas impor {name}", action="unggah"
        )
        upload_id = row.id
    _start(engine, upload_id, _check)
    return upload_id


def confirm(engine: Engine, user, upload_id: int) -> None:
    """Write a previewed file (the uploader confirms what the preview showed)."""
    with transaction(engine) as s:
        row = _own(s, user, upload_id)
        if row.status != UploadStatus.SIAP:
            raise Conflict(
                "Berkas ini tidak menunggu persetujuan (sudah disimpan, dibatalkan, atau ada galat)."
            )
        row.status = UploadStatus.MENULIS
        record_change(
            s, user, "web_import", row.id, {"status": UploadStatus.SIAP}, {"status": UploadStatus.MENULIS},
            f"setujui impor berkas {row.file_name}", action="setujui",
        )  # fmt: skip
    _start(engine, upload_id, _write)


def cancel(engine: Engine, user, upload_id: int) -> None:
    """Drop an upload that was not written; its bytes are deleted."""
    with transaction(engine) as s:
        row = _own(s, user, upload_id)
        if row.status not in CANCELLABLE:
            raise Conflict("Berkas ini tidak dapat dibatalkan lagi.")
        before = row.status
        row.status, row.content = UploadStatus.DIBATALKAN, None
        record_change(
            s, user, "web_import", row.id, {"status": before}, {"status": UploadStatus.DIBATALKAN},
            f"batalkan impor berkas {row.file_name}", action="batal",
        )  # fmt: skip


def _own(s: Session, user, upload_id: int) -> WebImport:
    """Only the uploader confirms or cancels; anyone else is told it does not exist."""
    row = s.get(WebImport, upload_id, with_for_update=True)
    if row is None or row.user_id != user.id or not may_import(user):
        raise NotFound()
    return row


# --- reading --------------------------------------------------------------------------------------------


def get(session: Session, user, upload_id: int) -> UploadView:
    """One upload: its uploader's, or one inside the wilayah of another importing user."""
    row = session.get(WebImport, upload_id)
    if row is None or not may_import(user):
        raise NotFound()
    if row.user_id != user.id:
        Scope.of(user).check(row.scope_code)
    return _view(row)


def listing(session: Session, user, limit: int = 20) -> list[UploadView]:
    """The latest uploads in the user's wilayah (their own and their colleagues')."""
    if not may_import(user):
        raise Forbidden()
    scope = Scope.of(user)
    rows = session.scalars(
        select(WebImport)
        .where(or_(WebImport.user_id == user.id, scope.where(WebImport.scope_code)))
        .order_by(WebImport.id.desc())
        .limit(limit)
    )
    return [_view(r, with_issues=False) for r in rows]


def issues_of(session: Session, user, upload_id: int) -> tuple[str, list[Issue]]:
    """(file name, every issue) for the downloadable report."""
    v = get(session, user, upload_id)
    return v.file_name, v.issues


def wait(upload_id: int, timeout: float | None = None) -> None:
    """Until the background job of this upload (if any, in this process) ends (tests, `siks serve` stop)."""
    job = _jobs.get(upload_id)
    if job is not None:
        job.join(timeout)


def _view(row: WebImport, with_issues: bool = True) -> UploadView:
    issues = [_issue(d) for d in row.issues or []] if with_issues else []
    return UploadView(
        row.id, row.file_name, row.actor, row.user_id, row.scope_code, row.instrument,
        UploadStatus(row.status), row.rows, dict(row.summary or {}), issues, row.import_batch_id,
        row.created_at, _progress.get(row.id) if row.status in OPEN else None,
    )  # fmt: skip


def _issue(d: dict) -> Issue:
    rows = tuple(d.get("rows") or ())
    return RowIssue(
        d["code"], d["message"], d.get("field"), d.get("value"), d.get("severity", "error"), rows=rows
    )


def _stored(issues: list[Issue]) -> list[dict]:
    return [
        {
            "code": i.code,
            "message": i.message,
            "field": i.field,
            "value": i.value,
            "severity": i.severity,
            "rows": list(getattr(i, "rows", ()) or ()),
        }  # fmt: skip
        for i in issues
    ]


# --- the background jobs --------------------------------------------------------------------------------


BUSY_WAIT = 300  # seconds a background job waits for another import (the CLI refuses at once by default)


def _start(engine: Engine, upload_id: int, job) -> None:
    _progress[upload_id] = ("menunggu", 0, 0)
    thread = threading.Thread(
        target=_run, args=(engine, upload_id, job), name=f"impor-{upload_id}", daemon=True
    )
    _jobs[upload_id] = thread
    thread.start()


def _run(engine: Engine, upload_id: int, job) -> None:
    try:
        job(engine, upload_id)
    except Exception as exc:  # noqa: BLE001 - stored as the outcome; the page says it failed
        log.exception("impor berkas %s gagal", upload_id)
        with transaction(engine) as s:
            row = s.get(WebImport, upload_id)
            before = row.status
            row.status = UploadStatus.GAGAL
            told = exc.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
            row.summary = {**(row.summary or {}), "galat": told[:500]}
            record_change(s, row.actor, "web_import", row.id, {"status": before}, {"status": row.status},
                          "impor berkas gagal", action="gagal")  # fmt: skip
    finally:
        _progress.pop(upload_id, None)
        _jobs.pop(upload_id, None)  # finished: `wait` returns at once


def _import(engine: Engine, upload_id: int, dry_run: bool) -> tuple[WebImport, ImportResult]:
    with transaction(engine) as s:
        row = s.get(WebImport, upload_id)
        s.expunge(row)

    def report(stage: str, done: int, total: int) -> None:
        _progress[upload_id] = (stage, done, total)

    with tempfile.TemporaryDirectory(prefix="siks-impor-") as tmp:
        path = Path(tmp) / row.file_name
        path.write_bytes(row.content or b"")
        result = import_file(
            engine, path, row.actor, instrument=row.instrument, scope=row.scope_code, dry_run=dry_run,
            progress=report, part_rows=PART_ROWS, wait=BUSY_WAIT,
        )  # fmt: skip
    return row, result


def _summary(result: ImportResult) -> dict:
    return {
        "status_impor": str(result.status),
        "baris": result.rows,
        "baru": result.inserted,
        "berubah": result.updated,
        "tetap": result.unchanged,
        "galat": len(result.errors),
        "peringatan": len(result.warnings),
        "per_tabel": result.counts,
        "impor_sebelumnya": result.previous_batch_id,
    }


CHECKED = {
    ImportStatus.DIMUAT: UploadStatus.SIAP,
    ImportStatus.TIDAK_BERUBAH: UploadStatus.TIDAK_BERUBAH,
    ImportStatus.SUDAH_DIMUAT: UploadStatus.SUDAH_DIMUAT,
    ImportStatus.DITOLAK: UploadStatus.DITOLAK,
}
WRITTEN = {**CHECKED, ImportStatus.DIMUAT: UploadStatus.DIMUAT}


def _check(engine: Engine, upload_id: int) -> None:
    row, result = _import(engine, upload_id, dry_run=True)
    _finish(
        engine,
        upload_id,
        result,
        CHECKED[result.status],
        "periksa",
        f"hasil pemeriksaan berkas {row.file_name}",
    )


def _write(engine: Engine, upload_id: int) -> None:
    row, result = _import(engine, upload_id, dry_run=False)
    _finish(engine, upload_id, result, WRITTEN[result.status], "impor", f"hasil impor berkas {row.file_name}")


def _finish(
    engine: Engine, upload_id: int, result: ImportResult, status: UploadStatus, action, reason
) -> None:
    with transaction(engine) as s:
        row = s.get(WebImport, upload_id)
        before = row.status
        row.status, row.rows = status, result.rows
        row.summary, row.issues = _summary(result), _stored(result.issues)
        if result.batch_id:
            row.import_batch_id = result.batch_id
        if (
            status in (UploadStatus.DIMUAT, UploadStatus.TIDAK_BERUBAH, UploadStatus.SUDAH_DIMUAT)
            and action == "impor"
        ):
            row.content = None  # written (or nothing to write): the bytes are not kept longer than needed
        after = {"status": status, "baris": result.rows, "galat": len(result.errors),
                 "peringatan": len(result.warnings), "import_batch_id": result.batch_id}  # fmt: skip
        record_change(s, row.actor, "web_import", row.id, {"status": before}, after, reason, action=action)
