"""One status vocabulary (siks.domain.status): the usulan and batch state `draft` becomes `draf`.

Every status siks stores is now the Indonesian word the workflow uses, lower case (`draf`, `diajukan`,
`selesai`, `ditugaskan`, …). Only `draft` broke that rule; it is rewritten wherever an usulan state is stored:
the usulan itself, its batch, its history (`usulan_event.from_status`, `to_status`) and the copies frozen
with a penetapan. The audit trail is left as written: it records what was true when it was written.
Plain UPDATEs, the same on SQLite and PostgreSQL; the downgrade writes `draft` back.

Revision ID: 0010_status_enums
Revises: 0008_dci
"""

from __future__ import annotations

from alembic import op

revision = "0010_status_enums"
down_revision = "0008_dci"
branch_labels = None
depends_on = None

COLUMNS = (
    ("usulan", "status"),
    ("usulan_batch", "status"),
    ("usulan_event", "from_status"),
    ("usulan_event", "to_status"),
    ("penetapan_usulan", "status"),
)


def _rename(old: str, new: str) -> None:
    for table, column in COLUMNS:
        op.execute(f"UPDATE {table} SET {column} = '{new}' WHERE {column} = '{old}'")


def upgrade() -> None:
    _rename("draft", "draf")


def downgrade() -> None:
    _rename("draf", "draft")
