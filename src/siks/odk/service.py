"""ODK service: credentials, the enumerator's assignment as form media, and what a submission becomes.

A submission is always stored first, as received. Then it becomes the same work the web forms create —
`fieldwork.record_visit` for a field-verval visit, `usulan.create_from_channel` for a new household — or,
when it cannot (outside the enumerator's wilayah, a household not assigned to them, malformed, a form
version that is no longer current, an edit of something already applied, a rule the service refuses), it
stays in the review queue with its photos, and the client gets a clear OpenRosa error. Nothing is dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.audit import record_change, register_entity_scope
from siks.domain import wilayah
from siks.domain.status import TaskStatus
from siks.errors import Forbidden, Invalid, NotFound, ServiceError
from siks.fieldwork import service as fieldwork
from siks.odk import digest
from siks.odk.forms import TASKS_CSV, USULAN_BARU, USULAN_BARU_PBDT, VERVAL, ODKForm, catalog
from siks.scope import Scope
from siks.store.base import utcnow
from siks.store.models.accounts import User
from siks.store.models.fieldwork import FieldTask
from siks.store.models.odk import OdkAttachment, OdkCredential, OdkSubmission
from siks.store.models.registry import STATUS_ACTIVE, Family, Household, Member
from siks.usulan import service as usulan_service

APPLIED, REVIEW, REPLACED, DISMISSED = "diterapkan", "ditinjau", "diganti", "ditolak"
STATUS_LABEL = {
    APPLIED: "Diterapkan",
    REVIEW: "Menunggu tinjauan",
    REPLACED: "Diganti suntingan",
    DISMISSED: "Ditolak operator",
}
# Why a submission waits for review, and the HTTP status the client gets.
REASONS: dict[str, tuple[int, str]] = {
    "ODK_RUSAK": (400, "Isi kiriman tidak dapat dibaca"),
    "ODK_FORM_TIDAK_DIKENAL": (400, "Formulir tidak dikenal"),
    "ODK_VERSI_LAMA": (409, "Versi formulir sudah tidak berlaku"),
    "ODK_LUAR_WILAYAH": (403, "Di luar wilayah tugas"),
    "ODK_TIDAK_DITUGASKAN": (403, "Rumah tangga tidak ditugaskan kepada Anda"),
    "ODK_SUDAH_DICATAT": (409, "Kunjungan sudah dicatat"),
    "ODK_SUNTINGAN": (409, "Suntingan atas kiriman yang sudah diterapkan"),
    "ODK_ID_BENTROK": (409, "instanceID sudah dipakai kiriman lain"),
    "ODK_TIDAK_VALID": (400, "Isian tidak memenuhi aturan siks"),
    "ODK_PERAN": (403, "Peran Anda tidak boleh mengirim formulir ini"),
}
ODK_ROLES = frozenset({"enumerator", "operator_desa"})
FORMS_BY_ROLE = {
    "enumerator": (VERVAL, USULAN_BARU, USULAN_BARU_PBDT),
    "operator_desa": (USULAN_BARU, USULAN_BARU_PBDT),
}
REVIEWER_ROLES = fieldwork.ASSIGNER_ROLES | {"operator_desa"}

register_entity_scope("odk_submission", lambda: select(OdkSubmission.id, OdkSubmission.desa_code))


# --- credentials --------------------------------------------------------------------------------------------


def issue_credential(session: Session, actor, user_id: int) -> str:
    """A new random ODK password for an enumerator or desa operator in the actor's scope (shown once).

    Kept as Digest HA1 only; issuing again replaces the previous one (a lost phone is handled this way).
    """
    if actor.role not in fieldwork.ASSIGNER_ROLES:
        raise Forbidden("Kredensial ODK diterbitkan oleh operator kecamatan atau kabupaten.")
    user = session.get(User, user_id)
    if (
        user is None
        or not user.active
        or user.role not in ODK_ROLES
        or not Scope.of(actor).covers(user.wilayah_code)
    ):
        raise NotFound("Pengguna tidak ditemukan di wilayah Anda (hanya enumerator atau operator desa).")
    password = "-".join(secrets.token_hex(3) for _ in range(4))  # 24 hex digits, easy to read out
    cred = session.get(OdkCredential, user.id)
    replaced = cred is not None
    if cred is None:
        cred = OdkCredential(user_id=user.id, ha1="")
        session.add(cred)
    cred.ha1, cred.issued_by_id, cred.issued_at = digest.ha1(user.username, password), actor.id, utcnow()
    session.flush()
    record_change(
        session,
        actor,
        "user",
        user.id,
        None,
        {"kredensial_odk": "diganti" if replaced else "baru"},
        "Kredensial ODK Collect diterbitkan",
        action="kredensial_odk",
    )
    return password


def username_of(session: Session, user_id: int) -> str:
    """The username a credential was just issued to (for the Collect settings)."""
    return session.get(User, user_id).username


def odk_users(session: Session, actor) -> list[tuple[User, bool]]:
    """Enumerators and desa operators the actor may issue a credential to, and whether they have one."""
    if actor.role not in fieldwork.ASSIGNER_ROLES:
        return []
    rows = session.execute(
        select(User, OdkCredential.user_id)
        .outerjoin(OdkCredential, OdkCredential.user_id == User.id)
        .where(User.role.in_(ODK_ROLES), User.active.is_(True), Scope.of(actor).where(User.wilayah_code))
        .order_by(User.wilayah_code, User.username)
    )
    return [(u, has is not None) for u, has in rows]


def credential_for(session: Session, username: str) -> tuple[User, str] | None:
    """The active ODK user of that name and their HA1, or None."""
    row = session.execute(
        select(User, OdkCredential.ha1)
        .join(OdkCredential, OdkCredential.user_id == User.id)
        .where(User.username == (username or "").strip().lower(), User.active.is_(True))
    ).first()
    return (row[0], row[1]) if row else None


def settings_payload(server_url: str, username: str, password: str, project: str = "siks") -> dict:
    """The ODK Collect settings a QR code carries (server, account, and a few safe defaults)."""
    return {
        "general": {
            "server_url": server_url,
            "username": username,
            "password": password,
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "admin": {"change_server": False, "change_form_metadata": False},
        "project": {"name": project, "icon": "S", "color": "#1d4ed8"},
    }


def settings_qr(payload: dict) -> tuple[str, str]:
    """(the text ODK Collect reads: zlib-compressed JSON in base64, an SVG QR code of it)."""
    import base64
    import json
    import zlib

    import qrcode
    import qrcode.image.svg

    text = base64.b64encode(zlib.compress(json.dumps(payload).encode())).decode()
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    return text, img.to_string(encoding="unicode")


# --- forms and media ----------------------------------------------------------------------------------------


def forms_for(user) -> list[ODKForm]:
    forms = catalog()
    return [forms[f] for f in FORMS_BY_ROLE.get(user.role, ())]


def form_for(user, form_id: str) -> ODKForm:
    for f in forms_for(user):
        if f.form_id == form_id:
            return f
    raise NotFound("Formulir tidak ditemukan.")


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode()


def media(session: Session, user, form_id: str, name: str) -> bytes:
    """A form's media file for this user: their open tasks, and the members of those households."""
    form = form_for(user, form_id)
    if name not in form.media:
        raise NotFound("Berkas formulir tidak ditemukan.")
    rows = fieldwork.my_tasks(session, user, TaskStatus.DITUGASKAN, limit=5000)
    if name == TASKS_CSV:
        return _csv(
            ["name", "label", "id_ruta", "dusun", "rw", "rt", "alamat", "kepala"],
            [
                [
                    r.task.id,
                    " · ".join(x for x in (r.head, r.household.alamat, r.household.ref) if x),
                    r.household.ref,
                    r.household.dusun or "",
                    r.household.rw or "",
                    r.household.rt or "",
                    r.household.alamat or "",
                    r.head or "",
                ]
                for r in rows
            ],
        )
    task_of = {r.household.id: r.task.id for r in rows}
    out = []
    for chunk in (list(task_of)[i : i + 1000] for i in range(0, len(task_of), 1000)):
        found = session.execute(  # one query per 1,000 households, not one per household
            select(
                Family.household_id,
                Member.id,
                Member.no_urut,
                Member.nama,
                Member.hubungan_kk,
                Member.sex,
                Member.tanggal_lahir,
            )
            .join(Member, Member.family_id == Family.id)
            .where(Family.household_id.in_(chunk), Member.status == STATUS_ACTIVE)
            .order_by(Family.household_id, Family.id, Member.no_urut)
        )
        for hid, mid, no, nama, rel, sex, born in found:
            out.append(
                [
                    mid,
                    f"{no}. {nama}",
                    task_of[hid],
                    no,
                    rel or "",
                    sex or "",
                    born.isoformat() if born else "",
                ]
            )
    out.sort(key=lambda r: (r[2], r[3]))
    return _csv(["name", "label", "tugas", "no_urut", "hubungan_kk", "jenis_kelamin", "tanggal_lahir"], out)


