"""The DCI Social Registry service: agency clients, envelopes, search, txn status, subscriptions, notify.

Why it looks like this:
- A client is one agency system. Its `wilayah_code`, `fields` and `programs` bound every answer; the query
  translator refuses attributes outside `fields`, and the scope is added to every statement.
- Transport errors (token, signature, sender, rate) raise `Rejected` with the spec's `err.*` code and an
  HTTP status; per-request problems (unknown attribute, page too large) become a `rjct` item with the
  spec's `rjct.*` reason code, so one bad request in a batch does not sink the others.
- Every accepted envelope is a `dci_request` row (rate limit, duplicate message ids) and an audit entry
  (`siks.audit`): who asked what, when, and how many records went out.
- Events for subscriptions are read from the audit trail, which every registry writer already feeds.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from siks.audit import record_change
from siks.dci import programs as program_scope
from siks.dci import trust
from siks.dci.query import Columns, QueryError, Translator, idtype_condition
from siks.dci.records import FIELDS, RECORD_TYPES, Row, records
from siks.domain import wilayah
from siks.errors import Invalid
from siks.scope import Scope
from siks.store.models.dci import DciClient, DciDelivery, DciRequest, DciSubscription, DciTransaction
from siks.store.models.registry import (
    STATUS_ACTIVE,
    STATUS_INACTIVE,
    AuditEntry,
    Family,
    FamilyKK,
    Household,
    Member,
)

VERSION = "1.0.0"
REG_TYPE = "ns:org:RegistryType:Social"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_BATCH = 20  # search requests in one message
MESSAGE_TS_WINDOW = dt.timedelta(minutes=5)
SORTABLE = {"household_id", "member_id", "birth_date", "poverty_score", "desil"}
EVENTS = ("REGISTER", "UPDATE", "DELETE")
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class Rejected(Exception):
    """A message refused before its content is looked at: HTTP status + DCI error code (+ header reason)."""

    def __init__(self, status: int, code: str, message: str, reason: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason  # MsgHeaderStatusReasonCode, for sync answers


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def timestamp(moment: dt.datetime | None = None) -> str:
    return (moment or now_utc()).astimezone(dt.UTC).isoformat(timespec="seconds")


def _actor(client: DciClient) -> str:
    return f"dci:{client.client_id}"


# --- clients --------------------------------------------------------------------------------------------

CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def client_snapshot(c: DciClient) -> dict:
    return {
        "client_id": c.client_id,
        "name": c.name,
        "wilayah_code": c.wilayah_code,
        "fields": c.fields,
        "programs": c.programs,
        "keys": [k.get("kid") for k in (c.jwks or {}).get("keys", [])],
        "callback_uri": c.callback_uri,
        "rate_per_minute": c.rate_per_minute,
        "active": c.active,
    }


def register_client(
    session: Session,
    actor: object,
    *,
    client_id: str,
    name: str,
    jwks: dict,
    fields: list[str],
    wilayah_code: str | None = None,
    callback_uri: str | None = None,
    rate_per_minute: int = 60,
) -> tuple[DciClient, str]:
    """Onboard an agency system; returns the client and its secret (shown once, stored as argon2 hash)."""
    if not CLIENT_ID.match(client_id or ""):
        raise Invalid(f"client_id '{client_id}' tidak sah: huruf kecil, angka, titik, minus; 2–64 karakter.")
    if session.scalar(select(DciClient.id).where(DciClient.client_id == client_id)):
        raise Invalid(f"Klien '{client_id}' sudah terdaftar.")
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise Invalid(f"Kolom tidak dikenal: {', '.join(unknown)}; pilih dari {', '.join(FIELDS)}.")
    code = None
    if wilayah_code:
        code = wilayah.normalize(wilayah_code)
        if wilayah.get(code) is None:
            raise Invalid(f"Kode wilayah '{wilayah_code}' tidak dikenal.")
    keys = (jwks or {}).get("keys")
    if not keys:
        raise Invalid("JWKS klien harus berisi paling sedikit satu kunci publik.")
    for k in keys:
        if not k.get("kid") or k.get("kty") not in ("OKP", "RSA") or "d" in k:
            raise Invalid("Setiap kunci JWKS butuh kid, kty OKP/RSA, dan hanya bagian publik.")
        trust.import_key(k)
    if callback_uri and not re.match(r"^https?://", callback_uri):
        raise Invalid("callback_uri harus alamat http(s).")
    if rate_per_minute < 1:
        raise Invalid("Batas permintaan per menit paling sedikit 1.")
    secret = secrets.token_urlsafe(32)
    client = DciClient(
        client_id=client_id,
        name=name,
        secret_hash=_hasher.hash(secret),
        wilayah_code=code,
        fields=sorted(set(fields)),
        programs=[],  # set with siks.dci.programs.set_programs, which freezes each program's list
        jwks={"keys": keys},
        callback_uri=callback_uri.rstrip("/") if callback_uri else None,
        rate_per_minute=rate_per_minute,
        active=True,
        created_by=str(getattr(actor, "username", actor))[:100],
    )
    session.add(client)
    session.flush()
    record_change(
        session, actor, "dci_client", client.id, None, client_snapshot(client), "pendaftaran klien DCI"
    )
    return client, secret


def token(session: Session, key, form: dict) -> dict:
    """OAuth2 client credentials (authz_core_api): `{access_token, token_type, expires_in}`."""
    if form.get("grant_type") != "client_credentials":
        raise Rejected(400, "err.request.bad", "grant_type harus client_credentials.")
    client = session.scalar(select(DciClient).where(DciClient.client_id == str(form.get("client_id", ""))))
    ok = False
    if client is not None and client.active:
        try:
            ok = _hasher.verify(client.secret_hash, str(form.get("client_secret", "")))
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok:
        raise Rejected(401, "err.request.unauthorized", "client_id atau client_secret salah.")
    access, ttl = trust.issue_token(key, client.client_id, "registry.search registry.subscribe")
    record_change(
        session,
        _actor(client),
        "dci_client",
        client.id,
        None,
        {"token": "diterbitkan"},
        "token akses DCI",
        action="dci_token",
    )
    return {"access_token": access, "token_type": "bearer", "expires_in": str(ttl)}


def authenticate(session: Session, key, authorization: str | None) -> DciClient:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Rejected(401, "err.request.unauthorized", "Header Authorization: Bearer <token> wajib.")
    try:
        claims = trust.read_token(key, authorization[7:].strip())
    except trust.TrustError as e:
        raise Rejected(401, e.code, e.message) from None
    client = session.scalar(select(DciClient).where(DciClient.client_id == claims["sub"]))
    if client is None or not client.active:
        raise Rejected(401, "err.request.unauthorized", "Klien tidak aktif.")
    return client


# --- envelopes ------------------------------------------------------------------------------------------


@dataclass
class Envelope:
    header: dict
    message: dict
    client: DciClient
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)


def accept(
    session: Session, client: DciClient, body, action: str, receiver_id: str, now: dt.datetime | None = None
) -> Envelope:
    """Check an envelope (shape, sender, signature, rate, header) and record it; or raise Rejected."""
    moment = now or now_utc()
    if not isinstance(body, dict) or not isinstance(body.get("header"), dict) or "message" not in body:
        raise Rejected(400, "err.request.bad", "Pesan harus berisi signature, header dan message.")
    header, message = body["header"], body["message"]
    check_rate(session, client, moment)
    if header.get("sender_id") != client.client_id:
        raise Rejected(403, "err.sender_id.invalid", "sender_id tidak sama dengan klien pemilik token.")
    if header.get("receiver_id") not in (None, receiver_id):
        raise Rejected(403, "err.receiver_id.invalid", f"receiver_id harus '{receiver_id}'.")
    try:
        trust.verify(
            body.get("signature"), header, message, client.client_id, client.jwks, now=moment.timestamp()
        )
    except trust.TrustError as e:
        raise Rejected(401, e.code, e.message) from None
    if header.get("is_msg_encrypted"):
        raise Rejected(
            400, "err.encryption.invalid", "Pesan terenkripsi belum didukung; kirim tanpa enkripsi."
        )
    message_id = str(header.get("message_id") or "")
    if not message_id or len(message_id) > 100:
        raise Rejected(400, "err.request.bad", "header.message_id wajib (≤ 100 karakter).")
    if header.get("action") != action:
        raise Rejected(400, "err.request.bad", f"header.action harus '{action}'.", "rjct.action.invalid")
    if header.get("version", VERSION) != VERSION:
        raise Rejected(
            400, "err.version.not_supported", f"Versi yang didukung: {VERSION}.", "rjct.version.invalid"
        )
    try:
        sent = dt.datetime.fromisoformat(str(header.get("message_ts")).replace("Z", "+00:00"))
        if sent.tzinfo is None:
            raise ValueError
    except ValueError:
        raise Rejected(
            400,
            "err.request.bad",
            "header.message_ts harus ISO 8601 dengan zona waktu.",
            "rjct.message_ts.invalid",
        ) from None
    if abs(sent - moment) > MESSAGE_TS_WINDOW:
        raise Rejected(
            400,
            "err.request.bad",
            "header.message_ts terlalu jauh dari waktu sekarang (±5 menit).",
            "rjct.message_ts.invalid",
        )
    if session.scalar(
        select(DciRequest.id).where(DciRequest.client_id == client.id, DciRequest.message_id == message_id)
    ):
        raise Rejected(
            400,
            "err.request.bad",
            f"message_id '{message_id}' sudah pernah dipakai.",
            "rjct.message_id.duplicate",
        )
    session.add(DciRequest(client_id=client.id, message_id=message_id, action=action, at=moment))
    session.flush()
    return Envelope(header, message, client)


def check_rate(session: Session, client: DciClient, moment: dt.datetime) -> None:
    """Requests of the last minute, refused ones included (`note_refusal`), against the client's limit."""
    recent = session.scalar(
        select(func.count(DciRequest.id)).where(
            DciRequest.client_id == client.id, DciRequest.at > moment - dt.timedelta(minutes=1)
        )
    )
    if recent >= client.rate_per_minute:
        raise Rejected(
            429,
            "err.request.too_many_requests",
            f"Batas {client.rate_per_minute} permintaan per menit terlampaui; coba lagi sebentar lagi.",
        )


