"""penetapan area: frozen DTKS versions, simulations, program pengurus, public cek-status traffic.

Revision ID: 0004_penetapan
Revises: 0003_usulan
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_penetapan"
down_revision = "0003_usulan"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _penetapan() -> None:
    op.create_table(
        "penetapan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("periode", sa.String(7), nullable=False),
        sa.Column("berlaku_mulai", sa.Date(), nullable=False),
        sa.Column("wilayah_code", sa.String(13)),
        sa.Column("criteria", JSON, nullable=False),
        sa.Column("criteria_key", sa.String(120), nullable=False),
        sa.Column("verval_run_id", sa.String(40)),
        sa.Column("verval_run", JSON),
        sa.Column("score_source", JSON),
        sa.Column("previous_id", sa.Integer()),
        sa.Column("counts", JSON),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_by_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_penetapan"),
        _fk("penetapan", "previous_id", "penetapan"),
        _fk("penetapan", "created_by_id", "app_user"),
    )
    op.create_index("ix_penetapan_berlaku_mulai", "penetapan", ["berlaku_mulai"])
    op.create_index("ix_penetapan_wilayah_code", "penetapan", ["wilayah_code"])
    op.create_table(
        "penetapan_household",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("penetapan_id", sa.Integer(), nullable=False),
        sa.Column("household_ref", sa.String(40), nullable=False),
        sa.Column("household_id", sa.Integer()),
        sa.Column("desa_code", sa.String(13)),
        sa.Column("dusun", sa.Text()),
        sa.Column("rw", sa.String(3)),
        sa.Column("rt", sa.String(3)),
        sa.Column("alamat", sa.Text()),
        sa.Column("included", sa.Boolean(), nullable=False),
        sa.Column("desil", sa.Integer()),
        sa.Column("skor_pmt", sa.Float()),
        sa.Column("pmt_model", sa.String(120)),
        sa.Column("jumlah_art", sa.Integer(), nullable=False),
        sa.Column("reasons", JSON),
        sa.Column("findings", JSON),
        sa.PrimaryKeyConstraint("id", name="pk_penetapan_household"),
        _fk("penetapan_household", "penetapan_id", "penetapan"),
    )
    op.create_index(
        "ix_penetapan_household_ref", "penetapan_household", ["penetapan_id", "household_ref"], unique=True
    )
    op.create_index("ix_penetapan_household_desa", "penetapan_household", ["penetapan_id", "desa_code"])
    op.create_table(
        "penetapan_member",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("penetapan_id", sa.Integer(), nullable=False),
        sa.Column("household_ref", sa.String(40), nullable=False),
        sa.Column("family_ref", sa.String(40), nullable=False),
        sa.Column("member_ref", sa.String(50), nullable=False),
        sa.Column("member_id", sa.Integer()),
        sa.Column("kk_number", sa.String(16)),
        sa.Column("no_urut", sa.Integer(), nullable=False),
        sa.Column("nama", sa.Text(), nullable=False),
        sa.Column("nik", sa.String(16)),
        sa.Column("sex", sa.Integer()),
        sa.Column("tempat_lahir", sa.Text()),
        sa.Column("tanggal_lahir", sa.Date()),
        sa.Column("hubungan_kk", sa.Integer()),
        sa.Column("keberadaan", sa.Integer()),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("included", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("answers", JSON),
        sa.Column("findings", JSON),
        sa.PrimaryKeyConstraint("id", name="pk_penetapan_member"),
        _fk("penetapan_member", "penetapan_id", "penetapan"),
    )
    op.create_index(
        "ix_penetapan_member_ref", "penetapan_member", ["penetapan_id", "member_ref"], unique=True
    )
    op.create_index("ix_penetapan_member_family", "penetapan_member", ["penetapan_id", "family_ref"])
    op.create_index("ix_penetapan_member_household", "penetapan_member", ["penetapan_id", "household_ref"])
    op.create_index("ix_penetapan_member_nik", "penetapan_member", ["nik"])
    op.create_table(
        "penetapan_usulan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("penetapan_id", sa.Integer(), nullable=False),
        sa.Column("usulan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("subkind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(14), nullable=False),
        sa.Column("desa_code", sa.String(13), nullable=False),
        sa.Column("subject_name", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("applied_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_penetapan_usulan"),
        _fk("penetapan_usulan", "penetapan_id", "penetapan"),
    )
    op.create_index("ix_penetapan_usulan_penetapan_id", "penetapan_usulan", ["penetapan_id"])


def _others() -> None:
    op.create_table(
        "penetapan_simulation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("wilayah_code", sa.String(13)),
        sa.Column("criteria", JSON, nullable=False),
        sa.Column("programs", JSON),
        sa.Column("baseline_penetapan_id", sa.Integer()),
        sa.Column("truth_source", sa.Text()),
        sa.Column("totals", JSON, nullable=False),
        sa.Column("rows", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_penetapan_simulation"),
        _fk("penetapan_simulation", "baseline_penetapan_id", "penetapan"),
    )
    op.create_index("ix_penetapan_simulation_wilayah_code", "penetapan_simulation", ["wilayah_code"])
    op.create_table(
        "program_pengurus",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("program", sa.String(20), nullable=False),
        sa.Column("family_ref", sa.String(40), nullable=False),
        sa.Column("member_ref", sa.String(50), nullable=False),
        sa.Column("nama", sa.Text()),
        sa.Column("previous_member_ref", sa.String(50)),
        sa.Column("penetapan_id", sa.Integer()),
        sa.Column("reason", sa.Text()),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_program_pengurus"),
        _fk("program_pengurus", "penetapan_id", "penetapan"),
    )
    op.create_index("ix_program_pengurus_family", "program_pengurus", ["program", "family_ref"])
    op.create_table(
        "public_request",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("ip_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_public_request"),
    )
    op.create_index("ix_public_request_ip_at", "public_request", ["ip_hash", "at"])
    op.create_table(
        "public_submission",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("usulan_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer()),
        sa.Column("ip_hash", sa.String(64), nullable=False),
        sa.Column("tracking_code", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_public_submission"),
        sa.UniqueConstraint("tracking_code", name="uq_public_submission_tracking_code"),
        _fk("public_submission", "usulan_id", "usulan"),
        _fk("public_submission", "photo_id", "usulan_document"),
    )
    op.create_index("ix_public_submission_usulan_id", "public_submission", ["usulan_id"])


def upgrade() -> None:
    _penetapan()
    _others()


def downgrade() -> None:
    for table in (
        "public_submission", "public_request", "program_pengurus", "penetapan_simulation",
        "penetapan_usulan", "penetapan_member", "penetapan_household", "penetapan",
    ):  # fmt: skip
        op.drop_table(table)
