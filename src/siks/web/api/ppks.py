"""The JSON API of PPKS and PSKS under `/api/v1/ppks` and `/api/v1/psks`, over `siks.ppks.service`; the
pages are in `siks/web/routes/ppks.py`.

Bad input answers 422 with `issues` (code, field, message) so a client can show each rule that failed.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from siks.domain import ppks as rules
from siks.ppks import service
from siks.ppks.service import RecordInvalid
from siks.web.deps import CurrentUser, Db

router = APIRouter(prefix="/api/v1", tags=["PPKS dan PSKS"])


def invalid_response(exc: RecordInvalid) -> JSONResponse:
    issues = [{"code": i.code, "field": i.field, "message": i.message} for i in exc.issues]
    return JSONResponse({"detail": exc.message, "code": exc.code, "issues": issues}, status_code=422)


class PsksOut(BaseModel):
    id: int
    ref: str
    jenis: str
    jenis_label: str
    form: str
    nama: str
    wilayah_code: str
    alamat: str | None
    nomor_tanda_daftar: str | None
    akreditasi: str | None
    user_id: int | None
    status: str

    @classmethod
    def of(cls, p) -> PsksOut:
        return cls(
            id=p.id,
            ref=p.ref,
            jenis=p.jenis,
            jenis_label=rules.psks_label(p.jenis),
            form=p.form,
            nama=p.nama,
            wilayah_code=p.wilayah_code,
            alamat=p.alamat,
            nomor_tanda_daftar=p.nomor_tanda_daftar,
            akreditasi=p.akreditasi,
            user_id=p.user_id,
            status=p.status,
        )


class PersonOut(BaseModel):
    id: int
    ref: str
    nama: str
    sex: int
    tanggal_lahir: dt.date | None
    has_nik: bool
    lks_id: int | None
    tempat: str | None
    desa_code: str
    status: str

    @classmethod
    def of(cls, p) -> PersonOut:
        return cls(
            id=p.id,
            ref=p.ref,
            nama=p.nama,
            sex=p.sex,
            tanggal_lahir=p.tanggal_lahir,
            has_nik=p.nik is not None,
            lks_id=p.lks_id,
            tempat=p.tempat,
            desa_code=p.desa_code,
            status=p.status,
        )


class RegistrationOut(BaseModel):
    id: int
    jenis: str
    jenis_label: str
    desa_code: str
    recorded_on: dt.date
    recorded_by: str
    evidence: str
    ended_on: dt.date | None
    end_reason: str | None

    @classmethod
    def of(cls, r) -> RegistrationOut:
        return cls(
            id=r.id,
            jenis=r.jenis,
            jenis_label=rules.kind_label(r.jenis),
            desa_code=r.desa_code,
            recorded_on=r.recorded_on,
            recorded_by=r.recorded_by,
            evidence=r.evidence,
            ended_on=r.ended_on,
            end_reason=r.end_reason,
        )


class EndIn(BaseModel):
    alasan: str
    tanggal: dt.date | None = None


class LinkIn(BaseModel):
    username: str


class DeactivateIn(BaseModel):
    alasan: str


@router.get("/ppks/jenis")
def kinds() -> list[dict]:
    """The 26 PPKS kinds with their labels and the subjects each attaches to."""
    return [
        {"code": k.code, "label": k.label, "subjects": sorted(s.value for s in k.subjects)}
        for k in rules.PPKS_KINDS.values()
    ]


@router.get("/psks/jenis")
def psks_kinds() -> list[dict]:
    return [{"code": k.code, "label": k.label, "form": k.form.value} for k in rules.PSKS_KINDS.values()]


@router.post("/psks", status_code=201)
async def create_psks(request: Request, db: Db, user: CurrentUser):
    try:
        p = service.create_psks(db, user, await request.json())
    except RecordInvalid as exc:
        return invalid_response(exc)
    return JSONResponse(PsksOut.of(p).model_dump(mode="json"), status_code=201)


@router.get("/psks")
def list_psks(db: Db, user: CurrentUser, jenis: str | None = None) -> list[PsksOut]:
    return [PsksOut.of(p) for p in service.list_psks(db, user, jenis=jenis)]


@router.get("/psks/{psks_id:int}")
def get_psks(psks_id: int, db: Db, user: CurrentUser) -> PsksOut:
    return PsksOut.of(service.get_psks(db, user, psks_id))


@router.patch("/psks/{psks_id:int}")
async def update_psks(psks_id: int, request: Request, db: Db, user: CurrentUser):
    try:
        p = service.update_psks(db, user, psks_id, await request.json())
    except RecordInvalid as exc:
        return invalid_response(exc)
    return PsksOut.of(p).model_dump(mode="json")


@router.post("/psks/{psks_id:int}/nonaktif")
def deactivate_psks(psks_id: int, body: DeactivateIn, db: Db, user: CurrentUser) -> PsksOut:
    return PsksOut.of(service.deactivate_psks(db, user, psks_id, body.alasan))


@router.post("/psks/{psks_id:int}/akun")
def link_account(psks_id: int, body: LinkIn, db: Db, user: CurrentUser) -> PsksOut:
    return PsksOut.of(service.link_account(db, user, psks_id, body.username))


@router.get("/psks/{psks_id:int}/penghuni")
def residents(psks_id: int, db: Db, user: CurrentUser) -> list[PersonOut]:
    return [PersonOut.of(p) for p in service.lks_residents(db, user, psks_id)]


@router.post("/ppks/orang", status_code=201)
async def add_person(request: Request, db: Db, user: CurrentUser):
    try:
        p = service.add_person(db, user, await request.json())
    except RecordInvalid as exc:
        return invalid_response(exc)
    return JSONResponse(PersonOut.of(p).model_dump(mode="json"), status_code=201)


@router.get("/ppks/orang/{person_id:int}")
def get_person(person_id: int, db: Db, user: CurrentUser) -> PersonOut:
    return PersonOut.of(service.get_person(db, user, person_id))


@router.post("/ppks/kelompok", status_code=201)
async def add_kelompok(request: Request, db: Db, user: CurrentUser):
    try:
        k = service.add_kelompok(db, user, await request.json())
    except RecordInvalid as exc:
        return invalid_response(exc)
    return JSONResponse({"id": k.id, "ref": k.ref, "nama": k.nama, "desa_code": k.desa_code}, status_code=201)


@router.post("/ppks/{subject_type}/{subject_id:int}/jenis", status_code=201)
async def register(subject_type: str, subject_id: int, request: Request, db: Db, user: CurrentUser):
    """Record a PPKS kind for an `anggota`, a `ppks` person, a `keluarga` or a `kelompok`."""
    try:
        r = service.register(db, user, subject_type, subject_id, await request.json())
    except RecordInvalid as exc:
        return invalid_response(exc)
    return JSONResponse(RegistrationOut.of(r).model_dump(mode="json"), status_code=201)


@router.get("/ppks/{subject_type}/{subject_id:int}/jenis")
def registrations(subject_type: str, subject_id: int, db: Db, user: CurrentUser) -> list[RegistrationOut]:
    return [RegistrationOut.of(r) for r in service.registrations_of(db, user, subject_type, subject_id)]


@router.post("/ppks/pencatatan/{reg_id:int}/akhiri")
def end(reg_id: int, body: EndIn, db: Db, user: CurrentUser) -> RegistrationOut:
    return RegistrationOut.of(service.end_registration(db, user, reg_id, body.alasan, on=body.tanggal))


@router.get("/ppks/rekap")
def rekap(db: Db, user: CurrentUser, tingkat: int = 3) -> list[dict]:
    """Open PPKS registrations per kind and wilayah (tingkat 1 provinsi … 4 desa) in your scope."""
    return [
        {"jenis": c.jenis, "label": c.label, "wilayah": c.wilayah_code, "jumlah": c.count}
        for c in service.counts(db, user, level=tingkat)
    ]


@router.get("/ppks/penetapan/{penetapan_id:int}")
def penetapan_list(penetapan_id: int, db: Db, user: CurrentUser, jenis: str | None = None) -> list[dict]:
    """The PPKS list a penetapan froze (subjects with their open kinds), in your scope; NIK masked."""
    from siks.domain.masking import mask_nik
    from siks.domain.roles import VIEW_FULL_NIK, has_permission
    from siks.penetapan.ppks import listing

    full = has_permission(user.role, VIEW_FULL_NIK)
    return [
        {
            "subjek": r.subject,
            "ref": r.subject_ref,
            "nama": r.nama,
            "desa_code": r.desa_code,
            "lks_ref": r.lks_ref,
            "nik": r.nik if full or r.nik is None else mask_nik(r.nik),
            "jenis": r.jenis,
        }
        for r in listing(db, user, penetapan_id, jenis=jenis)
    ]