def note_refusal(session: Session, client_id: str | None, action: str, e: Rejected, *, count: bool) -> None:
    """Audit a refused request. With `count` (the caller holds the client's valid token) the refusal also
    counts against the client's rate limit, so a flood of badly signed messages is throttled too."""
    client = session.scalar(select(DciClient).where(DciClient.client_id == client_id)) if count else None
    if client is not None and e.status != 429:
        refused = f"ditolak:{uuid.uuid4().hex}"
        session.add(DciRequest(client_id=client.id, message_id=refused, action=action[:30]))
    record_change(
        session,
        f"dci:{client_id or 'tidak-dikenal'}",
        "dci_request",
        None,
        None,
        {"action": action, "code": e.code, "reason": e.reason, "message": e.message},
        "permintaan DCI ditolak",
        action="dci_tolak",
    )


def callback_header(
    action: str,
    receiver_id: str,
    sender_id: str,
    *,
    total: int,
    completed: int,
    status: str = "succ",
    reason: str | None = None,
    reason_message: str | None = None,
) -> dict:
    header = {
        "version": VERSION,
        "message_id": uuid.uuid4().hex,
        "message_ts": timestamp(),
        "action": action,
        "status": status,
        "total_count": total,
        "completed_count": completed,
        "sender_id": sender_id,
        "receiver_id": receiver_id,
        "is_msg_encrypted": False,
    }
    if reason:
        header["status_reason_code"] = reason
    if reason_message:
        header["status_reason_message"] = reason_message[:999]
    return header


