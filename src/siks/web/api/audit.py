"""The JSON API for the audit trail: a household's history, the scoped trail, and its CSV export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from siks import audit
from siks.registry import lookup
from siks.web.deps import CurrentUser, Db
from siks.web.routes.audit import csv_response, filters

router = APIRouter(prefix="/api/v1", tags=["audit"])


AuditOut = audit.EntryView  # the service's own view of an entry is the response shape


class AuditPageOut(BaseModel):
    page: int
    has_next: bool
    items: list[AuditOut]


@router.get("/households/{household_id}/audit", response_model=list[AuditOut])
def household_audit(household_id: int, db: Db, user: CurrentUser):
    return lookup.household_detail(db, user, household_id).audit


# --- the trail -------------------------------------------------------------------------------------------


def _trail_filters(
    entity: str | None = None,
    actor: str | None = None,
    since: Annotated[str | None, Query(description="TTTT-BB-HH")] = None,
    until: Annotated[str | None, Query(description="TTTT-BB-HH")] = None,
) -> dict:
    """The trail's query filters, shared by the list and its CSV export."""
    return filters(entity, actor, since, until)


TrailFilters = Annotated[dict, Depends(_trail_filters)]


@router.get("/audit", response_model=AuditPageOut)
def audit_list(db: Db, user: CurrentUser, f: TrailFilters, page: int = 1):
    """The audit trail of your wilayah, newest first (auditor, kabupaten roles and up)."""
    page_ = audit.search(db, user, page=page, **f)
    return AuditPageOut(page=page_.page, has_next=page_.has_next, items=page_.items)


@router.get("/audit.csv", response_class=Response)
def audit_csv(request: Request, user: CurrentUser, f: TrailFilters):
    """The same trail as CSV (streamed)."""
    return csv_response(request, user, lambda s: audit.export_csv(s, user, **f))
