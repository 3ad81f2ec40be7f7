"""The hash chain over the audit trail: each entry's hash = SHA-256(previous hash + the canonical entry).

Why: `audit_log` is append-only in the code, but anyone with the database file or a SQL prompt can rewrite a
row. With the chain, changing, deleting or reordering any entry breaks every hash after it, and
`siks audit verify` names the first broken link. The canonical form is what both databases give back the
same way: JSON with sorted keys, integral floats as integers (PostgreSQL's JSONB prints `1e20` as an
integer), times as naive UTC with microseconds (SQLite drops the zone).

Migration `0014_audit_chain` carries a copy of these functions (a migration must not change when the code
does); change them only together with a new migration that re-seals the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping

GENESIS = ""
FIELDS = (
    "id",
    "at",
    "actor",
    "action",
    "entity",
    "entity_id",
    "before",
    "after",
    "reason",
    "import_batch_id",
    "origin",
)


def _plain(value):
    kind = type(value)
    if kind is str or kind is int or value is None or kind is bool:  # the common case, first
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        return {str(k): _plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    return value


def _time(at) -> str | None:
    if at is None:
        return None
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def canonical(entry: Mapping) -> bytes:
    """The bytes hashed for one entry (a mapping with the `FIELDS` of an `audit_log` row)."""
    doc = {k: entry.get(k) for k in FIELDS}
    doc["before"], doc["after"] = _plain(doc["before"]), _plain(doc["after"])
    doc["at"] = _time(doc["at"])
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link(prev_hash: str | None, entry: Mapping) -> str:
    """The hash of `entry` following the entry whose hash is `prev_hash` (GENESIS for the first)."""
    return hashlib.sha256((prev_hash or GENESIS).encode() + b"\n" + canonical(entry)).hexdigest()
