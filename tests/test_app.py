"""The Streamlit app through streamlit.testing.v1.AppTest, with the fake embedder behind the model name "fake"."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from conftest import DATA, ROOT
from docx import Document
from openpyxl import load_workbook
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "app.py")
HOUSING = "市住房城乡建设局"


@pytest.fixture
def app_env(tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Corpus and index in tmp copies, the embedding model "fake", and a working folder of its own."""
    for name in ("CORPUS_DIR", "INDEX_DIR", "EMBEDDING_MODEL", "MAX_UPLOAD_MB", "MAX_QUESTION_CHARS"):
        monkeypatch.delenv(f"POLICY_ASSISTANT_{name}", raising=False)
    monkeypatch.setenv("POLICY_ASSISTANT_CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("POLICY_ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", "fake")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # eval/reports is read relative to the working folder
    yield work
    st.cache_resource.clear()


def start(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    if page is not None:
        at.sidebar.radio(key="page").set_value(page).run()
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception, at.exception
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


# -------------------------------------------------------------------- chat
def test_starts_on_the_chat_page_with_examples(app_env: Path) -> None:
    at = start()
    assert_clean(at)
    assert at.header[0].value == "政策问答"
    assert [b.label for b in at.button][:4] == ["到2025年，轨道交通运营总里程数要达到多少？", "建设绿色低碳社区由哪些单位负责？",
                                                "市住房城乡建设局牵头哪些任务？", "城乡建设领域碳排放什么时候达到峰值？"]
    assert "已收录 1 份政策文件、22 项任务" in at.sidebar.caption[0].value


def test_a_question_is_answered_with_units_and_a_highlighted_source(app_env: Path) -> None:
    at = ask(start(), "构建绿色发展空间格局由哪个部门牵头？")
    assert_clean(at)
    assert [m.avatar for m in at.chat_message] == ["user", "assistant"]
    assert "牵头单位：市自然资源和规划局" in at.success[0].value
    assert at.success[0].proto.icon == ":material/check_circle:"
    assert not at.warning
    assert any(m.value.startswith("责任单位：**市自然资源和规划局**（列第一，推定牵头）、") for m in at.markdown)
    assert at.expander[0].label == "青岛市城乡建设领域碳达峰工作方案 · 二（一） 构建绿色发展空间格局"
    [clause] = at.expander[0].get("html")
    assert "<mark>（责任单位：市自然资源和规划局、市住房城乡建设局、市交通运输局、青岛地铁集团、各区市等）</mark>" \
        in clause.proto.body


def test_a_question_the_document_does_not_answer_looks_different(app_env: Path) -> None:
    at = ask(start(), "今天天气怎么样？")
    assert_clean(at)
    assert not at.success
    assert at.warning[0].value.startswith("文件未明确这一问题")
    assert at.warning[0].proto.icon == ":material/search_off:"
    assert any("文件没有直接回答" in c.value for c in at.caption)


def test_a_follow_up_uses_the_same_conversation(app_env: Path) -> None:
    at = ask(start(), "到2025年，轨道交通运营总里程数要达到多少？")
    assert "351.6公里" in at.success[0].value
    at = ask(at, "那2030年呢？")
    assert_clean(at)
    assert len(at.chat_message) == 4
    assert "500公里" in at.success[1].value
    assert at.success[1].value.startswith("到2030年，轨道交通运营总里程数突破500公里")
    assert len(at.session_state["conversation"].turns) == 2


def test_an_example_question_can_be_clicked(app_env: Path) -> None:
    at = start()
    at.button(key="example-2").click().run()
    assert_clean(at)
    assert at.chat_message[0].markdown[0].value == "市住房城乡建设局牵头哪些任务？"
    assert at.success[0].value.startswith("市住房城乡建设局共涉及 15 项任务")
    assert "（牵头）：" in at.success[0].value and "目标：" in at.success[0].value  # each task's duty and targets
    labels = [e.label for e in at.expander]
    assert labels[0] == "15 个条款的原文"  # the targets are in the answer's text, not repeated in a list
    assert len(at.expander[0].get("html")) == 15


@pytest.mark.parametrize(("question", "message"), [("   ", "请输入问题"), ("很" * 600, "问题太长"), ("？？！", "没有可识别的文字")])
def test_an_unaskable_question_gets_a_short_message(app_env: Path, question: str, message: str) -> None:
    at = ask(start(), question)
    assert_clean(at)
    assert message in at.warning[0].value
    assert not at.success


def test_a_new_conversation_clears_the_history(app_env: Path) -> None:
    at = ask(start(), "到2025年，轨道交通运营总里程数要达到多少？")
    at.button(key="new-conversation").click().run()
    assert_clean(at)
    assert not at.chat_message
    assert at.session_state["conversation"].turns == []


# ------------------------------------------------------------------- table
def table_ids(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["编号"])


def test_the_table_can_be_filtered(app_env: Path) -> None:
    at = start("责任分工表")
    assert_clean(at)
    assert len(table_ids(at)) == 22
    at.selectbox(key="filter-unit").set_value(HOUSING).run()
    assert len(table_ids(at)) == 15
    at.selectbox(key="filter-year").set_value("2030").run()
    assert table_ids(at) == ["二（一）", "二（三）", "二（五）", "四（十三）", "四（十四）"]
    at.text_input(key="filter-search").set_value("轨道交通").run()
    assert table_ids(at) == ["二（一）"]
    at.selectbox(key="filter-unit").set_value("全部").run()
    at.selectbox(key="filter-year").set_value("全部").run()
    at.text_input(key="filter-search").set_value("").run()
    at.selectbox(key="filter-chapter").set_value("三").run()
    at.checkbox(key="filter-target").check().run()
    assert table_ids(at) == ["三（六）", "三（七）", "三（九）"]
    assert "共 22 项任务，当前显示 3 项" in at.caption[0].value
    assert_clean(at)


@pytest.fixture
def served_files(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str | None, bytes]]:
    """(file name, bytes) of every file the app hands to a download button, by media file id."""
    files: dict[str, tuple[str | None, bytes]] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self: MemoryMediaFileStorage, path_or_data, mimetype, kind, filename=None):  # noqa: ANN001, ANN202
        file_id = original(self, path_or_data, mimetype, kind, filename)
        data = path_or_data if isinstance(path_or_data, bytes) else Path(path_or_data).read_bytes()
        files[file_id] = (filename, data)
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return files


