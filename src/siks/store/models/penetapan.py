"""Penetapan tables: frozen DTKS versions, simulations (aggregates only), program pengurus, public traffic.

Why this shape:
- A penetapan copies every fact it decided on (address, desil, PMT model, each anggota's identity and the
  answers programs read, the verval findings, the usulan it took in). Nothing in it points at a mutable
  registry row for a fact, so a later edit of the registry cannot change what was determined. Registry ids
  are kept only as plain integers, for links.
- Rows are written once. The ORM refuses updates and deletes of these tables (guards below), and the
  service has no path that changes them.
- Excluded ruta are frozen too, with their reasons, so "why was I removed" is answered from the penetapan.
- A simulation keeps only aggregates per wilayah: it is a what-if, not a list of people.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from siks.store.base import Base, Json, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Penetapan(Base):
    """One determination of DTKS for a period and a wilayah (None = nasional)."""

    __tablename__ = "penetapan"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    periode: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    berlaku_mulai: Mapped[dt.date] = mapped_column(Date, index=True)
    wilayah_code: Mapped[str | None] = mapped_column(String(13), index=True)
    criteria: Mapped[dict] = mapped_column(Json)
    criteria_key: Mapped[str] = mapped_column(String(120))
    verval_run_id: Mapped[str | None] = mapped_column(String(40))  # a copy, not a foreign key
    verval_run: Mapped[dict | None] = mapped_column(Json)  # id, finished_at, versions at the time
    score_source: Mapped[dict | None] = mapped_column(Json)  # where desil came from (kind, path, sha256)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("penetapan.id"))
    counts: Mapped[dict | None] = mapped_column(Json)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))  # the username then; the user row may change
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class PenetapanHousehold(Base):
    """One ruta as the penetapan saw it, in DTKS or not (`reasons` says why not)."""

    __tablename__ = "penetapan_household"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    penetapan_id: Mapped[int] = mapped_column(ForeignKey("penetapan.id"))
    household_ref: Mapped[str] = mapped_column(String(40))
    household_id: Mapped[int | None] = mapped_column(Integer)  # registry id, for links only
    desa_code: Mapped[str | None] = mapped_column(String(13))
    dusun: Mapped[str | None] = mapped_column(Text)
    rw: Mapped[str | None] = mapped_column(String(3))
    rt: Mapped[str | None] = mapped_column(String(3))
    alamat: Mapped[str | None] = mapped_column(Text)
    included: Mapped[bool] = mapped_column(Boolean)
    desil: Mapped[int | None] = mapped_column(Integer)
    skor_pmt: Mapped[float | None] = mapped_column(Float)
    pmt_model: Mapped[str | None] = mapped_column(String(120))
    jumlah_art: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[list | None] = mapped_column(Json)  # [[code, text], ...]
    findings: Mapped[list | None] = mapped_column(Json)  # verval codes on anyone in the ruta

    __table_args__ = (
        Index("ix_penetapan_household_ref", "penetapan_id", "household_ref", unique=True),
        Index("ix_penetapan_household_desa", "penetapan_id", "desa_code"),
    )


class PenetapanMember(Base):
    """One anggota as frozen: identity, KK, the answers programs read, findings, and DTKS status."""

    __tablename__ = "penetapan_member"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    penetapan_id: Mapped[int] = mapped_column(ForeignKey("penetapan.id"))
    household_ref: Mapped[str] = mapped_column(String(40))
    family_ref: Mapped[str] = mapped_column(String(40))
    member_ref: Mapped[str] = mapped_column(String(50))
    member_id: Mapped[int | None] = mapped_column(Integer)  # registry id, for links only
    kk_number: Mapped[str | None] = mapped_column(String(16))
    no_urut: Mapped[int] = mapped_column(Integer)
    nama: Mapped[str] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[int | None] = mapped_column(Integer)
    tempat_lahir: Mapped[str | None] = mapped_column(Text)
    tanggal_lahir: Mapped[dt.date | None] = mapped_column(Date)
    hubungan_kk: Mapped[int | None] = mapped_column(Integer)
    keberadaan: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    included: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict | None] = mapped_column(Json)
    findings: Mapped[list | None] = mapped_column(Json)

    __table_args__ = (
        Index("ix_penetapan_member_ref", "penetapan_id", "member_ref", unique=True),
        Index("ix_penetapan_member_family", "penetapan_id", "family_ref"),
        Index("ix_penetapan_member_household", "penetapan_id", "household_ref"),
        Index("ix_penetapan_member_nik", "nik"),
    )


class PenetapanUsulan(Base):
    """An usulan the penetapan took in (applied since the previous penetapan of the wilayah), copied."""

    __tablename__ = "penetapan_usulan"

    id: Mapped[int] = mapped_column(primary_key=True)
    penetapan_id: Mapped[int] = mapped_column(ForeignKey("penetapan.id"), index=True)
    usulan_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    subkind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(14))
    desa_code: Mapped[str] = mapped_column(String(13))
    subject_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[dt.datetime | None] = mapped_column()


class PenetapanFigure(Base):
    """A dashboard figure of one penetapan for one wilayah scope, counted once and read afterwards.

    A penetapan never changes, so its counts (ruta per desil, ruta in DTKS, program recipients) are the same
    on every request; at 10M persons recounting them per request is a scan of millions of frozen rows.
    `basis` names what else the figure depends on (the shipped program rules): when it changes, the row is
    counted again. Not frozen itself: it is a cache of what the frozen rows say.
    """

    __tablename__ = "penetapan_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    penetapan_id: Mapped[int] = mapped_column(ForeignKey("penetapan.id"))
    scope_code: Mapped[str] = mapped_column(String(20))  # "" = nasional
    name: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_penetapan_figure_key", "penetapan_id", "scope_code", "name", unique=True),)


FROZEN = (Penetapan, PenetapanHousehold, PenetapanMember, PenetapanUsulan)


class Immutable(RuntimeError):
    """A penetapan was about to change: it never does, by design."""


def _refuse(_mapper, _conn, _target):
    raise Immutable("Penetapan bersifat final dan tidak dapat diubah atau dihapus.")


for _model in FROZEN:
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)


#: Set in `session.info` by the service while it writes a new penetapan's counts into its own header, the
#: one statement that completes a penetapan inside the transaction that creates it.
WRITING = "penetapan_writing"


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_change(state):
    if (state.is_update or state.is_delete) and any(m.class_ in FROZEN for m in state.all_mappers):
        if state.is_update and state.session.info.get(WRITING):
            return
        raise Immutable("Penetapan bersifat final dan tidak dapat diubah atau dihapus.")


class Simulation(Base):
    """A what-if of a candidate rule set before a penetapan: totals and per-wilayah aggregates only."""

    __tablename__ = "penetapan_simulation"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    wilayah_code: Mapped[str | None] = mapped_column(String(13), index=True)
    criteria: Mapped[dict] = mapped_column(Json)
    programs: Mapped[dict | None] = mapped_column(Json)  # program caps tried (e.g. PKH max komponen)
    baseline_penetapan_id: Mapped[int | None] = mapped_column(ForeignKey("penetapan.id"))
    truth_source: Mapped[str | None] = mapped_column(Text)
    totals: Mapped[dict] = mapped_column(Json)
    rows: Mapped[list] = mapped_column(Json)  # one aggregate per wilayah
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class ProgramPengurus(Base):
    """Who holds a family's program account from when: the latest row wins (pergantian pengurus)."""

    __tablename__ = "program_pengurus"

    id: Mapped[int] = mapped_column(primary_key=True)
    program: Mapped[str] = mapped_column(String(20))
    family_ref: Mapped[str] = mapped_column(String(40))
    member_ref: Mapped[str] = mapped_column(String(50))
    nama: Mapped[str | None] = mapped_column(Text)
    previous_member_ref: Mapped[str | None] = mapped_column(String(50))
    penetapan_id: Mapped[int | None] = mapped_column(ForeignKey("penetapan.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_program_pengurus_family", "program", "family_ref"),)


