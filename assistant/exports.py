"""Exports of the task table: CSV, XLSX (tasks and targets sheets), JSON, and a Word 分工表. Columns come from
the schema.

The workbook is set up for an office: a filter row, a frozen header, wrapped text, set widths, the header
repeated on every printed page, landscape A4 fitted to the page width. The Word file is the responsibility
table in the layout offices circulate: a title, then 序号/重点任务/牵头单位/配合单位/完成时限, chapter rows
between, the header repeated on every page, page numbers in the footer.
"""

from __future__ import annotations

import re

import csv
import io
import json
from typing import Any

from .agencies import CO, LEAD
from .deadlines import target_due
from .schema import Target, Task

TASK_COLUMNS: dict[str, str] = {
    "policy": "政策", "version": "版本", "id": "编号", "chapter": "章", "chapter_title": "章标题", "number": "条目",
    "title": "任务", "lead_agency": "牵头单位", "co_agencies": "配合/责任单位", "lead_inferred": "牵头单位依据",
    "deadline": "完成时限", "targets": "目标", "text": "原文",
}
TARGET_COLUMNS: dict[str, str] = {
    "policy": "政策", "version": "版本", "id": "编号", "title": "任务", "metric": "指标", "year": "年份",
    "deadline_kind": "时限类型", "comparator": "比较", "value": "数值", "unit": "单位", "baseline_year": "基准年",
    "quote": "原文",
}
DERIVED_DEADLINE = "（按目标年份推定）"
FORMATS = ("csv", "xlsx", "docx", "json")
_WRAPPED = ("chapter_title", "title", "co_agencies", "deadline", "targets", "text", "metric", "quote")
_DEADLINE_KIND = {"by": "到…年", "before": "…年前", "annual": "每年", "during": "期间"}
_COMPARATOR = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "=", "reduce_by": "比基准下降", "increase_by": "比基准提高",
               "peak": "达峰"}


def describe_target(target: Target) -> str:
    """A target in the plan's own words: its quote, with the year that governs it when the quote leaves it out
    (到2030年，轨道交通运营总里程数突破500公里; 每年，新增…)."""
    quote = target.quote.strip("，；。 ")
    parts = re.split(r"[，；]", quote)
    if len(parts) > 2 and re.match(r"^(?:到|至|在|力争|确保)?\d{4}", parts[0]):
        quote = f"{parts[0]}，{parts[-1]}"  # the year that governs it and the clause that states it
    if target.year and str(target.year) not in quote:
        when = f"{target.year}年前" if target.deadline_kind == "before" else f"到{target.year}年"
        return f"{when}，{quote}"
    if target.deadline_kind == "annual" and not re.search(r"每年|年均|每年度", quote):
        return f"每年，{quote}"
    return quote


def due_date(task: Task) -> str:
    """完成时限 of a task: the plan's own where it states one, else the latest target year as
    "2030年底前（按目标年份推定）", else ""."""
    if task.deadline:
        return task.deadline
    derived = target_due(task.targets, last=True)  # the whole task is done when its last target is reached
    return f"{derived.year}年底前{DERIVED_DEADLINE}" if derived else ""


def leaf_tasks(tasks: list[Task]) -> list[Task]:
    """Rows that are not a parent of other rows (a parent's units are the union of its sub-items')."""
    parents = {(t.policy, t.version, t.parent) for t in tasks if t.parent}
    return [t for t in tasks if (t.policy, t.version, t.id) not in parents]


def co_agencies(task: Task) -> str:
    """The units other than the lead, 、-separated, with the plan's 等 kept."""
    return "、".join(a for a in task.agencies if a != task.lead_agency) + ("等" if task.agencies_etc else "")


def task_records(tasks: list[Task]) -> list[dict[str, Any]]:
    """Flat task rows for CSV/XLSX, keyed by TASK_COLUMNS."""
    rows = []
    for t in tasks:
        rows.append({
            "policy": t.policy, "version": t.version, "id": t.id, "chapter": t.chapter,
            "chapter_title": t.chapter_title, "number": t.number, "title": t.title,
            "lead_agency": t.lead_agency or "",
            "co_agencies": co_agencies(t),
            "lead_inferred": ("按列序推定" if t.lead_inferred else "原文明确") if t.lead_agency else "",
            "deadline": due_date(t), "targets": "；".join(describe_target(x) for x in t.targets), "text": t.text,
        })
    return rows


def target_records(tasks: list[Task]) -> list[dict[str, Any]]:
    rows = []
    for t in tasks:
        for x in t.targets:
            rows.append({
                "policy": t.policy, "version": t.version, "id": t.id, "title": t.title, "metric": x.metric,
                "year": x.year if x.year is not None else "",
                "deadline_kind": _DEADLINE_KIND.get(x.deadline_kind or "", ""),
                "comparator": _COMPARATOR[x.comparator], "value": x.value if x.value is not None else "",
                "unit": x.unit or "", "baseline_year": x.baseline_year or "", "quote": x.quote,
            })
    return rows


