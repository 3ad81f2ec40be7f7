"""Penetapan pages: the list, making one, one penetapan with its ruta, a diff, and status as of a date.

Every read goes through `siks.penetapan.service`/`diff` with the user, so a desa operator sees their desa's
part of a kabupaten penetapan and nothing else. NIK look-ups are POSTs (a NIK in a URL ends up in logs).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from siks.domain import programs as rules
from siks.domain.eligibility import RuleError
from siks.domain.masking import sees_full_nik
from siks.domain.penetapan import REASONS, default_criteria
from siks.domain.ppks import PLACES, kind_label
from siks.domain.roles import VIEW_REGISTRY
from siks.errors import Forbidden, Invalid, NotFound, ServiceError
from siks.penetapan import diff as diffing
from siks.penetapan import service, simulation, sources
from siks.programs import export
from siks.programs import service as programs
from siks.programs import stored as stored_lists
from siks.web.deps import CurrentUser, Db
from siks.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("Penetapan", "/penetapan", VIEW_REGISTRY, order=30),
    NavItem("Program", "/program", VIEW_REGISTRY, order=31),
]
PER_PAGE = 50
DIFF_ROWS = 300


@router.get("/penetapan")
def index(request: Request, db: Db, user: CurrentUser):
    return render(
        request,
        "penetapan/list.html",
        {"items": service.listing(db, user), "can_create": service.can_create(user)},
    )


def _form(request, db, user, values: dict, error: str | None = None, status: int = 200):
    ctx = {"values": values, "error": error, "runs": service.run_choices(db), "default": default_criteria()}
    return render(request, "penetapan/new.html", ctx, status_code=status)


@router.get("/penetapan/baru")
def new_form(request: Request, db: Db, user: CurrentUser):
    if not service.can_create(user):
        raise Forbidden("Hanya supervisor/pengesah kabupaten atau pusat yang dapat membuat penetapan.")
    today = dt.date.today()
    periode = f"{today.year}-{today.month:02d}"
    values = {
        "judul": "",
        "periode": periode,
        "berlaku": f"{periode}-01",
        "wilayah": user.wilayah_code or "",
        "run": "",
        "desil_max": default_criteria().desil_max,
        "catatan": "",
    }
    return _form(request, db, user, values)


@router.post("/penetapan/baru")
async def create(
    request: Request,
    db: Db,
    user: CurrentUser,
    judul: Annotated[str, Form()] = "",
    periode: Annotated[str, Form()] = "",
    berlaku: Annotated[str, Form()] = "",
    wilayah: Annotated[str, Form()] = "",
    run: Annotated[str, Form()] = "",
    desil_max: Annotated[int, Form()] = 5,
    catatan: Annotated[str, Form()] = "",
    skor: UploadFile | None = None,
):
    values = {
        "judul": judul,
        "periode": periode,
        "berlaku": berlaku,
        "wilayah": wilayah,
        "run": run,
        "desil_max": desil_max,
        "catatan": catatan,
    }
    savepoint = db.begin_nested()
    try:
        try:
            start = dt.date.fromisoformat(berlaku) if berlaku else dt.date.fromisoformat(f"{periode}-01")
        except ValueError:
            raise Invalid("Tanggal berlaku tidak valid (TTTT-BB-HH).") from None
        if not 1 <= desil_max <= 10:
            raise Invalid("Batas desil harus 1–10.")
        scores = await _uploaded_scores(skor)
        p = service.create(
            db,
            user,
            title=judul,
            periode=periode,
            berlaku_mulai=start,
            wilayah_code=wilayah or None,
            criteria=replace(default_criteria(), desil_max=desil_max),
            scores=scores,
            verval_run_id=run or None,
            note=catatan or None,
        )
    except ServiceError as e:
        savepoint.rollback()
        return _form(request, db, user, values, e.message, e.status)
    savepoint.commit()
    return RedirectResponse(f"/penetapan/{p.id}", status_code=303)


async def _uploaded_scores(upload: UploadFile | None):
    """An optional desil file (CSV/Parquet) instead of the run's PMT output."""
    if upload is None or not upload.filename:
        return None
    suffix = ".parquet" if upload.filename.lower().endswith(".parquet") else ".csv"
    data = await upload.read()
    if not data or len(data) > 200 * 1024 * 1024:
        raise Invalid("Berkas skor kosong atau terlalu besar.")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"skor{suffix}"
        path.write_bytes(data)
        try:
            table = sources.read_scores(path, kind=f"unggahan:{upload.filename}")
        except Exception:
            raise Invalid("Berkas skor tidak dapat dibaca (CSV/Parquet dengan id_ruta dan desil).") from None
    table.source["path"] = upload.filename
    return table