def media_hash(content: bytes) -> str:
    return "md5:" + hashlib.md5(content).hexdigest()


# --- submissions --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """What the OpenRosa response says: HTTP status, message (Indonesian), and the stored submission."""

    status: int
    message: str
    submission: OdkSubmission | None

    @property
    def ok(self) -> bool:
        return self.status < 300


class _Review(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        self.reason, self.detail = reason, detail


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el) -> dict[str, object]:
    """Child elements by local name; repeated names (a repeat group) become lists of elements."""
    out: dict[str, object] = {}
    for c in el:
        name = _local(c.tag)
        if name in out:
            prev = out[name]
            out[name] = [*prev, c] if isinstance(prev, list) else [prev, c]
        else:
            out[name] = c
    return out


def _text(el) -> str | None:
    if el is None or isinstance(el, list):
        return None
    text = (el.text or "").strip()
    return text or None


def _flatten(el) -> dict[str, str]:
    """Every leaf below an element (groups opened, repeats skipped) by local name."""
    out: dict[str, str] = {}
    for c in el:
        if len(c):
            if _local(c.tag) != "anggota":
                out.update(_flatten(c))
        elif (c.text or "").strip():
            out[_local(c.tag)] = c.text.strip()
    return out


@dataclass(slots=True)
class Instance:
    form_id: str | None
    version: str | None
    instance_id: str | None
    deprecated_id: str | None
    root: object


