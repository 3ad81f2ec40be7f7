"""Registry pages: the search box, the household page, and the address correction form.

Searches are POSTs: a NIK or a name in a URL would end up in access logs, browser history and Referer
headers. Pagination buttons re-post the query with the page's cursor (`setelah`); "Sebelumnya" re-posts the
cursors of the pages before (`jejak`, a short stack kept in the form), so no page is found by an offset.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from siks.domain.roles import EDIT_REGISTRY, VIEW_REGISTRY, has_permission
from siks.errors import Conflict, Forbidden, Invalid
from siks.paging import BadCursor
from siks.registry import lookup
from siks.web.deps import CurrentUser, Db
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Cari", "/cari", VIEW_REGISTRY, order=10)]
log = logging.getLogger("siks.web.registry")


@router.get("/cari")
def search_form(request: Request, user: CurrentUser):
    return render(request, "registry/search.html", {"q": "", "result": None, "error": None})


@router.post("/cari")
def search_submit(
    request: Request,
    db: Db,
    user: CurrentUser,
    q: Annotated[str, Form()] = "",
    setelah: Annotated[str, Form(max_length=2000)] = "",
    jejak: Annotated[str, Form(max_length=200_000)] = "",
):
    trail = jejak.split() if setelah else []  # cursors that opened the pages before this one ("-" = page 1)
    try:
        result = lookup.search(db, user, q, after=setelah or None)
    except (Invalid, BadCursor) as e:
        return render(request, "registry/search.html", {"q": q, "result": None, "error": e.message}, e.status)
    log.info("pencarian %s oleh user id %s: %d hasil", result.kind, user.id, len(result.persons.items))
    back = trail[-1] if trail else None
    context = {
        "q": q,
        "result": result,
        "error": None,
        "prev_after": "" if back == "-" else back,  # None: no page before
        "prev_trail": " ".join(trail[:-1]),
        "next_trail": " ".join([*trail, setelah or "-"]),
    }
    return render(request, "registry/search.html", context)


@router.get("/ruta/{household_id}")
def household_page(request: Request, household_id: int, db: Db, user: CurrentUser):
    detail = lookup.household_detail(db, user, household_id)
    return render(
        request,
        "registry/household.html",
        {"h": detail, "can_edit": has_permission(user.role, EDIT_REGISTRY)},
    )


@router.get("/anggota/{member_id}")
def member_page(member_id: int, db: Db, user: CurrentUser):
    h = lookup.household_of_member(db, user, member_id)
    return RedirectResponse(f"/ruta/{h.id}#anggota-{member_id}", status_code=303)


@router.get("/ruta/{household_id}/ubah")
def address_form(request: Request, household_id: int, db: Db, user: CurrentUser):
    h = lookup.get_household(db, user, household_id)
    if not has_permission(user.role, EDIT_REGISTRY):
        raise Forbidden()
    values = {k: getattr(h, k) or "" for k in lookup.ADDRESS_FIELDS}
    return render(
        request, "registry/address_form.html", {"h": h, "values": values, "reason": "", "error": None}
    )


@router.post("/ruta/{household_id}/ubah")
def address_submit(
    request: Request,
    household_id: int,
    db: Db,
    user: CurrentUser,
    versi: Annotated[int, Form()],
    alasan: Annotated[str, Form()] = "",
    dusun: Annotated[str, Form()] = "",
    rw: Annotated[str, Form()] = "",
    rt: Annotated[str, Form()] = "",
    alamat: Annotated[str, Form()] = "",
):
    values = {"dusun": dusun, "rw": rw, "rt": rt, "alamat": alamat}
    try:
        lookup.update_household_address(db, user, household_id, values, alasan, expected_version=versi)
    except (Invalid, Conflict) as e:  # raised before anything changed: nothing to roll back
        h = lookup.get_household(db, user, household_id)
        context = {"h": h, "values": values, "reason": alasan, "error": e.message}
        return render(request, "registry/address_form.html", context, status_code=e.status)
    return RedirectResponse(f"/ruta/{household_id}?tersimpan=1", status_code=303)
