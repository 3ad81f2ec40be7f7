"""The JSON API for the registry: search by NIK or name, one household, address corrections.

The same `siks.registry.lookup` calls as the pages. Records outside the user's wilayah answer 404, like
missing ones.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from siks.registry import lookup
from siks.web.deps import CurrentUser, Db

router = APIRouter(prefix="/api/v1", tags=["registri"])


class SearchIn(BaseModel):
    query: str = Field(
        description="16 digit = NIK (dan No. KK); selain itu nama (minimal 3 huruf)", max_length=100
    )
    page: int = Field(
        1, ge=1, description="nomor halaman hasil nama; hanya 1 — halaman berikutnya lewat `after`"
    )
    per_page: int = Field(20, ge=1, le=100)
    after: str | None = Field(
        None,
        max_length=2000,
        description="penanda `next` dari jawaban sebelumnya untuk query yang sama (pencarian nama); "
        "penanda yang rusak atau dari query lain → 400",
    )


class SearchOut(BaseModel):
    kind: str
    page: int
    has_next: bool
    next: str | None = Field(
        None, description="penanda halaman berikutnya: kirim sebagai `after`; null = habis"
    )
    persons: list[lookup.PersonHit]
    families: list[lookup.FamilyHit]


class AddressIn(BaseModel):
    dusun: str | None = None
    rw: str | None = None
    rt: str | None = None
    alamat: str | None = None
    reason: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(None, description="versi yang dibaca; beda → 409")


@router.post("/search", response_model=SearchOut)
def search(body: SearchIn, db: Db, user: CurrentUser):
    """Find people in your wilayah by NIK (exact) or name (contains, case-insensitive). POST keeps the
    NIK out of URLs and logs. Lists carry a masked NIK; the household endpoint has the full one. Name results
    page by cursor: send the answer's `next` as `after` with the same query."""
    result = lookup.search(db, user, body.query, page=body.page, per_page=body.per_page, after=body.after)
    return SearchOut(
        kind=result.kind,
        page=result.persons.page,
        has_next=result.persons.has_next,
        next=result.persons.next_cursor,
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


@router.get("/households/{household_id}")
def household(household_id: int, db: Db, user: CurrentUser) -> dict:
    """One household in your wilayah: families (current and past KK), members, pendataan, verval findings,
    audit history. 404 when it does not exist or lies outside your wilayah."""
    return _household_json(lookup.household_detail(db, user, household_id))


@router.patch("/households/{household_id}")
def household_update(household_id: int, body: AddressIn, db: Db, user: CurrentUser) -> dict:
    """Correct dusun/RW/RT/alamat (operator roles). `reason` is required and goes into the audit trail."""
    changes = body.model_dump(exclude_unset=True, exclude={"reason", "version"})
    h = lookup.update_household_address(db, user, household_id, changes, body.reason, body.version)
    return {"id": h.id, "version": h.version, **{k: getattr(h, k) for k in lookup.ADDRESS_FIELDS}}
