"""exports: CSV with BOM and Chinese headers, XLSX with two sheets, JSON records of the schema."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from docx import Document

from assistant.exports import (
    DOCX_COLUMNS,
    TARGET_COLUMNS,
    TASK_COLUMNS,
    describe_target,
    due_date,
    export,
    target_records,
    task_records,
    to_csv,
    to_docx,
    to_json,
    to_xlsx,
)
from assistant.policies import read_policy
from assistant.schema import Target, Task

ROOT = Path(__file__).parent.parent
QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"

TASK_HEADERS = ["政策", "版本", "编号", "章", "章标题", "条目", "任务", "牵头单位", "配合/责任单位", "牵头单位依据",
                "完成时限", "目标", "原文"]
TARGET_HEADERS = ["政策", "版本", "编号", "任务", "指标", "年份", "时限类型", "比较", "数值", "单位", "基准年", "原文"]


def _target(**fields: object) -> Target:
    base: dict[str, object] = {"metric": "绿色建筑占比", "year": 2025, "deadline_kind": "by", "comparator": "=",
                               "value": 100.0, "unit": "%", "baseline_year": None, "quote": "到2025年，绿色建筑占比达到100%"}
    return Target.model_validate(base | fields)


def _task(**fields: object) -> Task:
    base: dict[str, object] = {"policy": "p", "version": "v1", "chapter": "二", "chapter_title": "重点任务"}
    return Task.model_validate(base | fields)


TASKS = [
    _task(id="二（一）", number="（一）", title="推进绿色建筑",
          text="（一）推进绿色建筑\n到2025年，绿色建筑占比达到100%，“双清零”。（责任单位：市住房城乡建设局、市财政局等）",
          lead_agency="市住房城乡建设局", lead_inferred=True, agencies=["市住房城乡建设局", "市财政局"], agencies_etc=True,
          unit_source="责任单位", targets=[_target(), _target(metric="碳排放", comparator="peak", value=None, unit=None,
                                                        year=2030, deadline_kind="before", quote="2030年前，碳排放达到峰值")]),
    _task(id="二（二）", number="（二）", title="整治易涝积水点", text="（二）整治易涝积水点\n每年整治10处。",
          lead_agency="市城市管理局", agencies=["市城市管理局", "市公安局"], unit_source="附件表", deadline="长期坚持",
          targets=[_target(metric="整治", year=None, deadline_kind="annual", value=10.0, unit="处", quote="每年整治10处")]),
    _task(id="二（三）", number="（三）", title="完善政策", text="（三）完善政策\n完善政策。"),
]


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (_target(), "到2025年，绿色建筑占比达到100%"),
        (_target(comparator=">=", value=60.0, year=2030, quote="绿色建筑占比达到60%以上"), "到2030年，绿色建筑占比达到60%以上"),
        (_target(comparator="<=", value=8.5, year=None, deadline_kind=None, quote="绿色建筑占比控制在8.5%以内。"),
         "绿色建筑占比控制在8.5%以内"),
        (_target(metric="碳排放", comparator="peak", value=None, unit=None, year=2030, deadline_kind="before",
                 quote="城乡建设领域碳排放达到峰值"), "2030年前，城乡建设领域碳排放达到峰值"),
        (_target(metric="整治", comparator="=", value=10.0, unit="处", year=None, deadline_kind="annual",
                 quote="整治易涝点10处"), "每年，整治易涝点10处"),
        (_target(year=None, deadline_kind="annual", quote="每年新增10处"), "每年新增10处"),
    ],
)
def test_describe_target(target: Target, text: str) -> None:
    assert describe_target(target) == text


def test_task_records() -> None:
    records = task_records(TASKS)
    assert [list(r) for r in records] == [list(TASK_COLUMNS)] * 3
    assert [(r["lead_agency"], r["co_agencies"], r["lead_inferred"], r["deadline"], r["targets"]) for r in records] == [
        ("市住房城乡建设局", "市财政局等", "按列序推定", "2030年底前（按目标年份推定）",
         "到2025年，绿色建筑占比达到100%；2030年前，碳排放达到峰值"),
        ("市城市管理局", "市公安局", "原文明确", "长期坚持", "每年整治10处"),
        ("", "", "", "", ""),
    ]


def test_target_records() -> None:
    records = target_records(TASKS)
    assert [list(r) for r in records] == [list(TARGET_COLUMNS)] * 3
    assert [(r["id"], r["year"], r["deadline_kind"], r["comparator"], r["value"], r["unit"], r["baseline_year"])
            for r in records] == [
        ("二（一）", 2025, "到…年", "=", 100.0, "%", ""),
        ("二（一）", 2030, "…年前", "达峰", "", "", ""),
        ("二（二）", "", "每年", "=", 10.0, "处", ""),
    ]


def test_csv_has_bom_and_chinese_headers() -> None:
    data = to_csv(TASKS)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.split("\r\n", 1)[0] == ",".join(TASK_HEADERS)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == TASK_HEADERS
    assert len(rows) == 4
    assert rows[1][:10] == ["p", "v1", "二（一）", "二", "重点任务", "（一）", "推进绿色建筑", "市住房城乡建设局", "市财政局等",
                            "按列序推定"]
    assert rows[1][12] == TASKS[0].text  # a multi-line text with quotes survives the round trip
    assert rows[3][7:12] == ["", "", "", "", ""]
    assert rows[1][10] == "2030年底前（按目标年份推定）" and rows[2][10] == "长期坚持"
    assert export(TASKS, "csv") == data


def test_xlsx_sheets_header_and_widths() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(TASKS)))
    assert workbook.sheetnames == ["任务", "目标"]
    tasks, targets = workbook["任务"], workbook["目标"]
    assert [c.value for c in tasks[1]] == TASK_HEADERS
    assert [c.value for c in targets[1]] == TARGET_HEADERS
    assert (tasks.max_row, targets.max_row) == (4, 4)
    assert tasks.freeze_panes == "A2" and targets.freeze_panes == "A2"
    assert all(c.font.bold for c in tasks[1])
    # width = min(60, max(8, longest cell × 1.8 + 2)); 编号 is at most 4 characters, 原文 is long
    assert tasks.column_dimensions["C"].width == pytest.approx(4 * 1.8 + 2)
    assert tasks.column_dimensions["A"].width == 8
    assert tasks.column_dimensions["M"].width == 60
    assert all(tasks.column_dimensions[col].width >= 8 for col in "ABCDEFGHIJKLM")
    assert tasks["M2"].alignment.wrap_text
    assert [c.value for c in targets["E"][1:]] == ["绿色建筑占比", "碳排放", "整治"]
    assert [c.value for c in targets["I"][1:]] == [100, None, 10]


def test_json_records() -> None:
    records = json.loads(to_json(TASKS))
    assert isinstance(records, list) and len(records) == 3
    for record, task in zip(records, TASKS):
        assert set(record) == set(Task.model_fields)
        assert {"policy", "chapter", "chapter_title", "number", "title", "text", "lead_agency", "agencies",
                "targets"} <= set(record)
        for target in record["targets"]:
            assert set(target) == {"metric", "year", "deadline_kind", "comparator", "value", "value_max", "unit",
                                   "baseline_year", "quote"}
        assert Task.model_validate(record) == task
    assert records[0]["targets"][1] == {"metric": "碳排放", "year": 2030, "deadline_kind": "before", "comparator": "peak",
                                        "value": None, "value_max": None, "unit": None, "baseline_year": None,
                                        "quote": "2030年前，碳排放达到峰值"}
    assert "“双清零”" in to_json(TASKS)  # not escaped
    assert export(TASKS, "json") == to_json(TASKS).encode("utf-8")


def test_qingdao_exports_row_counts() -> None:
    tasks = read_policy(QINGDAO).tasks
    workbook = load_workbook(io.BytesIO(export(tasks, "xlsx")))
    assert workbook["任务"].max_row == 1 + 22
    assert workbook["目标"].max_row == 1 + 42
    assert len(list(csv.reader(io.StringIO(export(tasks, "csv").decode("utf-8-sig"))))) == 1 + 22
    assert len(json.loads(export(tasks, "json"))) == 22


def test_empty_table() -> None:
    assert to_csv([]).decode("utf-8-sig") == ",".join(TASK_HEADERS) + "\r\n"
    assert json.loads(to_json([])) == []
    workbook = load_workbook(io.BytesIO(to_xlsx([])))
    assert (workbook["任务"].max_row, workbook["目标"].max_row) == (1, 1)


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        export(TASKS, "pdf")


def test_due_date_is_the_plans_own_else_the_latest_target_year_marked_as_derived() -> None:
    assert [due_date(t) for t in TASKS] == ["2030年底前（按目标年份推定）", "长期坚持", ""]


def test_xlsx_is_set_up_for_an_office_filter_wrap_print_titles_and_page() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(TASKS)))
    for sheet, last in ((workbook["任务"], "M4"), (workbook["目标"], "L4")):
        assert sheet.auto_filter.ref == f"A1:{last}"
        assert sheet.freeze_panes == "A2"
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert all(c.alignment.wrap_text for c in sheet[1])
    tasks = workbook["任务"]
    headers = [c.value for c in tasks[1]]
    for key in ("任务", "配合/责任单位", "完成时限", "目标", "原文"):
        column = headers.index(key) + 1
        assert all(tasks.cell(row, column).alignment.wrap_text for row in range(2, 5)), key
    assert tasks.cell(2, headers.index("完成时限") + 1).value == "2030年底前（按目标年份推定）"


def _docx_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    document = Document(io.BytesIO(data))
    table = document.tables[0]
    return [p.text for p in document.paragraphs if p.text], [[c.text for c in row.cells] for row in table.rows]


def test_docx_is_a_responsibility_table_in_the_usual_layout() -> None:
    paragraphs, rows = _docx_rows(to_docx(TASKS, "某某方案重点任务分工表"))
    assert paragraphs[0] == "某某方案重点任务分工表"
    assert rows[0] == list(DOCX_COLUMNS) == ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"]
    assert rows[1] == ["二、重点任务"] * 5  # a chapter row spans the table
    assert rows[2:] == [
        ["1", "推进绿色建筑", "市住房城乡建设局", "市财政局等", "2030年底前（按目标年份推定）"],
        ["2", "整治易涝积水点", "市城市管理局", "市公安局", "长期坚持"],
    ]  # 完善政策 names no unit: nothing to assign
    document = Document(io.BytesIO(to_docx(TASKS)))
    section = document.sections[0]
    assert section.page_width > section.page_height  # landscape
    assert "PAGE" in section.footer._element.xml  # page numbers
    assert 'w:tblHeader' in document.tables[0].rows[0]._tr.xml  # header repeated on each page
    assert export(TASKS, "docx", "分工表")[:2] == b"PK"


def test_qingdao_docx_has_every_leaf_task_and_a_deadline_where_the_plan_gives_a_year() -> None:
    tasks = read_policy(QINGDAO).tasks
    _, rows = _docx_rows(export(tasks, "docx"))
    numbered = [r for r in rows[1:] if r[0].isdigit()]
    assigned = [t for t in tasks if t.agencies and not any(c.parent == t.id for c in tasks)]
    assert [r[1] for r in numbered] == [t.title for t in assigned] and len(numbered) == 15
    assert all(r[2] for r in numbered)  # every row names its lead
    with_year = [r for r, t in zip(numbered, assigned) if any(x.year for x in t.targets)]
    assert with_year and all(re.fullmatch(r"20\d\d年底前（按目标年份推定）", r[4]) for r in with_year)
    assert numbered[0][1:] == ["构建绿色发展空间格局", "市自然资源和规划局", numbered[0][3], "2030年底前（按目标年份推定）"]
