"""The ledger's one entry point for the CLI and the app: create from a policy's task table, update,
flags on a date, views, carrying a revision over (through ``assistant.diff``), and reports.

Every call that writes does so in one transaction: it either happens whole or not at all. Bad input
raises a domain error (``assistant.errors``) before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..db import check_schema, engine_for, has_tables, transaction
from ..deadlines import due_date
from ..diff import diff_rows, diff_tasks
from ..errors import (AttachmentRefused, BadValue, ConcurrentUpdate, EntryNotFound, LedgerError,
                      NeedsConfirmation, SchemaOutdated)
from ..exports import describe_target
from ..policies import Corpus, Policy
from ..schema import Target, Task
from ..settings import Settings
from .models import OPEN, STATUSES, Attachment, AuditRecord, LedgerEntry, LedgerPlan, ProgressReport

SYSTEM = "系统"
MANUAL_DUE = "人工调整"
FLAGS = {"red": "红色·逾期", "yellow": "黄色·滞后", "blue": "蓝色·临近", "": ""}
ATTACHMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",), ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".txt": (),
}


# ------------------------------------------------------------------ values
@dataclass(frozen=True)
class EntryView:
    """An entry as the CLI, the app and the reports show it, with its flag on a given date."""

    id: int
    policy: str
    plan_version: str
    task_id: str
    title: str
    task_text: str
    unit: str
    role: str
    due_date: date | None
    due_stated: bool
    due_text: str
    status: str
    progress_value: float | None
    target: str
    target_value: float | None
    progress_share: float | None
    flag: str
    version: int
    last_note: str
    last_report_on: date | None
    delay_count: int
    delay_reason: str
    closed_reason: str
    done_on: date | None

    @property
    def flag_label(self) -> str:
        return FLAGS[self.flag]

    def as_dict(self) -> dict[str, Any]:
        out = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}
        out["flag_label"] = self.flag_label
        return out


@dataclass
class CreateReport:
    policy: str
    version: str
    entries: int
    tasks_without_units: list[str] = field(default_factory=list)
    existed: bool = False


@dataclass
class SyncReport:
    """What carrying a revision over did to the ledger of one policy."""

    policy: str
    old_version: str
    new_version: str
    renumbered: int = 0
    changed: int = 0
    closed: int = 0
    added: int = 0
    kept: int = 0
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateResult:
    entry: EntryView
    changed: list[str]


# ------------------------------------------------------------------ helpers
def _targets(task: Task) -> list[dict[str, Any]]:
    return [t.model_dump() for t in task.targets]


def _primary(targets_json: str, due: date | None) -> Target | None:
    """The target progress is measured against: one with a value falling due in the due year, else the first with a value."""
    targets = [Target(**t) for t in json.loads(targets_json or "[]")]
    valued = [t for t in targets if t.value is not None and t.comparator in (">=", ">", "=", "increase_by")]
    if due is not None:
        for t in valued:
            if t.year == due.year:
                return t
    return valued[0] if valued else None


def _format_value(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _leaves(tasks: list[Task]) -> list[Task]:
    parents = {t.parent for t in tasks if t.parent}
    return [t for t in tasks if t.id not in parents]


def _units(task: Task) -> list[tuple[str, str]]:
    """(unit, 牵头|配合) for a task, leads first, in the plan's order."""
    roles = {a.name: a.role for a in task.agency_details}
    out = []
    for name in task.agencies:
        lead = roles.get(name) == "lead" or (not roles and name == task.lead_agency)
        out.append((name, "牵头" if lead else "配合"))
    return out


def _plan_date(policy: Policy) -> date | None:
    try:
        return date.fromisoformat(policy.date[:10]) if policy.date else None
    except ValueError:
        return None


def _safe_name(name: str) -> str:
    from ..engine import safe_filename

    return safe_filename(name, tuple(ATTACHMENT_TYPES))