def parse_instance(xml: bytes) -> Instance:
    """Read the identifying parts of a submitted instance; raises _Review(ODK_RUSAK) on bad XML."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise _Review("ODK_RUSAK", f"XML tidak sah ({e}).") from None
    meta = _children(_children(root).get("meta")) if _children(root).get("meta") is not None else {}
    return Instance(
        root.get("id"),
        root.get("version"),
        _text(meta.get("instanceID")),
        _text(meta.get("deprecatedID")),
        root,
    )


def _members(root) -> list[dict[str, str]]:
    found = _children(root).get("anggota")
    items = found if isinstance(found, list) else [found] if found is not None else []
    return [_flatten(item) for item in items]


def _date(text: str | None, field: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise _Review("ODK_TIDAK_VALID", f"{field}: tanggal '{text}' tidak sah.") from None


def _apply_verval(session: Session, user, inst: Instance, sub: OdkSubmission) -> None:
    values = _flatten(inst.root)
    try:
        task_id = int(values.get("tugas", ""))
    except ValueError:
        raise _Review("ODK_RUSAK", "Isian 'tugas' (rumah tangga) kosong atau bukan nomor tugas.") from None
    task = session.get(FieldTask, task_id)
    household = session.get(Household, task.household_id) if task is not None else None
    if household is None:
        raise _Review("ODK_TIDAK_DITUGASKAN", f"Tugas #{task_id} tidak ada.")
    sub.task_id, sub.desa_code = task.id, household.desa_code
    if not Scope.of(user).covers(household.desa_code):
        sub.desa_code = user.wilayah_code
        raise _Review("ODK_LUAR_WILAYAH", f"Rumah tangga tugas #{task_id} berada di luar wilayah Anda.")
    if task.enumerator_id != user.id:
        raise _Review("ODK_TIDAK_DITUGASKAN", f"Rumah tangga {household.ref} tidak ditugaskan kepada Anda.")
    if task.status != TaskStatus.DITUGASKAN:
        raise _Review(
            "ODK_SUDAH_DICATAT", f"Kunjungan rumah tangga {household.ref} sudah dicatat sebelumnya."
        )
    keberadaan: dict[int, int] = {}
    member_answers: dict[int, dict] = {}
    member_keys = [f.key for f in fieldwork.member_fields()]
    for m in _members(inst.root):
        try:
            mid, code = int(m.get("anggota_id", "")), int(m.get("keberadaan", ""))
        except ValueError:
            raise _Review(
                "ODK_TIDAK_VALID", "Setiap anggota harus memiliki nama dan kode keberadaan."
            ) from None
        if mid in keberadaan:
            raise _Review("ODK_TIDAK_VALID", f"Anggota {mid} diisi lebih dari sekali.")
        keberadaan[mid] = code
        member_answers[mid] = {k: m[k] for k in member_keys if k in m}
    try:
        result = int(values.get("hasil", ""))
    except ValueError:
        raise _Review("ODK_TIDAK_VALID", "Hasil verivali kosong.") from None
    answers = {f.key: values[f.key] for f in fieldwork.household_fields() if f.key in values}
    try:
        with session.begin_nested():
            fieldwork.record_visit(
                session,
                user,
                task.id,
                task.version,
                result=result,
                keberadaan=keberadaan,
                answers=answers,
                member_answers=member_answers,
                visited_on=_date(values.get("tanggal_kunjungan"), "tanggal_kunjungan"),
                note=values.get("catatan") or f"ODK Collect ({inst.instance_id})",
            )
    except ServiceError as e:
        raise _Review("ODK_TIDAK_VALID", e.message) from None


def _apply_usulan(session: Session, user, inst: Instance, sub: OdkSubmission) -> None:
    desa = user.wilayah_code
    sub.desa_code = desa
    if desa is None or wilayah.level(desa) != 4:
        raise _Review("ODK_LUAR_WILAYAH", "Usulan baru dikirim dari akun yang terikat pada satu desa.")
    values = _flatten(inst.root)
    members = [
        {
            "nama": m.get("nama"),
            "nik": m.get("nik"),
            "sex": m.get("jenis_kelamin"),
            "tempat_lahir": m.get("tempat_lahir"),
            "tanggal_lahir": m.get("tanggal_lahir"),
            "status_kawin": m.get("status_kawin"),
            "hubungan_kk": m.get("hubungan_kk"),
        }
        for m in _members(inst.root)
    ]
    payload = {k: values.get(k) for k in ("dusun", "rw", "rt", "alamat")}
    payload |= {"kk_number": values.get("no_kk"), "members": members}
    try:
        with session.begin_nested():
            u = usulan_service.create_from_channel(
                session,
                channel="odk",
                actor_name=user.username,
                kind="baru",
                subkind="ruta",
                payload=payload,
                desa_code=desa,
                external_ref=(inst.instance_id or "")[:64] or None,
                note=values.get("catatan") or "Dari ODK Collect",
            )
    except ServiceError as e:
        raise _Review("ODK_TIDAK_VALID", e.message) from None
    sub.usulan_id = u.id


def _apply(session: Session, user, inst: Instance, sub: OdkSubmission) -> None:
    """Turn a stored submission into work, or raise _Review."""
    forms = catalog()
    form = forms.get(inst.form_id or "")
    if form is None:
        raise _Review("ODK_FORM_TIDAK_DIKENAL", f"Formulir '{inst.form_id}' tidak dikenal siks.")
    if form.form_id not in FORMS_BY_ROLE.get(user.role, ()):
        raise _Review("ODK_PERAN", f"Peran {user.role} tidak mengirim formulir {form.form_id}.")
    if inst.version != form.version:
        raise _Review(
            "ODK_VERSI_LAMA",
            f"Versi formulir {inst.version} sudah diganti {form.version}; unduh formulir terbaru.",
        )
    if form.form_id == VERVAL:
        _apply_verval(session, user, inst, sub)
    else:
        _apply_usulan(session, user, inst, sub)


def _message(reason: str, detail: str) -> str:
    return f"{REASONS[reason][1]}: {detail} Kiriman disimpan untuk ditinjau operator."


def _attach(session: Session, sub: OdkSubmission, files: list[tuple[str, str, bytes]]) -> int:
    have = {a.name for a in sub.attachments}
    added = 0
    for name, media_type, content in files:
        if name in have:
            continue
        sub.attachments.append(
            OdkAttachment(
                name=name[:255],
                media_type=(media_type or "application/octet-stream")[:100],
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )
        have.add(name)
        added += 1
    session.flush()
    return added


def _held(session: Session, user, text: str, files, reason: str, detail: str, **fields) -> OdkSubmission:
    """A submission kept for review (not applied) with its reason, stored with its files."""
    sub = OdkSubmission(
        user_id=user.id,
        desa_code=user.wilayah_code,
        xml=text,
        status=REVIEW,
        reason=reason,
        message=detail,
        **fields,
    )
    session.add(sub)
    _attach(session, sub, files)
    return sub


def receive(session: Session, user, xml: bytes, files: list[tuple[str, str, bytes]]) -> Outcome:
    """Store one submission (and its files), then apply it or keep it for review."""
    text = xml.decode("utf-8", errors="replace")
    try:
        inst = parse_instance(xml)
    except _Review as r:
        sub = _held(session, user, text, files, r.reason, r.detail)
        return Outcome(REASONS[r.reason][0], _message(r.reason, r.detail), sub)

    if inst.instance_id:
        earlier = session.scalar(select(OdkSubmission).where(OdkSubmission.instance_id == inst.instance_id))
        if earlier is not None:
            if earlier.user_id == user.id and earlier.xml == text:  # a retry, or the rest of its attachments
                _attach(session, earlier, files)
                if earlier.status == REVIEW and earlier.reason:
                    return Outcome(
                        REASONS[earlier.reason][0], _message(earlier.reason, earlier.message or ""), earlier
                    )
                return Outcome(201, "Kiriman ini sudah diterima sebelumnya.", earlier)
            detail = f"instanceID {inst.instance_id} sudah dipakai kiriman #{earlier.id} dengan isi lain."
            sub = _held(
                session,
                user,
                text,
                files,
                "ODK_ID_BENTROK",
                detail,
                form_id=inst.form_id,
                form_version=inst.version,
                deprecated_id=inst.deprecated_id,
            )
            return Outcome(409, _message("ODK_ID_BENTROK", detail), sub)

    sub = OdkSubmission(
        instance_id=inst.instance_id,
        deprecated_id=inst.deprecated_id,
        form_id=inst.form_id,
        form_version=inst.version,
        user_id=user.id,
        desa_code=user.wilayah_code,
        xml=text,
        status=REVIEW,
    )
    session.add(sub)
    session.flush()
    _attach(session, sub, files)
    try:
        if inst.deprecated_id:
            _replace(session, inst.deprecated_id, sub)
        _apply(session, user, inst, sub)
    except _Review as r:
        sub.status, sub.reason, sub.message = REVIEW, r.reason, r.detail
        session.flush()
        return Outcome(REASONS[r.reason][0], _message(r.reason, r.detail), sub)
    sub.status = APPLIED
    session.flush()
    what = "Kunjungan dicatat" if sub.task_id else f"Usulan baru #{sub.usulan_id} dibuat sebagai draf di desa"
    return Outcome(201, f"Terima kasih. {what}.", sub)


def _replace(session: Session, deprecated_id: str, sub: OdkSubmission) -> None:
    """An edit (deprecatedID): one still under review is replaced; one already applied goes to review."""
    old = session.scalar(select(OdkSubmission).where(OdkSubmission.instance_id == deprecated_id))
    if old is None or old.user_id != sub.user_id:
        return  # the original never reached siks: treat the edit as the submission
    if old.status == APPLIED:
        raise _Review(
            "ODK_SUNTINGAN", f"Kiriman {deprecated_id} sudah diterapkan; perubahan ditinjau operator."
        )
    if old.status == REVIEW:
        old.status, old.resolved_at = REPLACED, utcnow()
        old.resolution_note = f"Diganti suntingan {sub.instance_id}"


# --- the review queue ---------------------------------------------------------------------------------------


def review_queue(
    session: Session, user, status: str | None = REVIEW, limit: int = 200
) -> list[OdkSubmission]:
    """Submissions in the reviewer's scope, newest first."""
    if user.role not in REVIEWER_ROLES | fieldwork.VIEWER_ROLES:
        raise Forbidden("Antrean tinjauan ODK untuk operator desa ke atas.")
    stmt = select(OdkSubmission).where(Scope.of(user).where(OdkSubmission.desa_code))
    if status:
        stmt = stmt.where(OdkSubmission.status == status)
    return list(session.scalars(stmt.order_by(OdkSubmission.id.desc()).limit(limit)))


