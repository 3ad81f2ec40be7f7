"""The JSON API for ganda: the queue of possible duplicates, one comparison, the decision; and the NIK cases
of usulan (`/nik`)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from siks.adjudication import service
from siks.domain.masking import nik_for
from siks.web.deps import CurrentUser, Db

router = APIRouter(prefix="/api/v1/adjudication", tags=["ganda"])


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


@router.get("/queue", response_model=list[PairOut])
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


class NikCaseOut(BaseModel):
    case_id: int
    usulan_id: int
    usulan_status: str
    desa_code: str
    nik: str
    nama_usulan: str | None
    data_lain: str = Field(description="the record that already has the NIK: an active anggota or an usulan")


class NikDecisionIn(BaseModel):
    same_person: bool
    note: str | None = Field(None, max_length=2000)


def _nik_case(user, item: service.NikCase) -> NikCaseOut:
    return NikCaseOut(
        case_id=item.case.id,
        usulan_id=item.usulan.id,
        usulan_status=item.usulan.status,
        desa_code=item.case.desa_code,
        nik=nik_for(user, item.case.nik),
        nama_usulan=item.usulan.subject_name,
        data_lain=item.other_label,
    )


@router.get("/nik", response_model=list[NikCaseOut])
def nik_queue(db: Db, user: CurrentUser, page: int = 1, per_page: int = 20):
    """Usulan held because their NIK is already active or proposed (#17.3), oldest first."""
    return [_nik_case(user, i) for i in service.nik_queue(db, user, page=page, per_page=per_page).items]


@router.post("/nik/{case_id}", response_model=NikCaseOut)
def nik_decide(case_id: int, body: NikDecisionIn, db: Db, user: CurrentUser):
    """Same person (the usulan is closed) or different people (it goes back to the desa); audited."""
    return _nik_case(user, service.decide_nik(db, user, case_id, body.same_person, body.note))


@router.get("/{finding_id}", response_model=ComparisonOut)
def compare(finding_id: int, db: Db, user: CurrentUser):
    c = service.compare(db, user, finding_id)
    return ComparisonOut(
        finding_id=c.finding.id,
        weight=c.finding.weight,
        a=_record(user, c.a.member, c.a.household.desa_code),
        b=_record(user, c.b.member, c.b.household.desa_code),
        fields=[(a[0], a[1], b[1], d) for a, b, d in zip(c.a.fields, c.b.fields, c.differs, strict=True)],
    )


@router.post("/{finding_id}/decision", response_model=DecisionOut)
def decide(finding_id: int, body: DecisionIn, db: Db, user: CurrentUser):
    """Same or different person; written to `duplicate_decision` (read by the next verval run) and audited."""
    decision, usulan_id = service.decide(
        db, user, finding_id, body.same_person, body.note, body.drop_member_ref
    )
    return DecisionOut(decision_id=decision.id, same_person=decision.same_person, usulan_id=usulan_id)
