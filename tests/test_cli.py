"""ingest, ask, status, diff and eval through typer's CLI runner, with the fake embedder for speed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app

from conftest import DATA, QINGDAO, ROOT

runner = CliRunner()


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder with a copy of the corpus, and the fake embedder behind every command."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    shutil.copy(QINGDAO, tmp_path / "corpus" / QINGDAO.name)
    for name in ("POLICY_ASSISTANT_CORPUS_DIR", "POLICY_ASSISTANT_INDEX_DIR", "POLICY_ASSISTANT_EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", "fake")
    return tmp_path


def test_ingest_then_ask_then_status(workspace: Path) -> None:
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    assert "1 份政策" in result.output and (workspace / "index" / "CURRENT").exists()
    again = runner.invoke(app, ["ingest"])
    assert "新生成向量 0" in again.output
    result = runner.invoke(app, ["ask", "打造绿色生态城区的责任单位有哪些？"])
    assert result.exit_code == 0
    assert "牵头单位：市住房城乡建设局" in result.output and "来源：《青岛市城乡建设领域碳达峰工作方案》 二（二）" in result.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "最新" in status.output and "青岛市城乡建设领域碳达峰工作方案" in status.output


def test_ask_json_has_the_documented_fields() -> None:
    result = runner.invoke(app, ["ask", "到2025年，装配式建筑占城镇新建建筑的比例达到多少？", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert {"question", "intent", "answer", "not_found", "agencies", "targets", "citations"} <= set(answer)
    assert answer["targets"][0]["value"] == 50.0 and answer["targets"][0]["unit"] == "%"
    assert {"policy", "version", "chapter", "number", "title", "text"} <= set(answer["citations"][0])


def test_ask_builds_a_missing_index_and_rebuilds_a_stale_one(workspace: Path) -> None:
    assert runner.invoke(app, ["ask", "装配式建筑比例"]).exit_code == 0
    plan = workspace / "corpus" / QINGDAO.name
    plan.write_text(plan.read_text("utf-8").replace("比例达到 50%", "比例达到 55%"), "utf-8")
    result = runner.invoke(app, ["ask", "到2025年，装配式建筑占城镇新建建筑的比例达到多少？", "--json"])
    assert "索引已过期" in result.stderr
    assert json.loads(result.stdout)["targets"][0]["value"] == 55.0


def test_batch_answers_every_line(workspace: Path) -> None:
    batch = workspace / "q.jsonl"
    batch.write_text('打造绿色生态城区由哪些单位负责？\n\n{"question": "农村生活污水治理率到2025年达到多少？"}\n'
                     '{"q": 1}\n{broken\n', "utf-8")
    result = runner.invoke(app, ["ask", "--batch", str(batch)])
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["line"] for line in lines] == [1, 3, 4, 5]
    assert lines[0]["lead_agency"] == "市住房城乡建设局" and lines[1]["targets"][0]["value"] == 70.0
    assert "question" in lines[2]["error"] and "JSON" in lines[3]["error"]


def test_diff_command(workspace: Path) -> None:
    revised = DATA / "revision" / "qingdao_urban_rural_carbon_peak_v2.txt"
    result = runner.invoke(app, ["diff", str(QINGDAO), str(revised), "--json", "--xlsx", str(workspace / "d.xlsx")])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["added_items"][0]["new"] == "三（八）" and len(data["renumbered"]) == 12
    assert (workspace / "d.xlsx").stat().st_size > 0
    same = runner.invoke(app, ["diff", str(QINGDAO), str(DATA / "revision" / "qingdao_clean_copy.txt")])
    assert "内容一致" in same.output


def test_eval_command_writes_reports_and_fails_on_regression(workspace: Path) -> None:
    questions = workspace / "questions.jsonl"
    shutil.copy(DATA / "revision" / "questions.jsonl", questions)
    baseline = workspace / "baseline.json"
    first = runner.invoke(app, ["eval", "--questions", str(questions), "--baseline", str(baseline),
                                "--update-baseline", "--report-dir", str(workspace / "reports")])
    assert first.exit_code == 0, first.output
    assert "准确率 1.000" in first.output and baseline.exists()
    assert (workspace / "reports" / "report.md").read_text("utf-8").startswith("# 问答回归评测报告")
    plan = workspace / "corpus" / QINGDAO.name
    plan.write_text(plan.read_text("utf-8").replace("比例达到 50%", "比例达到 55%"), "utf-8")
    second = runner.invoke(app, ["eval", "--questions", str(questions), "--baseline", str(baseline),
                                 "--report-dir", str(workspace / "reports")])
    assert second.exit_code == 1 and "低于基线" in second.stderr
    report = json.loads((workspace / "reports" / "report.json").read_text("utf-8"))
    assert [c["id"] for c in report["comparison"]["changed"]] == ["r01"]


def test_status_of_a_missing_index_names_the_fix() -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1 and "未建立" in result.output and "policy-assistant ingest" in result.output


def test_every_cli_command_in_the_readme_exists_and_has_help() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    commands = set(re.findall(r"^policy-assistant ([a-z-]+)", readme, re.M))
    assert {"ingest", "ask", "extract", "schema", "diff", "eval", "status", "score-table"} <= commands
    for command in [None, *commands]:
        result = runner.invoke(app, [command, "--help"] if command else ["--help"])
        assert result.exit_code == 0, command
        assert "用法：" in result.output
        assert not re.search(r"<[a-z]+(?:\[[A-Za-z]+\])?>|Usage|Show this|Options|Arguments", result.output), command