def get_submission(session: Session, user, submission_id: int) -> OdkSubmission:
    sub = session.get(OdkSubmission, submission_id)
    if sub is None or user.role not in REVIEWER_ROLES | fieldwork.VIEWER_ROLES:
        raise NotFound()
    Scope.of(user).check(sub.desa_code)
    return sub


def retry(session: Session, user, submission_id: int) -> OdkSubmission:
    """Apply a queued submission again, as its enumerator (e.g. after the household was assigned to them)."""
    sub = get_submission(session, user, submission_id)
    if user.role not in REVIEWER_ROLES:
        raise Forbidden("Hanya operator yang menerapkan kiriman dari antrean.")
    if sub.status != REVIEW:
        raise Invalid("Kiriman ini tidak sedang menunggu tinjauan.")
    submitter = session.get(User, sub.user_id)
    try:
        inst = parse_instance(sub.xml.encode())
        _apply(session, submitter, inst, sub)
    except _Review as r:
        raise Invalid(
            _message(r.reason, r.detail).replace(" Kiriman disimpan untuk ditinjau operator.", "")
        ) from None
    before = {"status": sub.status, "reason": sub.reason}
    sub.status, sub.reason, sub.resolved_by_id, sub.resolved_at = APPLIED, None, user.id, utcnow()
    session.flush()
    record_change(
        session,
        user,
        "odk_submission",
        sub.id,
        before,
        {"status": sub.status, "reason": None},
        "Kiriman ODK diterapkan dari antrean",
        action="terapkan",
    )
    return sub


def dismiss(session: Session, user, submission_id: int, note: str) -> OdkSubmission:
    """Close a queued submission without applying it; the reason is required and audited."""
    sub = get_submission(session, user, submission_id)
    if user.role not in REVIEWER_ROLES:
        raise Forbidden("Hanya operator yang menolak kiriman dari antrean.")
    if sub.status != REVIEW:
        raise Invalid("Kiriman ini tidak sedang menunggu tinjauan.")
    if not (note or "").strip():
        raise Invalid("Tuliskan alasan penolakan.")
    before = {"status": sub.status}
    sub.status, sub.resolved_by_id, sub.resolved_at, sub.resolution_note = (
        DISMISSED,
        user.id,
        utcnow(),
        note.strip(),
    )
    session.flush()
    record_change(
        session, user, "odk_submission", sub.id, before, {"status": sub.status}, note.strip(), action="tolak"
    )
    return sub
