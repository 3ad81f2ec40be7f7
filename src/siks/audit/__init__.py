"""The audit trail (`audit_log`): append-only record of every change — who, when, what, before, after, why.

Other areas call `record_change(session, actor, entity, entity_id, before, after, reason)` in the same
transaction as the change, and `register_entity_scope(entity, resolver)` once for each new kind of record.
"""

from siks.audit.service import (
    AppendOnly,
    EntryView,
    entries_for,
    export_csv,
    jsonable,
    record_change,
    register_entity_scope,
    search,
)

__all__ = [
    "AppendOnly",
    "EntryView",
    "entries_for",
    "export_csv",
    "jsonable",
    "record_change",
    "register_entity_scope",
    "search",
]