# --- search ---------------------------------------------------------------------------------------------


def _record_type(criteria: dict) -> str:
    raw = criteria.get("response_entity") or criteria.get("reg_record_type") or "Group"
    kind = str(raw).rsplit(":", 1)[-1]
    if kind == "SRPerson":
        kind = "Person"
    if kind not in RECORD_TYPES:
        raise QueryError(f"Jenis rekaman '{raw}' tidak dikenal; gunakan Group, Member atau Person.")
    return kind


def _pagination(criteria: dict) -> tuple[int, int]:
    p = criteria.get("pagination") or {}
    size, number = p.get("page_size", DEFAULT_PAGE_SIZE), p.get("page_number", 1)
    if not isinstance(size, int | float) or size != int(size) or not 1 <= size <= MAX_PAGE_SIZE:
        raise QueryError(f"page_size harus 1–{MAX_PAGE_SIZE}.", "rjct.pagination.invalid")
    if not isinstance(number, int | float) or number != int(number) or number < 1:
        raise QueryError("page_number harus ≥ 1.", "rjct.pagination.invalid")
    return int(size), int(number)


def client_scope(client: DciClient) -> Scope:
    return Scope(code=client.wilayah_code)


def _condition(criteria: dict, client: DciClient, cols: Columns, today: dt.date):
    fields = frozenset(client.fields)
    query_type = criteria.get("query_type")
    query = criteria.get("query")
    if query_type == "idtype-value":
        return idtype_condition(query, fields), None
    translator = Translator(cols, client.wilayah_code, fields, today)
    if query_type == "predicate":
        return translator.predicate(query), None
    if query_type == "expression":
        return translator.expression(query)
    raise QueryError(
        f"query_type '{query_type}' tidak didukung; gunakan idtype-value, predicate, expression."
    )


def _base(client: DciClient, cols: Columns, *, active: bool = True):
    parts = [client_scope(client).where(Household.desa_code)]
    if active:
        parts += [
            Member.status == STATUS_ACTIVE,
            Family.status == STATUS_ACTIVE,
            Household.status == STATUS_ACTIVE,
        ]
    if client.programs:  # program users see the people on their programs' frozen lists only
        parts.append(Member.ref.in_(program_scope.member_refs(client)))
    return and_(*parts)