class ProgramList(Base):
    """A program's beneficiary list over one penetapan, computed once and read afterwards (issue #11.6).

    Keyed by the program code and `definition_key`, a digest of the program's whole definition (rules,
    parameters, quotas, version) and of how lists are computed: a changed definition finds no row and is
    computed again, never served from an older list. The list is for ages on the penetapan's
    `berlaku_mulai`. `counts` holds per desa code the figures pages show, so a scope's totals are a sum over
    its desa, not a read of its rows. Not frozen itself: a cache of what the frozen rows say under a rule.
    """

    __tablename__ = "program_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    penetapan_id: Mapped[int] = mapped_column(ForeignKey("penetapan.id"))
    program: Mapped[str] = mapped_column(String(40))
    definition_key: Mapped[str] = mapped_column(String(64))
    program_key: Mapped[str] = mapped_column(String(80))  # code@version, for people
    rows: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict] = mapped_column(Json)  # desa code → baris, kuota, tidak_layak, lebih_batas, ...
    seconds: Mapped[float] = mapped_column(Float)
    computed_by: Mapped[str] = mapped_column(String(100))
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_program_list_key", "penetapan_id", "program", "definition_key", unique=True),)


class ProgramListRow(Base):
    """One unit of a stored program list, in the order the computation produced (`seq`): what the rules
    decided (grants, amount, in quota). Names, NIK and the pengurus are read from the penetapan and
    `program_pengurus` when shown, so a pergantian pengurus recorded later is always seen."""

    __tablename__ = "program_list_row"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("program_list.id"))
    seq: Mapped[int] = mapped_column(Integer)
    desa_code: Mapped[str | None] = mapped_column(String(13))
    unit_ref: Mapped[str] = mapped_column(String(50))
    family_ref: Mapped[str | None] = mapped_column(String(40))
    household_ref: Mapped[str | None] = mapped_column(String(40))
    in_quota: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[int] = mapped_column(BigInteger)
    grants: Mapped[list | None] = mapped_column(Json)  # [[person_ref, component, label, amount], ...]
    dropped: Mapped[list | None] = mapped_column(Json)

    __table_args__ = (
        Index("ix_program_list_row_seq", "list_id", "seq", unique=True),
        Index("ix_program_list_row_desa", "list_id", "desa_code", "seq"),
    )


class PublicRequest(Base):
    """One request to the public cek-status pages, by hashed IP: the rate limit counts these rows."""

    __tablename__ = "public_request"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ip_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # cari / usul / sanggah
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_public_request_ip_at", "ip_hash", "at"),)


class PublicSubmission(Base):
    """An usul or sanggah sent from the public page: which usulan it made, and the sanggah's photo."""

    __tablename__ = "public_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # usul / sanggah
    usulan_id: Mapped[int] = mapped_column(ForeignKey("usulan.id"), index=True)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("usulan_document.id"))
    ip_hash: Mapped[str] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


PENETAPAN_TABLES = (
    "penetapan", "penetapan_household", "penetapan_member", "penetapan_usulan", "penetapan_simulation",
    "program_pengurus", "public_request", "public_submission", "penetapan_figure", "program_list",
    "program_list_row",
)  # fmt: skip