@router.get("/penetapan/status")
def status_form(request: Request, user: CurrentUser):
    return render(
        request,
        "penetapan/status.html",
        {"nik": "", "tanggal": dt.date.today().isoformat(), "result": None, "error": None},
    )


@router.post("/penetapan/status")
def status_submit(
    request: Request,
    db: Db,
    user: CurrentUser,
    nik: Annotated[str, Form()] = "",
    tanggal: Annotated[str, Form()] = "",
):
    ctx = {"nik": nik, "tanggal": tanggal, "result": None, "error": None}
    try:
        on = dt.date.fromisoformat(tanggal) if tanggal else dt.date.today()
        ctx["result"] = service.status_as_of(db, nik, on, user)
    except ValueError:
        ctx["error"] = "Tanggal tidak valid (TTTT-BB-HH)."
    except ServiceError as e:
        ctx["error"] = e.message
    return render(request, "penetapan/status.html", ctx, status_code=422 if ctx["error"] else 200)


@router.get("/penetapan/{penetapan_id}")
def show(
    request: Request,
    penetapan_id: int,
    db: Db,
    user: CurrentUser,
    status: str = "dtks",
    desa: str = "",
    halaman: int = 1,
):
    p = service.get(db, user, penetapan_id)
    included = {"dtks": True, "keluar": False}.get(status)
    halaman = max(1, halaman)
    rows = service.households(
        db,
        user,
        p,
        included=included,
        desa_code=desa or None,
        limit=PER_PAGE + 1,
        offset=(halaman - 1) * PER_PAGE,
    )
    members = service.members_of(db, p, [h.household_ref for h in rows[:PER_PAGE]])
    others = [x for x in service.listing(db, user) if x.id != p.id]
    return render(
        request,
        "penetapan/detail.html",
        {
            "p": p,
            "rows": rows[:PER_PAGE],
            "members": members,
            "has_next": len(rows) > PER_PAGE,
            "halaman": halaman,
            "status": status,
            "desa": desa,
            "others": others,
            "reasons": REASONS,
            "usulan": service.usulan_of(db, p),
        },
    )


@router.get("/penetapan/{penetapan_id}/banding")
def compare(request: Request, penetapan_id: int, db: Db, user: CurrentUser, dengan: int | None = None):
    b = service.get(db, user, penetapan_id)
    if dengan is None:
        dengan = b.previous_id
    if dengan is None:
        raise Invalid("Belum ada penetapan sebelumnya untuk dibandingkan; pilih penetapan lain.")
    result = diffing.compare(db, user, dengan, b.id)
    return render(request, "penetapan/diff.html", {"c": result, "limit": DIFF_ROWS})


# -- programs over a penetapan ------------------------------------------------------------------------------

EXPORT_ROLES = frozenset({"operator_kabupaten", "supervisor_kabupaten", "operator_provinsi", "pusat"})


def _program(code: str):
    try:
        return rules.default_program(code)
    except RuleError as e:
        raise NotFound(str(e)) from None


