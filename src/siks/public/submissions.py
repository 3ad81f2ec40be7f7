"""Usul and sanggah from the public page: both become usulan at desa level through the usulan service.

- *Usul* proposes a household (oneself or another) as a new ruta; the NIK rules are the strict ones of any
  new usulan (`siks.domain.usulan_kinds`).
- *Sanggah* disputes a listed recipient found through cek status: only a person shown in the reporter's
  own search (the server keeps those ids in the session), only someone in DTKS, only from the same desa,
  with a photo of the house (JPEG/PNG, checked by its bytes) and a GPS point inside Indonesia.
- *Kedaluwarsa* is computed on read, not by a job: a sanggah still open after `SANGGAH_DAYS` days without
  any action at kabupaten level reads as kedaluwarsa (Cek Bansos: "dinyatakan tidak layak",
  docs/domain-facts.md §2.5). Nothing is written, so the workflow engine and its history stay as they are,
  and the rule changes in one place.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from siks.domain import wilayah
from siks.domain.cells import text_problem
from siks.domain.nik import check_nik
from siks.domain.usulan import SLA_DAYS, STATUS_LABEL
from siks.domain.usulan_kinds import NONAKTIF_REASONS
from siks.errors import Invalid, NotFound
from siks.public.service import check_rate, ip_hash
from siks.store.models.penetapan import PenetapanHousehold, PenetapanMember, PublicSubmission
from siks.store.models.registry import Family, Household, Member
from siks.store.models.usulan import Usulan, UsulanDocument
from siks.usulan import documents, sla
from siks.usulan import service as usulan

SANGGAH_DAYS = SLA_DAYS
MAX_PHOTO = 5 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png")
# Indonesia's extent, a little generous: a GPS point outside it is a typo or a spoof.
LAT, LON = (-11.5, 6.5), (94.5, 141.5)
MEMBER_REASONS = ("meninggal", "ganda")


def _tracking_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


def _record(session: Session, kind: str, u: Usulan, ip: str, photo_id: int | None = None) -> PublicSubmission:
    row = PublicSubmission(kind=kind, usulan_id=u.id, photo_id=photo_id, ip_hash=ip_hash(ip),
                           tracking_code=_tracking_code())  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _text(value: str | None, field: str, required: bool = True, limit: int = 500) -> str | None:
    text = " ".join((value or "").split())
    if required and not text:
        raise Invalid(f"{field} wajib diisi.")
    if len(text) > limit:
        raise Invalid(f"{field} terlalu panjang (maksimal {limit} karakter).")
    if text and (why := text_problem(text)):
        raise Invalid(f"{field} {why}")
    return text or None


# -- usul -------------------------------------------------------------------------------------------------


@dataclass
class UsulForm:
    desa_code: str
    pelapor: str
    hubungan: str  # diri_sendiri / keluarga / orang_lain
    alasan: str
    alamat: str
    rt: str = ""
    rw: str = ""
    dusun: str = ""
    kk_number: str = ""
    nama: str = ""
    nik: str = ""
    sex: str = ""
    tanggal_lahir: str = ""
    telepon: str = ""


HUBUNGAN = {"diri_sendiri": "diri sendiri", "keluarga": "keluarga", "orang_lain": "orang lain"}


def usul(session: Session, form: UsulForm, ip: str) -> PublicSubmission:
    """Propose a household (the kepala keluarga) in a desa; it arrives as a draft for the desa operator."""
    check_rate(session, ip, "kirim")
    pelapor = _text(form.pelapor, "Nama pengusul", limit=100)
    alasan = _text(form.alasan, "Alasan diusulkan")
    if form.hubungan not in HUBUNGAN:
        raise Invalid("Pilih hubungan pengusul dengan yang diusulkan.")
    payload = {
        "dusun": form.dusun, "rw": form.rw, "rt": form.rt, "alamat": _text(form.alamat, "Alamat", limit=200),
        "kk_number": form.kk_number or None,
        "members": [{"nama": form.nama, "nik": form.nik, "sex": form.sex, "tanggal_lahir": form.tanggal_lahir,
                     "hubungan_kk": 1}],
    }  # fmt: skip
    telepon = _text(form.telepon, "Telepon", required=False, limit=20)
    note = f"Usul warga ({HUBUNGAN[form.hubungan]}) oleh {pelapor}" + (f", telp {telepon}" if telepon else "")
    ref = secrets.token_hex(8)
    u = usulan.create_from_channel(
        session, channel="warga", actor_name=pelapor, kind="baru", subkind="ruta", payload=payload,
        desa_code=form.desa_code, external_ref=ref, note=f"{note}. Alasan: {alasan}",
    )  # fmt: skip
    return _record(session, "usul", u, ip)


# -- sanggah ----------------------------------------------------------------------------------------------


@dataclass
class SanggahForm:
    member_id: int  # the frozen row shown in the reporter's search
    reporter_desa: str
    pelapor: str
    pelapor_nik: str
    alasan_kode: str
    alasan: str
    lat: str
    lon: str
    photo: bytes
    photo_name: str = "foto.jpg"


def _coordinate(value: str, bounds: tuple[float, float], name: str) -> float:
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise Invalid(f"Koordinat {name} tidak valid.") from None
    if not bounds[0] <= number <= bounds[1]:
        raise Invalid(f"Koordinat {name} berada di luar wilayah Indonesia.")
    return number


def _photo(session: Session, data: bytes, name: str, desa: str) -> UsulanDocument:
    if not data:
        raise Invalid("Foto rumah wajib dilampirkan.")
    if len(data) > MAX_PHOTO:
        raise Invalid("Foto terlalu besar (maksimal 5 MB).")
    found = documents.sniff(data)
    if found is None or found[0] not in PHOTO_TYPES:
        raise Invalid("Foto harus berupa berkas JPEG atau PNG.")
    media_type, ext = found
    digest, rel = documents.store(data, ext)
    doc = UsulanDocument(kind="foto_sanggah", desa_code=desa, sha256=digest, media_type=media_type,
                         size=len(data), file_name=(name or "foto")[:200], storage_path=rel)  # fmt: skip
    session.add(doc)
    session.flush()
    return doc


def _reporter_desa(session: Session, nik: str) -> str | None:
    """The desa the registry places the reporter in, if the NIK is registered (first active record)."""
    return session.scalar(
        select(Household.desa_code)
        .join(Family, Family.household_id == Household.id)
        .join(Member, Member.family_id == Family.id)
        .where(Member.nik == nik, Member.status == "aktif")
        .limit(1)
    )


def sanggah(session: Session, form: SanggahForm, ip: str) -> PublicSubmission:
    """Dispute a listed recipient of the reporter's own desa; becomes a sanggah usulan at the desa."""
    check_rate(session, ip, "kirim")
    m = session.get(PenetapanMember, form.member_id)
    if m is None:
        raise NotFound("Data yang disanggah tidak ditemukan; ulangi pencarian.")
    h = session.scalar(
        select(PenetapanHousehold).where(
            PenetapanHousehold.penetapan_id == m.penetapan_id,
            PenetapanHousehold.household_ref == m.household_ref,
        )
    )
    if not m.included:
        raise Invalid("Hanya penerima yang terdaftar dalam DTKS yang dapat disanggah.")
    desa = wilayah.normalize(form.reporter_desa or "-") if form.reporter_desa else None
    if desa != h.desa_code:
        raise Invalid("Sanggah hanya dapat diajukan oleh warga desa/kelurahan yang sama.")
    pelapor = _text(form.pelapor, "Nama pelapor", limit=100)
    nik_issues = check_nik(form.pelapor_nik or "")
    if nik_issues or len(form.pelapor_nik or "") != 16:
        raise Invalid("NIK pelapor tidak valid (16 digit sesuai KTP).")
    registered = _reporter_desa(session, form.pelapor_nik)
    if registered is not None and registered != h.desa_code:
        raise Invalid("Sanggah hanya dapat diajukan oleh warga desa/kelurahan yang sama.")
    if form.alasan_kode not in NONAKTIF_REASONS:
        raise Invalid("Pilih alasan sanggah.")
    alasan = _text(form.alasan, "Keterangan sanggah")
    lat, lon = _coordinate(form.lat, LAT, "lintang"), _coordinate(form.lon, LON, "bujur")
    photo = _photo(session, form.photo, form.photo_name, h.desa_code)
    on_member = form.alasan_kode in MEMBER_REASONS
    target = usulan.Target("member", m.member_id) if on_member else usulan.Target("household", h.household_id)
    if target.id is None:
        raise NotFound("Data yang disanggah tidak ada lagi di registri.")
    domisili = (
        "terdaftar di desa yang sama" if registered else "belum terverifikasi (NIK tidak ada di registri)"
    )
    payload = {"alasan": alasan, "pelapor": pelapor, "lat": lat, "lon": lon}
    u = usulan.create_from_channel(
        session, channel="warga", actor_name=pelapor, kind="sanggah", subkind=form.alasan_kode,
        payload=payload, desa_code=h.desa_code, target=target, external_ref=secrets.token_hex(8),
        note=f"Sanggah warga dengan foto #{photo.id}; domisili pelapor {domisili}.",
    )  # fmt: skip
    return _record(session, "sanggah", u, ip, photo.id)