def _joined(stmt, cols: Columns):
    """Member ⋈ family ⋈ household, and the latest penetapan row only when something reads it."""
    stmt = (
        stmt.select_from(Member)
        .join(Family, Family.id == Member.family_id)
        .join(Household, Household.id == Family.household_id)
    )
    return stmt.outerjoin(cols.score, cols.score.c.household_ref == Household.ref) if cols.used else stmt


def _sort_column(name: str, kind: str, cols: Columns):
    return {
        "household_id": Household.ref,
        "member_id": Member.ref if kind != "Group" else Household.ref,
        "birth_date": Member.tanggal_lahir if kind != "Group" else Household.ref,
        "poverty_score": cols.score.c.skor_pmt,
        "desil": cols.score.c.desil,
    }[name]


def find(session: Session, client: DciClient, criteria: dict, today: dt.date) -> tuple[str, list[dict], dict]:
    """One search: `(record type, records of the page, pagination)`; QueryError for a refused one."""
    if not isinstance(criteria, dict):
        raise QueryError("search_criteria harus objek.")
    cols = Columns()
    kind = _record_type(criteria)
    size, number = _pagination(criteria)
    condition, collection = _condition(criteria, client, cols, today)
    if (
        collection is not None
        and criteria.get("response_entity") is None
        and not criteria.get("reg_record_type")
    ):
        kind = "Person" if collection == "Person" else collection
    sort = criteria.get("sort") or []
    if not isinstance(sort, list):
        raise QueryError("sort harus daftar.", "rjct.sort.invalid")
    order = []
    for s in sort:
        name = s.get("attribute_name") if isinstance(s, dict) else None
        if name not in SORTABLE:
            raise QueryError(
                f"Urutan '{name}' tidak didukung; gunakan {', '.join(sorted(SORTABLE))}.", "rjct.sort.invalid"
            )
        needs = {"poverty_score": "skor_pmt", "desil": "desil", "birth_date": "tanggal_lahir"}.get(name)
        if needs and needs not in client.fields:
            raise QueryError(f"Klien tidak berhak mengurutkan menurut '{name}'.", "rjct.sort.invalid")
        column = _sort_column(name, kind, cols)
        # NULLS LAST on both backends (SQLite puts NULL first by default, PostgreSQL last)
        order.append((column.desc() if s.get("sort_order") == "desc" else column.asc()).nulls_last())
    key = Household.ref if kind == "Group" else Member.ref
    where = and_(_base(client, cols), condition)
    total = session.scalar(_joined(select(func.count(distinct(key))), cols).where(where)) or 0
    keyed = _joined(select(key, *[o.element.element for o in order]).distinct(), cols).where(where)
    page = [
        r[0] for r in session.execute(keyed.order_by(*order, key).limit(size).offset((number - 1) * size))
    ]
    rows = _rows(session, client, kind, page)
    return (
        kind,
        records(kind, rows, frozenset(client.fields), page),
        {
            "page_size": size,
            "page_number": number,
            "total_count": total,
        },
    )


def _rows(session: Session, client: DciClient, kind: str, refs: list[str]) -> list[Row]:
    """The anggota rows of a page: its ruta (Group) or its anggota (Member/Person), with desil and score."""
    if not refs:
        return []
    households = refs
    if kind != "Group":
        households = list(
            session.scalars(_joined(select(Household.ref).distinct(), Columns()).where(Member.ref.in_(refs)))
        )
    cols = Columns(households)
    kk = (
        select(FamilyKK.kk_number)
        .where(FamilyKK.family_id == Family.id, FamilyKK.valid_to.is_(None))
        .order_by(FamilyKK.id.desc())
        .limit(1)
        .correlate(Family)
        .scalar_subquery()
    )
    stmt = _joined(
        select(
            Member.ref,
            Member.nik,
            Member.nama,
            Member.sex,
            Member.tanggal_lahir,
            Member.hubungan_kk,
            Member.status_kawin,
            Member.created_at,
            kk,
            Household.ref,
            Household.desa_code,
            Household.dusun,
            Household.rw,
            Household.rt,
            Household.alamat,
            Household.created_at,
            Household.updated_at,
            cols.score.c.desil,
            cols.score.c.skor_pmt,
        ),
        cols,
    ).where(_base(client, cols))
    stmt = stmt.where((Household.ref if kind == "Group" else Member.ref).in_(refs))
    return [Row(*r) for r in session.execute(stmt.order_by(Household.ref, Family.ref, Member.no_urut))]