def downloads(at: AppTest, files: dict[str, tuple[str | None, bytes]]) -> dict[str | None, bytes]:
    """File name → bytes behind each download button on the page."""
    return dict(files[Path(b.proto.url).stem] for b in at.get("download_button"))


def test_each_download_holds_the_filtered_rows(app_env: Path,
                                              served_files: dict[str, tuple[str | None, bytes]]) -> None:
    at = start("责任分工表")
    at.selectbox(key="filter-chapter").set_value("三").run()
    assert_clean(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载 CSV", "下载 Excel", "下载 Word 分工表", "下载 JSON"]
    wanted = ["三（六）", "三（七）", "三（八）", "三（九）"]
    files = downloads(at, served_files)
    assert list(files) == ["责任分工表.csv", "责任分工表.xlsx", "责任分工表.docx", "责任分工表.json"]
    word = Document(io.BytesIO(files["责任分工表.docx"]))
    assert word.paragraphs[0].text == "青岛市城乡建设领域碳达峰工作方案重点任务分工表"
    assert [r.cells[1].text for r in word.tables[0].rows[2:]] == ["推进绿色低碳县城建设", "建设绿色宜居乡村",
                                                                  "推进绿色低碳农房建设", "提升基础设施低碳化水平"]
    rows = list(csv.reader(io.StringIO(files["责任分工表.csv"].decode("utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == wanted
    sheet = load_workbook(io.BytesIO(files["责任分工表.xlsx"]))["任务"]
    assert [c.value for c in sheet["C"]][1:] == wanted
    assert [r["id"] for r in json.loads(files["责任分工表.json"])] == wanted


# --------------------------------------------------------------- unit view
def test_the_unit_view_of_the_housing_bureau(app_env: Path,
                                            served_files: dict[str, tuple[str | None, bytes]]) -> None:
    at = start("单位视图")
    at.selectbox(key="unit").set_value(HOUSING).run()
    assert_clean(at)
    assert [m.value for m in at.metric] == ["11 项", "4 项", "41 项"]
    lead, co, targets = (d.value for d in at.dataframe)
    assert list(lead["编号"]) == ["二（二）", "二（三）", "二（四）", "二（五）", "三（八）", "四（十）", "四（十一）",
                                 "四（十二）", "四（十三）", "四（十四）", "五（十五）"]
    assert list(co["编号"]) == ["二（一）", "三（六）", "三（七）", "三（九）"]
    assert targets["年份"].value_counts().to_dict() == {"2025": 27, "2030": 9, "未写年份": 4, "每年": 1}
    files = downloads(at, served_files)
    assert list(files) == [f"{HOUSING}任务.{ext}" for ext in ("csv", "xlsx", "docx", "json")]
    assert len(json.loads(files[f"{HOUSING}任务.json"])) == 15


def test_a_unit_with_no_co_tasks_says_so_instead_of_an_empty_table(app_env: Path) -> None:
    at = start("单位视图")
    units = at.selectbox(key="unit").options
    lone = next(u for u in units if u == "市自然资源和规划局") if "市自然资源和规划局" in units else units[0]
    at.selectbox(key="unit").set_value(lone).run()
    assert_clean(at)
    shown = len(at.dataframe)
    captions = [c.value for c in at.caption]
    assert shown + sum(c.startswith("没有") or c.startswith("这些任务没有") for c in captions) == 3


def test_the_charts_page(app_env: Path) -> None:
    at = start("图表")
    assert_clean(at)
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert [c["mark"]["type"] for c in charts] == ["bar", "bar"]
    assert charts[0]["encoding"]["x"]["field"] == "年份" and charts[1]["encoding"]["y"]["field"] == "单位"
    assert [s.value for s in at.subheader] == ["目标时间表：哪一年到期哪些目标", "各单位承担的任务（牵头与配合）"]
    assert "另有 5 项目标原文未写年份" in at.caption[0].value


# ------------------------------------------------------------------ corpus
def upload(at: AppTest, name: str, data: bytes, mime: str = "text/plain") -> AppTest:
    at.file_uploader[0].set_value((name, data, mime)).run()
    at.button(key="ingest").click().run()
    assert not at.exception, at.exception
    return at


def test_the_corpus_page_lists_the_policies(app_env: Path) -> None:
    at = start("文件库")
    assert_clean(at)
    assert at.success[0].value == "索引是最新的：文件库中的政策都已收录，可以直接提问。"
    assert at.dataframe[0].value.to_dict("records") == [{"政策文件": "青岛市城乡建设领域碳达峰工作方案", "版本": "第1版"}]
    assert re.fullmatch(r"索引建立于 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", at.caption[0].value)
    assert "fake" not in " ".join(c.value for c in at.caption)  # no model id unless show_model_info asks


def test_a_file_added_to_the_corpus_folder_is_picked_up_on_the_next_run(app_env: Path, corpus_dir: Path) -> None:
    at = start("文件库")
    (corpus_dir / "yantai_plan.txt").write_bytes((DATA / "plans" / "plan_inline_lead.txt").read_bytes())
    at.run()
    assert_clean(at)
    assert at.success[0].value.startswith("索引是最新的")
    assert "已收录 2 份政策文件" in at.sidebar.caption[0].value


def test_a_bad_upload_shows_an_error(app_env: Path, corpus_dir: Path) -> None:
    at = upload(start("文件库"), "方案.pdf", b"this is not a pdf", "application/pdf")
    assert len(at.error) == 1
    assert at.error[0].value.startswith("“方案.pdf”未能加入：")
    assert sorted(p.name for p in corpus_dir.iterdir()) == ["qingdao_urban_rural_carbon_peak.txt"]
    at = upload(at, "notes.txt", "会议记录：今天开会。".encode())
    assert at.error[0].value.startswith("“notes.txt”未能加入：")
    assert "工作方案" in at.error[0].value


def test_a_good_upload_is_then_answered(app_env: Path, corpus_dir: Path) -> None:
    at = upload(start("文件库"), "yantai_plan.txt", (DATA / "plans" / "plan_inline_lead.txt").read_bytes())
    assert_clean(at)
    assert at.success[0].value.startswith("已加入：yantai_plan.txt。索引已更新，共 2 份政策")
    assert (corpus_dir / "yantai_plan.txt").exists()
    assert "烟台市推动建筑业高质量发展实施方案" in list(at.dataframe[0].value["政策文件"])
    assert not at.file_uploader[0].value  # a fresh uploader for the next file
    at.sidebar.radio(key="page").set_value("问答").run()
    at = ask(at, "到2025年，全市产值过百亿元的建筑业企业要达到多少家？")
    assert_clean(at)
    assert "5家" in at.success[0].value
    assert at.expander[0].label.startswith("烟台市推动建筑业高质量发展实施方案 · 二（一）")


# -------------------------------------------------------------- eval, diff
def test_the_eval_page_without_a_report_gives_the_command(app_env: Path) -> None:
    at = start("评测报告")
    assert_clean(at)
    assert "policy-assistant eval" in at.info[0].value


def test_the_eval_page_shows_the_report_and_changed_answers(app_env: Path) -> None:
    reports = app_env / "eval" / "reports"
    reports.mkdir(parents=True)
    (reports / "report.md").write_text("# 问答回归评测报告\n\n- 准确率 accuracy: **0.950**\n", "utf-8")
    changed = [{"id": "q7", "question": "那2030年呢？", "was_correct": True, "now_correct": False, "old": "500公里",
                "new": "文件未明确"}]
    (reports / "report.json").write_text(json.dumps({"comparison": {"changed": changed}}, ensure_ascii=False), "utf-8")
    at = start("评测报告")
    assert_clean(at)
    assert any(m.value.startswith("### 问答回归评测报告") for m in at.markdown)
    assert at.dataframe[0].value.to_dict("records") == [
        {"问题": "那2030年呢？", "原先": "正确", "现在": "错误", "原答案": "500公里", "新答案": "文件未明确"}]


def test_the_diff_page_needs_two_versions(app_env: Path) -> None:
    at = start("版本对比")
    assert_clean(at)
    assert at.info[0].value.startswith(("文件库中还没有同一政策的两个版本", "版本对比功能暂不可用"))


def test_the_diff_page_compares_two_uploaded_versions(app_env: Path) -> None:
    at = upload(start("文件库"), "qingdao_urban_rural_carbon_peak_v2.txt",
                (DATA / "revision" / "qingdao_urban_rural_carbon_peak_v2.txt").read_bytes())
    at.sidebar.radio(key="page").set_value("版本对比").run()
    assert_clean(at)
    if at.info and at.info[0].value.startswith("版本对比功能暂不可用"):
        pytest.skip("assistant.diff is not installed")
    assert at.selectbox(key="diff-old").value == "v1" and at.selectbox(key="diff-new").value == "v2"
    kinds = set(at.dataframe[0].value["类型"])
    assert {"新增条目", "重新编号", "牵头单位变化"} <= kinds


def test_the_diff_page_without_the_module(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "assistant.diff", None)
    at = start("版本对比")
    assert_clean(at)
    assert at.info[0].value.startswith("版本对比功能暂不可用")


# ------------------------------------------------------------------ errors
def test_a_setting_that_cannot_work_is_a_plain_error(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_ASSISTANT_MAX_UPLOAD_MB", "很多")
    at = start()
    assert [e.value for e in at.error] == ["配置项有误：max_upload_mb"]


def test_a_missing_corpus_folder_is_a_plain_error(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_ASSISTANT_CORPUS_DIR", str(app_env / "nowhere"))
    at = start()
    [error] = at.error
    assert error.value.startswith("找不到政策文件夹")
    assert not at.exception


def test_an_unexpected_failure_is_logged_not_shown(app_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    from assistant import views

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "table_frame", broken)
    at = start("责任分工表")
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("页面出现意外问题，已记录到日志")
    assert "secret internals" not in error.value and "Traceback" not in error.value
    assert "secret internals" in caplog.text
    assert at.sidebar.radio(key="page").value == "责任分工表"


def test_the_app_and_the_cli_give_the_same_answer(app_env: Path) -> None:
    """One path from question to answer: the app's Answer is the CLI's, field for field."""
    from typer.testing import CliRunner

    from assistant.cli import app as cli

    question = "到2025年，轨道交通运营总里程数要达到多少？"
    at = ask(start(), question)
    assert_clean(at)
    shown = at.session_state["history"][-1].answer
    result = CliRunner().invoke(cli, ["ask", question, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == shown.model_dump(mode="json")
    assert shown.targets[0].value == 351.6 and shown.answer.startswith("到2025年，轨道交通运营总里程数达到351.6公里")


def test_llm_phrasing_reaches_the_app_as_it_does_the_cli(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With llm_enabled the app phrases through the same Engine.ask; the facts stay the table's."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from typer.testing import CliRunner

    import assistant.phrasing
    from assistant.cli import app as cli

    said = "按方案，到2025年轨道交通运营总里程数要达到351.6公里。"
    monkeypatch.setattr(assistant.phrasing, "chat_model", lambda settings: FakeListChatModel(responses=[said] * 4))
    monkeypatch.setenv("POLICY_ASSISTANT_LLM_ENABLED", "true")
    question = "到2025年，轨道交通运营总里程数要达到多少？"
    shown = ask(start(), question).session_state["history"][-1].answer
    assert shown.answer == said and [t.value for t in shown.targets] == [351.6] and not shown.warnings
    result = CliRunner().invoke(cli, ["ask", question, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer"] == said
