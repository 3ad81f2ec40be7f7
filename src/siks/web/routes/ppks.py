"""The PPKS/PSKS pages: `/ppks` (open PPKS by kind and wilayah, the PSKS in scope) and `/ppks/lks/{id}`
(an LKS and its residents). The JSON API is in `siks/web/api/ppks.py`."""

from __future__ import annotations

from fastapi import APIRouter, Request

from siks.domain import ppks as rules
from siks.domain.roles import VIEW_REGISTRY
from siks.ppks import service
from siks.web.deps import CurrentUser, Db
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("PPKS & PSKS", "/ppks", VIEW_REGISTRY, order=34)]


@router.get("/ppks")
def index(request: Request, db: Db, user: CurrentUser, tingkat: int = 3):
    rows = service.counts(db, user, level=tingkat if tingkat in (1, 2, 3, 4) else 3)
    areas = sorted({r.wilayah_code for r in rows})
    table = {code: {a: 0 for a in areas} for code in rules.PPKS_KINDS}
    for r in rows:
        table[r.jenis][r.wilayah_code] = r.count
    context = {
        "areas": areas,
        "table": table,
        "kinds": rules.PPKS_KINDS,
        "totals": {code: sum(v.values()) for code, v in table.items()},
        "psks": service.list_psks(db, user),
        "psks_counts": service.psks_counts(db, user),
        "psks_kinds": rules.PSKS_KINDS,
        "accreditation": rules.ACCREDITATION,
    }
    return render(request, "ppks/index.html", context)


@router.get("/ppks/lks/{psks_id:int}")
def lks_page(request: Request, psks_id: int, db: Db, user: CurrentUser):
    lks = service.get_psks(db, user, psks_id)
    residents = service.lks_residents(db, user, psks_id)
    regs = {p.id: service.registrations_of(db, user, "ppks", p.id, open_only=True) for p in residents}
    context = {
        "lks": lks,
        "residents": residents,
        "regs": regs,
        "kind_label": rules.kind_label,
        "psks_label": rules.psks_label,
        "places": rules.PLACES,
    }
    return render(request, "ppks/lks.html", context)