def search(session: Session, env: Envelope, today: dt.date | None = None) -> dict:
    """A SearchResponse for every search_request item (succ with records, or rjct with the reason)."""
    message, client = env.message, env.client
    items = message.get("search_request") if isinstance(message, dict) else None
    if not isinstance(items, list) or not items or not message.get("transaction_id"):
        raise Rejected(400, "err.request.bad", "message butuh transaction_id dan search_request.")
    if len(items) > MAX_BATCH:
        raise Rejected(
            400,
            "err.request.bad",
            f"Paling banyak {MAX_BATCH} permintaan per pesan.",
            "rjct.total_count.limit_exceeded",
        )
    today = today or dt.date.today()
    answers, audit = [], []
    seen: set[str] = set()
    for item in items:
        ref = str(item.get("reference_id", "")) if isinstance(item, dict) else ""
        answer: dict = {"reference_id": ref or "-", "timestamp": timestamp()}
        try:
            if not ref:
                raise QueryError("reference_id wajib.", "rjct.reference_id.invalid")
            if ref in seen:
                raise QueryError(
                    f"reference_id '{ref}' ganda dalam pesan ini.", "rjct.reference_id.duplicate"
                )
            seen.add(ref)
            criteria = item.get("search_criteria")
            kind, found, pagination = find(session, client, criteria, today)
            answer |= {
                "status": "succ",
                "data": {
                    "version": VERSION,
                    "reg_type": REG_TYPE,
                    "reg_record_type": kind,
                    "reg_records": found,
                },
                "pagination": pagination,
            }
            audit.append(
                {
                    "reference_id": ref,
                    "query_type": criteria.get("query_type"),
                    "query": criteria.get("query"),
                    "records": len(found),
                }
            )
        except QueryError as e:
            answer |= {"status": "rjct", "status_reason_code": e.reason, "status_reason_message": str(e)}
            audit.append({"reference_id": ref, "rejected": e.reason, "why": str(e)})
        answers.append(answer)
    response = {
        "transaction_id": str(message["transaction_id"])[:99],
        "correlation_id": env.correlation_id,
        "search_response": answers,
    }
    txn = DciTransaction(
        client_id=client.id,
        correlation_id=env.correlation_id,
        transaction_id=response["transaction_id"],
        txn_type="search",
        status="succ" if any(a["status"] == "succ" for a in answers) else "rjct",
        reference_ids=[a["reference_id"] for a in answers],
        response=response,
        completed_at=now_utc(),
    )
    session.add(txn)
    session.flush()
    record_change(
        session,
        _actor(client),
        "dci_transaction",
        txn.id,
        None,
        {
            "action": env.header.get("action"),
            "message_id": env.header.get("message_id"),
            "transaction_id": txn.transaction_id,
            "requests": audit,
        },
        "pencarian DCI",
        action="dci_search",
    )
    return response


def txn_status(session: Session, env: Envelope) -> tuple[dict | None, str | None]:
    """`(TxnStatusResponse, None)` for a known search transaction of this client, else `(None, why)`."""
    message, client = env.message, env.client
    req = message.get("txnstatus_request") if isinstance(message, dict) else None
    if not isinstance(req, dict) or not message.get("transaction_id"):
        raise Rejected(400, "err.request.bad", "message butuh transaction_id dan txnstatus_request.")
    kind, value = req.get("attribute_type"), req.get("attribute_value")
    if req.get("txn_type") != "search":
        return None, "Hanya status transaksi search yang dapat ditanyakan."
    stmt = select(DciTransaction).where(
        DciTransaction.client_id == client.id, DciTransaction.txn_type == "search"
    )
    if kind == "transaction_id":
        stmt = stmt.where(DciTransaction.transaction_id == str(value))
    elif kind == "correlation_id":
        stmt = stmt.where(DciTransaction.correlation_id == str(value))
    elif kind == "reference_id_list" and isinstance(value, list):
        wanted = {str(v) for v in value}
        txns = [
            t
            for t in session.scalars(stmt.order_by(DciTransaction.id.desc()).limit(500))
            if wanted & set(t.reference_ids)
        ]
        stmt = select(DciTransaction).where(DciTransaction.id.in_([t.id for t in txns[:1]] or [-1]))
    else:
        raise Rejected(
            400,
            "err.request.bad",
            "attribute_type harus transaction_id, correlation_id atau reference_id_list.",
        )
    txn = session.scalar(stmt.order_by(DciTransaction.id.desc()).limit(1))
    record_change(
        session,
        _actor(client),
        "dci_transaction",
        txn.id if txn else None,
        None,
        {"action": "txn-status", "attribute_type": kind, "found": txn is not None},
        "status transaksi DCI",
        action="dci_txn_status",
    )
    if txn is None or txn.response is None:
        return None, "Transaksi tidak ditemukan."
    return {
        "transaction_id": str(message["transaction_id"])[:99],
        "correlation_id": env.correlation_id,
        "txnstatus_response": {"txn_type": "search", "txn_status": txn.response},
    }, None


