"""Public pages, no login: cek status (`/cek`), usul, sanggah and tracking a submission.

The wilayah selects work without JavaScript: each level is a GET that reloads the page with the next
select filled. Searches and submissions are POSTs (names and NIKs stay out of URLs and logs). The ids of
the people shown in a search are kept in the signed session, encrypted (the cookie itself is readable), so a
sanggah can only name someone the reporter has just found, and neither the page nor the cookie carries an
id that could be walked.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Annotated

from cryptography.fernet import Fernet, InvalidToken
from fastapi import APIRouter, Form, Request, UploadFile

from siks.domain import wilayah
from siks.domain.usulan_kinds import NONAKTIF_REASONS
from siks.errors import NotFound, ServiceError
from siks.public import service, submissions
from siks.web.deps import Db, client_ip
from siks.web.templating import render

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

router = APIRouter(include_in_schema=False)
RESULTS_KEY = "cek_hasil"


def _chain(prov: str = "", kab: str = "", kec: str = "", desa: str = "") -> dict:
    """The chosen codes, valid and nested, and the options of each select."""
    deepest = desa or kec or kab
    if deepest and not prov:  # a link with only `desa=` (from a result page) fills in its parents
        return _chain(*_ancestors(deepest))
    chosen: dict[str, str] = {}
    for key, value, level in (("prov", prov, 1), ("kab", kab, 2), ("kec", kec, 3), ("desa", desa, 4)):
        parent = chosen.get({2: "prov", 3: "kab", 4: "kec"}.get(level, ""))
        try:
            code = wilayah.normalize(value) if value else ""
        except ValueError:
            code = ""
        if not code or wilayah.level(code) != level or (parent and not code.startswith(parent + ".")):
            break
        if level > 1 and not parent:
            break
        chosen[key] = code
    options = {"prov": service.wilayah_choices(None)}
    for key, child in (("prov", "kab"), ("kab", "kec"), ("kec", "desa")):
        if key in chosen:
            options[child] = service.wilayah_choices(chosen[key])
    return {"chosen": chosen, "options": options}


def _ancestors(code: str) -> list[str]:
    try:
        parts = wilayah.normalize(code).split(".")
    except ValueError:
        return []
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _page(request: Request, ctx: dict, status: int = 200):
    base = {"result": None, "error": None, "nama": "", "reasons": NONAKTIF_REASONS}
    return render(request, "public/cek.html", base | ctx, status_code=status)


@router.get("/cek")
def cek(request: Request, prov: str = "", kab: str = "", kec: str = "", desa: str = ""):
    return _page(request, _chain(prov, kab, kec, desa))


@router.post("/cek")
def cek_search(
    request: Request,
    db: Db,
    desa: Annotated[str, Form()] = "",
    nama: Annotated[str, Form()] = "",
):
    ctx = _chain(*_ancestors(desa)) if desa else _chain()
    ctx["nama"] = nama
    savepoint = db.begin_nested()
    try:
        result = service.search(db, desa, nama, client_ip(request))
    except ServiceError as e:
        savepoint.rollback()
        return _page(request, ctx | {"error": e.message}, e.status)
    savepoint.commit()
    request.session[RESULTS_KEY] = _seal(request, [f.member_id for f in result.items])
    request.session["cek_desa"] = ctx["chosen"].get("desa")
    return _page(request, ctx | {"result": result})


def _fernet(request: Request) -> Fernet:
    key = hashlib.sha256(f"{request.app.state.secret_key}|cek-hasil".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(request: Request, member_ids: list[int]) -> str:
    """The people found, encrypted: the session cookie is signed but readable; it carries no ids (#17.6)."""
    return _fernet(request).encrypt(json.dumps(member_ids).encode()).decode()


def _unseal(request: Request) -> list[int]:
    token = request.session.get(RESULTS_KEY)
    if not isinstance(token, str):
        return []
    try:
        return [int(i) for i in json.loads(_fernet(request).decrypt(token.encode()))]
    except (InvalidToken, ValueError, TypeError):
        return []


def _target(request: Request, n: int) -> int:
    found = _unseal(request)
    if not 0 <= n < len(found):
        raise NotFound("Cari dahulu nama yang akan disanggah melalui Cek Status.")
    return int(found[n])


@router.post("/cek/alasan/{n}")
def own_reasons(request: Request, n: int, db: Db, nik: Annotated[str, Form()] = ""):
    """The reasons with the person's own data, for whoever types that person's NIK (never shown back)."""
    member_id = _target(request, n)
    savepoint = db.begin_nested()
    try:
        nama, why = service.own_explanation(db, member_id, nik, client_ip(request))
    except ServiceError as e:
        if e.status == 429:
            savepoint.rollback()
        else:
            savepoint.commit()  # a wrong NIK still counts against the limit
        desa = request.session.get("cek_desa")
        nama = service.masked_name_of(db, member_id)
        ctx = {"n": n, "nama": nama, "why": None, "error": e.message, "desa": desa}
        return render(request, "public/alasan.html", ctx, e.status)
    savepoint.commit()
    ctx = {"n": n, "nama": nama, "why": why, "error": None, "desa": request.session.get("cek_desa")}
    return render(request, "public/alasan.html", ctx)


def _sanggah_ctx(db: Session, request: Request, n: int) -> dict:
    nama = service.masked_name_of(db, _target(request, n))
    return {"n": n, "nama": nama, "reasons": NONAKTIF_REASONS,
            "desa": request.session.get("cek_desa"), "error": None, "done": None, "values": {}}  # fmt: skip


@router.get("/cek/sanggah/{n}")
def sanggah_form(request: Request, n: int, db: Db):
    return render(request, "public/sanggah.html", _sanggah_ctx(db, request, n))


@router.post("/cek/sanggah/{n}")
async def sanggah_submit(
    request: Request,
    n: int,
    db: Db,
    pelapor: Annotated[str, Form()] = "",
    nik: Annotated[str, Form()] = "",
    alasan_kode: Annotated[str, Form()] = "",
    alasan: Annotated[str, Form()] = "",
    lat: Annotated[str, Form()] = "",
    lon: Annotated[str, Form()] = "",
    foto: UploadFile | None = None,
):
    ctx = _sanggah_ctx(db, request, n)
    ctx["values"] = {"pelapor": pelapor, "alasan_kode": alasan_kode, "alasan": alasan, "lat": lat, "lon": lon}
    data = await foto.read(submissions.MAX_PHOTO + 1) if foto is not None else b""
    form = submissions.SanggahForm(
        member_id=_target(request, n), reporter_desa=request.session.get("cek_desa") or "", pelapor=pelapor,
        pelapor_nik="".join(ch for ch in nik if ch.isdigit()), alasan_kode=alasan_kode, alasan=alasan,
        lat=lat, lon=lon, photo=data, photo_name=foto.filename if foto else "",
    )  # fmt: skip
    savepoint = db.begin_nested()
    try:
        row = submissions.sanggah(db, form, client_ip(request))
    except ServiceError as e:
        savepoint.rollback()
        return render(request, "public/sanggah.html", ctx | {"error": e.message}, status_code=e.status)
    savepoint.commit()
    return render(request, "public/terkirim.html", {"row": row, "days": submissions.SANGGAH_DAYS})


def _usul_ctx(values: dict) -> dict:
    chain = _chain(*_ancestors(values.get("desa", "")))
    return chain | {"values": values, "hubungan": submissions.HUBUNGAN, "error": None}


@router.get("/cek/usul")
def usul_form(request: Request, prov: str = "", kab: str = "", kec: str = "", desa: str = ""):
    ctx = _chain(prov, kab, kec, desa) | {"values": {}, "hubungan": submissions.HUBUNGAN, "error": None}
    return render(request, "public/usul.html", ctx)


@router.post("/cek/usul")
async def usul_submit(request: Request, db: Db):
    raw = await request.form()
    values = {k: str(v) for k, v in raw.items() if isinstance(v, str) and k != "csrf_token"}
    v = values.get
    form = submissions.UsulForm(
        desa_code=v("desa", ""), pelapor=v("pelapor", ""), hubungan=v("hubungan", ""), alasan=v("alasan", ""),
        alamat=v("alamat", ""), rt=v("rt", ""), rw=v("rw", ""), dusun=v("dusun", ""), kk_number=v("kk", ""),
        nama=v("nama", ""), nik=v("nik", ""), sex=v("sex", ""), tanggal_lahir=v("tanggal_lahir", ""),
        telepon=v("telepon", ""),
    )  # fmt: skip
    savepoint = db.begin_nested()
    try:
        row = submissions.usul(db, form, client_ip(request))
    except ServiceError as e:
        savepoint.rollback()
        return render(
            request, "public/usul.html", _usul_ctx(values) | {"error": e.message}, status_code=e.status
        )
    savepoint.commit()
    return render(request, "public/terkirim.html", {"row": row, "days": submissions.SANGGAH_DAYS})


@router.get("/cek/lacak")
def track_form(request: Request):
    return render(request, "public/lacak.html", {"kode": "", "result": None, "error": None})


@router.post("/cek/lacak")
def track_submit(request: Request, db: Db, kode: Annotated[str, Form()] = ""):
    savepoint = db.begin_nested()
    try:
        result = submissions.track(db, kode, client_ip(request))
    except ServiceError as e:
        if e.status == 404:  # an unknown code still counts, so codes cannot be guessed quickly
            savepoint.commit()
        else:
            savepoint.rollback()
        return render(
            request, "public/lacak.html", {"kode": kode, "result": None, "error": e.message}, e.status
        )
    savepoint.commit()
    return render(request, "public/lacak.html", {"kode": kode, "result": result, "error": None})
