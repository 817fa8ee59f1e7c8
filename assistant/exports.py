"""Exports of the task table: CSV, XLSX (tasks and targets sheets) and JSON. Columns come from the schema."""

from __future__ import annotations

import re

import csv
import io
import json
from typing import Any

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


def task_records(tasks: list[Task]) -> list[dict[str, Any]]:
    """Flat task rows for CSV/XLSX, keyed by TASK_COLUMNS."""
    rows = []
    for t in tasks:
        rows.append({
            "policy": t.policy, "version": t.version, "id": t.id, "chapter": t.chapter,
            "chapter_title": t.chapter_title, "number": t.number, "title": t.title,
            "lead_agency": t.lead_agency or "",
            "co_agencies": "、".join(a for a in t.agencies if a != t.lead_agency) + ("等" if t.agencies_etc else ""),
            "lead_inferred": ("按列序推定" if t.lead_inferred else "原文明确") if t.lead_agency else "",
            "deadline": t.deadline or "", "targets": "；".join(describe_target(x) for x in t.targets), "text": t.text,
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
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append(list(columns.values()))
    for record in records:
        sheet.append([record[key] for key in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for i, key in enumerate(columns, start=1):
        longest = max([len(str(r[key])) for r in records] + [len(columns[key])])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest * 1.8 + 2))
        if key in ("text", "quote", "targets", "co_agencies"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def to_xlsx(tasks: list[Task]) -> bytes:
    """Workbook with a 任务 sheet and a 目标 sheet: Chinese headers, frozen header row, set widths."""
    from openpyxl import Workbook

    workbook = Workbook()
    _sheet(workbook, "任务", TASK_COLUMNS, task_records(tasks), first=True)
    _sheet(workbook, "目标", TARGET_COLUMNS, target_records(tasks), first=False)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(tasks: list[Task], fmt: str) -> bytes:
    """Bytes of the table in ``fmt`` (csv, xlsx or json)."""
    if fmt == "csv":
        return to_csv(tasks)
    if fmt == "xlsx":
        return to_xlsx(tasks)
    if fmt == "json":
        return to_json(tasks).encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}; use csv, xlsx or json")
