"""The 督办通报: per unit, what is done, in progress and late (and why), with the plan's wording of each task.

``render(data, "docx" | "xlsx")`` returns the file's bytes; ``sections`` is what both formats lay out.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .service import EntryView

GROUPS = ("已完成", "推进中", "逾期未完成", "未启动")
HEADERS = ("单位", "分类", "任务", "责任", "完成时限", "状态", "目标及完成", "进展与原因", "方案原文")


@dataclass
class ReportData:
    date_from: date | None
    date_to: date
    entries: list[EntryView]
    notes: dict[int, list[str]]  # entry id → progress reports in the range
    titles: dict[str, str]  # policy → title
    issued_at: datetime

    @property
    def period(self) -> str:
        start = f"{self.date_from.year}年{self.date_from.month}月{self.date_from.day}日" if self.date_from else "台账建立"
        end = f"{self.date_to.year}年{self.date_to.month}月{self.date_to.day}日"
        return f"{start}至{end}"


def group_of(entry: EntryView, data: ReportData) -> str | None:
    """Which part of the notice an entry belongs to; None for cancelled entries and those done before the range."""
    if entry.status == "已取消":
        return None
    if entry.status == "已完成":
        if data.date_from and entry.done_on and entry.done_on < data.date_from:
            return None
        return "已完成"
    if entry.flag == "red":
        return "逾期未完成"
    return "未启动" if entry.status == "未启动" else "推进中"


def sections(data: ReportData) -> dict[str, dict[str, list[EntryView]]]:
    """unit → group → entries, units with late work first, then by name."""
    out: dict[str, dict[str, list[EntryView]]] = defaultdict(lambda: {g: [] for g in GROUPS})
    for entry in data.entries:
        group = group_of(entry, data)
        if group is not None:
            out[entry.unit][group].append(entry)
    return dict(sorted(out.items(), key=lambda kv: (-len(kv[1]["逾期未完成"]), kv[0])))


def _due(entry: EntryView) -> str:
    if entry.due_date is None:
        return entry.due_text or "未明确"
    return entry.due_date.isoformat() + ("" if entry.due_stated else "（推定）")


def _progress(entry: EntryView) -> str:
    if not entry.target:
        return "" if entry.progress_value is None else f"已完成 {entry.progress_value:g}"
    done = "" if entry.progress_value is None else f"；已完成 {entry.progress_value:g}"
    return f"{entry.target}{done}"


def _why(entry: EntryView, data: ReportData) -> str:
    lines = list(data.notes.get(entry.id, []))
    if entry.delay_reason and (entry.status == "已延期" or entry.flag == "red"):
        lines.append(f"延期原因：{entry.delay_reason}（延期 {entry.delay_count} 次）")
    if entry.flag == "red" and not entry.delay_reason and not lines:
        lines.append("逾期，未报送原因")
    return "\n".join(lines)


def rows(data: ReportData) -> list[list[str]]:
    """One row per entry of the notice, in HEADERS order."""
    out = []
    for unit, groups in sections(data).items():
        for group in GROUPS:
            for e in groups[group]:
                out.append([unit, group, f"{e.task_id} {e.title}", e.role, _due(e), e.status, _progress(e),
                            _why(e, data), e.task_text])
    return out


def render(data: ReportData, fmt: str) -> bytes:
    return _docx(data) if fmt == "docx" else _xlsx(data)


def _xlsx(data: ReportData) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    overview = workbook.active
    overview.title = "通报汇总"
    overview.append([f"督办通报（{data.period}）"])
    overview["A1"].font = Font(bold=True, size=14)
    overview.append(["单位", *GROUPS, "合计"])
    for unit, groups in sections(data).items():
        counts = [len(groups[g]) for g in GROUPS]
        overview.append([unit, *counts, sum(counts)])
    for cell in overview[2]:
        cell.font = Font(bold=True)
    overview.column_dimensions["A"].width = 28
    detail = workbook.create_sheet("明细")
    detail.append(list(HEADERS))
    for row in rows(data):
        detail.append(row)
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGHI", (22, 12, 30, 8, 16, 10, 36, 40, 60)):
        detail.column_dimensions[letter].width = width
    for row_cells in detail.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    detail.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _docx(data: ReportData) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    heading = document.add_heading("督办通报", level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    plans = "、".join(f"《{t}》" for t in sorted(set(data.titles.values())) if t)
    document.add_paragraph(f"通报期间：{data.period}。" + (f"涉及方案：{plans}。" if plans else ""))
    parts = sections(data)
    totals = {g: sum(len(groups[g]) for groups in parts.values()) for g in GROUPS}
    document.add_paragraph("总体情况：" + "，".join(f"{g} {totals[g]} 项" for g in GROUPS) + "。")
    for unit, groups in parts.items():
        document.add_heading(unit, level=1)
        counts = "，".join(f"{g} {len(groups[g])} 项" for g in GROUPS if groups[g])
        document.add_paragraph(counts + "。")
        for group in GROUPS:
            if not groups[group]:
                continue
            document.add_heading(group, level=2)
            table = document.add_table(rows=1, cols=5)
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, ("任务", "完成时限", "目标及完成", "进展与原因", "方案原文")):
                cell.text = text
            for e in groups[group]:
                cells = table.add_row().cells
                values = (f"{e.task_id} {e.title}（{e.role}）", _due(e), _progress(e), _why(e, data), e.task_text)
                for cell, text in zip(cells, values):
                    cell.text = text
    document.add_paragraph(f"生成时间：{data.issued_at.strftime('%Y-%m-%d %H:%M')}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
