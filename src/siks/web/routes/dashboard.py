"""Dashboard per wilayah (charts as server-side SVG, CSV export) and the official PDF documents.

Charts are images served from here (`img-src 'self'` in the CSP), each with its numbers in a table under
it, so the page needs no script and the data stays readable without the picture.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siks.domain.masking import mask_nik, nik_for
from siks.domain.roles import VIEW_REGISTRY
from siks.errors import Invalid, NotFound
from siks.penetapan import service as penetapan
from siks.reports import charts, dashboard, pdf
from siks.scope import Scope, wilayah_label
from siks.usulan import batches
from siks.web.deps import CurrentUser, Db, require
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False, dependencies=[require(VIEW_REGISTRY)])
NAV = [NavItem("Dasbor", "/dasbor", VIEW_REGISTRY, order=40)]
PDF_ROWS = 20_000


def _series(db, user, scope, name: str):
    p = dashboard.latest_penetapan(db, user, scope)
    makers = {
        "desil": lambda: dashboard.by_desil(db, scope, p),
        "dtks": lambda: dashboard.dtks_over_time(db, user, scope),
        "program": lambda: dashboard.by_program(db, user, scope, p),
        "verval": lambda: dashboard.verval_progress(db, scope),
        "temuan": lambda: dashboard.findings_over_time(db, scope),
        "ppks": lambda: dashboard.ppks_by_kind(db, user, scope),
        "psks": lambda: dashboard.psks_by_kind(db, user, scope),
        "ppks_wilayah": lambda: dashboard.ppks_psks_by_area(db, user, scope),
        "batas_waktu": lambda: dashboard.deadlines(db, user, scope),
    }
    if name not in makers:
        raise NotFound()
    return makers[name]()


@router.get("/dasbor")
def page(request: Request, db: Db, user: CurrentUser, wilayah: str = ""):
    scope = dashboard.scope_for(user, wilayah or None)
    figs = dashboard.figures(db, user, scope)
    return render(
        request,
        "dashboard/index.html",
        {
            "figs": figs,
            "kinds": dashboard.kind_tables(db, user, scope),
            "wilayah": wilayah,
            "label": wilayah_label(scope.code),
            "scope_code": scope.code or "",
        },
    )


@router.get("/dasbor/grafik/{name}.svg")
def chart(name: str, db: Db, user: CurrentUser, wilayah: str = ""):
    scope = dashboard.scope_for(user, wilayah or None)
    return Response(charts.svg(name, _series(db, user, scope, name)), media_type="image/svg+xml")


@router.get("/dasbor/data.json")
def data_json(db: Db, user: CurrentUser, wilayah: str = ""):
    """The dashboard's numbers as JSON: every figure, and PPKS/PSKS by kind and wilayah."""
    scope = dashboard.scope_for(user, wilayah or None)
    figs = {
        name: {"judul": s.title, "kategori": s.labels, "seri": s.values, "catatan": s.note}
        for name, s in dashboard.figures(db, user, scope).items()
    }
    return {"wilayah": scope.code, "grafik": figs, **dashboard.kind_tables(db, user, scope)}


@router.get("/dasbor/ekspor.csv")
def export_csv(db: Db, user: CurrentUser, wilayah: str = ""):
    scope = dashboard.scope_for(user, wilayah or None)
    body = dashboard.to_csv(dashboard.figures(db, user, scope))
    name = f"dasbor-{(scope.code or 'nasional').replace('.', '')}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _pdf(body: bytes, name: str) -> Response:
    return Response(
        body, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@router.get("/penetapan/{penetapan_id}/daftar.pdf")
def daftar_pdf(penetapan_id: int, db: Db, user: CurrentUser, desa: str = ""):
    """The daftar penetapan (ruta in DTKS) within the user's wilayah, optionally one desa."""
    p = penetapan.get(db, user, penetapan_id)
    rows = penetapan.households(db, user, p, included=True, desa_code=desa or None, limit=PDF_ROWS + 1)
    if len(rows) > PDF_ROWS:
        raise Invalid(f"Lebih dari {PDF_ROWS} rumah tangga; pilih satu desa untuk dicetak.")
    members = penetapan.members_of(db, p, [h.household_ref for h in rows])
    where = wilayah_label(desa or Scope.of(user).code or p.wilayah_code)
    body = pdf.daftar_penetapan(p, rows, members, where, lambda nik: nik_for(user, nik))
    return _pdf(body, f"daftar-penetapan-{p.id}.pdf")


@router.get("/musdes/{batch_id}/berita-acara.pdf")
def berita_acara_pdf(batch_id: int, db: Db, user: CurrentUser):
    """The berita acara of a desa's Musdes batch, with its BNBA (NIK masked as for lists)."""
    batch, usulan = batches.batch_usulan(db, user, batch_id)
    body = pdf.berita_acara_musdes(batch, usulan, wilayah_label(batch.desa_code).split(",")[0], mask_nik)
    return _pdf(body, f"berita-acara-musdes-{batch.id}.pdf")
