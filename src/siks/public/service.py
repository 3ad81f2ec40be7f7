"""Cek status: find a person by desa and name in the penetapan in force, and show only masked facts.

Why these limits:
- A desa and at least three letters of a name, matched at the start of a word; `%`, `_`, `*` and `?` are
  refused, so there is no query that means "everyone in the desa".
- At most `MAX_RESULTS` are shown; a name that matches more asks for a more complete name instead, so a
  short common name cannot page through the desa.
- Names are masked (`SU***NI`), the NIK is never shown, nor the desil or program components (they reveal
  pregnancy, disability or school level); only "terdaftar" and the program names.
- Requests are counted per IP (hashed with the instance secret) in `public_request`, so the limit holds
  across workers and restarts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from siks.domain import finding_catalog, wilayah
from siks.errors import Invalid, ServiceError
from siks.penetapan.ppks import persons_in_desa as ppks_persons
from siks.penetapan.service import in_force
from siks.programs import service as programs
from siks.public.reasons import Explanation, explain
from siks.scope import wilayah_label
from siks.settings import settings
from siks.store.base import utcnow
from siks.store.models.penetapan import Penetapan, PenetapanHousehold, PenetapanMember, PublicRequest

MIN_LETTERS = 3
MAX_RESULTS = 5
WILDCARDS = re.compile(r"[%_*?\\]")
# (kind, window, allowed requests in it) per IP
LIMITS = {
    "cari": (dt.timedelta(minutes=10), 20),
    "kirim": (dt.timedelta(days=1), 5),
    "lacak": (dt.timedelta(minutes=10), 20),
}
KEEP = dt.timedelta(days=2)


class RateLimited(ServiceError):
    status = 429
    code = "terlalu_banyak_permintaan"

    def __init__(self, message: str = "Terlalu banyak permintaan dari alamat Anda. Coba lagi nanti."):
        super().__init__(message)


# -- masking ----------------------------------------------------------------------------------------------


def mask_word(word: str) -> str:
    """`SUPARNI` → `SU***`, `BUDI` → `B***`, `AN` → `A***`: first letter(s), then a fixed-length mask (#17.6).

    The old 2+2 letters showed a 4-letter name whole, and a mask as long as the word told its length; now
    a word keeps its first letter (two from 7 letters on) and always ends in `***`, whatever its length.
    """
    word = word.upper()
    return word[: 2 if len(word) >= 7 else 1] + MASK


MASK = "***"


def mask_name(nama: str | None) -> str:
    """Every word masked: `Budi Santoso` → `B*** SA***`."""
    return " ".join(mask_word(w) for w in (nama or "").split()) or "-"


def masked_name_of(session: Session, member_id: int) -> str:
    """The masked name of a penetapan anggota found by a public search ("" when gone)."""
    m = session.get(PenetapanMember, member_id)
    return mask_name(m.nama if m else "")


def normalize(text: str) -> str:
    """Lower case, accents and punctuation removed, single spaces: how names are compared."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


# -- rate limit -------------------------------------------------------------------------------------------


def ip_hash(ip: str) -> str:
    """The IP as stored: keyed SHA-256, so the table holds no addresses."""
    secret = settings().secret_key
    key = (secret.get_secret_value() if secret else "siks-public").encode()
    return hmac.new(key, (ip or "-").encode(), hashlib.sha256).hexdigest()


def check_rate(session: Session, ip: str, kind: str, now: dt.datetime | None = None) -> None:
    """Count this request and refuse it (429) when the IP is over the limit for `kind`."""
    now = now or utcnow()
    window, allowed = LIMITS[kind]
    h = ip_hash(ip)
    used = session.scalar(
        select(func.count())
        .select_from(PublicRequest)
        .where(PublicRequest.ip_hash == h, PublicRequest.kind == kind, PublicRequest.at >= now - window)
    )
    if used >= allowed:
        raise RateLimited()
    session.add(PublicRequest(ip_hash=h, kind=kind, at=now))
    session.execute(
        delete(PublicRequest).where(PublicRequest.at < now - KEEP),
        execution_options={"synchronize_session": False},
    )
    session.flush()


# -- search -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    """One masked result. `member_id` is the frozen row id, kept server-side for a sanggah, never shown."""

    member_id: int
    nama: str
    desa: str
    terdaftar: bool
    programs: tuple[str, ...]
    keterangan: str
    sanggah: bool = True  # False for PPKS outside households: their sanggah is not a household usulan
    explanation: Explanation | None = None  # the rules that decided, without anyone's values


PPKS_TEXT = "Terdaftar dalam DTKS sebagai PPKS (pemerlu pelayanan kesejahteraan sosial) di luar rumah tangga"


@dataclass(frozen=True, slots=True)
class SearchResult:
    penetapan: Penetapan | None
    items: tuple[Found, ...] = ()
    too_many: bool = False


def _check_query(desa_code: str, nama: str) -> tuple[str, str]:
    try:
        code = wilayah.normalize(desa_code or "")
    except ValueError:
        raise Invalid("Pilih desa/kelurahan terlebih dahulu.") from None
    if wilayah.level(code) != 4 or wilayah.get(code) is None:
        raise Invalid("Pilih desa/kelurahan terlebih dahulu.")
    if WILDCARDS.search(nama or ""):
        raise Invalid("Nama tidak boleh memuat tanda %, _, * atau ?.")
    query = normalize(nama)
    if sum(ch.isalpha() for ch in query) < MIN_LETTERS:
        raise Invalid(f"Tulis nama paling sedikit {MIN_LETTERS} huruf.")
    return code, query


def search(
    session: Session, desa_code: str, nama: str, ip: str, today: dt.date | None = None
) -> SearchResult:
    """People of one desa in the penetapan in force today whose name has a word starting with `nama`."""
    code, query = _check_query(desa_code, nama)
    check_rate(session, ip, "cari")
    today = today or dt.date.today()
    p = in_force(session, code, today)
    if p is None:
        return SearchResult(None)
    name_col = func.lower(PenetapanMember.nama)
    rows = session.execute(
        select(PenetapanMember, PenetapanHousehold)
        .join(
            PenetapanHousehold,
            (PenetapanHousehold.penetapan_id == PenetapanMember.penetapan_id)
            & (PenetapanHousehold.household_ref == PenetapanMember.household_ref),
        )
        .where(
            PenetapanMember.penetapan_id == p.id,
            PenetapanHousehold.desa_code == code,
            or_(name_col.like(query + "%"), name_col.like("% " + query + "%")),
        )
        .order_by(PenetapanMember.id)
        .limit(MAX_RESULTS * 4)
    ).all()
    if len(rows) >= MAX_RESULTS * 4:
        return SearchResult(p, (), too_many=True)
    # the SQL match is a pre-filter; compare normalised names (accents, punctuation) here
    rows = [(m, h) for m, h in rows if any(w.startswith(query) for w in _words(m.nama, query))]
    # PPKS outside households (LKS residents, street children) are in the penetapan's own PPKS list
    others = [
        r
        for r in ppks_persons(session, p.id, code)
        if any(w.startswith(query) for w in _words(r.nama, query))
    ]
    if len(rows) + len(others) > MAX_RESULTS:
        return SearchResult(p, (), too_many=True)
    found = [_found(session, p, m, h, today) for m, h in rows]
    # the kinds are not shown: "orang dengan HIV/AIDS" or "korban NAPZA" must not be public
    found += [
        Found(0, mask_name(r.nama), wilayah_label(r.desa_code), True, (), PPKS_TEXT, False) for r in others
    ]
    return SearchResult(p, tuple(found))


def _words(nama: str, query: str) -> list[str]:
    """Starts of the name that a multi-word query may match (`sri wah` matches `Sri Wahyuni`)."""
    words = normalize(nama).split()
    return [" ".join(words[i:]) for i in range(len(words))] if " " in query else words


def _found(
    session: Session, p: Penetapan, m: PenetapanMember, h: PenetapanHousehold, today: dt.date
) -> Found:
    fam = programs.load_family(session, p, m.family_ref, today)
    why = explain(p, m, h, fam, today)
    names = why.programs_in if m.included else ()
    text = "Terdaftar dalam DTKS" if m.included else "Tidak terdaftar dalam DTKS"
    # what the verval found about a person left out, in the citizen's words of the finding catalog
    notes = [] if m.included else finding_catalog.citizen_notes(m.findings or ())
    if notes:
        text = f"{text}. " + " ".join(notes)
    return Found(
        m.id, mask_name(m.nama), wilayah_label(h.desa_code), bool(m.included), tuple(names), text, True, why
    )


def own_explanation(session: Session, member_id: int, nik: str, ip: str, today: dt.date | None = None):
    """The explanation with the person's own data, for someone who typed that person's NIK.

    Counted against the `lacak` limit per IP, so NIKs cannot be tried against a found name quickly."""
    check_rate(session, ip, "lacak")
    digits = "".join(ch for ch in nik or "" if ch.isdigit())
    if len(digits) != 16:
        raise Invalid("NIK harus 16 angka, seperti pada KTP atau Kartu Keluarga.")
    m = session.get(PenetapanMember, member_id)
    if m is None or not m.nik or not hmac.compare_digest(m.nik, digits):
        raise Invalid(
            "NIK tidak cocok dengan orang yang dipilih. Data pribadi hanya ditampilkan kepada pemiliknya."
        )
    p = session.get(Penetapan, m.penetapan_id)
    h = session.scalar(
        select(PenetapanHousehold).where(
            PenetapanHousehold.penetapan_id == m.penetapan_id,
            PenetapanHousehold.household_ref == m.household_ref,
        )
    )
    today = today or dt.date.today()
    fam = programs.load_family(session, p, m.family_ref, today)
    return mask_name(m.nama), explain(p, m, h, fam, today)


def wilayah_choices(code: str | None) -> list[tuple[str, str]]:
    """(code, name) of the children of a wilayah (provinsi list for None), for the cascading selects."""
    return [(w.code, w.name) for w in wilayah.children(code)]
