"""Audit pages: the scoped trail with filters, and its CSV export (auditor and kabupaten roles and up)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from siks import audit
from siks.domain.roles import VIEW_AUDIT
from siks.errors import Invalid
from siks.web.deps import CurrentUser, Db
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Jejak audit", "/audit", VIEW_AUDIT, order=80)]


def parse_day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid("Tanggal harus berformat TTTT-BB-HH, mis. 2025-08-17.") from None


def filters(entitas: str | None, pengguna: str | None, dari: str | None, sampai: str | None) -> dict:
    return {
        "entity": (entitas or "").strip() or None,
        "actor_name": (pengguna or "").strip() or None,
        "since": parse_day(dari),
        "until": parse_day(sampai),
    }


def csv_response(request: Request, user, chunks_from) -> StreamingResponse:
    """Stream CSV from a session of its own: the request's session closes when the route returns."""
    session = request.app.state.session_factory()
    try:
        chunks = chunks_from(session)
    except Exception:
        session.close()
        raise

    def stream():
        try:
            yield "\ufeff"  # BOM: Excel then reads UTF-8 names correctly
            yield from chunks
        finally:
            session.close()

    stamp = dt.date.today().isoformat()
    return StreamingResponse(
        stream(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="jejak-audit-{stamp}.csv"'},
    )


@router.get("/audit")
def audit_page(
    request: Request,
    db: Db,
    user: CurrentUser,
    entitas: str | None = None,
    pengguna: str | None = None,
    dari: str | None = None,
    sampai: str | None = None,
    halaman: int = 1,
):
    f = filters(entitas, pengguna, dari, sampai)
    page = audit.search(db, user, page=halaman, **f)
    query = {"entitas": entitas or "", "pengguna": pengguna or "", "dari": dari or "", "sampai": sampai or ""}
    return render(request, "audit/list.html", {"page": page, "query": query})


@router.get("/audit/ekspor.csv")
def audit_export(
    request: Request,
    user: CurrentUser,
    entitas: str | None = None,
    pengguna: str | None = None,
    dari: str | None = None,
    sampai: str | None = None,
):
    f = filters(entitas, pengguna, dari, sampai)
    return csv_response(request, user, lambda s: audit.export_csv(s, user, **f))
