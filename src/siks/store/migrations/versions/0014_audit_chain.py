"""A tamper-evident audit trail: `audit_log.hash` chains every entry to the one before it (#17.14), and
`audit_log.origin` records the operating-system user behind a command-line `--oleh` (#17.6); and
`nik_conflict`, the adjudication cases of usulan whose NIK is already taken (#17.3).

Each entry's hash is SHA-256(previous hash + the canonical entry) (siks.domain.audit_chain); `audit_chain`
holds the head (last id, last hash), whose row lock orders the writers. Existing entries are sealed here in
id order, in pages, the same way on SQLite and PostgreSQL. The downgrade drops both.

Revision ID: 0014_audit_chain
Revises: 0013_desil_bps
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0014_audit_chain"
down_revision = "0013_desil_bps"
branch_labels = None
depends_on = None

PAGE = 5000
Json = sa.JSON().with_variant(JSONB(), "postgresql")
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

# copied from siks.domain.audit_chain, not imported: a migration must not change when the code does


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _time(at) -> str | None:
    if at is None:
        return None
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _link(prev_hash: str, entry: dict) -> str:
    doc = {k: _plain(entry.get(k)) for k in FIELDS}
    doc["at"] = _time(entry.get("at"))
    body = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()


def upgrade() -> None:
    op.create_table(  # the NIK cases of usulan (#17.3), carried here: one migration id for this work
        "nik_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("usulan_id", sa.Integer(), nullable=False),
        sa.Column("nik", sa.String(16), nullable=False),
        sa.Column("other_member_id", sa.Integer(), nullable=True),
        sa.Column("other_usulan_id", sa.Integer(), nullable=True),
        sa.Column("desa_code", sa.String(13), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["usulan_id"], ["usulan.id"], name="fk_nik_conflict_usulan_id_usulan"),
        sa.ForeignKeyConstraint(
            ["other_member_id"], ["member.id"], name="fk_nik_conflict_other_member_id_member"
        ),
        sa.ForeignKeyConstraint(
            ["other_usulan_id"], ["usulan.id"], name="fk_nik_conflict_other_usulan_id_usulan"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_nik_conflict"),
    )
    op.create_index("ix_nik_conflict_usulan_id", "nik_conflict", ["usulan_id"])
    op.create_index("ix_nik_conflict_desa_code", "nik_conflict", ["desa_code"])
    op.add_column("audit_log", sa.Column("origin", sa.String(120), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(64), nullable=True))
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_chain"),
    )
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("entity", sa.String()),
        sa.column("entity_id", sa.Integer()),
        sa.column("before", Json),
        sa.column("after", Json),
        sa.column("reason", sa.Text()),
        sa.column("import_batch_id", sa.Integer()),
        sa.column("origin", sa.String()),
        sa.column("hash", sa.String()),
    )
    conn = op.get_bind()
    prev, last_id = "", 0
    while True:
        rows = conn.execute(
            sa.select(*[log.c[k] for k in FIELDS]).where(log.c.id > last_id).order_by(log.c.id).limit(PAGE)
        ).all()
        if not rows:
            break
        sealed = []
        for row in rows:
            prev = _link(prev, row._asdict())
            sealed.append({"i": row.id, "h": prev})
        conn.execute(
            sa.update(log).where(log.c.id == sa.bindparam("i")).values(hash=sa.bindparam("h")), sealed
        )
        last_id = rows[-1].id
    conn.execute(
        sa.text("INSERT INTO audit_chain (id, last_id, last_hash) VALUES (1, :i, :h)"),
        {"i": last_id, "h": prev},
    )
    if conn.dialect.name == "postgresql":  # ids are given by the chain from now on; keep the sequence ahead
        conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), GREATEST(:i, 1))"),
            {"i": last_id},
        )


def downgrade() -> None:
    op.drop_table("nik_conflict")
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("hash")
        batch.drop_column("origin")