@router.get("/program")
def program_page(
    request: Request,
    db: Db,
    user: CurrentUser,
    penetapan: int | None = None,
    program: str = "pkh",
    desa: str = "",
    halaman: int = 1,
):
    items = service.listing(db, user)
    if penetapan is None and items:
        penetapan = items[0].id
    ctx = {
        "items": items,
        "penetapan": penetapan,
        "program": program,
        "codes": rules.program_codes(),
        "desa": desa,
        "plist": None,
        "rows": [],
        "halaman": max(1, halaman),
        "has_next": False,
        "can_export": user.role in EXPORT_ROLES and sees_full_nik(user),
        "place_labels": PLACES,
        "kind_label": kind_label,
    }
    if penetapan is not None:
        # the stored list (computed at freeze, or now on first use), one page of it read
        start = (ctx["halaman"] - 1) * PER_PAGE
        plist = stored_lists.read(
            db, user, _program(program), penetapan, desa_code=desa or None, offset=start, limit=PER_PAGE
        )
        ctx.update(
            plist=plist,
            rows=plist.rows,
            has_next=plist.size > start + PER_PAGE,
            desil_warning=export.desil_warning(plist),
        )
    return render(request, "penetapan/program.html", ctx)


@router.get("/program/{code}/ekspor.{fmt}")
def program_export(code: str, fmt: str, db: Db, user: CurrentUser, penetapan: int):
    if user.role not in EXPORT_ROLES or not sees_full_nik(user):
        raise Forbidden(
            "Ekspor daftar program dengan NIK lengkap hanya untuk Dinas Sosial kabupaten ke atas."
        )
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    plist = stored_lists.read(db, user, _program(code), penetapan)
    name = f"{code}-penetapan-{penetapan}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(export.to_csv(plist), media_type="text/csv; charset=utf-8", headers=headers)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(export.to_xlsx(plist), media_type=xlsx, headers=headers)


def _pengurus_ctx(db, user, code: str, penetapan: int, keluarga: str) -> dict:
    prog = _program(code)
    fam = programs.family(db, user, penetapan, keluarga)
    recorded = programs.recorded_holders(db, prog.code, [keluarga]).get(keluarga)
    return {
        "prog": prog,
        "fam": fam,
        "penetapan": penetapan,
        "current": programs.pengurus_for(prog, fam, recorded),
        "candidates": programs.candidates(prog, fam),
        "can_change": user.role in programs.PENGURUS_ROLES,
        "error": None,
        "done": None,
    }


@router.get("/program/{code}/pengurus")
def pengurus_page(request: Request, code: str, db: Db, user: CurrentUser, penetapan: int, keluarga: str):
    return render(request, "penetapan/pengurus.html", _pengurus_ctx(db, user, code, penetapan, keluarga))


@router.post("/program/{code}/pengurus")
def pengurus_submit(
    request: Request,
    code: str,
    db: Db,
    user: CurrentUser,
    penetapan: Annotated[int, Form()],
    keluarga: Annotated[str, Form()],
    pengganti: Annotated[str, Form()] = "",
    alasan: Annotated[str, Form()] = "",
):
    savepoint = db.begin_nested()
    try:
        row = programs.replace_pengurus(db, user, _program(code), penetapan, keluarga, pengganti, alasan)
    except ServiceError as e:
        savepoint.rollback()
        ctx = _pengurus_ctx(db, user, code, penetapan, keluarga) | {"error": e.message}
        return render(request, "penetapan/pengurus.html", ctx, status_code=e.status)
    savepoint.commit()
    ctx = _pengurus_ctx(db, user, code, penetapan, keluarga) | {"done": row}
    return render(request, "penetapan/pengurus.html", ctx)


# -- simulation ----------------------------------------------------------------------------------------------


