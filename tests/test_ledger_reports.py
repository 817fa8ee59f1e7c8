"""The 督办通报 as .docx and .xlsx, read back with python-docx and openpyxl."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest
from conftest import Clock
from openpyxl import load_workbook

from assistant.errors import BadValue

POLICY = "qingdao_urban_rural_carbon_peak"
HOUSING = "市住房城乡建设局"


@pytest.fixture
def reported(ledger_factory):  # noqa: ANN001, ANN201
    clock = Clock("2025-03-01T09:00:00")
    ledger = ledger_factory(clock)
    ledger.create(POLICY)
    housing = ledger.entries(unit=HOUSING)
    prefab = next(e for e in housing if "装配式建筑" in e.target)
    ledger.update(prefab.id, by="张三", note="已完成 38 万平方米", status="推进中", value=38)
    clock.set("2025-05-10T09:00:00")
    done = next(e for e in housing if e.task_id == "三（八）")
    ledger.update(done.id, by="张三", note="农房建设导则已印发", status="已完成")
    late = next(e for e in housing if e.task_id == "二（二）")
    ledger.update(late.id, by="李四", note="用地指标未落实", status="已延期")
    return ledger, prefab, done, late


def test_docx_report_per_unit_with_the_plans_wording(reported) -> None:  # noqa: ANN001
    ledger, prefab, done, late = reported
    data = ledger.report("docx", date(2025, 1, 1), date(2026, 1, 15))
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "督办通报" in text and "2025年1月1日至2026年1月15日" in text
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert HOUSING in headings and "市城市管理局" in headings
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert any(c.startswith("（二）打造绿色生态城区") for c in cells)  # the plan's wording
    assert any("延期原因：用地指标未落实" in c for c in cells)
    assert any("已完成 38" in c and "50%" in c for c in cells)


def test_xlsx_report_groups_done_in_progress_and_late(reported) -> None:  # noqa: ANN001
    ledger, prefab, done, late = reported
    data = ledger.report("xlsx", date(2025, 1, 1), date(2026, 1, 15))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["通报汇总", "明细"]
    rows = list(book["明细"].iter_rows(values_only=True))
    assert rows[0] == ("单位", "分类", "任务", "责任", "完成时限", "状态", "目标及完成", "进展与原因", "方案原文")
    mine = {r[2]: r for r in rows[1:] if r[0] == HOUSING}
    assert mine["三（八） 推进绿色低碳农房建设"][1] == "已完成"
    assert mine["二（二） 打造绿色生态城区"][1] == "逾期未完成" and "用地指标未落实" in mine["二（二） 打造绿色生态城区"][7]
    assert mine["二（三） 建设绿色低碳社区"][1] == "未启动"  # due 2030
    assert mine["四（十三） 促进建造方式工业化数字化转型"][8].startswith("（十三）促进建造方式工业化数字化转型")
    overview = {r[0]: r for r in book["通报汇总"].iter_rows(min_row=3, values_only=True)}
    assert overview[HOUSING][1:] == (1, 0, 10, 4, 15)  # done, in progress, late (all due 2025), not started (2030 or no date)


def test_a_range_leaves_out_work_done_before_it(reported, tmp_path) -> None:  # noqa: ANN001
    ledger, prefab, done, late = reported
    book = load_workbook(io.BytesIO(ledger.report("xlsx", date(2025, 6, 1), date(2025, 6, 30))))
    rows = [r for r in book["明细"].iter_rows(min_row=2, values_only=True) if r[0] == HOUSING]
    assert "三（八） 推进绿色低碳农房建设" not in {r[2] for r in rows}
    assert all(not r[7] or "延期原因" in r[7] for r in rows)  # no progress notes fall in June
    out = tmp_path / "out" / "通报.xlsx"
    ledger.report("xlsx", output=out)
    assert load_workbook(out).sheetnames == ["通报汇总", "明细"]
    with pytest.raises(BadValue, match="只能是 docx 或 xlsx"):
        ledger.report("pdf")
    with pytest.raises(BadValue, match="晚于截止日期"):
        ledger.report("xlsx", date(2025, 7, 1), date(2025, 6, 1))