def to_json(tasks: list[Task]) -> str:
    return json.dumps([t.model_dump() for t in tasks], ensure_ascii=False, indent=1)


def to_csv(tasks: list[Task]) -> bytes:
    """CSV of the task table, UTF-8 with BOM so that Excel opens the Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(TASK_COLUMNS), extrasaction="ignore")
    buffer.write(",".join(TASK_COLUMNS.values()) + "\r\n")
    writer.writerows(task_records(tasks))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet(workbook: Any, title: str, columns: dict[str, str], records: list[dict[str, Any]], first: bool) -> None:
    """One sheet an office can filter, read and print: header bold, frozen and filtered; long text wrapped;
    widths from the content; the header row on every printed page; landscape A4, one page wide."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(list(columns.values()))
    for record in records:
        sheet.append([record[key] for key in columns])
    thin = Side(style="thin", color="999999")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(records) + 1)}"
    for i, key in enumerate(columns, start=1):
        longest = max([len(str(r[key])) for r in records] + [len(columns[key])])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest * 1.8 + 2))
        wrapped = Alignment(wrap_text=True, vertical="top")
        top = Alignment(vertical="top")
        for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
            cell.alignment = wrapped if key in _WRAPPED else top
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def to_xlsx(tasks: list[Task]) -> bytes:
    """Workbook with a 任务 sheet and a 目标 sheet: Chinese headers, filter row, frozen header, wrapped text,
    set widths, print titles and a landscape page fitted to the width."""
    from openpyxl import Workbook

    workbook = Workbook()
    _sheet(workbook, "任务", TASK_COLUMNS, task_records(tasks), first=True)
    _sheet(workbook, "目标", TARGET_COLUMNS, target_records(tasks), first=False)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


DOCX_COLUMNS = ("序号", "重点任务", f"{LEAD}单位", f"{CO}单位", "完成时限")
_DOCX_WIDTHS_CM = (1.4, 11.0, 4.6, 6.4, 3.6)
_BODY_FONT = "仿宋"
_TITLE_FONT = "黑体"


def _font(run: Any, name: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _field(paragraph: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays out the page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, code), ("end", None)):
        run = paragraph.add_run()
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        run._r.append(element)


def _cell(cell: Any, text: str, size: float = 10.5, bold: bool = False, center: bool = False) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), _BODY_FONT, size, bold)


def to_docx(tasks: list[Task], title: str = "重点任务分工表") -> bytes:
    """The responsibility table as a Word 分工表: ``title`` on top, then one row per task that names a unit (leaf
    rows: a parent's units are its sub-items'), chapter rows between, header repeated on each page, page numbers
    below. Rows without any unit (指导思想, 工作原则 …) assign nothing and are left out."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(2.0)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(heading.add_run(title), _TITLE_FONT, 18, bold=True)

    rows = [t for t in leaf_tasks(tasks) if t.agencies]
    table = document.add_table(rows=1, cols=len(DOCX_COLUMNS))
    table.style = "Table Grid"
    header = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header._tr.get_or_add_trPr().append(repeat)
    for cell, text in zip(header.cells, DOCX_COLUMNS):
        _cell(cell, text, bold=True, center=True)
    chapter = None
    for number, task in enumerate(rows, start=1):
        if task.chapter and (task.policy, task.chapter) != chapter:
            chapter = (task.policy, task.chapter)
            merged = table.add_row().cells
            first = merged[0].merge(merged[-1])
            _cell(first, f"{task.chapter}、{task.chapter_title}" if task.chapter_title else task.chapter, bold=True)
        cells = table.add_row().cells
        for cell, text, center in zip(cells, (str(number), task.title, task.lead_agency or "", co_agencies(task),
                                              due_date(task)), (True, False, False, False, False)):
            _cell(cell, text, center=center)
    for row in table.rows:
        for cell, width in zip(row.cells, _DOCX_WIDTHS_CM):
            cell.width = Cm(width)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(footer.add_run("第 "), _BODY_FONT, 10.5)
    _field(footer, "PAGE")
    _font(footer.add_run(" 页，共 "), _BODY_FONT, 10.5)
    _field(footer, "NUMPAGES")
    _font(footer.add_run(" 页"), _BODY_FONT, 10.5)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def export(tasks: list[Task], fmt: str, title: str | None = None) -> bytes:
    """Bytes of the table in ``fmt`` (csv, xlsx, docx or json); ``title`` heads the Word 分工表."""
    if fmt == "csv":
        return to_csv(tasks)
    if fmt == "xlsx":
        return to_xlsx(tasks)
    if fmt == "docx":
        return to_docx(tasks, title or "重点任务分工表")
    if fmt == "json":
        return to_json(tasks).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}; use csv, xlsx, docx or json")
