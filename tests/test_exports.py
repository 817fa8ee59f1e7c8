"""exports: CSV with BOM and Chinese headers, XLSX with two sheets, JSON records of the schema."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.exports import (
    TARGET_COLUMNS,
    TASK_COLUMNS,
    describe_target,
    export,
    target_records,
    task_records,
    to_csv,
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
        ("市住房城乡建设局", "市财政局等", "按列序推定", "", "到2025年，绿色建筑占比达到100%；2030年前，碳排放达到峰值"),
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
