"""Field verval tables: which enumerator visits which household, and what they found.

Why this shape: a task is one household for one enumerator; its result (hasil verivali, docs/domain-facts.md
§2.6) and each member's keberadaan (404) are kept with it, and the new answers go to a fresh dated
`Assessment`, so the visit is part of the household's history rather than an overwrite. Scope comes from the
household. `FieldProgress` keeps done/total tasks per desa, so the progress page reads a row per desa instead
of counting every task (a household never changes desa, so the counters stay exact).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siks.domain.status import TaskStatus
from siks.store.base import Base, utcnow
from siks.store.models.registry import Code


class FieldTask(Base):
    """One household to visit. Open tasks: status `ditugaskan`; a visit makes it `selesai`."""

    __tablename__ = "field_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    enumerator_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default=TaskStatus.DITUGASKAN.value)
    result: Mapped[int | None] = mapped_column(Integer)
    visited_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    completed_at: Mapped[dt.datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)

    members: Mapped[list[FieldMemberResult]] = relationship(
        back_populates="task", order_by="FieldMemberResult.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (Index("ix_field_task_enumerator_status", "enumerator_id", "status"),)


class FieldMemberResult(Base):
    """Keberadaan (404) of one member as the enumerator found it."""

    __tablename__ = "field_member_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("field_task.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    keberadaan: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    task: Mapped[FieldTask] = relationship(back_populates="members")


class FieldProgress(Base):
    """Tasks per desa: `total` created, `done` visited. Changed only by the fieldwork service, in the same
    transaction as the tasks (assign adds to total, a visit adds to done; moving a task changes neither)."""

    __tablename__ = "field_progress"

    desa_code: Mapped[str] = mapped_column(Code(13), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)


FIELDWORK_TABLES = ("field_task", "field_member_result")  # as created by 0003_usulan
PROGRESS_TABLES = ("field_progress",)  # 0006_web_speed