# --- subscriptions --------------------------------------------------------------------------------------


def _event(name) -> str | None:
    kind = str(name or "").rsplit(":", 1)[-1].upper()
    return kind if kind in (*EVENTS, "ALL") else None


def callback_base(client: DciClient, sender_uri: str | None) -> str:
    """Where callbacks go: `sender_uri` if it lies under the client's registered callback_uri."""
    registered = client.callback_uri
    if not registered:
        raise Rejected(400, "err.sender_uri.invalid", "Klien belum mendaftarkan callback_uri.")
    if not sender_uri:
        return registered
    uri = sender_uri.rstrip("/")
    if uri != registered and not uri.startswith(registered + "/"):
        raise Rejected(
            400, "err.sender_uri.invalid", "sender_uri tidak berada di bawah callback_uri terdaftar."
        )
    return uri


def subscribe(session: Session, env: Envelope, base_uri: str) -> dict:
    """A SubscribeResponse; each accepted item becomes a subscription starting from now."""
    message, client = env.message, env.client
    items = message.get("subscribe_request") if isinstance(message, dict) else None
    if not isinstance(items, list) or not items or not message.get("transaction_id"):
        raise Rejected(400, "err.request.bad", "message butuh transaction_id dan subscribe_request.")
    start = session.scalar(select(func.max(AuditEntry.id))) or 0
    answers = []
    cols = Columns()
    for item in items[:MAX_BATCH]:
        ref = str(item.get("reference_id", "-")) if isinstance(item, dict) else "-"
        c = item.get("subscribe_criteria") if isinstance(item, dict) else None
        answer: dict = {"reference_id": ref, "timestamp": timestamp()}
        event = _event(c.get("reg_event_type")) if isinstance(c, dict) else None
        if event is None:
            answers.append(
                answer
                | {
                    "status": "rjct",
                    "status_reason_code": "rjct.notify_types.invalid",
                    "status_reason_message": "reg_event_type harus REGISTER, UPDATE, DELETE atau ALL.",
                }
            )
            continue
        record_type = str(c.get("notify_record_type", "Group")).rsplit(":", 1)[-1]
        try:
            if record_type not in RECORD_TYPES:
                raise QueryError(f"notify_record_type '{record_type}' tidak dikenal.")
            _condition(
                {"query_type": c.get("filter_type"), "query": c.get("filter")}, client, cols, dt.date.today()
            )
        except QueryError as e:
            answers.append(
                answer
                | {
                    "status": "rjct",
                    "status_reason_code": "rjct.notify_details.invalid",
                    "status_reason_message": str(e),
                }
            )
            continue
        sub = DciSubscription(
            code=f"sub-{uuid.uuid4().hex[:20]}",
            client_id=client.id,
            reg_event_type=event,
            filter_type=str(c.get("filter_type")),
            filter=c.get("filter"),
            notify_record_type=record_type,
            sender_uri=base_uri,
            status="subscribe",
            last_audit_id=start,
        )
        session.add(sub)
        session.flush()
        record_change(
            session,
            _actor(client),
            "dci_subscription",
            sub.id,
            None,
            {"code": sub.code, "event": event, "filter_type": sub.filter_type, "filter": sub.filter},
            "langganan DCI",
            action="dci_subscribe",
        )
        answers.append(answer | {"status": "succ", "subscriptions": [_info(sub)]})
    return {
        "transaction_id": str(message["transaction_id"])[:99],
        "correlation_id": env.correlation_id,
        "subscribe_response": answers,
    }


def _info(sub: DciSubscription) -> dict:
    return {
        "version": VERSION,
        "code": sub.code,
        "status": sub.status,
        "timestamp": timestamp(sub.created_at),
        "reg_type": REG_TYPE,
        "reg_event_type": sub.reg_event_type,
        "filter_type": sub.filter_type,
        "filter": sub.filter,
        "notify_record_type": sub.notify_record_type,
    }