# -- tracking and kedaluwarsa -------------------------------------------------------------------------------


def expired(u: Usulan, now: dt.datetime | None = None) -> bool:
    """A sanggah still open after SANGGAH_DAYS with no action at kabupaten level (the operators' rule,
    siks.usulan.sla, read for the citizen)."""
    if u.kind != "sanggah":
        return False
    found = sla.deadline_of(u, now)
    return found is not None and found.overdue


@dataclass(frozen=True, slots=True)
class Tracking:
    kind: str
    status: str
    created_at: dt.datetime
    note: str


def track(session: Session, code: str, ip: str, now: dt.datetime | None = None) -> Tracking:
    """The state of a submission by its tracking code (no personal data in the answer)."""
    check_rate(session, ip, "lacak")
    row = session.scalar(
        select(PublicSubmission).where(PublicSubmission.tracking_code == (code or "").strip().upper())
    )
    if row is None:
        raise NotFound("Kode pelacakan tidak ditemukan.")
    u = session.get(Usulan, row.usulan_id)
    if expired(u, now):
        status = "Kedaluwarsa"
        note = f"Tidak ditindaklanjuti kabupaten dalam {SANGGAH_DAYS} hari; sanggah dinyatakan tidak layak."
    else:
        status = STATUS_LABEL.get(u.status, u.status)
        note = "Menunggu tindak lanjut." if u.level else "Selesai diproses."
    return Tracking(row.kind, status, row.created_at, note)
