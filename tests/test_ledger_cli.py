"""The ledger through the command line (typer's runner), on SQLite and PostgreSQL: one Chinese line and exit 1 on bad input."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import assistant.engine
from assistant.cli import app

from conftest import QINGDAO, QINGDAO_V2, ROOT, FakeEmbedder

runner = CliRunner()
POLICY = "qingdao_urban_rural_carbon_peak"


@pytest.fixture
def workspace(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    shutil.copy(QINGDAO, tmp_path / "corpus" / QINGDAO.name)
    for name in ("CORPUS_DIR", "INDEX_DIR", "EMBEDDING_MODEL", "ATTACHMENTS_DIR"):
        monkeypatch.delenv(f"POLICY_ASSISTANT_{name}", raising=False)
    monkeypatch.setenv("POLICY_ASSISTANT_DATABASE_URL", database_url)
    monkeypatch.setattr(assistant.engine, "load_embedder", lambda name: FakeEmbedder())
    return tmp_path


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def test_the_whole_ledger_from_the_command_line(workspace: Path) -> None:
    refused = run("ledger", "status")
    assert refused.exit_code == 1 and "请先运行：policy-assistant db migrate" in refused.stderr
    assert run("db", "migrate").exit_code == 0
    created = run("ledger", "create", "--policy", POLICY)
    assert created.exit_code == 0 and "92 条" in created.output
    entries = json.loads(run("ledger", "status", "--unit", "市住房城乡建设局", "--on", "2026-01-15", "--json").output)
    prefab = next(e for e in entries if "装配式建筑" in e["target"])
    assert prefab["version"] == 1 and prefab["flag"] == "red"
    number = str(prefab["id"])
    ok = run("ledger", "update", number, "--status", "推进中", "--note", "已完成 38 万平方米", "--value", "38", "--by", "张三",
             "--expect-version", "1")
    assert ok.exit_code == 0 and "推进中，已完成 38" in ok.output and "（版本 2）" in ok.output
    stale = run("ledger", "update", number, "--note", "x", "--by", "李四", "--expect-version", "1")
    assert stale.exit_code == 1 and stale.stderr.strip() == \
        f"错误：条目 {number} 已被他人修改（当前版本 2，你看到的是 1）。请先查看最新情况再填报，本次没有写入"
    for args, message in [
        (("9999", "--note", "x", "--by", "a"), "没有编号为 9999 的条目"),
        ((number, "--note", "x", "--by", "a", "--status", "完成"), "状态“完成”不在列表中"),
        ((number, "--note", "x", "--by", "a", "--due", "明年"), "无法识别的日期“明年”"),
    ]:
        result = run("ledger", "update", *args)
        assert result.exit_code == 1 and result.stderr.startswith("错误：") and message in result.stderr
        assert "Traceback" not in result.output
    (workspace / "fake.pdf").write_bytes(b"MZ not a pdf")
    mistyped = run("ledger", "update", number, "--note", "x", "--by", "a", "--attach", str(workspace / "fake.pdf"))
    assert mistyped.exit_code == 1 and "内容与扩展名 .pdf 不符" in mistyped.stderr
    status = run("ledger", "status", "--policy", POLICY, "--on", "2025-11-15")
    assert status.exit_code == 0 and f"#{number} 推进中 市住房城乡建设局（牵头）四（十三）" in status.output
    assert "市住房城乡建设局：共 15 条" in status.output
    shown = run("ledger", "show", number)
    assert "张三 update status：未启动 → 推进中" in shown.output and "进展" in shown.output

    assert run("ledger", "report", "-f", "docx", "-o", "通报.docx", "--from", "2024-01-01", "--to", "2026-01-15").exit_code == 0
    assert "督办通报" in docx.Document("通报.docx").paragraphs[0].text
    assert run("ledger", "report", "-f", "xlsx", "-o", "通报.xlsx").exit_code == 0
    assert load_workbook(io.BytesIO(Path("通报.xlsx").read_bytes())).sheetnames == ["通报汇总", "明细"]
    bad = run("ledger", "report", "-f", "pdf", "-o", "x.pdf")
    assert bad.exit_code == 1 and "只能是 docx 或 xlsx" in bad.stderr and not Path("x.pdf").exists()

    assert "无需同步" in run("ledger", "sync").output
    shutil.copy(QINGDAO_V2, workspace / "corpus" / QINGDAO_V2.name)
    ingest = run("ingest")  # ingest carries the revision over to the ledger
    assert ingest.exit_code == 0 and "督办台账已同步 qingdao_urban_rural_carbon_peak：v1 → v2" in ingest.output
    after = json.loads(run("ledger", "status", "--json").output)
    moved = next(e for e in after if e["id"] == prefab["id"])
    assert (moved["task_id"], moved["target_value"], moved["progress_value"]) == ("四（十四）", 55, 38)
    assert "无需同步" in run("ledger", "sync").output


def test_an_unreachable_database_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "POLICY_ASSISTANT_DATABASE_URL": "postgresql+psycopg://office:secret@127.0.0.1:1/ledger"}
    result = subprocess.run([sys.executable, "-m", "assistant.cli", "ledger", "status"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("错误：无法连接数据库 postgresql+psycopg://office:***@127.0.0.1:1/ledger")
    assert "secret" not in result.stderr and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