def unsubscribe(session: Session, env: Envelope) -> dict:
    message, client = env.message, env.client
    codes = message.get("subscription_codes") if isinstance(message, dict) else None
    if not isinstance(codes, list) or not codes or not message.get("transaction_id"):
        raise Rejected(400, "err.request.bad", "message butuh transaction_id dan subscription_codes.")
    subs = {
        s.code: s
        for s in session.scalars(
            select(DciSubscription).where(
                DciSubscription.client_id == client.id, DciSubscription.code.in_([str(c) for c in codes])
            )
        )
    }
    statuses, reason = [], None
    for code in codes:
        sub = subs.get(str(code))
        if sub is None:
            reason = "rjct.subscription_code.invalid"
            continue
        if sub.status == "unsubscribe":
            reason = reason or "rjct.event.already_unsubscribed"
        else:
            sub.status, sub.ended_at = "unsubscribe", now_utc()
            record_change(
                session,
                _actor(client),
                "dci_subscription",
                sub.id,
                {"status": "subscribe"},
                {"status": "unsubscribe"},
                "berhenti langganan DCI",
                action="dci_unsubscribe",
            )
        statuses.append({"code": sub.code, "status": "unsubscribe"})
    response = {
        "transaction_id": str(message["transaction_id"])[:99],
        "correlation_id": env.correlation_id,
        "timestamp": timestamp(),
        "status": "succ" if reason is None else "rjct",
        "subscription_status": statuses,
    }
    if reason:
        response["status_reason_code"] = reason
        response["status_reason_message"] = "Sebagian kode langganan tidak dikenal atau sudah berhenti."
    return response


# --- notify ---------------------------------------------------------------------------------------------

REGISTRY_ENTITIES = ("household", "family", "member")


def _household_of(session: Session, entity: str, entity_id: int) -> Household | None:
    if entity == "household":
        return session.get(Household, entity_id)
    if entity == "family":
        f = session.get(Family, entity_id)
        return f.household if f else None
    m = session.get(Member, entity_id)
    return m.family.household if m else None


def _event_of(entry: AuditEntry) -> str:
    if entry.action == "hapus" or (entry.after or {}).get("status") == STATUS_INACTIVE:
        return "DELETE"
    return "REGISTER" if entry.action == "buat" else "UPDATE"


def pending_events(
    session: Session, sub: DciSubscription, client: DciClient, limit: int = 1000
) -> tuple[list[dict], int]:
    """The notify_event items due for a subscription since its cursor, and the new cursor."""
    entries = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.id > sub.last_audit_id, AuditEntry.entity.in_(REGISTRY_ENTITIES))
            .order_by(AuditEntry.id)
            .limit(limit)
        )
    )
    if not entries:
        return [], sub.last_audit_id
    scope = client_scope(client)
    cols = Columns()
    fields = frozenset(client.fields)
    seen: set[tuple[str, str]] = set()
    events = []
    for entry in entries:
        event = _event_of(entry)
        if sub.reg_event_type not in ("ALL", event) or entry.entity_id is None:
            continue
        household = _household_of(session, entry.entity, entry.entity_id)
        if household is None or not scope.covers(household.desa_code):
            continue
        if (household.ref, event) in seen:
            continue
        condition, _ = _condition(
            {"query_type": sub.filter_type, "query": sub.filter}, client, cols, dt.date.today()
        )
        base = and_(scope.where(Household.desa_code), Household.id == household.id)
        if event != "DELETE":
            base = and_(base, _base(client, cols))
        elif client.programs:  # a program client hears of a departure only from its own list
            base = and_(base, Member.ref.in_(program_scope.member_refs(client)))
        matched = session.scalar(_joined(select(func.count(Member.id)), cols).where(base, condition))
        if event != "DELETE" and not matched:
            continue
        if event == "DELETE" and not matched:
            # a ruta or anggota that left: still announced when it lay in the filter before leaving
            unfiltered = session.scalar(_joined(select(func.count(Member.id)), cols).where(base))
            if not unfiltered:
                continue
        seen.add((household.ref, event))
        events.append(_notify_item(session, client, sub, household, event, entry, fields))
    return events, entries[-1].id


def _notify_item(session, client, sub, household, event, entry, fields) -> dict:
    if event == "DELETE":
        record = {
            "@type": "Group",
            "group_identifier": [
                {"@type": "Identifier", "identifier_type": "HOUSEHOLD_ID", "identifier_value": household.ref}
            ],
            "status": STATUS_INACTIVE,
        }
        kind = "Group"
    else:
        kind = "Group"
        found = records("Group", _rows(session, client, "Group", [household.ref]), fields, [household.ref])
        record = found[0] if found else {"@type": "Group"}
        if sub.notify_record_type in ("Member", "Person") and entry.entity == "member":
            member_ref = session.get(Member, entry.entity_id).ref
            rows = _rows(session, client, sub.notify_record_type, [member_ref])
            picked = records(sub.notify_record_type, rows, fields, [member_ref])
            if picked:
                record, kind = picked[0], sub.notify_record_type
    data = {
        "version": VERSION,
        "reg_type": REG_TYPE,
        "event_type": event,
        "reg_record_type": kind,
        "reg_records": record,
    }
    if event == "REGISTER":
        data["reg_event_type"] = "REGISTER"  # the only event of the three in the spec's v1.0.0 enum
    return {"reference_id": f"{sub.code}-{entry.id}", "timestamp": timestamp(), "data": data}