class Ledger:
    """The ledger behind ``settings.database_url``. ``clock`` gives the current time (tests freeze it)."""

    def __init__(self, settings: Settings, engine: Engine | None = None,
                 corpus: Callable[[], Corpus] | None = None, clock: Callable[[], datetime] = datetime.now) -> None:
        self.settings = settings
        self._owns_engine = engine is None
        self.engine = engine or engine_for(settings)
        self._corpus = corpus
        self.clock = clock
        self._checked = False

    # ---------------------------------------------------------- plumbing
    def close(self) -> None:
        """Close the database connections, if this ledger opened them."""
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _ready(self) -> None:
        if not self._checked:
            check_schema(self.engine)
            self._checked = True

    def exists(self) -> bool:
        """True when the database has ledger tables with at least one plan (so ``ingest`` should sync it)."""
        if not has_tables(self.engine, "ledger_plans"):
            return False
        self._ready()
        with transaction(self.engine) as session:
            return session.scalar(select(LedgerPlan.id).limit(1)) is not None

    def corpus(self) -> Corpus:
        if self._corpus is not None:
            return self._corpus()
        from ..engine import Engine as PolicyEngine

        return PolicyEngine(self.settings).corpus()

    def _latest(self, policy: str) -> Policy:
        corpus = self.corpus()
        found = corpus.latest(policy)
        if not found:
            known = "、".join(sorted({p.policy for p in corpus.policies})) or "（文件库为空）"
            raise EntryNotFound(f"文件库中没有政策“{policy}”。现有政策：{known}")
        return found[0]

    def _log(self, session: Session, by: str, action: str, entry: LedgerEntry | None = None, field_: str = "",
             old: object = "", new: object = "", reason: str = "") -> None:
        session.add(AuditRecord(entry_id=entry.id if entry is not None else None, at=self.clock(), by=by,
                                action=action, field=field_, old=_text(old), new=_text(new), reason=reason))

    # ---------------------------------------------------------- create
    def create(self, policy: str, by: str = SYSTEM) -> CreateReport:
        """One entry per task and unit of the latest version of ``policy``; nothing done when it already has a ledger."""
        self._ready()
        source = self._latest(policy)
        with transaction(self.engine) as session:
            existing = session.scalar(select(LedgerPlan).where(LedgerPlan.policy == source.policy,
                                                               LedgerPlan.current.is_(True)))
            if existing is not None:
                count = len(session.scalars(select(LedgerEntry.id).where(LedgerEntry.policy == source.policy)).all())
                return CreateReport(source.policy, existing.version, count, existed=True)
            self._add_plan(session, source)
            report = CreateReport(source.policy, source.version, 0)
            for task in _leaves(source.tasks):
                units = _units(task)
                if not units:
                    report.tasks_without_units.append(task.id)
                for unit, role in units:
                    self._new_entry(session, source, task, unit, role, by, "建立台账")
                    report.entries += 1
            self._log(session, by, "create", new=f"{source.policy} {source.version}", reason=f"{report.entries} 条")
        return report

    def _add_plan(self, session: Session, source: Policy) -> LedgerPlan:
        plan = LedgerPlan(policy=source.policy, version=source.version, title=source.title, plan_date=_plan_date(source),
                          sha256=source.sha256, current=True, created_at=self.clock(),
                          tasks_json=json.dumps([t.model_dump() for t in source.tasks], ensure_ascii=False))
        session.add(plan)
        return plan

    def _new_entry(self, session: Session, source: Policy, task: Task, unit: str, role: str, by: str,
                   reason: str) -> LedgerEntry:
        due = due_date(task)
        now = self.clock()
        entry = LedgerEntry(policy=source.policy, plan_version=source.version, task_id=task.id, title=task.title,
                            task_text=task.text, unit=unit, role=role,
                            targets_json=json.dumps(_targets(task), ensure_ascii=False), due_date=due.date,
                            due_stated=due.stated, due_text=due.text, status="未启动", progress_value=None,
                            closed_reason="", delay_count=0, delay_reason="", created_at=now, updated_at=now)
        session.add(entry)
        session.flush()
        self._log(session, by, "create", entry, "status", "", "未启动", reason)
        return entry

    # ---------------------------------------------------------- update
    def update(self, entry_id: int, *, by: str, note: str, status: str | None = None, value: float | None = None,
               due: date | None = None, expect_version: int | None = None, confirm: bool = False,
               attachments: Sequence[tuple[str, bytes]] = ()) -> UpdateResult:
        """Report progress on an entry: a dated report, and any new status, figure or due date, each logged old → new.

        Raises EntryNotFound, BadValue, NeedsConfirmation (a due date before the plan's date without ``confirm``),
        ConcurrentUpdate (the entry is not at ``expect_version``, or changed while this ran), AttachmentRefused.
        """
        self._ready()
        by, note = (by or "").strip(), (note or "").strip()
        if not by:
            raise BadValue("请写明填报人（--by）")
        if not note:
            raise BadValue("请写明进展情况（--note）")
        if status is not None and status not in STATUSES:
            raise BadValue(f"状态“{status}”不在列表中，只能是：{'、'.join(STATUSES)}")
        if value is not None and (value != value or value < 0):
            raise BadValue(f"完成数值“{value}”无效，应为不小于 0 的数")
        files = [self._check_attachment(name, data) for name, data in attachments]
        now = self.clock()
        try:
            with transaction(self.engine) as session:
                entry = session.get(LedgerEntry, entry_id)
                if entry is None:
                    raise EntryNotFound(f"台账中没有编号为 {entry_id} 的条目（可用 policy-assistant ledger status 查看编号）")
                if expect_version is not None and entry.version != expect_version:
                    raise ConcurrentUpdate(
                        f"条目 {entry_id} 已被他人修改（当前版本 {entry.version}，你看到的是 {expect_version}）。"
                        "请先查看最新情况再填报，本次没有写入")
                if due is not None and due != entry.due_date:
                    plan = session.scalar(select(LedgerPlan).where(LedgerPlan.policy == entry.policy,
                                                                   LedgerPlan.version == entry.plan_version))
                    if plan is not None and plan.plan_date is not None and due < plan.plan_date and not confirm:
                        raise NeedsConfirmation(
                            f"新的完成时限 {due.isoformat()} 早于方案印发日期 {plan.plan_date.isoformat()}。"
                            "如确实如此，请加 --confirm 再次提交；本次没有写入")
                changed = self._apply(session, entry, by, note, status, value, due, now)
                entry.updated_at = now  # every report bumps the version once, changed fields or not
                report = ProgressReport(entry_id=entry.id, reported_on=now.date(), reported_at=now, author=by, text=note,
                                        value=value, status=entry.status)
                session.add(report)
                session.flush()
                for (name, data, digest) in files:
                    stored = self._store_attachment(digest, name, data)
                    session.add(Attachment(entry_id=entry.id, report_id=report.id, file_name=name, stored_as=stored,
                                           size=len(data), sha256=digest, uploaded_by=by, uploaded_at=now))
                    self._log(session, by, "attach", entry, "attachment", "", name, note)
                session.flush()
                view = self._view(session, entry, now.date())
        except StaleDataError as exc:
            raise ConcurrentUpdate(f"条目 {entry_id} 在你填报的同时已被他人修改。请先查看最新情况再填报，本次没有写入") from exc
        return UpdateResult(view, changed)

    def _apply(self, session: Session, entry: LedgerEntry, by: str, note: str, status: str | None,
               value: float | None, due: date | None, now: datetime) -> list[str]:
        changed = []
        if status is not None and status != entry.status:
            self._log(session, by, "update", entry, "status", entry.status, status, note)
            if status == "已延期":
                entry.delay_count = (entry.delay_count or 0) + 1
                entry.delay_reason = note
            if status == "已取消":
                entry.closed_reason = note
            entry.status = status
            changed.append("status")
        elif status is None and entry.status == "未启动":
            self._log(session, by, "update", entry, "status", entry.status, "推进中", note)
            entry.status = "推进中"
            changed.append("status")
        if value is not None and value != entry.progress_value:
            self._log(session, by, "update", entry, "progress_value", entry.progress_value, value, note)
            entry.progress_value = value
            changed.append("progress_value")
        if due is not None and due != entry.due_date:
            self._log(session, by, "update", entry, "due_date", entry.due_date, due, note)
            entry.due_date, entry.due_stated, entry.due_text = due, True, f"{MANUAL_DUE}：{note}"[:200]
            changed.append("due_date")
        return changed

    def _check_attachment(self, name: str, data: bytes) -> tuple[str, bytes, str]:
        """(safe name, bytes, sha256) of an attachment that passes the corpus's upload checks; else AttachmentRefused."""
        from ..errors import DocumentError
        from ..loading import decode_text

        try:
            safe = _safe_name(name)
        except DocumentError:
            raise AttachmentRefused(f"附件“{name}”的类型不接受，只接受 {'、'.join(ATTACHMENT_TYPES)} 文件") from None
        limit = self.settings.max_upload_mb * 1024 * 1024
        if len(data) > limit:
            raise AttachmentRefused(f"附件“{safe}”过大（{len(data) / 1e6:.1f} MB），上限 {self.settings.max_upload_mb} MB")
        if not data.strip():
            raise AttachmentRefused(f"附件“{safe}”是空文件")
        suffix = Path(safe).suffix.lower()
        magics = ATTACHMENT_TYPES[suffix]
        if magics and not data.startswith(magics):
            raise AttachmentRefused(f"附件“{safe}”的内容与扩展名 {suffix} 不符，请确认文件类型")
        if suffix == ".txt":
            try:
                decode_text(data, safe)
            except DocumentError:
                raise AttachmentRefused(f"附件“{safe}”不是可识别的文本文件") from None
        return safe, data, hashlib.sha256(data).hexdigest()

    def _store_attachment(self, digest: str, name: str, data: bytes) -> str:
        """Write the file under its checksum (idempotent, so a rolled-back update leaves nothing that matters)."""
        folder = self.settings.ledger_attachments_dir
        folder.mkdir(parents=True, exist_ok=True)
        stored = f"{digest[:32]}{Path(name).suffix.lower()}"
        target = folder / stored
        if not target.exists():
            tmp = folder / f".{stored}.{os.getpid()}.part"
            tmp.write_bytes(data)
            tmp.replace(target)
        return stored

    def attachment_path(self, attachment_id: int) -> tuple[str, Path]:
        self._ready()
        with transaction(self.engine) as session:
            found = session.get(Attachment, attachment_id)
            if found is None:
                raise EntryNotFound(f"没有编号为 {attachment_id} 的附件")
            return found.file_name, self.settings.ledger_attachments_dir / found.stored_as

    # ---------------------------------------------------------- reading
    def entries(self, on: date | None = None, policy: str | None = None, unit: str | None = None,
                status: str | None = None) -> list[EntryView]:
        """Entries with their flags on ``on`` (default today), filtered by policy, unit and status."""
        self._ready()
        if status is not None and status not in STATUSES:
            raise BadValue(f"状态“{status}”不在列表中，只能是：{'、'.join(STATUSES)}")
        on = on or self.clock().date()
        with transaction(self.engine) as session:
            query = select(LedgerEntry).order_by(LedgerEntry.id)
            if policy:
                query = query.where(LedgerEntry.policy == policy)
            if unit:
                query = query.where(LedgerEntry.unit == unit)
            if status:
                query = query.where(LedgerEntry.status == status)
            return [self._view(session, e, on) for e in session.scalars(query)]

    def entry(self, entry_id: int, on: date | None = None) -> EntryView:
        self._ready()
        with transaction(self.engine) as session:
            found = session.get(LedgerEntry, entry_id)
            if found is None:
                raise EntryNotFound(f"台账中没有编号为 {entry_id} 的条目（可用 policy-assistant ledger status 查看编号）")
            return self._view(session, found, on or self.clock().date())

    def history(self, entry_id: int) -> list[dict[str, Any]]:
        """The audit log of an entry, oldest first."""
        self._ready()
        with transaction(self.engine) as session:
            records = session.scalars(select(AuditRecord).where(AuditRecord.entry_id == entry_id).order_by(AuditRecord.id))
            return [{"at": r.at.isoformat(timespec="seconds"), "by": r.by, "action": r.action, "field": r.field,
                     "old": r.old, "new": r.new, "reason": r.reason} for r in records]

    def reports(self, entry_id: int | None = None, date_from: date | None = None,
                date_to: date | None = None) -> list[dict[str, Any]]:
        """Progress reports (all, or of one entry), within a date range, oldest first."""
        self._ready()
        with transaction(self.engine) as session:
            query = select(ProgressReport).order_by(ProgressReport.id)
            if entry_id is not None:
                query = query.where(ProgressReport.entry_id == entry_id)
            if date_from is not None:
                query = query.where(ProgressReport.reported_on >= date_from)
            if date_to is not None:
                query = query.where(ProgressReport.reported_on <= date_to)
            return [{"id": r.id, "entry_id": r.entry_id, "reported_on": r.reported_on, "author": r.author, "text": r.text,
                     "value": r.value, "status": r.status,
                     "attachments": [(a.id, a.file_name) for a in session.scalars(
                         select(Attachment).where(Attachment.report_id == r.id))]}
                    for r in session.scalars(query)]

    def plans(self) -> list[dict[str, Any]]:
        self._ready()
        with transaction(self.engine) as session:
            return [{"policy": p.policy, "version": p.version, "title": p.title, "current": p.current}
                    for p in session.scalars(select(LedgerPlan).order_by(LedgerPlan.id))]

    def _view(self, session: Session, entry: LedgerEntry, on: date) -> EntryView:
        last = session.scalar(select(ProgressReport).where(ProgressReport.entry_id == entry.id)
                              .order_by(ProgressReport.id.desc()).limit(1))
        done = session.scalar(select(ProgressReport.reported_on).where(
            ProgressReport.entry_id == entry.id, ProgressReport.status == "已完成").order_by(ProgressReport.id).limit(1)) \
            if entry.status == "已完成" else None
        target = _primary(entry.targets_json, entry.due_date)
        share = None
        if target is not None and target.value and entry.progress_value is not None:
            share = entry.progress_value / target.value
        start = self._start(session, entry)
        return EntryView(
            id=entry.id, policy=entry.policy, plan_version=entry.plan_version, task_id=entry.task_id, title=entry.title,
            task_text=entry.task_text, unit=entry.unit, role=entry.role, due_date=entry.due_date,
            due_stated=entry.due_stated, due_text=entry.due_text, status=entry.status,
            progress_value=entry.progress_value, target=describe_target(target) if target else "",
            target_value=target.value if target else None, progress_share=share,
            flag=flag(entry.status, entry.due_date, share, start, on, self.settings), version=entry.version,
            last_note=last.text if last else "", last_report_on=last.reported_on if last else None,
            delay_count=entry.delay_count or 0, delay_reason=entry.delay_reason or "",
            closed_reason=entry.closed_reason or "", done_on=done)

    def _start(self, session: Session, entry: LedgerEntry) -> date:
        plan_date = session.scalar(select(LedgerPlan.plan_date).where(LedgerPlan.policy == entry.policy)
                                   .order_by(LedgerPlan.id).limit(1))
        return plan_date or entry.created_at.date()

    # ---------------------------------------------------------- revisions
    def sync(self, by: str = SYSTEM) -> list[SyncReport]:
        """Carry every policy's ledger over to the latest version in the corpus, each policy in one transaction."""
        self._ready()
        corpus = self.corpus()
        with transaction(self.engine) as session:
            current = list(session.scalars(select(LedgerPlan).where(LedgerPlan.current.is_(True))
                                           .order_by(LedgerPlan.id)))
            pending = [(p.policy, p.version, p.sha256) for p in current]
        out = []
        for policy, version, sha in pending:
            latest = corpus.latest(policy)
            if not latest or (latest[0].version == version and latest[0].sha256 == sha):
                continue
            out.append(self._carry_over(latest[0], by))
        return out

    def _carry_over(self, new: Policy, by: str) -> SyncReport:
        with transaction(self.engine) as session:
            plan = session.scalar(select(LedgerPlan).where(LedgerPlan.policy == new.policy, LedgerPlan.current.is_(True)))
            if plan is None:  # pragma: no cover - another process carried it over meanwhile
                raise LedgerError(f"政策“{new.policy}”的台账已被他人同步，请重新运行")
            old_tasks = [Task(**t) for t in json.loads(plan.tasks_json)]
            diff = diff_tasks(new.policy, plan.version, new.version, old_tasks, new.tasks)
            report = SyncReport(new.policy, plan.version, new.version)
            report.changes = [f"{r['类型']} {r['条目']} {r['内容']} {r['原']}→{r['新']}".strip() for r in diff_rows(diff)]
            removed = {m.old for m in diff.removed_items if m.old}
            moved = {m.old: m.new for m in diff.renumbered if m.old and m.new}
            new_by_id = {t.id: t for t in new.tasks}
            leaves = {t.id for t in _leaves(new.tasks)}
            reason_of = {m.old: f"修订版 {new.version} 删除了该任务" for m in diff.removed_items}
            entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.policy == new.policy)
                                           .order_by(LedgerEntry.id)))
            seen: set[tuple[str, str]] = set()
            for entry in entries:
                if entry.status == "已取消" and entry.plan_version != plan.version:
                    continue  # closed in an earlier revision; kept as it is
                if entry.task_id in removed or entry.task_id not in new_by_id and entry.task_id not in moved:
                    self._close(session, entry, by, reason_of.get(entry.task_id, f"修订版 {new.version} 中没有该任务"),
                                new.version)
                    report.closed += 1
                    continue
                new_id = moved.get(entry.task_id, entry.task_id)
                task = new_by_id[new_id]
                fields = self._follow(session, entry, task, new.version, by)
                if new_id != entry.task_id:
                    self._log(session, by, "sync", entry, "task_id", entry.task_id, new_id, f"修订版 {new.version} 重新编号")
                    entry.task_id = new_id
                    report.renumbered += 1
                units = dict(_units(task))
                if entry.unit not in units:
                    self._close(session, entry, by, f"修订版 {new.version} 不再将{entry.unit}列为该任务的责任单位", new.version)
                    report.closed += 1
                    continue
                if units[entry.unit] != entry.role:
                    self._log(session, by, "sync", entry, "role", entry.role, units[entry.unit], f"修订版 {new.version}")
                    entry.role = units[entry.unit]
                    fields.append("role")
                entry.plan_version = new.version
                seen.add((new_id, entry.unit))
                report.changed += bool(fields)
                report.kept += not fields
            for task in new.tasks:
                if task.id not in leaves:
                    continue
                for unit, role in _units(task):
                    if (task.id, unit) not in seen:
                        self._new_entry(session, new, task, unit, role, by, f"修订版 {new.version} 新增")
                        report.added += 1
            plan.current = False
            self._add_plan(session, new)
            self._log(session, by, "sync", None, "version", plan.version, new.version,
                      f"重新编号 {report.renumbered}、变更 {report.changed}、关闭 {report.closed}、新增 {report.added}")
            session.flush()
        return report

    def _follow(self, session: Session, entry: LedgerEntry, task: Task, version: str, by: str) -> list[str]:
        """Apply the revised task's wording, targets and (unless a person set it) due date to an entry; log each change."""
        changed = []
        reason = f"修订版 {version}"
        targets = json.dumps(_targets(task), ensure_ascii=False)
        if targets != entry.targets_json:
            old = "；".join(describe_target(Target(**t)) for t in json.loads(entry.targets_json or "[]"))
            self._log(session, by, "sync", entry, "targets", old, "；".join(describe_target(t) for t in task.targets), reason)
            entry.targets_json = targets
            changed.append("targets")
        for name, value in (("title", task.title), ("task_text", task.text)):
            if getattr(entry, name) != value:
                self._log(session, by, "sync", entry, name, getattr(entry, name), value, reason)
                setattr(entry, name, value)
                changed.append(name)
        due = due_date(task)
        if not entry.due_text.startswith(MANUAL_DUE) and (due.date, due.stated) != (entry.due_date, entry.due_stated):
            self._log(session, by, "sync", entry, "due_date", entry.due_date, due.date, reason)
            entry.due_date, entry.due_stated, entry.due_text = due.date, due.stated, due.text
            changed.append("due_date")
        return changed

    def _close(self, session: Session, entry: LedgerEntry, by: str, reason: str, version: str) -> None:
        if entry.status in ("已完成", "已取消"):
            self._log(session, by, "sync", entry, "note", "", "", reason)
            return
        self._log(session, by, "sync", entry, "status", entry.status, "已取消", reason)
        entry.status, entry.closed_reason = "已取消", reason

    # ---------------------------------------------------------- reports
    def report(self, fmt: str, date_from: date | None = None, date_to: date | None = None, by: str = SYSTEM,
               output: Path | None = None) -> bytes:
        """The 督办通报 as .docx or .xlsx bytes for a date range (default: everything up to today); logged as issued.

        With ``output`` the file is written (whole, or not at all) before the log entry is committed.
        """
        from .reports import ReportData, render

        if fmt not in ("docx", "xlsx"):
            raise BadValue(f"通报格式“{fmt}”不支持，只能是 docx 或 xlsx")
        if date_from and date_to and date_from > date_to:
            raise BadValue(f"起始日期 {date_from.isoformat()} 晚于截止日期 {date_to.isoformat()}")
        self._ready()
        to = date_to or self.clock().date()
        with transaction(self.engine) as session:
            entries = [self._view(session, e, to) for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
            progress: dict[int, list[ProgressReport]] = defaultdict(list)
            query = select(ProgressReport).where(ProgressReport.reported_on <= to).order_by(ProgressReport.id)
            if date_from is not None:
                query = query.where(ProgressReport.reported_on >= date_from)
            for r in session.scalars(query):
                progress[r.entry_id].append(r)
            notes = {k: [f"{r.reported_on.isoformat()} {r.author}：{r.text}" for r in v] for k, v in progress.items()}
            titles = {p.policy: p.title for p in session.scalars(select(LedgerPlan).where(LedgerPlan.current.is_(True)))}
            data = ReportData(date_from, to, entries, notes, titles, self.clock())
            out = render(data, fmt)
            self._log(session, by, "report", None, "format", "", fmt,
                      f"{date_from.isoformat() if date_from else '开始'} 至 {to.isoformat()}")
            if output is not None:
                _write_whole(output, out)
        return out


# ---------------------------------------------------------------- flags & views
def flag(status: str, due: date | None, share: float | None, start: date, on: date, settings: Settings) -> str:
    """三色 flag on ``on``: red when overdue, yellow when behind (已延期, or time used ahead of the target reached
    by more than the margin), blue when due within ``ledger_near_days``; '' for closed or undated entries."""
    if status not in OPEN or due is None:
        return ""
    if on > due:
        return "red"
    if status == "已延期":
        return "yellow"
    span = (due - start).days
    if span > 0 and on > start:
        elapsed = min((on - start).days / span, 1.0)
        reached = share if share is not None else (0.0 if status == "未启动" else None)
        if reached is not None and elapsed - min(reached, 1.0) > settings.ledger_behind_margin:
            return "yellow"
    if (due - on).days <= settings.ledger_near_days:
        return "blue"
    return ""


def summary(entries: Iterable[EntryView], by: str) -> list[dict[str, Any]]:
    """Counts by status and flag, grouped by ``unit``, ``policy`` or ``month`` (the due month, 2025-06)."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for e in entries:
        if by == "month":
            key = e.due_date.strftime("%Y-%m") if e.due_date else "无时限"
        elif by in ("unit", "policy"):
            key = getattr(e, by)
        else:
            raise BadValue(f"无法按“{by}”分组，只能按 unit、policy 或 month")
        groups[key][e.status] += 1
        if e.flag:
            groups[key][FLAGS[e.flag]] += 1
        groups[key]["合计"] += 1
    keys = sorted(groups) if by == "month" else sorted(groups, key=lambda k: (-groups[k]["合计"], k))
    return [{"分组": k, **{s: groups[k][s] for s in (*STATUSES, *[FLAGS[f] for f in ("red", "yellow", "blue")], "合计")}}
            for k in keys]


def _write_whole(path: Path, data: bytes) -> None:
    """Write a file so that it is either the old one or the complete new one, never half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise LedgerError(f"无法写入 {path}（{exc.strerror}）") from exc


def sync_if_present(settings: Settings, corpus: Callable[[], Corpus] | None = None) -> list[SyncReport] | None:
    """Carry revisions over when the configured database holds a ledger (what ``ingest`` does); None when it holds none.

    A SQLite file that does not exist is not created.
    """
    prefix = "sqlite:///"
    url = settings.database_url
    if url.startswith(prefix) and url[len(prefix):] not in ("", ":memory:") and not Path(url[len(prefix):]).exists():
        return None
    with Ledger(settings, corpus=corpus) as ledger:
        if not ledger.exists():
            return None
        return ledger.sync()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return _format_value(value)
    return str(value)


__all__ = ["FLAGS", "OPEN", "STATUSES", "CreateReport", "EntryView", "Ledger", "SchemaOutdated", "SyncReport",
           "UpdateResult", "flag", "summary", "sync_if_present"]
