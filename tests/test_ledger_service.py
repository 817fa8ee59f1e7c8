"""The ledger on SQLite and on a real PostgreSQL server: create, progress, flags, views, bad input, concurrency."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import Clock
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.errors import AttachmentRefused, BadValue, ConcurrentUpdate, EntryNotFound, NeedsConfirmation
from assistant.ledger.models import AuditRecord, LedgerEntry, ProgressReport
from assistant.ledger.service import flag, summary
from assistant.settings import Settings

POLICY = "qingdao_urban_rural_carbon_peak"
HOUSING = "市住房城乡建设局"
PREFAB = "装配式建筑占城镇新建建筑的比例"


def _prefab(ledger):  # noqa: ANN001, ANN202
    [entry] = [e for e in ledger.entries(unit=HOUSING) if PREFAB in e.target]
    return entry


def _count(ledger, model) -> int:  # noqa: ANN001
    with Session(ledger.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_makes_one_entry_per_task_and_unit(ledger_factory) -> None:  # noqa: ANN001
    ledger = ledger_factory()
    report = ledger.create(POLICY, by="督查室")
    assert (report.policy, report.version, report.entries) == (POLICY, "v1", 92)
    assert report.tasks_without_units == ["一（一）", "一（二）", "一（三）", "五（十六）", "五（十七）", "五（十八）", "五（十九）"]
    entries = ledger.entries()
    assert len(entries) == 92 and all(e.status == "未启动" and e.version == 1 for e in entries)
    first = [e for e in entries if e.task_id == "二（一）"]
    assert [(e.unit, e.role) for e in first] == [("市自然资源和规划局", "牵头"), ("市住房城乡建设局", "配合"),
                                                ("市交通运输局", "配合"), ("青岛地铁集团", "配合"), ("各区市", "配合")]
    assert first[0].due_date == date(2025, 12, 31) and not first[0].due_stated
    assert "351.6" in first[0].target and first[0].task_text.startswith("（一）构建绿色发展空间格局")
    assert ledger.create(POLICY).existed and len(ledger.entries()) == 92  # not made twice
    assert ledger.history(first[0].id)[0]["new"] == "未启动"


def test_progress_is_reported_and_every_change_logged(ledger_factory) -> None:  # noqa: ANN001
    clock = Clock("2025-03-01T10:00:00")
    ledger = ledger_factory(clock)
    ledger.create(POLICY)
    entry = _prefab(ledger)
    assert entry.target_value == 50
    result = ledger.update(entry.id, by="张三", note="已完成 38 万平方米的装配式项目", status="推进中", value=38,
                           expect_version=1)
    assert result.changed == ["status", "progress_value"]
    assert result.entry.version == 2 and result.entry.progress_share == pytest.approx(0.76)
    clock.set("2025-04-01T10:00:00")
    ledger.update(entry.id, by="李四", note="受原材料影响延后", status="已延期", due=date(2026, 6, 30))
    after = ledger.entry(entry.id)
    assert (after.status, after.due_date, after.delay_count, after.delay_reason) == ("已延期", date(2026, 6, 30), 1,
                                                                                    "受原材料影响延后")
    assert after.due_text.startswith("人工调整")
    changes = [(h["by"], h["field"], h["old"], h["new"]) for h in ledger.history(entry.id)]
    assert changes[1:] == [("张三", "status", "未启动", "推进中"), ("张三", "progress_value", "", "38"),
                           ("李四", "status", "推进中", "已延期"), ("李四", "due_date", "2025-12-31", "2026-06-30")]
    reports = ledger.reports(entry.id)
    assert [(r["reported_on"], r["author"], r["value"], r["status"]) for r in reports] == [
        (date(2025, 3, 1), "张三", 38, "推进中"), (date(2025, 4, 1), "李四", None, "已延期")]
    assert ledger.reports(date_from=date(2025, 3, 15)) == reports[1:]


def test_flags_on_a_frozen_date(ledger_factory) -> None:  # noqa: ANN001
    ledger = ledger_factory()
    ledger.create(POLICY)
    entry = _prefab(ledger)
    on = {e.id: e.flag for e in ledger.entries(on=date(2025, 11, 15))}
    assert on[entry.id] == "yellow"  # 未启动 with 95 % of the time gone
    assert {e.flag for e in ledger.entries(on=date(2025, 11, 15)) if e.due_date == date(2030, 12, 31)} == {"yellow"}
    assert {e.flag for e in ledger.entries(on=date(2025, 3, 1)) if e.due_date == date(2030, 12, 31)} == {""}
    ledger.update(entry.id, by="张三", note="已完成 38", value=38)
    assert ledger.entry(entry.id, on=date(2025, 11, 15)).flag == ""  # 76 % reached: within the margin
    assert ledger.entry(entry.id, on=date(2025, 12, 10)).flag == "blue"
    assert ledger.entry(entry.id, on=date(2026, 1, 5)).flag == "red"
    ledger.update(entry.id, by="张三", note="完成", status="已完成", value=52)
    assert ledger.entry(entry.id, on=date(2026, 1, 5)).flag == ""


def test_flag_rules_and_thresholds_from_settings() -> None:
    s = Settings(ledger_near_days=10, ledger_behind_margin=0.5)
    start, due = date(2025, 1, 1), date(2025, 12, 31)
    assert flag("推进中", due, None, start, date(2026, 1, 1), s) == "red"
    assert flag("已延期", due, None, start, date(2025, 2, 1), s) == "yellow"
    assert flag("未启动", due, None, start, date(2025, 6, 1), s) == ""  # 41 % of the time < 50 % margin
    assert flag("未启动", due, None, start, date(2025, 9, 1), s) == "yellow"
    assert flag("推进中", due, 0.9, start, date(2025, 12, 25), s) == "blue"
    assert flag("推进中", due, 0.9, start, date(2025, 12, 15), s) == ""
    assert flag("已完成", due, None, start, date(2026, 6, 1), s) == flag("推进中", None, None, start, date(2026, 6, 1), s) == ""


def test_views_by_unit_plan_and_due_month(ledger_factory) -> None:  # noqa: ANN001
    ledger = ledger_factory()
    ledger.create(POLICY)
    entries = ledger.entries(on=date(2025, 11, 15))
    by_unit = summary(entries, "unit")
    assert by_unit[0]["分组"] == HOUSING and by_unit[0]["合计"] == 15 and by_unit[0]["未启动"] == 15
    assert summary(entries, "policy") == [{**summary(entries, "policy")[0], "分组": POLICY, "合计": 92}]
    assert [row["分组"] for row in summary(entries, "month")] == ["2025-12", "2030-12", "无时限"]
    with pytest.raises(BadValue):
        summary(entries, "colour")
    assert {e.unit for e in ledger.entries(unit="市城市管理局")} == {"市城市管理局"}
    assert ledger.entries(policy="other") == []


def test_bad_input_is_refused_and_nothing_is_written(ledger_factory) -> None:  # noqa: ANN001
    ledger = ledger_factory()
    ledger.create(POLICY)
    entry = _prefab(ledger)
    before = (_count(ledger, ProgressReport), _count(ledger, AuditRecord))
    with pytest.raises(EntryNotFound, match="没有编号为 9999 的条目"):
        ledger.update(9999, by="张三", note="x")
    with pytest.raises(BadValue, match="状态“完成”不在列表中"):
        ledger.update(entry.id, by="张三", note="x", status="完成")
    with pytest.raises(BadValue, match="填报人"):
        ledger.update(entry.id, by=" ", note="x")
    with pytest.raises(BadValue, match="数值"):
        ledger.update(entry.id, by="张三", note="x", value=-1)
    with pytest.raises(NeedsConfirmation, match="早于方案印发日期 2023-01-01.*--confirm"):
        ledger.update(entry.id, by="张三", note="x", due=date(2022, 6, 30))
    with pytest.raises(AttachmentRefused, match="过大"):
        ledger.update(entry.id, by="张三", note="x", attachments=[("photo.jpg", b"\xff\xd8\xff" + b"0" * 2_000_000)])
    with pytest.raises(AttachmentRefused, match="内容与扩展名 .pdf 不符"):
        ledger.update(entry.id, by="张三", note="x", attachments=[("report.pdf", b"MZ\x90\x00 not a pdf")])
    with pytest.raises(AttachmentRefused, match="类型不接受"):
        ledger.update(entry.id, by="张三", note="x", attachments=[("tool.exe", b"MZ\x90\x00")])
    with pytest.raises(EntryNotFound, match="没有政策“nope”"):
        ledger.create("nope")
    assert (_count(ledger, ProgressReport), _count(ledger, AuditRecord)) == before
    assert ledger.entry(entry.id).version == 1
    confirmed = ledger.update(entry.id, by="张三", note="上级要求提前", due=date(2022, 6, 30), confirm=True)
    assert confirmed.entry.due_date == date(2022, 6, 30)


def test_attachments_are_stored_beside_the_database(ledger_factory) -> None:  # noqa: ANN001
    ledger = ledger_factory()
    ledger.create(POLICY)
    entry = _prefab(ledger)
    pdf = b"%PDF-1.4 progress photo"
    ledger.update(entry.id, by="张三", note="现场照片", attachments=[("../../现场 照片.pdf", pdf), ("说明.txt", "进展说明".encode())])
    [report] = ledger.reports(entry.id)
    names = [name for _, name in report["attachments"]]
    assert names == ["现场_照片.pdf", "说明.txt"]
    name, path = ledger.attachment_path(report["attachments"][0][0])
    assert path.read_bytes() == pdf and path.parent == ledger.settings.ledger_attachments_dir


def test_a_concurrent_update_is_refused(ledger_factory) -> None:  # noqa: ANN001
    ledger = ledger_factory()
    ledger.create(POLICY)
    entry = _prefab(ledger)
    ledger.update(entry.id, by="张三", note="第一次填报", value=10, expect_version=1)
    with pytest.raises(ConcurrentUpdate, match="已被他人修改（当前版本 2，你看到的是 1）"):
        ledger.update(entry.id, by="李四", note="第二次填报", value=20, expect_version=1)
    assert ledger.entry(entry.id).progress_value == 10
    # two sessions holding the same row: the second write loses, not silently overwrites
    with Session(ledger.engine) as stale:
        row = stale.get(LedgerEntry, entry.id)
        assert row is not None and row.version == 2
        ledger.update(entry.id, by="张三", note="又一次", value=30)
        row.progress_value = 99
        from sqlalchemy.orm.exc import StaleDataError

        with pytest.raises(StaleDataError):
            stale.commit()
    assert ledger.entry(entry.id).progress_value == 30
