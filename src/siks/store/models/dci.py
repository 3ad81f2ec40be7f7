"""DCI tables: agency clients with their keys and scopes, requests (for rate limits and duplicates),
transactions (for txn/status) and event subscriptions.

Why in the database:
- Requests are rows, so the rate limit and the duplicate-message check hold across workers and restarts.
- A transaction keeps the response it produced, so `txn/status` answers what was actually sent.
- A subscription keeps its cursor into the audit trail (`last_audit_id`): every registry change is audited,
  so the audit trail is the one feed of REGISTER / UPDATE / DELETE events, whoever wrote the change.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siks.store.base import Base, Json, utcnow


class DciClient(Base):
    """One agency system (BPJS, a bank, an OPD) allowed to call the Social Registry API."""

    __tablename__ = "dci_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)  # also its DCI sender_id
    name: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(Text)  # argon2; the secret is shown once
    wilayah_code: Mapped[str | None] = mapped_column(String(13))  # dotted; None = nasional
    fields: Mapped[list] = mapped_column(Json)  # record fields it may receive (siks.dci.records.FIELDS)
    programs: Mapped[list] = mapped_column(Json)  # programs whose DTKS households it may see; [] = all
    jwks: Mapped[dict] = mapped_column(Json)  # its public signing keys, {"keys": [...]}
    callback_uri: Mapped[str | None] = mapped_column(Text)  # base of its on-search/notify endpoints
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class DciRequest(Base):
    """One accepted envelope: who, when, which action and message_id."""

    __tablename__ = "dci_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("dci_client.id"))
    message_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_dci_request_message", "client_id", "message_id", unique=True),
        Index("ix_dci_request_at", "client_id", "at"),
    )


class DciTransaction(Base):
    """A search or subscribe transaction: its status and the message siks answered with."""

    __tablename__ = "dci_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("dci_client.id"), index=True)
    correlation_id: Mapped[str] = mapped_column(String(99), unique=True)
    transaction_id: Mapped[str] = mapped_column(String(99))
    txn_type: Mapped[str] = mapped_column(String(20))  # search | subscribe
    status: Mapped[str] = mapped_column(String(4))  # rcvd | pdng | succ | rjct
    reference_ids: Mapped[list] = mapped_column(Json)
    response: Mapped[dict | None] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (Index("ix_dci_transaction_txn", "client_id", "transaction_id"),)


class DciSubscription(Base):
    """A client's standing request to be notified of registry events matching a filter."""

    __tablename__ = "dci_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(99), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("dci_client.id"), index=True)
    reg_event_type: Mapped[str] = mapped_column(String(60))
    filter_type: Mapped[str] = mapped_column(String(20))
    filter: Mapped[dict | list] = mapped_column(Json)
    notify_record_type: Mapped[str] = mapped_column(String(60))
    sender_uri: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(11))  # subscribe | unsubscribe
    last_audit_id: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column()


DCI_TABLES = ("dci_client", "dci_request", "dci_transaction", "dci_subscription")


class DciClientProgram(Base):
    """One program a client is scoped to, and the penetapan whose program list was frozen for it.

    Why a frozen copy of the list: a program list is computed from a penetapan by the program's rules
    (eligibility, quota over the whole list); computing it on every search would be slow and would let a
    rule edit silently widen an agency's view. The list changes only when an operator sets it again."""

    __tablename__ = "dci_client_program"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("dci_client.id"))
    program: Mapped[str] = mapped_column(String(20))  # program code (pkh, bpnt, pbi_jk, …)
    program_key: Mapped[str] = mapped_column(String(80))  # code@version of the rules applied
    params: Mapped[dict] = mapped_column(Json)  # parameter overrides the list was computed with
    penetapan_id: Mapped[int] = mapped_column(ForeignKey("penetapan.id"))
    units: Mapped[int] = mapped_column(Integer, default=0)  # keluarga or anggota in the list (in quota)
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    set_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index("ix_dci_client_program", "client_id", "program", unique=True),)


class DciProgramMember(Base):
    """One anggota an agency may see for a program: every anggota of a listed keluarga, or the listed
    anggota for anggota-unit programs (PBI-JK)."""

    __tablename__ = "dci_program_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_program_id: Mapped[int] = mapped_column(ForeignKey("dci_client_program.id", ondelete="CASCADE"))
    household_ref: Mapped[str] = mapped_column(String(40))
    member_ref: Mapped[str] = mapped_column(String(50))

    __table_args__ = (Index("ix_dci_program_member", "client_program_id", "member_ref", unique=True),)


class DciDelivery(Base):
    """One attempt to deliver a subscription's notify callback: the delivery log, and the retry clock."""

    __tablename__ = "dci_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("dci_subscription.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[int] = mapped_column(Integer)
    cursor_from: Mapped[int] = mapped_column(Integer)
    cursor_to: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)  # 1 for the first try of these events
    http_status: Mapped[int] = mapped_column(Integer)  # 0: not reachable
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_try_at: Mapped[dt.datetime | None] = mapped_column()  # set after a failure


class DciPadan(Base):
    """One online padan with the civil registry (CRVS): asked while an usulan was entered, or by hand.

    `status` is padan | tidak_padan | tidak_ditemukan, or tertunda when the registry could not be asked;
    a tertunda padan is retried by `siks dci padan-tertunda` and the batch padan still reads the extract."""

    __tablename__ = "dci_padan"

    id: Mapped[int] = mapped_column(primary_key=True)
    usulan_id: Mapped[int | None] = mapped_column(ForeignKey("usulan.id"), index=True)
    nik: Mapped[str] = mapped_column(String(16), index=True)
    nama: Mapped[str] = mapped_column(Text)
    tanggal_lahir: Mapped[dt.date | None] = mapped_column(Date)
    sex: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list] = mapped_column(Json)
    crvs_url: Mapped[str | None] = mapped_column(Text)  # which civil registry answered
    asked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    asked_by: Mapped[str] = mapped_column(String(100))


DCI_SCOPE_TABLES = ("dci_client_program", "dci_program_member", "dci_delivery", "dci_padan")