@router.get("/simulasi")
def simulation_form(request: Request, db: Db, user: CurrentUser):
    if user.role not in simulation.SIMULATE_ROLES:
        raise Forbidden("Simulasi kriteria untuk Dinas Sosial kabupaten/kota ke atas.")
    crit = default_criteria()
    values = {
        "judul": "Simulasi",
        "desil_max": crit.desil_max,
        "exclusions": [r.code for r in crit.exclusions],
        "max_komponen": 4,
        "umur_lansia": 70,
        "tingkat": 3,
        "run": "",
    }
    ctx = {
        "values": values,
        "criteria": crit,
        "sim": None,
        "error": None,
        "past": simulation.listing(db, user),
        "runs": service.run_choices(db),
    }
    return render(request, "penetapan/simulasi.html", ctx)


@router.post("/simulasi")
async def simulation_run(request: Request, db: Db, user: CurrentUser):
    form = await request.form()
    crit = default_criteria()
    chosen = set(form.getlist("exclusions"))

    def number(name: str, default: int | None) -> int | None:
        text = str(form.get(name) or "").strip()
        return int(text) if text.isdigit() else default

    values = {
        "judul": str(form.get("judul") or "Simulasi"),
        "desil_max": number("desil_max", crit.desil_max),
        "exclusions": sorted(chosen),
        "max_komponen": number("max_komponen", None),
        "umur_lansia": number("umur_lansia", 70),
        "tingkat": number("tingkat", 3),
        "run": str(form.get("run") or ""),
    }
    ctx = {
        "values": values,
        "criteria": crit,
        "sim": None,
        "kelompok_label": simulation.GROUPS,
        "error": None,
        "runs": service.run_choices(db),
    }
    savepoint = db.begin_nested()
    try:
        candidate = replace(
            crit,
            desil_max=values["desil_max"],
            exclusions=tuple(r for r in crit.exclusions if r.code in chosen),
        )
        if not 1 <= candidate.desil_max <= 10:
            raise Invalid("Batas desil harus 1–10.")
        pkh = rules.default_program(
            "pkh", {"max_komponen": values["max_komponen"], "umur_lansia": values["umur_lansia"]}
        )
        progs = [pkh, rules.default_program("bpnt"), rules.default_program("pbi_jk")]
        ctx["sim"] = simulation.simulate(
            db,
            user,
            candidate,
            title=values["judul"],
            programs=progs,
            level=values["tingkat"],
            verval_run_id=values["run"] or None,
        )
    except (ServiceError, RuleError) as e:
        savepoint.rollback()
        ctx["error"] = getattr(e, "message", str(e))
        ctx["past"] = simulation.listing(db, user)
        return render(request, "penetapan/simulasi.html", ctx, status_code=getattr(e, "status", 422))
    savepoint.commit()
    ctx["past"] = simulation.listing(db, user)
    return render(request, "penetapan/simulasi.html", ctx)


@router.get("/simulasi/{simulation_id}/keadilan.svg")
def simulation_fairness_chart(simulation_id: int, db: Db, user: CurrentUser):
    """Inclusion/exclusion error per kind of household (issue #18.5), as server-drawn SVG."""
    from siks.reports import charts, fairness

    sim = next((s for s in simulation.listing(db, user) if s.id == simulation_id), None)
    if sim is None:
        raise NotFound()
    return Response(charts.svg("keadilan", fairness.series(sim.totals)), media_type="image/svg+xml")


@router.get("/simulasi/{simulation_id}")
def simulation_show(request: Request, simulation_id: int, db: Db, user: CurrentUser):
    sim = next((s for s in simulation.listing(db, user) if s.id == simulation_id), None)
    if sim is None:
        raise NotFound()
    crit = default_criteria()
    values = {
        "judul": sim.title,
        "desil_max": sim.criteria.get("desil_max"),
        "exclusions": [r["code"] for r in sim.criteria.get("exclusions", [])],
        "max_komponen": 4,
        "umur_lansia": 70,
        "tingkat": 3,
        "run": "",
    }
    ctx = {
        "values": values,
        "criteria": crit,
        "sim": sim,
        "kelompok_label": simulation.GROUPS,
        "error": None,
        "past": simulation.listing(db, user),
        "runs": service.run_choices(db),
    }
    return render(request, "penetapan/simulasi.html", ctx)
