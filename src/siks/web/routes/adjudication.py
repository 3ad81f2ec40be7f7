"""Ganda pages: the queue of possible duplicates, the side-by-side comparison, the decision."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from siks.adjudication import service
from siks.domain.masking import nik_for
from siks.domain.roles import VIEW_REGISTRY
from siks.web.deps import CurrentUser, Db
from siks.web.forms import Form, attempt
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Ganda", "/ganda", VIEW_REGISTRY, order=35, roles=service.VIEWER_ROLES)]


@router.get("/ganda")
def queue_page(request: Request, db: Db, user: CurrentUser, halaman: int = 1):
    page = service.queue(db, user, page=halaman)
    context = {
        "page": page,
        "nik_cases": service.nik_queue(db, user, per_page=50).items,
        "can_decide": user.role in service.DECIDER_ROLES,
        "nik": lambda n: nik_for(user, n),
    }
    return render(request, "adjudication/queue.html", context)


def _compare_context(db, user, finding_id: int, error: str | None = None, values: dict | None = None) -> dict:
    c = service.compare(db, user, finding_id)
    rows = [(a[0], a[1], b[1], d) for a, b, d in zip(c.a.fields, c.b.fields, c.differs, strict=True)]
    return {
        "c": c,
        "rows": rows,
        "error": error,
        "values": values or {},
        "can_decide": user.role in service.DECIDER_ROLES,
    }


@router.get("/ganda/{finding_id:int}")
def compare_page(request: Request, finding_id: int, db: Db, user: CurrentUser):
    return render(request, "adjudication/compare.html", _compare_context(db, user, finding_id))


@router.post("/ganda/{finding_id:int}")
def decide_submit(request: Request, finding_id: int, db: Db, user: CurrentUser, form: Form):
    choice = str(form.get("putusan") or "")
    note = str(form.get("catatan") or "").strip() or None
    drop = str(form.get("nonaktifkan") or "").strip() or None
    if choice not in ("sama", "beda"):
        context = _compare_context(
            db, user, finding_id, "Pilih: orang yang sama atau orang berbeda.", dict(form)
        )
        return render(request, "adjudication/compare.html", context, 422)
    result, error = attempt(db, service.decide, db, user, finding_id, choice == "sama", note, drop)
    if error is not None:
        db.expire_all()
        if error.status in (404, 409):
            return render(
                request, "error.html", {"status": error.status, "message": error.message}, error.status
            )
        context = _compare_context(db, user, finding_id, error.message, dict(form))
        return render(request, "adjudication/compare.html", context, error.status)
    _, usulan_id = result
    return RedirectResponse(f"/ganda?diputuskan={finding_id}&usulan={usulan_id or ''}", status_code=303)


@router.post("/ganda/nik/{case_id:int}")
def decide_nik_submit(request: Request, case_id: int, db: Db, user: CurrentUser, form: Form):
    """A NIK case of an usulan (#17.3): same person (the usulan closes) or different (back to the desa)."""
    choice = str(form.get("putusan") or "")
    note = str(form.get("catatan") or "").strip() or None
    if choice not in ("sama", "beda"):
        return render(
            request, "error.html", {"status": 422, "message": "Pilih: orang yang sama atau berbeda."}, 422
        )
    view, error = attempt(db, service.decide_nik, db, user, case_id, choice == "sama", note)
    if error is not None:
        return render(request, "error.html", {"status": error.status, "message": error.message}, error.status)
    return RedirectResponse(f"/ganda?nik_diputuskan={case_id}&usulan={view.usulan.id}", status_code=303)