@dataclass
class Delivery:
    """One callback to send: where, and the signed envelope."""

    url: str
    body: dict


def notifications(session: Session, key, sender_id: str) -> list[tuple[DciSubscription, int, Delivery]]:
    """For every active subscription with due events: the notify envelope and the cursor it advances to."""
    out = []
    for sub in session.scalars(select(DciSubscription).where(DciSubscription.status == "subscribe")):
        client = session.get(DciClient, sub.client_id)
        if client is None or not client.active:
            continue
        events, cursor = pending_events(session, sub, client)
        if not events:
            if cursor != sub.last_audit_id:
                sub.last_audit_id = cursor
            continue
        message = {"transaction_id": uuid.uuid4().hex, "notify_event": events}
        header = callback_header(
            "notify", client.client_id, sender_id, total=len(events), completed=len(events)
        )
        body = {
            "signature": trust.sign(header, message, key, sender_id),
            "header": header,
            "message": message,
        }
        out.append((sub, cursor, Delivery(f"{sub.sender_uri}/registry/notify", body)))
    return out


#: Waits after the 1st, 2nd, … failed delivery of the same events; the last one repeats. The events are
#: never dropped: the subscription's cursor moves only when the agency answered 2xx.
RETRY_AFTER = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
)


@dataclass
class NotifyReport:
    """What one `notify` pass did: subscriptions delivered, failed (will be retried), or still waiting."""

    sent: int = 0
    failed: int = 0
    waiting: int = 0


def _last_failure(session: Session, sub: DciSubscription) -> DciDelivery | None:
    last = session.scalar(
        select(DciDelivery)
        .where(DciDelivery.subscription_id == sub.id)
        .order_by(DciDelivery.id.desc())
        .limit(1)
    )
    return last if last is not None and not last.ok and last.cursor_from == sub.last_audit_id else None


def notify(
    session_factory, key, sender_id: str, post: Callable[..., int], *, now: dt.datetime | None = None
) -> NotifyReport:
    """Send every due notification, log each attempt in `dci_delivery`, and retry failed ones later.

    A subscription whose last delivery failed waits `RETRY_AFTER[attempt-1]` before the next try; its cursor
    moves only after a 2xx answer, so events are delivered at least once and in order."""
    moment = now or now_utc()
    report = NotifyReport()
    with session_factory.begin() as session:
        for sub, cursor, delivery in notifications(session, key, sender_id):
            failure = _last_failure(session, sub)
            due = failure.next_try_at if failure is not None else None
            if due is not None and due.replace(tzinfo=due.tzinfo or dt.UTC) > moment:
                report.waiting += 1
                continue
            attempt = failure.attempt + 1 if failure is not None else 1
            client = session.get(DciClient, sub.client_id)
            bearer, _ = trust.issue_token(key, client.client_id, trust.CALLBACK_SCOPE, issuer=sender_id)
            error = None
            try:
                status = post(delivery.url, delivery.body, bearer)
            except OSError as e:
                status, error = 0, f"tidak dapat dihubungi: {e}"[:500]
            ok = 200 <= status < 300
            if not ok and error is None:
                error = f"HTTP {status}"
            events = len(delivery.body["message"]["notify_event"])
            wait = RETRY_AFTER[min(attempt, len(RETRY_AFTER)) - 1]
            session.add(
                DciDelivery(
                    subscription_id=sub.id,
                    url=delivery.url,
                    events=events,
                    cursor_from=sub.last_audit_id,
                    cursor_to=cursor,
                    attempt=attempt,
                    http_status=status,
                    ok=ok,
                    error=error,
                    at=moment,
                    next_try_at=None if ok else moment + wait,
                )
            )
            record_change(
                session,
                _actor(client),
                "dci_subscription",
                sub.id,
                None,
                {"notify": events, "http_status": status, "percobaan": attempt},
                "notifikasi DCI",
                action="dci_notify" if ok else "dci_notify_gagal",
            )
            if ok:
                sub.last_audit_id = cursor
                report.sent += 1
            else:
                report.failed += 1
    return report


def deliveries(session: Session, limit: int = 50) -> list[tuple[DciDelivery, str, str]]:
    """The latest delivery attempts with their subscription code and client id, newest first."""
    stmt = (
        select(DciDelivery, DciSubscription.code, DciClient.client_id)
        .join(DciSubscription, DciSubscription.id == DciDelivery.subscription_id)
        .join(DciClient, DciClient.id == DciSubscription.client_id)
        .order_by(DciDelivery.id.desc())
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(stmt)]
