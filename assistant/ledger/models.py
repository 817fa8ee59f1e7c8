"""The ledger's tables: plans it follows, entries (one per task and unit), progress reports, attachments, audit log.

Every change to an entry bumps its ``version`` (SQLAlchemy's ``version_id_col``): an update made from a
stale copy fails instead of overwriting someone else's. Nothing is deleted; what changed is in the audit log.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base

STATUSES = ("未启动", "推进中", "已完成", "已延期", "已取消")
OPEN = ("未启动", "推进中", "已延期")
ROLES = ("牵头", "配合")


class LedgerPlan(Base):
    """A version of a policy the ledger was made from or carried over to; its task table kept as JSON."""

    __tablename__ = "ledger_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500), default="")
    plan_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    tasks_json: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class LedgerEntry(Base):
    """One task for one unit: its role, the plan's wording and targets, the due date and the status."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy: Mapped[str] = mapped_column(String(200), index=True)
    plan_version: Mapped[str] = mapped_column(String(100))
    task_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    task_text: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(10))
    targets_json: Mapped[str] = mapped_column(Text, default="[]")
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_stated: Mapped[bool] = mapped_column(Boolean, default=False)
    due_text: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="未启动")
    progress_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    closed_reason: Mapped[str] = mapped_column(Text, default="")
    delay_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delay_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    reports: Mapped[list[ProgressReport]] = relationship(back_populates="entry", order_by="ProgressReport.id")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="entry", order_by="Attachment.id")

    __mapper_args__ = {"version_id_col": version}


class ProgressReport(Base):
    """A dated report on an entry: who, what was done, the figure reached, the status it set."""

    __tablename__ = "ledger_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    reported_on: Mapped[date] = mapped_column(Date)
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(10))

    entry: Mapped[LedgerEntry] = relationship(back_populates="reports")


class Attachment(Base):
    """A file attached to an entry, stored beside the database under its checksum."""

    __tablename__ = "ledger_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_progress.id"), nullable=True)
    file_name: Mapped[str] = mapped_column(String(255))
    stored_as: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)

    entry: Mapped[LedgerEntry] = relationship(back_populates="attachments")


class AuditRecord(Base):
    """One change: who, when, what (entry field, or an action such as a revision carried over), old → new, why."""

    __tablename__ = "ledger_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    by: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    field: Mapped[str] = mapped_column(String(50), default="")
    old: Mapped[str] = mapped_column(Text, default="")
    new: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
