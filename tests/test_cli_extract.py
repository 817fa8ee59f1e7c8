"""The extract, schema and score-table commands, through typer's CLI runner."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from assistant.cli import app

ROOT = Path(__file__).parent.parent
QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"
GOLD = ROOT / "eval" / "gold" / "qingdao_urban_rural_carbon_peak.json"
PLANS = Path(__file__).parent / "data" / "plans"

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each command in an empty folder, so no policy-assistant.toml or corpus/ is picked up by accident."""
    monkeypatch.chdir(tmp_path)
    for name in ("POLICY_ASSISTANT_CORPUS_DIR", "POLICY_ASSISTANT_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_extract_json_to_file(tmp_path: Path) -> None:
    out = tmp_path / "out" / "tasks.json"
    result = runner.invoke(app, ["extract", str(QINGDAO), "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"已写入 {out}\n"
    records = json.loads(out.read_text("utf-8"))
    assert len(records) == 22
    assert records[3]["id"] == "二（一）"
    assert records[3]["lead_agency"] == "市自然资源和规划局"
    assert records[3]["policy"] == "qingdao_urban_rural_carbon_peak"


def test_extract_json_to_stdout() -> None:
    result = runner.invoke(app, ["extract", str(PLANS / "plan_inline_lead.txt")])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["id"] for r in records][:3] == ["一", "二（一）", "二（二）"]  # the goals chapter 一、总体目标 first
    assert len(records) == 12


def test_extract_csv(tmp_path: Path) -> None:
    out = tmp_path / "tasks.csv"
    result = runner.invoke(app, ["extract", str(QINGDAO), "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["政策", "版本", "编号"]
    assert len(rows) == 23


def test_extract_docx_is_a_responsibility_table_titled_by_the_plan(tmp_path: Path) -> None:
    from docx import Document

    out = tmp_path / "分工表.docx"
    result = runner.invoke(app, ["extract", str(QINGDAO), "-f", "docx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = Document(str(out))
    assert document.paragraphs[0].text == "青岛市城乡建设领域碳达峰工作方案重点任务分工表"
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"]
    numbered = [r for r in rows if r[0].isdigit()]
    assert len(numbered) == 15 and numbered[0][4] == "2030年底前（按目标年份推定）"


def test_extract_xlsx_folder(tmp_path: Path) -> None:
    out = tmp_path / "tasks.xlsx"
    result = runner.invoke(app, ["extract", str(PLANS), "-f", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["任务", "目标"]
    # 8 + 10 + 12 + 8 task rows and 11 + 19 + 16 + 25 targets across the four fixtures
    assert workbook["任务"].max_row == 1 + 38
    assert workbook["目标"].max_row == 1 + 71
    assert {c.value for c in workbook["任务"]["A"][1:]} == {
        "plan_appendix", "plan_body_sentence", "plan_inline_lead", "plan_lead_colleague"}


def test_extract_reports_bad_files_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "good.txt").write_text(QINGDAO.read_text("utf-8"), "utf-8")
    result = runner.invoke(app, ["extract", str(tmp_path), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert f"跳过 {tmp_path / 'empty.txt'}：文件为空\n" in result.stderr
    assert len(json.loads(result.stdout)) == 22


def test_extract_latest_only(tmp_path: Path) -> None:
    text = QINGDAO.read_text("utf-8")
    (tmp_path / "plan_v1.txt").write_text(text, "utf-8")
    (tmp_path / "plan_v2.txt").write_text(text.replace("351.6公里", "360公里"), "utf-8")  # the same text would be one copy
    both = json.loads(runner.invoke(app, ["extract", str(tmp_path)]).stdout)
    latest = json.loads(runner.invoke(app, ["extract", str(tmp_path), "--latest"]).stdout)
    assert (len(both), len(latest)) == (44, 22)
    assert {r["version"] for r in latest} == {"v2"}


def test_extract_default_corpus_from_config(tmp_path: Path) -> None:
    config = tmp_path / "policy-assistant.toml"
    config.write_text(f'corpus_dir = "{QINGDAO.parent.as_posix()}"\n', "utf-8")
    result = runner.invoke(app, ["extract", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 22


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-f", "xml"], 2, "错误：--format 只能是 csv、xlsx、docx 或 json\n"),
        (["-f", "xlsx"], 2, "错误：xlsx 需要用 -o 指定输出文件\n"),
        (["-f", "docx"], 2, "错误：docx 需要用 -o 指定输出文件\n"),
    ],
)
def test_extract_usage_errors(args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, ["extract", str(QINGDAO), *args])
    assert result.exit_code == code
    assert result.stderr == message


def test_extract_nothing_readable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(256)) * 8)
    result = runner.invoke(app, ["extract", str(bad)])
    assert result.exit_code == 1
    assert result.stderr == (f"跳过 {bad}：不是可识别的文本文件（编码无法识别或内容为二进制数据）\n"
                             "错误：没有可解析的政策文件\n")
    assert result.stdout == ""


def test_schema_prints_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Task"
    assert schema["additionalProperties"] is False
    assert {"policy", "id", "title", "lead_agency", "agencies", "targets"} <= set(schema["properties"])
    assert set(schema["$defs"]["Target"]["properties"]) == {
        "metric", "year", "deadline_kind", "comparator", "value", "value_max", "unit", "baseline_year", "quote"}


def test_score_table() -> None:
    result = runner.invoke(app, ["score-table", str(GOLD), "--doc", str(QINGDAO)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "条目：准确率 1.000，召回率 1.000（标准 22，找到 22，正确 22）\n"
        "单位：准确率 1.000，召回率 1.000（标准 92，找到 92，正确 92）\n"
        "牵头单位：准确率 1.000，召回率 1.000（标准 15，找到 15，正确 15）\n"
        "目标：准确率 1.000，召回率 1.000（标准 42，找到 42，正确 42）\n"
    )


def test_score_table_default_document_from_corpus_dir(tmp_path: Path) -> None:
    config = tmp_path / "policy-assistant.toml"
    config.write_text(f'corpus_dir = "{QINGDAO.parent.as_posix()}"\n', "utf-8")
    result = runner.invoke(app, ["score-table", str(GOLD), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "条目：准确率 1.000，召回率 1.000（标准 22，找到 22，正确 22）"


def test_score_table_lists_mismatches(tmp_path: Path) -> None:
    gold = json.loads(GOLD.read_text("utf-8"))
    gold["items"][3]["targets"][0]["value"] = 9.0
    gold["items"][3]["agencies"] = gold["items"][3]["agencies"][:2]
    edited = tmp_path / "gold.json"
    edited.write_text(json.dumps(gold, ensure_ascii=False), "utf-8")
    result = runner.invoke(app, ["score-table", str(edited), "--doc", str(QINGDAO)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  漏掉的目标 ('二（一）', 9.0, '公里/平方公里', None)" in lines
    assert "  多出的目标 ('二（一）', 8.0, '公里/平方公里', None)" in lines
    assert any(line.startswith("  单位不一致 二（一）：标准 ['市自然资源和规划局', '市住房城乡建设局']，找到 [")
               for line in lines)


def test_score_table_missing_document(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    result = runner.invoke(app, ["score-table", str(GOLD), "--doc", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"错误：{missing}: 文件不存在\n"
