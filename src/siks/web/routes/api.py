"""The JSON API `/api/v1` for accounts, registry lookups and the audit trail: the same services as the pages.

Authentication is the same session cookie as the pages. A client first calls `GET /api/v1/session` to get
a CSRF token, sends it as `X-CSRF-Token` on every POST/PATCH/DELETE (including the login itself), and gets
a fresh one from the login response. Records outside the user's wilayah answer 404, like missing ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from siks import audit
from siks.accounts.roles import ROLES
from siks.accounts.scope import Scope
from siks.registry import lookup
from siks.web.deps import CurrentUser, Db, OptionalUser
from siks.web.routes import auth as auth_routes
from siks.web.routes.audit import csv_response, filters
from siks.web.security import csrf_token

router = APIRouter(prefix="/api/v1")


# --- models -----------------------------------------------------------------------------------------------


class UserOut(BaseModel):
    username: str
    role: str
    role_label: str
    wilayah_code: str | None
    wilayah: str
    permissions: list[str]


class SessionOut(BaseModel):
    authenticated: bool
    csrf_token: str
    user: UserOut | None = None


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class SearchIn(BaseModel):
    query: str = Field(
        description="16 digit = NIK (dan No. KK); selain itu nama (minimal 3 huruf)", max_length=100
    )
    page: int = Field(1, ge=1)
    per_page: int = Field(20, ge=1, le=100)


class SearchOut(BaseModel):
    kind: str
    page: int
    has_next: bool
    persons: list[lookup.PersonHit]
    families: list[lookup.FamilyHit]


class AddressIn(BaseModel):
    dusun: str | None = None
    rw: str | None = None
    rt: str | None = None
    alamat: str | None = None
    reason: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(None, description="versi yang dibaca; beda → 409")


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    before: dict | None
    after: dict | None
    reason: str | None


class AuditPageOut(BaseModel):
    page: int
    has_next: bool
    items: list[AuditOut]


def user_out(user) -> UserOut:
    role = ROLES[user.role]
    return UserOut(
        username=user.username,
        role=user.role,
        role_label=role.label,
        wilayah_code=user.wilayah_code,
        wilayah=Scope.of(user).label(),
        permissions=sorted(role.permissions),
    )


# --- session ----------------------------------------------------------------------------------------------


@router.get("/session", response_model=SessionOut, tags=["sesi"])
def session_info(request: Request, user: OptionalUser):
    """Who is logged in, and the CSRF token for the next POST/PATCH/DELETE."""
    return SessionOut(
        authenticated=user is not None, csrf_token=csrf_token(request), user=user_out(user) if user else None
    )


@router.post("/session", response_model=SessionOut, tags=["sesi"])
def session_login(request: Request, body: LoginIn):
    """Log in (rate-limited per username and per IP). Returns a new CSRF token."""
    user = auth_routes.login(request, body.username, body.password)
    return SessionOut(authenticated=True, csrf_token=request.session["csrf"], user=user_out(user))


@router.delete("/session", status_code=204, tags=["sesi"])
def session_logout(request: Request):
    auth_routes.logout(request)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut, tags=["sesi"])
def me(user: CurrentUser):
    return user_out(user)


# --- registry ---------------------------------------------------------------------------------------------


@router.post("/search", response_model=SearchOut, tags=["registri"])
def search(body: SearchIn, db: Db, user: CurrentUser):
    """Find people in your wilayah by NIK (exact) or name (contains, case-insensitive). POST keeps the
    NIK out of URLs and logs. Lists carry a masked NIK; the household endpoint has the full one."""
    result = lookup.search(db, user, body.query, page=body.page, per_page=body.per_page)
    return SearchOut(
        kind=result.kind,
        page=result.persons.page,
        has_next=result.persons.has_next,
        persons=result.persons.items,
        families=result.families,
    )


def _household_json(d: lookup.HouseholdDetail) -> dict:
    return {
        "id": d.id,
        "ref": d.ref,
        "version": d.version,
        "desa_code": d.desa_code,
        "wilayah": d.wilayah,
        "dusun": d.dusun,
        "rw": d.rw,
        "rt": d.rt,
        "alamat": d.alamat,
        "status": d.status,
        "status_reason": d.status_reason,
        "nik_masked": not d.full_nik,
        "families": [
            {
                "id": f.id,
                "ref": f.ref,
                "status": f.status,
                "kk_current": f.kk_current,
                "kk_history": [
                    {
                        "kk_number": k.kk_number,
                        "valid_from": k.valid_from,
                        "valid_to": k.valid_to,
                        "source": k.source,
                    }
                    for k in f.kk_history
                ],
                "members": [
                    {
                        "id": m.id,
                        "ref": m.ref,
                        "no_urut": m.no_urut,
                        "nama": m.nama,
                        "nik": m.nik,
                        "sex": m.sex,
                        "tempat_lahir": m.tempat_lahir,
                        "tanggal_lahir": m.tanggal_lahir,
                        "hubungan": m.hubungan,
                        "keberadaan": m.keberadaan,
                        "status_kawin": m.status_kawin,
                        "status": m.status,
                    }
                    for m in f.members
                ],
            }
            for f in d.families
        ],
        "assessments": [
            {
                "id": a.id,
                "instrument": a.instrument,
                "assessed_on": a.assessed_on,
                "assessed_by": a.assessed_by,
                "answers": a.answers,
            }
            for a in d.assessments
        ],
        "verval_run": d.verval_run,
        "findings": [
            {
                "code": f.code,
                "title": f.title,
                "level": f.level,
                "subject": f.subject,
                "explanation": f.explanation,
            }
            for f in d.findings
        ],
        "audit": [e.as_dict() for e in d.audit],
    }


@router.get("/households/{household_id}", tags=["registri"])
def household(household_id: int, db: Db, user: CurrentUser) -> dict:
    """One household in your wilayah: families (current and past KK), members, pendataan, verval findings,
    audit history. 404 when it does not exist or lies outside your wilayah."""
    return _household_json(lookup.household_detail(db, user, household_id))


@router.patch("/households/{household_id}", tags=["registri"])
def household_update(household_id: int, body: AddressIn, db: Db, user: CurrentUser) -> dict:
    """Correct dusun/RW/RT/alamat (operator roles). `reason` is required and goes into the audit trail."""
    changes = body.model_dump(exclude_unset=True, exclude={"reason", "version"})
    h = lookup.update_household_address(db, user, household_id, changes, body.reason, body.version)
    return {"id": h.id, "version": h.version, **{k: getattr(h, k) for k in lookup.ADDRESS_FIELDS}}


@router.get("/households/{household_id}/audit", response_model=list[AuditOut], tags=["audit"])
def household_audit(household_id: int, db: Db, user: CurrentUser):
    return [AuditOut(**e.as_dict()) for e in lookup.household_detail(db, user, household_id).audit]


# --- audit ------------------------------------------------------------------------------------------------


@router.get("/audit", response_model=AuditPageOut, tags=["audit"])
def audit_list(
    db: Db,
    user: CurrentUser,
    entity: str | None = None,
    actor: str | None = None,
    since: Annotated[str | None, Query(description="TTTT-BB-HH")] = None,
    until: Annotated[str | None, Query(description="TTTT-BB-HH")] = None,
    page: int = 1,
):
    """The audit trail of your wilayah, newest first (auditor, kabupaten roles and up)."""
    page_ = audit.search(db, user, page=page, **filters(entity, actor, since, until))
    return AuditPageOut(
        page=page_.page, has_next=page_.has_next, items=[AuditOut(**e.as_dict()) for e in page_.items]
    )


@router.get("/audit.csv", tags=["audit"], response_class=Response)
def audit_csv(
    request: Request,
    user: CurrentUser,
    entity: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
):
    """The same trail as CSV (streamed)."""
    f = filters(entity, actor, since, until)
    return csv_response(request, user, lambda s: audit.export_csv(s, user, **f))
