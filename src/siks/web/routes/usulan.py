"""Usulan pages: the queue, one usulan with its steps, drafting, and the desa batch with its berita acara.

Every change goes through `siks.usulan.service`/`batches` inside a savepoint: when the service refuses, the
savepoint is rolled back and the page is shown again with the message and the right status code. Forms
send back the version they showed, so a second approver acting on a stale page gets a conflict.
The JSON API for the same actions is in `siks/web/api/usulan.py`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from siks.dci import crvs
from siks.domain import ppks as ppks_rules
from siks.domain import wilayah
from siks.domain.instruments import regsosek2022
from siks.domain.roles import VIEW_REGISTRY
from siks.domain.status import BatchStatus
from siks.domain.usulan import ACTION_LABEL, DRAFT_ROLES, FORWARD, SLA_DAYS, Status, can_edit
from siks.domain.usulan_kinds import (
    MEMBER_FIELDS,
    PPKS_PERSON_FIELDS,
    PPKS_SUBKINDS,
    PSKS_FIELDS,
    SUBKINDS,
    TARGETS,
    Kind,
)
from siks.ppks import service as ppks_service
from siks.registry import lookup
from siks.scope import Scope
from siks.usulan import batches, config, present, service, sla
from siks.usulan.service import Target
from siks.web.deps import CurrentUser, Db
from siks.web.forms import Form, attempt, int_or
from siks.web.templating import NavItem, render

if TYPE_CHECKING:  # annotations only: the pages reach the data through the services
    from sqlalchemy.orm import Session

    from siks.store.models.registry import Household
    from siks.store.models.usulan import Usulan, UsulanBatch

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Usulan", "/usulan", VIEW_REGISTRY, order=20)]
MAX_NEW_MEMBERS = 8
CODES = {
    "sex": dict(regsosek2022.JENIS_KELAMIN.codes),
    "status_kawin": dict(regsosek2022.STATUS_KAWIN.codes),
    "hubungan_kk": dict(regsosek2022.HUBUNGAN_KK.codes),
    # PPKS and PSKS usulan (docs/ppks-psks.md)
    "ppks_jenis": {code: k.label for code, k in ppks_rules.PPKS_KINDS.items()},
    "ppks_orang_jenis": {
        code: k.label
        for code, k in ppks_rules.PPKS_KINDS.items()
        if ppks_rules.Subject.PERSEORANGAN in k.subjects
    },
    "psks_jenis": {code: k.label for code, k in ppks_rules.PSKS_KINDS.items()},
    "tempat": ppks_rules.PLACES,
    "akhir": ppks_rules.END_REASONS,
    "akreditasi": ppks_rules.ACCREDITATION,
}
PPKS_TARGETS = frozenset(service.PPKS_MODELS)


# --- list -------------------------------------------------------------------------------------------------


@router.get("/usulan")
def list_page(
    request: Request,
    db: Db,
    user: CurrentUser,
    tampil: str = "",
    status: str = "",
    jenis: str = "",
    terlambat: str = "",
    halaman: int = 1,
):
    wf = config.workflow()
    to_act = tampil != "semua" and user.role not in DRAFT_ROLES | {"auditor", "enumerator"}
    overdue = terlambat == "1"
    page = service.search(
        db, user, status=status or None, kind=jenis or None, to_act=to_act, overdue=overdue, page=halaman,
        workflow=wf,
    )  # fmt: skip
    rows = [(u, service.actions_for(user, u, wf)) for u in page.items]
    deadlines = {u.id: sla.deadline_of(u) for u in page.items}
    level = wilayah.level(user.wilayah_code) if user.wilayah_code else 0
    per_area = {"Kecamatan": sla.counts(db, user, depth=3)} if level < 3 else {}
    per_area["Desa"] = sla.counts(db, user, depth=4)
    bulk = sorted({t.action.value for _, ts in rows for t in ts if not t.note_required})
    context = {
        "page": page,
        "rows": rows,
        "to_act": to_act,
        "status": status,
        "jenis": jenis,
        "bulk": bulk,
        "present": present,
        "kinds": [k.value for k in Kind],
        "statuses": list(present.STATUS_LABEL),
        "action_label": ACTION_LABEL,
        "top": wf.top.value,
        "is_drafter": user.role in DRAFT_ROLES,
        "overdue": overdue,
        "deadlines": deadlines,
        "per_area": per_area,
        "sla_days": SLA_DAYS,
    }
    return render(request, "usulan/list.html", context)


@router.post("/usulan/massal")
def bulk_action(request: Request, db: Db, user: CurrentUser, form: Form):
    """The same forward step on the ticked usulan (each with the version the list showed)."""
    items = []
    for value in form.getlist("pilih"):
        uid, _, version = str(value).partition(":")
        if int_or(uid) is not None and int_or(version) is not None:
            items.append((int(uid), int(version)))
    action = str(form.get("aksi") or "")
    done, error = attempt(db, service.act_many, db, user, items, action, None, config.workflow())
    if error is not None:
        return render(request, "error.html", {"status": error.status, "message": error.message}, error.status)
    return RedirectResponse(f"/usulan?pesan=massal&n={len(done)}&aksi={action}", status_code=303)


# --- one usulan -------------------------------------------------------------------------------------------


def _detail_context(db: Session, user, u: Usulan, error: str | None = None) -> dict:
    wf = config.workflow()
    household_id = None
    if u.target_entity in service.REGISTRY_ENTITIES:
        _, household, _ = service.resolve_target(db, Target(u.target_entity, u.target_id))
        household_id = household.id if Scope.of(user).covers(household.desa_code) else None
    elif u.result and u.result.get("household_id"):
        household_id = u.result["household_id"]
    lks_id = None
    if u.target_entity == "psks" or (u.result and u.result.get("psks_id")):
        lks_id = _lks_link(db, user, u.target_id if u.target_entity == "psks" else u.result["psks_id"])
    return {
        "u": u,
        "actions": service.actions_for(user, u, wf),
        "error": error,
        "present": present,
        "rows": present.payload_rows(user, u.kind, u.subkind, u.payload),
        "household_id": household_id,
        "lks_id": lks_id,
        "due": sla.deadline_of(u),
        "can_edit": can_edit(u.status, u.level, user.role) and Scope.of(user).covers(u.desa_code),
        "subject_nik": present.subject_nik(user, u.subject_nik),
        "events": list(u.events),
        "action_label": ACTION_LABEL,
        "accepted": wf.is_accepted(u.status, u.level),
        "steps": [Status.DRAF.value, *(FORWARD[level][1].value for level in wf.levels)],
        "padan": crvs.padan_views(crvs.padan_of(db, u.id), lambda nik: present.subject_nik(user, nik)),
    }


def _lks_link(db, user, psks_id: int) -> int | None:
    """The LKS page of a PSKS target, when it is an LKS the user may open."""
    psks, error = attempt(db, ppks_service.get_psks, db, user, psks_id)
    return psks.id if error is None and psks.jenis == "lks" else None


@router.get("/usulan/{usulan_id:int}")
def detail_page(request: Request, usulan_id: int, db: Db, user: CurrentUser):
    u = service.get(db, user, usulan_id)
    return render(request, "usulan/detail.html", _detail_context(db, user, u))


@router.post("/usulan/{usulan_id:int}/aksi")
def action_submit(request: Request, usulan_id: int, db: Db, user: CurrentUser, form: Form):
    action = str(form.get("aksi") or "")
    note = str(form.get("catatan") or "").strip() or None
    _, error = attempt(
        db, service.act, db, user, usulan_id, action, int_or(form.get("versi")), note, config.workflow()
    )
    if error is not None:
        db.expire_all()
        u = service.get(db, user, usulan_id)
        return render(
            request, "usulan/detail.html", _detail_context(db, user, u, error.message), error.status
        )
    return RedirectResponse(f"/usulan/{usulan_id}?pesan={action}", status_code=303)


# --- drafting ---------------------------------------------------------------------------------------------


def _targets(household: Household, entities: tuple[str, ...]) -> list[tuple[str, str]]:
    """(value, label) radio choices for the target, e.g. `member:12` → "Anggota: Budi (kepala keluarga)"."""
    out = []
    if "household" in entities:
        out.append((f"household:{household.id}", f"Rumah tangga {household.ref} ({household.alamat or '-'})"))
    for f in household.families:
        if "family" in entities and f.status == "aktif":
            out.append((f"family:{f.id}", f"Keluarga {f.ref} (KK {f.kk_number or 'belum ada'})"))
        if "member" in entities:
            out += [
                (f"member:{m.id}", f"{m.nama} — {lookup.label('hubungan_kk', m.hubungan_kk)}")
                for m in f.members
                if m.status == "aktif"
            ]
    return out


def _ppks_targets(db, user, household, ref: str, entities) -> tuple[list[tuple[str, str]], str | None]:
    """Targets that are PPKS/PSKS records: by their ref, or the open PPKS kinds of the household found."""
    out, error = [], None
    if household is not None and "ppks_registration" in entities:
        out += [
            (f"{c.entity}:{c.id}", c.label)
            for c in ppks_service.household_registrations(db, user, household.id)
        ]
    if ref:
        found, e = attempt(db, ppks_service.targets_by_ref, db, user, ref)
        error = e.message if e else None
        out += [(f"{c.entity}:{c.id}", c.label) for c in found or [] if c.entity in entities]
        if found and not out:
            error = f"'{ref}' bukan sasaran usulan jenis ini."
    return out, error


def _new_context(
    db, user, kind, subkind, household=None, values=None, error=None, batch_id=None, ref=""
) -> dict:
    choices = present.kind_choices()
    entities = TARGETS.get((Kind(kind), subkind), ()) if kind in {k.value for k in Kind} else ()
    targets = _targets(household, entities) if household is not None else []
    ppks_targets, ppks_error = _ppks_targets(db, user, household, ref, entities) if entities else ([], None)
    drafts = batches.list_batches(db, user, per_page=50).items if user.role in DRAFT_ROLES else []
    return {
        "choices": choices,
        "kind": kind,
        "subkind": subkind,
        "household": household,
        "values": values or {},
        "error": error or ppks_error,
        "targets": targets + ppks_targets,
        "needs_target": bool(entities),
        "found": household is not None or bool(ppks_targets),
        # a household member's or family's open PPKS kinds are found through their household
        "search_household": bool(set(entities) & {*service.REGISTRY_ENTITIES, "ppks_registration"}),
        "search_ppks": bool(set(entities) & PPKS_TARGETS),
        "ref": ref,
        "member_fields": MEMBER_FIELDS,
        "max_members": MAX_NEW_MEMBERS,
        "batches": [b for b in drafts if b.status == BatchStatus.DRAF],
        "batch_id": batch_id,
        "kind_title": present.kind_label(kind, subkind)
        if kind and subkind in SUBKINDS.get(Kind(kind), {})
        else "",
        "reasons": SUBKINDS[Kind.NONAKTIF],
        "codes": CODES,
    }


@router.get("/usulan/baru")
def new_page(
    request: Request,
    db: Db,
    user: CurrentUser,
    jenis: str = "",
    rincian: str = "",
    ruta: str = "",
    ref: str = "",
    paket: str = "",
):
    if user.role not in DRAFT_ROLES:
        return render(
            request, "error.html", {"status": 403, "message": "Hanya operator desa menyusun usulan."}, 403
        )
    valid = jenis in {k.value for k in Kind} and rincian in SUBKINDS.get(Kind(jenis), {}) if jenis else False
    if not valid:
        return render(request, "usulan/new.html", _new_context(db, user, "", "", batch_id=int_or(paket)))
    household, error = None, None
    if ruta:
        household, e = attempt(db, lookup.household_by_ref_or_nik, db, user, ruta)
        error = e.message if e else None
    ctx = _new_context(db, user, jenis, rincian, household, {"ruta": ruta}, error, int_or(paket), ref)
    return render(request, "usulan/new.html", ctx, 404 if ctx["error"] else 200)


def payload_from_form(kind: str, subkind: str, target_entity: str | None, form: FormData) -> dict:
    """Form fields → the payload `siks.domain.usulan_kinds.validate` expects (blank inputs left out)."""

    def val(name: str):
        v = form.get(name)
        return str(v).strip() if v is not None and str(v).strip() != "" else None

    def person(prefix: str) -> dict:
        return {f: val(f"{prefix}{f}") for f in ("nama", "nik", *MEMBER_FIELDS[1:])}

    if subkind in PPKS_SUBKINDS:
        return _ppks_payload(kind, subkind, form, val)
    if kind == "baru" and subkind == "ruta":
        members = [person(f"art{i}_") for i in range(MAX_NEW_MEMBERS)]
        members = [m for m in members if any(m.values())]
        return {**{k: val(k) for k in ("dusun", "rw", "rt", "alamat", "kk_number")}, "members": members}
    if kind == "baru":
        return {"member": person("art0_")}
    if subkind == "data":
        fields = MEMBER_FIELDS if target_entity == "member" else ("dusun", "rw", "rt", "alamat")
        return {"changes": {f: val(f"ubah_{f}") for f in fields if val(f"ubah_{f}") is not None}}
    if subkind == "nik":
        return {"nik": val("nik")}
    if subkind == "kk":
        return {"kk_number": val("kk_number")}
    if kind == "perbaikan" and subkind == "pindah":
        return {k: val(k) for k in ("desa_code", "dusun", "rw", "rt", "alamat")}
    out = {"tanggal": val("tanggal"), "duplicate_of": val("duplicate_of")}
    if kind == "sanggah":
        out |= {"alasan": val("alasan"), "pelapor": val("pelapor"), "lat": val("lat"), "lon": val("lon")}
    return {k: v for k, v in out.items() if v is not None}


def _ppks_payload(kind: str, subkind: str, form: FormData, val) -> dict:
    """The PPKS/PSKS fields of the form (names as in the ppks import templates)."""
    if kind == "baru" and subkind == "ppks_orang":
        fields = (*PPKS_PERSON_FIELDS, "desa_code", "tanggal", "bukti")
        out = {f: val(f) for f in fields}
        return {k: v for k, v in out.items() if v is not None} | {"jenis": form.getlist("jenis_ppks")}
    if kind == "baru" and subkind == "ppks_jenis":
        return {"jenis": val("jenis_ppks"), "tanggal": val("tanggal"), "bukti": val("bukti")}
    if kind == "baru":
        fields = ("nama", "nik", "sex", "wilayah_code", "alamat", "nomor_tanda_daftar", "akreditasi")
        return {f: val(f) for f in fields if val(f) is not None} | {"jenis": val("jenis_psks")}
    if kind == "perbaikan":
        allowed = PPKS_PERSON_FIELDS if subkind == "ppks_orang" else PSKS_FIELDS
        return {"changes": {f: val(f"ubah_{f}") for f in allowed if val(f"ubah_{f}") is not None}}
    return {k: v for k in ("alasan", "tanggal") if (v := val(k)) is not None}


def _target_from(value) -> Target | None:
    entity, _, rid = str(value or "").partition(":")
    return Target(entity, int(rid)) if entity in service.TARGET_ENTITIES and rid.isdigit() else None


@router.post("/usulan/baru")
def new_submit(request: Request, db: Db, user: CurrentUser, form: Form):
    kind, subkind = str(form.get("jenis") or ""), str(form.get("rincian") or "")
    target = _target_from(form.get("sasaran"))
    batch_id = int_or(form.get("paket"))
    note = str(form.get("catatan") or "").strip() or None
    try:
        payload = payload_from_form(kind, subkind, target.entity if target else None, form)
    except ValueError:
        payload = {}
    u, error = attempt(
        db,
        service.create,
        db,
        user,
        kind=kind,
        subkind=subkind,
        payload=payload,
        target=target,
        batch_id=batch_id,
        note=note,
    )
    if error is not None:
        household = None
        if form.get("ruta"):
            household, _ = attempt(db, lookup.household_by_ref_or_nik, db, user, str(form.get("ruta")))
        valid = kind in {k.value for k in Kind} and subkind in SUBKINDS.get(Kind(kind), {})
        ctx = _new_context(
            db,
            user,
            kind if valid else "",
            subkind if valid else "",
            household,
            dict(form) | {"jenis_ppks": form.getlist("jenis_ppks")}
            if subkind == "ppks_orang"
            else dict(form),
            error.message,
            batch_id,
            str(form.get("ref") or ""),
        )
        ctx["error"] = error.message
        return render(request, "usulan/new.html", ctx, error.status)
    # the usulan is saved; an unreachable civil registry only leaves its padan `tertunda`
    crvs.padan_usulan(db, user, u, crvs.configured_client(crvs.ENTRY_TIMEOUT))
    return RedirectResponse(f"/usulan/{u.id}?pesan=dibuat", status_code=303)


@router.get("/usulan/{usulan_id:int}/ubah")
def edit_page(request: Request, usulan_id: int, db: Db, user: CurrentUser):
    u = service.get(db, user, usulan_id)
    return render(
        request,
        "usulan/edit.html",
        {
            "u": u,
            "values": _flat(u),
            "error": None,
            "present": present,
            "member_fields": MEMBER_FIELDS,
            "max_members": MAX_NEW_MEMBERS,
            "codes": CODES,
        },
    )


def _flat(u: Usulan) -> dict:
    """The payload as form values, so the edit form starts filled."""
    p = u.payload or {}
    out = {k: v for k, v in p.items() if not isinstance(v, list | dict)}
    for i, m in enumerate(p.get("members") or []):
        out |= {f"art{i}_{k}": v for k, v in m.items()}
    out |= {f"art0_{k}": v for k, v in (p.get("member") or {}).items()}
    out |= {f"ubah_{k}": v for k, v in (p.get("changes") or {}).items()}
    out = {k: "" if v is None else v for k, v in out.items()}
    if u.subkind in ("ppks_orang", "ppks_jenis") and u.kind == "baru":  # the form's names for the kinds
        out["jenis_ppks"] = p.get("jenis")
    elif u.subkind == "psks" and u.kind == "baru":
        out["jenis_psks"] = p.get("jenis")
    return out


@router.post("/usulan/{usulan_id:int}/ubah")
def edit_submit(request: Request, usulan_id: int, db: Db, user: CurrentUser, form: Form):
    u = service.get(db, user, usulan_id)
    payload = payload_from_form(u.kind, u.subkind, u.target_entity, form)
    note = str(form.get("catatan") or "").strip() or None
    _, error = attempt(db, service.update, db, user, usulan_id, int_or(form.get("versi")), payload, note)
    if error is not None:
        db.expire_all()
        u = service.get(db, user, usulan_id)
        ctx = {
            "u": u,
            "values": dict(form),
            "error": error.message,
            "present": present,
            "member_fields": MEMBER_FIELDS,
            "max_members": MAX_NEW_MEMBERS,
            "codes": CODES,
        }
        return render(request, "usulan/edit.html", ctx, error.status)
    return RedirectResponse(f"/usulan/{usulan_id}?pesan=diubah", status_code=303)


# --- batches ----------------------------------------------------------------------------------------------


@router.get("/usulan/paket")
def batches_page(request: Request, db: Db, user: CurrentUser, halaman: int = 1):
    page = batches.list_batches(db, user, page=halaman)
    return render(
        request, "usulan/batches.html", {"page": page, "error": None, "is_drafter": user.role in DRAFT_ROLES}
    )


@router.post("/usulan/paket")
def batch_create(request: Request, db: Db, user: CurrentUser, form: Form):
    title = str(form.get("judul") or "")
    try:
        musdes = (
            dt.date.fromisoformat(str(form.get("tanggal_musdes"))) if form.get("tanggal_musdes") else None
        )
    except ValueError:
        musdes = None
    batch, error = attempt(db, batches.create_batch, db, user, title, musdes)
    if error is not None:
        page = batches.list_batches(db, user)
        ctx = {"page": page, "error": error.message, "is_drafter": user.role in DRAFT_ROLES}
        return render(request, "usulan/batches.html", ctx, error.status)
    return RedirectResponse(f"/usulan/paket/{batch.id}", status_code=303)


def _batch_context(db: Session, user, batch: UsulanBatch, error: str | None = None) -> dict:
    drafts = batches.loose_drafts(db, user, batch)
    rows = batch.bnba if batch.bnba is not None else batches.bnba_rows(list(batch.usulan))
    rows = [dict(r, nik_tampil=present.subject_nik(user, r.get("nik"))) for r in rows]
    return {
        "b": batch,
        "drafts": drafts,
        "bnba": rows,
        "error": error,
        "present": present,
        "editable": batch.status == BatchStatus.DRAF and user.role in DRAFT_ROLES,
        "max_mb": config.max_upload_bytes() // (1024 * 1024),
    }


@router.get("/usulan/paket/{batch_id:int}")
def batch_page(request: Request, batch_id: int, db: Db, user: CurrentUser):
    batch = batches.get_batch(db, user, batch_id)
    return render(request, "usulan/batch.html", _batch_context(db, user, batch))


def _batch_result(request, db, user, batch_id, error, ok_message):
    if error is not None:
        db.expire_all()
        batch = batches.get_batch(db, user, batch_id)
        return render(
            request, "usulan/batch.html", _batch_context(db, user, batch, error.message), error.status
        )
    return RedirectResponse(f"/usulan/paket/{batch_id}?pesan={ok_message}", status_code=303)


@router.post("/usulan/paket/{batch_id:int}/tambah")
def batch_add(request: Request, batch_id: int, db: Db, user: CurrentUser, form: Form):
    ids = [i for i in (int_or(v) for v in form.getlist("usulan")) if i is not None]
    _, error = attempt(db, batches.add_usulan, db, user, batch_id, ids)
    return _batch_result(request, db, user, batch_id, error, "ditambah")


@router.post("/usulan/paket/{batch_id:int}/keluarkan/{usulan_id:int}")
def batch_remove(request: Request, batch_id: int, usulan_id: int, db: Db, user: CurrentUser):
    _, error = attempt(db, batches.remove_usulan, db, user, batch_id, usulan_id)
    return _batch_result(request, db, user, batch_id, error, "dikeluarkan")


async def read_upload(file: UploadFile | None) -> tuple[str, bytes]:
    """At most the size limit + 1 byte is read, so an oversized file is refused without filling memory."""
    if file is None:
        return "", b""
    data = await file.read(config.max_upload_bytes() + 1)
    return file.filename or "", data


async def berita_acara_upload(request: Request) -> tuple[str, bytes]:
    form = await request.form()
    file = form.get("berkas")
    return await read_upload(file if hasattr(file, "read") else None)


@router.post("/usulan/paket/{batch_id:int}/berita-acara")
def batch_upload(
    request: Request,
    batch_id: int,
    db: Db,
    user: CurrentUser,
    upload: Annotated[tuple[str, bytes], Depends(berita_acara_upload)],
):
    name, data = upload
    _, error = attempt(db, batches.attach_berita_acara, db, user, batch_id, name, data)
    return _batch_result(request, db, user, batch_id, error, "berita-acara")


@router.post("/usulan/paket/{batch_id:int}/ajukan")
def batch_submit(request: Request, batch_id: int, db: Db, user: CurrentUser, form: Form):
    _, error = attempt(
        db, batches.submit_batch, db, user, batch_id, int_or(form.get("versi")), config.workflow()
    )
    return _batch_result(request, db, user, batch_id, error, "diajukan")


@router.get("/usulan/paket/{batch_id:int}/bnba.csv")
def batch_bnba(batch_id: int, db: Db, user: CurrentUser):
    batch = batches.get_batch(db, user, batch_id)
    rows = batch.bnba if batch.bnba is not None else batches.bnba_rows(list(batch.usulan))
    rows = [r | {"nik": present.subject_nik(user, r.get("nik"))} for r in rows]
    return Response(
        batches.bnba_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="bnba-paket-{batch.id}.csv"'},
    )


@router.get("/usulan/dokumen/{document_id:int}")
def document(document_id: int, db: Db, user: CurrentUser):
    """The berita acara file, only within scope; always a download, never rendered in our origin."""
    path, doc = batches.open_document(db, user, document_id)
    return FileResponse(
        path,
        media_type=doc.media_type,
        filename=doc.file_name,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )
