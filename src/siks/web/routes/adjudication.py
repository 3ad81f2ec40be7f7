"""Ganda pages: the queue of possible duplicates, the side-by-side comparison, the decision; plus the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from siks.accounts.masking import nik_for
from siks.accounts.roles import VIEW_REGISTRY
from siks.adjudication import service
from siks.web.deps import CurrentUser, Db
from siks.web.forms import Form, attempt
from siks.web.templating import NavItem, render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/adjudication", tags=["ganda"])
router = APIRouter()
NAV = [NavItem("Ganda", "/ganda", VIEW_REGISTRY, order=35, roles=service.VIEWER_ROLES)]


@pages.get("/ganda")
def queue_page(request: Request, db: Db, user: CurrentUser, halaman: int = 1):
    page = service.queue(db, user, page=halaman)
    context = {
        "page": page,
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


@pages.get("/ganda/{finding_id:int}")
def compare_page(request: Request, finding_id: int, db: Db, user: CurrentUser):
    return render(request, "adjudication/compare.html", _compare_context(db, user, finding_id))


@pages.post("/ganda/{finding_id:int}")
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


# --- API --------------------------------------------------------------------------------------------------


class RecordOut(BaseModel):
    member_id: int
    member_ref: str
    nama: str
    nik: str
    desa_code: str


class PairOut(BaseModel):
    finding_id: int
    weight: float | None
    a: RecordOut
    b: RecordOut


class ComparisonOut(PairOut):
    fields: list[tuple[str, str, str, bool]] = Field(description="(label, nilai A, nilai B, berbeda?)")


class DecisionIn(BaseModel):
    same_person: bool
    note: str | None = Field(None, max_length=2000)
    drop_member_ref: str | None = Field(None, description="bila sama: ART yang diusulkan nonaktif (ganda)")


class DecisionOut(BaseModel):
    decision_id: int
    same_person: bool
    usulan_id: int | None


def _record(user, member, desa_code) -> RecordOut:
    return RecordOut(
        member_id=member.id,
        member_ref=member.ref,
        nama=member.nama,
        nik=nik_for(user, member.nik),
        desa_code=desa_code,
    )


@api.get("/queue", response_model=list[PairOut])
def queue(db: Db, user: CurrentUser, page: int = 1, per_page: int = 20):
    """Undecided possible duplicates (both records in your wilayah), strongest first."""
    p = service.queue(db, user, page=page, per_page=per_page)
    return [
        PairOut(
            finding_id=i.finding_id,
            weight=i.weight,
            a=_record(user, i.a, i.desa_a),
            b=_record(user, i.b, i.desa_b),
        )
        for i in p.items
    ]


@api.get("/{finding_id}", response_model=ComparisonOut)
def compare(finding_id: int, db: Db, user: CurrentUser):
    c = service.compare(db, user, finding_id)
    return ComparisonOut(
        finding_id=c.finding.id,
        weight=c.finding.weight,
        a=_record(user, c.a.member, c.a.household.desa_code),
        b=_record(user, c.b.member, c.b.household.desa_code),
        fields=[(a[0], a[1], b[1], d) for a, b, d in zip(c.a.fields, c.b.fields, c.differs, strict=True)],
    )


@api.post("/{finding_id}/decision", response_model=DecisionOut)
def decide(finding_id: int, body: DecisionIn, db: Db, user: CurrentUser):
    """Same or different person; written to `duplicate_decision` (read by the next verval run) and audited."""
    decision, usulan_id = service.decide(
        db, user, finding_id, body.same_person, body.note, body.drop_member_ref
    )
    return DecisionOut(decision_id=decision.id, same_person=decision.same_person, usulan_id=usulan_id)


router.include_router(pages)
router.include_router(api)
