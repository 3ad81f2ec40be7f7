"""Import in the browser: upload the template, watch the check, read the preview or the errors, confirm.

The page never writes on upload: the file is checked by the importer's dry run in the background, the
operator reads the preview (new, changed, unchanged; warnings) or the row errors, and only "Simpan ke
registri" writes it (siks.registry.web_import). Progress pages refresh themselves (no script: the CSP
allows none inline).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from siks.domain.instruments import DEFAULT_INSTRUMENT, INSTRUMENTS
from siks.domain.roles import IMPORT_REGISTRY
from siks.errors import Forbidden, ServiceError
from siks.registry import report, template_files, web_import
from siks.web.deps import CurrentUser, Db
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Impor berkas", "/impor", IMPORT_REGISTRY, order=15)]
SHOWN_ISSUES = 200  # the table shows the first ones; the report has them all
STAGE = {"menunggu": "Menunggu giliran", "membaca": "Membaca berkas", "memeriksa": "Memeriksa baris",
         "menulis": "Menyimpan ke registri"}  # fmt: skip


def _page(request: Request, db: Db, user, error: str | None = None, status_code: int = 200, instrument=None):
    context = {
        "uploads": web_import.listing(db, user),
        "instruments": INSTRUMENTS,
        "instrument": instrument or DEFAULT_INSTRUMENT,
        "error": error,
    }
    return render(request, "registry/import.html", context, status_code)


@router.get("/impor")
def import_form(request: Request, db: Db, user: CurrentUser):
    return _page(request, db, user)


@router.post("/impor")
async def import_upload(
    request: Request,
    db: Db,
    user: CurrentUser,
    instrumen: Annotated[str, Form()] = DEFAULT_INSTRUMENT,
    berkas: UploadFile | None = None,
):
    if not web_import.may_import(user):
        raise Forbidden()
    name = berkas.filename if berkas is not None else ""
    data = await berkas.read() if berkas is not None else b""  # the body limit bounds it (SIKS_MAX_BODY_MB)
    try:
        upload_id = web_import.upload(request.app.state.engine, user, name or "", data, instrumen)
    except ServiceError as e:
        return _page(request, db, user, e.message, e.status, instrumen)
    return RedirectResponse(f"/impor/{upload_id}", status_code=303)


@router.get("/impor/template.{fmt}")
def template_download(fmt: str, user: CurrentUser, instrumen: str = DEFAULT_INSTRUMENT):
    if fmt not in ("csv", "xlsx") or instrumen not in INSTRUMENTS:
        return Response("Format atau instrumen tidak dikenal.", status_code=404)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path, xlsx_path = template_files.write_template(Path(tmp), instrument=instrumen)
        path = csv_path if fmt == "csv" else xlsx_path
        body = path.read_bytes()
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{path.name}"'}
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/impor/{upload_id:int}")
def import_status(request: Request, upload_id: int, db: Db, user: CurrentUser):
    u = web_import.get(db, user, upload_id)
    stage = None
    if u.progress:
        name, done, total = u.progress
        stage = {"label": STAGE.get(name, name), "done": done, "total": total,
                 "percent": int(100 * done / total) if total else 0}  # fmt: skip
    context = {"u": u, "stage": stage, "shown": u.issues[:SHOWN_ISSUES], "limit": SHOWN_ISSUES,
               "mine": u.user_id == user.id, "rows": report.report_rows(u.issues[:SHOWN_ISSUES])}  # fmt: skip
    return render(request, "registry/import_status.html", context)


@router.post("/impor/{upload_id:int}/setujui")
def import_confirm(request: Request, upload_id: int, user: CurrentUser):
    web_import.confirm(request.app.state.engine, user, upload_id)
    return RedirectResponse(f"/impor/{upload_id}", status_code=303)


@router.post("/impor/{upload_id:int}/batal")
def import_cancel(request: Request, upload_id: int, user: CurrentUser):
    web_import.cancel(request.app.state.engine, user, upload_id)
    return RedirectResponse(f"/impor/{upload_id}", status_code=303)


@router.get("/impor/{upload_id:int}/laporan.{fmt}")
def import_report(upload_id: int, fmt: str, db: Db, user: CurrentUser):
    name, issues = web_import.issues_of(db, user, upload_id)
    stem = f"laporan_impor_{upload_id}"
    if fmt == "csv":
        body, media = report.report_csv(issues), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, media = report.report_xlsx(issues), XLSX
    else:
        return Response("Format laporan: csv atau xlsx.", status_code=404)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}
    )
