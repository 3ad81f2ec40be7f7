"""ppks area: PSKS (persons and organisations), PPKS persons outside households, kelompok, and dated PPKS
registrations of members, persons, families and kelompok (docs/ppks-psks.md).

Revision ID: 0012_ppks
Revises: 0010_status_enums
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_ppks"
down_revision = "0010_status_enums"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ONE_SUBJECT = (
    " + ".join(
        f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)"
        for c in ("member_id", "person_id", "family_id", "kelompok_id")
    )
    + " = 1"
)  # copied, not imported: a migration must not change when the models do


def _code(n: int):
    return sa.String(n).with_variant(sa.String(n, collation="C"), "postgresql")


def _tracked() -> list[sa.Column]:
    return [
        sa.Column("status", sa.String(10), nullable=False, server_default="aktif"),
        sa.Column("status_reason", sa.Text()),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
    ]


def upgrade() -> None:
    op.create_table(
        "psks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", _code(40), nullable=False),
        sa.Column("jenis", sa.String(30), nullable=False),
        sa.Column("form", sa.String(10), nullable=False),
        sa.Column("nama", sa.Text(), nullable=False),
        sa.Column("nik", _code(16)),
        sa.Column("sex", sa.Integer()),
        sa.Column("wilayah_code", _code(13), nullable=False),
        sa.Column("alamat", sa.Text()),
        sa.Column("nomor_tanda_daftar", sa.String(100)),
        sa.Column("akreditasi", sa.String(10)),
        sa.Column("user_id", sa.Integer()),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name="pk_psks"),
        sa.UniqueConstraint("ref", name="uq_psks_ref"),
        sa.UniqueConstraint("user_id", name="uq_psks_user_id"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_psks_user_id_app_user"),
    )
    op.create_index("ix_psks_jenis", "psks", ["jenis"])
    op.create_index("ix_psks_nik", "psks", ["nik"])
    op.create_index("ix_psks_wilayah_code", "psks", ["wilayah_code"])
    op.create_table(
        "ppks_person",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", _code(40), nullable=False),
        sa.Column("nama", sa.Text(), nullable=False),
        sa.Column("nik", _code(16)),
        sa.Column("sex", sa.Integer(), nullable=False),
        sa.Column("tempat_lahir", sa.Text()),
        sa.Column("tanggal_lahir", sa.Date()),
        sa.Column("lks_id", sa.Integer()),
        sa.Column("tempat", sa.String(20)),
        sa.Column("alamat", sa.Text()),
        sa.Column("desa_code", _code(13), nullable=False),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name="pk_ppks_person"),
        sa.UniqueConstraint("ref", name="uq_ppks_person_ref"),
        sa.ForeignKeyConstraint(["lks_id"], ["psks.id"], name="fk_ppks_person_lks_id_psks"),
        sa.CheckConstraint("(lks_id IS NULL) <> (tempat IS NULL)", name="ck_ppks_person_lks_or_tempat"),
    )
    op.create_index("ix_ppks_person_nik", "ppks_person", ["nik"])
    op.create_index("ix_ppks_person_lks_id", "ppks_person", ["lks_id"])
    op.create_index("ix_ppks_person_desa_code", "ppks_person", ["desa_code"])
    op.create_table(
        "ppks_kelompok",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", _code(40), nullable=False),
        sa.Column("nama", sa.Text(), nullable=False),
        sa.Column("desa_code", _code(13), nullable=False),
        sa.Column("jumlah_kk", sa.Integer()),
        sa.Column("keterangan", sa.Text()),
        *_tracked(),
        sa.PrimaryKeyConstraint("id", name="pk_ppks_kelompok"),
        sa.UniqueConstraint("ref", name="uq_ppks_kelompok_ref"),
    )
    op.create_index("ix_ppks_kelompok_desa_code", "ppks_kelompok", ["desa_code"])
    op.create_table(
        "ppks_registration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("jenis", sa.String(40), nullable=False),
        sa.Column("member_id", sa.Integer()),
        sa.Column("person_id", sa.Integer()),
        sa.Column("family_id", sa.Integer()),
        sa.Column("kelompok_id", sa.Integer()),
        sa.Column("desa_code", _code(13), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("ended_on", sa.Date()),
        sa.Column("end_reason", sa.String(20)),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_ppks_registration"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name="fk_ppks_registration_member_id_member"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["ppks_person.id"], name="fk_ppks_registration_person_id_ppks_person"
        ),
        sa.ForeignKeyConstraint(["family_id"], ["family.id"], name="fk_ppks_registration_family_id_family"),
        sa.ForeignKeyConstraint(
            ["kelompok_id"], ["ppks_kelompok.id"], name="fk_ppks_registration_kelompok_id_ppks_kelompok"
        ),
        sa.CheckConstraint(
            ONE_SUBJECT,
            name="ck_ppks_registration_one_subject",
        ),
    )
    for col in ("member_id", "person_id", "family_id", "kelompok_id"):
        op.create_index(f"ix_ppks_registration_{col}", "ppks_registration", [col])
    op.create_index("ix_ppks_registration_desa_jenis", "ppks_registration", ["desa_code", "jenis"])
    op.create_table(
        "penetapan_ppks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("penetapan_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_ref", sa.String(50), nullable=False),
        sa.Column("nama", sa.Text(), nullable=False),
        sa.Column("nik", sa.String(16)),
        sa.Column("desa_code", sa.String(13), nullable=False),
        sa.Column("lks_ref", sa.String(40)),
        sa.Column("jenis", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_penetapan_ppks"),
        sa.ForeignKeyConstraint(
            ["penetapan_id"], ["penetapan.id"], name="fk_penetapan_ppks_penetapan_id_penetapan"
        ),
    )
    op.create_index("ix_penetapan_ppks_penetapan_id", "penetapan_ppks", ["penetapan_id"])
    op.create_index("ix_penetapan_ppks_penetapan_desa", "penetapan_ppks", ["penetapan_id", "desa_code"])


def downgrade() -> None:
    op.drop_table("penetapan_ppks")
    op.drop_table("ppks_registration")
    op.drop_table("ppks_kelompok")
    op.drop_table("ppks_person")
    op.drop_table("psks")
