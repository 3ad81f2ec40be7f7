"""Verval lapangan pages: the enumerator's phone list and visit form, assignment, and progress.

The enumerator's pages are built for a phone: one column, big targets, no JavaScript. Visits send back the
task version, so a visit recorded twice (two tabs, a retry) is a conflict rather than a second record.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from siks.domain import wilayah
from siks.domain.fieldwork import HOUSEHOLD_RESULTS, KEBERADAAN
from siks.domain.roles import VIEW_REGISTRY
from siks.domain.status import LABEL, TaskStatus
from siks.errors import Forbidden
from siks.fieldwork import service
from siks.scope import Scope
from siks.web.deps import CurrentUser, Db
from siks.web.forms import Form, attempt, int_or
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("Verval lapangan", "/verval-lapangan", VIEW_REGISTRY, order=30,
            roles=service.VIEWER_ROLES | {"enumerator"}),
]  # fmt: skip


@router.get("/verval-lapangan")
def home(request: Request, db: Db, user: CurrentUser, status: str = TaskStatus.DITUGASKAN):
    """Enumerators see their list; assigners and supervisors see progress."""
    if user.role == "enumerator":
        rows = service.my_tasks(db, user, status if status in tuple(TaskStatus) else TaskStatus.DITUGASKAN)
        context = {"rows": rows, "status": status, "labels": LABEL, "results": HOUSEHOLD_RESULTS}
        return render(request, "fieldwork/tasks.html", context)
    if user.role not in service.VIEWER_ROLES:
        raise Forbidden("Verval lapangan dikerjakan enumerator dan diawasi kecamatan/kabupaten.")
    progress = service.progress(db, user)
    context = {"progress": progress, "can_assign": user.role in service.ASSIGNER_ROLES}
    return render(request, "fieldwork/progress.html", context)


def _visit_context(db, user, task_id: int, values: dict | None = None, error: str | None = None) -> dict:
    form = service.visit_form(db, user, task_id)
    return form | {
        "results": HOUSEHOLD_RESULTS,
        "keberadaan": KEBERADAAN,
        "values": values or {},
        "error": error,
        "is_mine": form["task"].enumerator_id == user.id,
        "member_names": {m.id: m.nama for f in form["household"].families for m in f.members},
        "today": dt.date.today().isoformat(),
    }


@router.get("/verval-lapangan/tugas/{task_id:int}")
def visit_page(request: Request, task_id: int, db: Db, user: CurrentUser):
    return render(request, "fieldwork/visit.html", _visit_context(db, user, task_id))


def visit_from_form(form: FormData, member_ids: list[int], household_keys, member_keys) -> dict:
    """Form fields → the arguments of `service.record_visit`."""
    keberadaan = {mid: int_or(form.get(f"keberadaan_{mid}")) for mid in member_ids}
    keberadaan = {mid: code for mid, code in keberadaan.items() if code is not None}
    answers = {key: form.get(f"j_{key}") for key in household_keys}
    member_answers = {mid: {key: form.get(f"a_{mid}_{key}") for key in member_keys} for mid in member_ids}
    try:
        visited = dt.date.fromisoformat(str(form.get("tanggal"))) if form.get("tanggal") else None
    except ValueError:
        visited = None
    return {
        "result": int_or(form.get("hasil"), 0),
        "keberadaan": keberadaan,
        "answers": answers,
        "member_answers": member_answers,
        "visited_on": visited,
        "note": str(form.get("catatan") or "").strip() or None,
    }


@router.post("/verval-lapangan/tugas/{task_id:int}")
def visit_submit(request: Request, task_id: int, db: Db, user: CurrentUser, form: Form):
    ctx = service.visit_form(db, user, task_id)
    args = visit_from_form(
        form,
        [m.id for m in ctx["members"]],
        [f.key for f in ctx["household_fields"]],
        [f.key for f in ctx["member_fields"]],
    )
    result, error = attempt(db, service.record_visit, db, user, task_id, int_or(form.get("versi")), **args)
    if error is not None:
        db.expire_all()
        context = _visit_context(db, user, task_id, dict(form), error.message)
        return render(request, "fieldwork/visit.html", context, error.status)
    return RedirectResponse(f"/verval-lapangan?tersimpan={task_id}&usulan={len(result.usulan_ids)}", 303)


def _desa_choices(user) -> list:
    scope = Scope.of(user)
    if scope.code is None or wilayah.level(scope.code) < 2:
        return []  # national/provincial users type the code
    return wilayah.desa_in(scope.code)


@router.get("/verval-lapangan/penugasan")
def assign_page(request: Request, db: Db, user: CurrentUser):
    if user.role not in service.ASSIGNER_ROLES:
        raise Forbidden("Penugasan dilakukan operator kecamatan atau kabupaten.")
    context = {
        "desa": _desa_choices(user),
        "enumerators": service.enumerators(db, user),
        "values": {},
        "error": None,
    }
    return render(request, "fieldwork/assign.html", context)


@router.post("/verval-lapangan/penugasan")
def assign_submit(request: Request, db: Db, user: CurrentUser, form: Form):
    values = {k: str(form.get(k) or "").strip() for k in ("enumerator", "desa", "dusun", "rw", "rt")}
    result, error = attempt(
        db,
        service.assign,
        db,
        user,
        int_or(values["enumerator"], 0),
        values["desa"] or "-",
        dusun=values["dusun"] or None,
        rw=values["rw"] or None,
        rt=values["rt"] or None,
    )
    context = {"desa": _desa_choices(user), "enumerators": service.enumerators(db, user), "values": values}
    if error is not None:
        return render(request, "fieldwork/assign.html", context | {"error": error.message}, error.status)
    return render(request, "fieldwork/assign.html", context | {"error": None, "result": result})
