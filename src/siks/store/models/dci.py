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

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
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
