"""assistant.views: what the app shows, checked with exact values on the Qingdao table."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import types
from pathlib import Path

import pytest
from conftest import DATA, QINGDAO
from docx import Document
from openpyxl import load_workbook

from assistant import views
from assistant.answers import Conversation
from assistant.policies import read_policy
from assistant.schema import Answer, Citation, Target, Task

HOUSING = "市住房城乡建设局"


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return read_policy(QINGDAO).tasks


def ids(rows: list[Task]) -> list[str]:
    return [t.id for t in rows]


# -------------------------------------------------------------------- text
def test_highlight_escapes_the_clause_before_marking_the_quote() -> None:
    html = views.highlight_html("甲<b>乙</b>到2025年达到50%。\n丙&丁", "到2025年达到50%")
    assert html == ('<div class="clause" style="line-height:1.8">甲&lt;b&gt;乙&lt;/b&gt;<mark>到2025年达到50%</mark>。'
                    "<br>丙&amp;丁</div>")


def test_highlight_escapes_a_quote_that_contains_markup() -> None:
    html = views.highlight_html("前<script>x</script>后", "<script>x</script>")
    assert "<script>" not in html
    assert "<mark>&lt;script&gt;x&lt;/script&gt;</mark>" in html


def test_highlight_marks_every_occurrence_and_nothing_for_an_empty_quote() -> None:
    assert views.highlight_html("A和A", "A").count("<mark>") == 2
    assert "<mark>" not in views.highlight_html("文本", "")


def test_md_escape_keeps_text_literal() -> None:
    assert views.md_escape("1. *重点* <b>$5$</b>\n- 项") == "1\\. \\*重点\\* \\<b\\>\\$5\\$\\</b\\>  \n\\- 项"
    assert views.md_escape("351.6公里 (甲)") == "351.6公里 (甲)"


# -------------------------------------------------------------------- chat
def _answer(**extra: object) -> Answer:
    citation = Citation(policy="p", version="v1", chapter="二", number="（一）", item_id="二（一）", title="构建格局",
                        text="（一）构建格局\n到2030年，里程突破500公里。", quote="到2030年，里程突破500公里")
    values: dict[str, object] = {"question": "问", "intent": "target", "answer": "到2030年，里程突破500公里\n依据：二（一）",
                                 "agencies": ["市自然资源和规划局", "市交通运输局"], "lead_agency": "市自然资源和规划局",
                                 "targets": [Target(metric="里程", year=2030, deadline_kind="by", comparator=">",
                                                    value=500, unit="公里", quote="里程突破500公里")],
                                 "citations": [citation]}
    values.update(extra)
    return Answer(**values)  # type: ignore[arg-type]


def test_answer_parts() -> None:
    answer = _answer()
    assert views.answer_markdown(answer) == "到2030年，里程突破500公里  \n依据：二（一）"
    assert views.answer_markdown(_answer(answer="里程 > 500 *公里*")) == "里程 \\> 500 \\*公里\\*"  # markdown escaped
    assert views.units_markdown(answer) == "责任单位：**市自然资源和规划局**（牵头）、市交通运输局"
    [source] = views.sources(answer, {("p", "v1"): "某某方案"})
    assert source.label == "某某方案 · 二（一） 构建格局"
    assert source.html.endswith("<br><mark>到2030年，里程突破500公里</mark>。</div>")


def test_an_inferred_lead_is_marked_as_such(fake_engine) -> None:  # noqa: ANN001
    inferred = fake_engine.ask("构建绿色发展空间格局由哪个部门牵头？")
    assert inferred.lead_inferred  # the Answer carries it: no view goes back to the index for it
    assert str(views.units_markdown(inferred)).startswith("责任单位：**市自然资源和规划局**（列第一，推定牵头）、")
    stated = fake_engine.ask("加强组织领导和任务落实由哪个部门牵头？")
    assert stated.lead_agency == "市住房城乡建设局" and not stated.lead_inferred
    assert str(views.units_markdown(stated)).startswith("责任单位：**市住房城乡建设局**（牵头）")


def test_answer_without_units_and_a_later_version_label() -> None:
    answer = _answer(agencies=[], lead_agency=None)
    assert views.units_markdown(answer) is None
    citation = answer.citations[0].model_copy(update={"version": "v2"})
    assert views.source_label(citation, {}) == "p（v2） · 二（一） 构建格局"


def test_an_agency_tasks_answer_does_not_repeat_the_unit() -> None:
    assert views.units_markdown(_answer(intent="agency_tasks", agencies=["市交通运输局"], lead_agency=None)) is None


def test_target_lines_leave_out_what_the_answer_states() -> None:
    stated = _answer(answer="到2030年，里程突破500公里\n依据：二（一）")
    assert views.target_lines(stated) == []
    assert views.target_lines(_answer(answer="牵头单位：市自然资源和规划局")) == ["到2030年，里程突破500公里"]


def test_ask_answers_and_follows_up(fake_engine) -> None:  # noqa: ANN001
    conversation = Conversation()
    first = views.ask(fake_engine, "到2025年，轨道交通运营总里程数要达到多少？", conversation)
    second = views.ask(fake_engine, "那2030年呢？", conversation)
    assert first.problem is None and first.answer is not None
    assert second.answer is not None and second.answer.targets[0].value == 500
    assert second.answer.targets[0].unit == "公里"
    assert len(conversation.turns) == 2


@pytest.mark.parametrize(("question", "message"), [("   ", "请输入问题"), ("很" * 600, "问题太长"), (42, "问题必须是文字")])
def test_ask_turns_a_bad_question_into_a_message(fake_engine, question: object, message: str) -> None:  # noqa: ANN001
    turn = views.ask(fake_engine, question, Conversation())
    assert turn.answer is None
    assert turn.problem is not None and message in turn.problem


def test_example_questions(tasks: list[Task]) -> None:
    assert views.example_questions(tasks) == [
        "到2025年，轨道交通运营总里程数要达到多少？",
        "建设绿色低碳社区由哪些单位负责？",
        "市住房城乡建设局牵头哪些任务？",
        "城乡建设领域碳排放什么时候达到峰值？",
    ]
    assert views.example_questions([]) == []


def test_example_questions_are_answered(fake_engine, tasks: list[Task]) -> None:  # noqa: ANN001
    for question in views.example_questions(tasks):
        answer = fake_engine.ask(question)
        assert not answer.not_found, question
        assert answer.citations, question


# ------------------------------------------------------------------- table
def test_filter_options(tasks: list[Task]) -> None:
    assert views.unit_options(tasks)[:3] == [HOUSING, "各区市", "市自然资源和规划局"]
    assert views.chapter_options(tasks) == {
        "一": "一、总体要求", "二": "二、系统推进绿色低碳城市建设", "三": "三、协同开展绿色低碳县城和乡村建设",
        "四": "四、着重提升建筑全链条绿色低碳水平", "五": "五、保障措施"}
    assert views.year_options(tasks) == [2025, 2030]


def test_filter_tasks(tasks: list[Task]) -> None:
    assert len(views.filter_tasks(tasks)) == 22
    assert len(views.filter_tasks(tasks, unit=HOUSING)) == 15
    assert ids(views.filter_tasks(tasks, unit=HOUSING, year=2030)) == ["二（一）", "二（三）", "二（五）", "四（十三）",
                                                                      "四（十四）"]
    assert ids(views.filter_tasks(tasks, chapter="三")) == ["三（六）", "三（七）", "三（八）", "三（九）"]
    assert ids(views.filter_tasks(tasks, has_target=True, chapter="三")) == ["三（六）", "三（七）", "三（九）"]
    assert ids(views.filter_tasks(tasks, search="轨道交通")) == ["二（一）"]
    assert ids(views.filter_tasks(tasks, search=" 青岛地铁  集团 ")) == ["二（一）"]
    assert views.filter_tasks(tasks, search="轨道交通 乡村") == []
    assert views.filter_tasks(tasks, policy="other") == []


def test_table_frame(tasks: list[Task]) -> None:
    frame = views.table_frame(tasks)
    assert list(frame.columns) == ["编号", "任务", "牵头单位", "牵头单位依据", "配合/责任单位", "目标", "完成时限"]
    assert len(frame) == 22
    row = frame.iloc[3].to_dict()
    assert row["编号"] == "二（一）"
    assert row["牵头单位"] == "市自然资源和规划局"
    assert row["牵头单位依据"] == "按列序推定"
    assert row["配合/责任单位"] == "市住房城乡建设局、市交通运输局、青岛地铁集团、各区市等"
    assert "到2030年，轨道交通运营总里程数突破500公里" in row["目标"]
    assert row["完成时限"] == "2030年底前（按目标年份推定）"
    assert list(views.table_frame(tasks[:1], with_policy=True).columns) == ["政策", "版本", *frame.columns[:-1]]
    assert views.table_frame([]).empty
    dated = tasks[3].model_copy(update={"deadline": "2025年底前"})
    assert views.table_frame([dated])["完成时限"].tolist() == ["2025年底前"]


def test_downloads_hold_the_rows(tasks: list[Task]) -> None:
    rows = views.filter_tasks(tasks, chapter="三")
    csv_file, xlsx_file, docx_file, json_file = views.downloads(rows)
    assert [d.file_name for d in (csv_file, xlsx_file, docx_file, json_file)] == [
        "责任分工表.csv", "责任分工表.xlsx", "责任分工表.docx", "责任分工表.json"]
    assert [d.label for d in (csv_file, xlsx_file, docx_file, json_file)] == ["下载 CSV", "下载 Excel", "下载 Word 分工表",
                                                                              "下载 JSON"]
    word = Document(io.BytesIO(docx_file.data))
    assert word.paragraphs[0].text == "责任分工表"
    assert [r.cells[1].text for r in word.tables[0].rows[2:]] == [t.title for t in rows]
    table = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig"))))
    assert table[0][2] == "编号" and [r[2] for r in table[1:]] == ["三（六）", "三（七）", "三（八）", "三（九）"]
    sheet = load_workbook(io.BytesIO(xlsx_file.data))["任务"]
    assert [c.value for c in sheet["C"]][1:] == ["三（六）", "三（七）", "三（八）", "三（九）"]
    assert [r["id"] for r in json.loads(json_file.data)] == ["三（六）", "三（七）", "三（八）", "三（九）"]


# --------------------------------------------------------------- unit view
def test_unit_view_of_the_housing_bureau(tasks: list[Task]) -> None:
    view = views.unit_view(tasks, HOUSING)
    assert ids(view.lead) == ["二（二）", "二（三）", "二（四）", "二（五）", "三（八）", "四（十）", "四（十一）",
                              "四（十二）", "四（十三）", "四（十四）", "五（十五）"]
    assert ids(view.co) == ["二（一）", "三（六）", "三（七）", "三（九）"]
    frame = views.unit_targets_frame(view)
    assert len(frame) == 41
    assert frame["年份"].value_counts().to_dict() == {"2025": 27, "2030": 9, "未写年份": 4, "每年": 1}
    assert frame.iloc[0].to_dict() == {"年份": "2025", "目标": "到2025年，规划建设绿色生态城区不低于5个", "编号": "二（二）",
                                       "任务": "打造绿色生态城区", "角色": "牵头"}
    assert list(frame["年份"]) == sorted(frame["年份"], key=lambda y: (not y.isdigit(), y))


def test_unit_task_frames(tasks: list[Task]) -> None:
    view = views.unit_view(tasks, HOUSING)
    lead = views.unit_task_frame(view.lead, views.LEAD)
    assert list(lead.columns) == ["编号", "任务", "工作内容", "配合单位", "量化目标", "完成时限"]
    first = lead.iloc[0].to_dict()
    assert first.pop("工作内容").startswith("坚持“15分钟生活圈”“完整社区”理念") or first  # the task's own words
    assert first == {"编号": "二（二）", "任务": "打造绿色生态城区", "配合单位": "市自然资源和规划局、各区市、各功能区",
                     "量化目标": 2, "完成时限": ""}
    co = views.unit_task_frame(view.co, views.CO)
    row = co.iloc[0].to_dict()
    assert row["工作内容"] and row["工作内容"] in tasks[[t.id for t in tasks].index("二（一）")].text.replace("\n", "")
    assert {k: row[k] for k in ("编号", "任务", "牵头单位", "量化目标")} == {
        "编号": "二（一）", "任务": "构建绿色发展空间格局", "牵头单位": "市自然资源和规划局", "量化目标": 3}


def test_a_unit_with_no_rows(tasks: list[Task]) -> None:
    view = views.unit_view(tasks, "不存在的局")
    assert view.lead == [] and view.co == [] and views.unit_targets_frame(view).empty


def test_parent_rows_are_not_counted_twice() -> None:
    plan = read_policy(DATA / "plans" / "plan_body_sentence.txt").tasks
    parents = {t.parent for t in plan if t.parent}
    assert parents, "the fixture has sub-items"
    assert not parents & {t.id for t in views.leaf_tasks(plan)}
    counts = views.unit_counts(plan)
    leaves = views.leaf_tasks(plan)
    assert int(counts["任务数"].sum()) == sum(len(t.agencies) for t in leaves)


# ------------------------------------------------------------------ charts
def test_targets_timeline(tasks: list[Task]) -> None:
    frame = views.targets_timeline(tasks)
    assert list(frame.columns) == ["年份", "指标", "目标", "编号", "任务", "牵头单位"]
    assert frame["年份"].value_counts().sort_index().to_dict() == {2025: 27, 2030: 10}
    assert frame.iloc[0].to_dict() == {"年份": 2025, "指标": "轨道交通运营总里程数",
                                       "目标": "到2025年，轨道交通运营总里程数达到351.6公里", "编号": "二（一）",
                                       "任务": "构建绿色发展空间格局", "牵头单位": "市自然资源和规划局"}
    assert views.undated_targets(tasks) == 5
    assert views.targets_timeline([]).empty


def test_unit_counts(tasks: list[Task]) -> None:
    frame = views.unit_counts(tasks)
    assert frame.head(5).to_dict("records") == [
        {"单位": HOUSING, "角色": "牵头", "任务数": 11},
        {"单位": HOUSING, "角色": "配合", "任务数": 4},
        {"单位": "各区市", "角色": "配合", "任务数": 13},
        {"单位": "市自然资源和规划局", "角色": "牵头", "任务数": 3},
        {"单位": "市自然资源和规划局", "角色": "配合", "任务数": 6},
    ]
    assert len(set(frame["单位"])) == 25


def test_charts_are_altair_specs(tasks: list[Task]) -> None:
    timeline = views.timeline_chart(views.targets_timeline(tasks)).to_dict()
    assert timeline["mark"]["type"] == "bar"
    assert timeline["encoding"]["x"]["field"] == "年份"
    units = views.unit_chart(views.unit_counts(tasks)).to_dict()
    assert units["encoding"]["y"]["sort"][:2] == [HOUSING, "各区市"]
    assert units["encoding"]["color"]["scale"]["domain"] == ["牵头", "配合"]


# ------------------------------------------------------------------ corpus
def test_status_views(fake_engine) -> None:  # noqa: ANN001
    status = fake_engine.status()
    assert views.status_label(status) == "最新"
    assert views.status_sentence(status) == "索引是最新的：文件库中的政策都已收录，可以直接提问。"
    assert views.policies_frame(status).to_dict("records") == [{"政策文件": "青岛市城乡建设领域碳达峰工作方案", "版本": "第1版"}]


@pytest.mark.parametrize(("moment", "with_time", "text"), [
    ("2026-12-01", True, "2026年12月1日"),
    ("2026-03-05T08:07:00", True, "2026年3月5日 08:07"),
    ("2026-03-05T08:07:00", False, "2026年3月5日"),
    ("", True, ""),
    ("不是日期", True, "不是日期"),
])
def test_chinese_date(moment: str, with_time: bool, text: str) -> None:
    assert views.chinese_date(moment, with_time) == text


@pytest.mark.parametrize(("version", "label"), [("v1", "第1版"), ("V2", "第2版"), ("2025-06", "2025年6月版"),
                                                ("2025-06-01", "2025年6月1日版"), ("20250601", "2025年6月1日版"),
                                                ("2025修订版", "2025修订版")])
def test_version_label(version: str, label: str) -> None:
    assert views.version_label(version) == label


def test_progress_text_says_what_is_being_done() -> None:
    assert views.progress_text(96, 162, "生成向量") == "正在计算语义向量：已完成 96 / 162 段"
    assert views.progress_text(0, 1, "解析文件") == "正在读取和解析政策文件……"


def test_add_uploads_stores_good_files_and_explains_bad_ones(fake_engine) -> None:  # noqa: ANN001
    good = (DATA / "plans" / "plan_inline_lead.txt").read_bytes()
    result = views.add_uploads(fake_engine, [("../烟台 方案.txt", good), ("坏.pdf", b"not a pdf"),
                                             ("note.txt", "只是一段话。".encode())])
    assert result.saved == ["烟台_方案.txt"]
    assert [name for name, _ in result.rejected] == ["坏.pdf", "note.txt"]
    assert result.report is not None and result.report.policies == 2
    assert all(line.startswith(("“坏.pdf”未能加入：", "“note.txt”未能加入：")) for line in result.problems)
    assert (fake_engine.settings.corpus_dir / "烟台_方案.txt").read_bytes() == good
    answer = fake_engine.ask("到2025年，全市产值过百亿元的建筑业企业要达到多少家？")
    assert answer.targets[0].value == 5 and answer.citations[0].policy == "烟台_方案"


def test_add_uploads_without_a_good_file_does_not_rebuild(fake_engine) -> None:  # noqa: ANN001
    result = views.add_uploads(fake_engine, [("x.exe", b"MZ")])
    assert result.saved == [] and result.report is None
    assert result.problems == ["“x.exe”未能加入：只接受 .txt、.docx、.pdf 文件"]


# -------------------------------------------------------------------- eval
def test_eval_report_absent(tmp_path: Path) -> None:
    view = views.eval_report(tmp_path)
    assert view.markdown is None and view.changed.empty and view.note is None


def test_eval_report_with_changed_answers(tmp_path: Path) -> None:
    (tmp_path / "report.md").write_text("# 问答回归评测报告\n\n## 答错的问题（0）\n#不是标题\n", "utf-8")
    changed = [{"id": "q1", "question": "谁牵头？", "was_correct": True, "now_correct": False, "old": "甲", "new": "乙"}]
    (tmp_path / "report.json").write_text(json.dumps({"comparison": {"changed": changed}}), "utf-8")
    view = views.eval_report(tmp_path)
    assert view.markdown == "### 问答回归评测报告\n\n#### 答错的问题（0）\n#不是标题\n"
    assert view.changed.to_dict("records") == [{"问题": "谁牵头？", "原先": "正确", "现在": "错误", "原答案": "甲", "新答案": "乙"}]


def test_eval_report_unreadable_json(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text("{broken", "utf-8")
    view = views.eval_report(tmp_path)
    assert view.changed.empty and view.note is not None and "policy-assistant eval" in view.note


# -------------------------------------------------------------------- diff
def test_load_diff_is_none_when_the_module_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "assistant.diff", None)
    assert views.load_diff() is None


def test_diff_frame_uses_the_modules_rows() -> None:
    module = types.SimpleNamespace(diff_policies=lambda a, b: "d",
                                   diff_rows=lambda d: [{"类型": "新增条目", "条目": "三（八）", "内容": "x", "原": "—",
                                                         "新": "三（八）"}])
    frame = views.diff_frame(module, "d")  # type: ignore[arg-type]
    assert frame.to_dict("records") == [{"类型": "新增条目", "条目": "三（八）", "内容": "x", "原": "—", "新": "三（八）"}]


def test_versions_and_diff(fake_engine) -> None:  # noqa: ANN001
    module = views.load_diff()
    if module is None:
        pytest.skip("assistant.diff is not installed")
    shutil.copy(DATA / "revision" / "qingdao_urban_rural_carbon_peak_v2.txt", fake_engine.settings.corpus_dir)
    fake_engine.ingest()
    assert views.policy_versions(fake_engine.index()) == {"qingdao_urban_rural_carbon_peak": ["v1", "v2"]}
    frame = views.diff_frame(module, views.diff_versions(fake_engine, module, "qingdao_urban_rural_carbon_peak",
                                                         "v1", "v2"))
    assert {"新增条目", "牵头单位变化"} <= set(frame["类型"])
    with pytest.raises(views.PolicyAssistantError, match="v9"):
        views.diff_versions(fake_engine, module, "qingdao_urban_rural_carbon_peak", "v1", "v9")


def test_make_engine_uses_the_named_embedder(settings) -> None:  # noqa: ANN001
    from assistant.embeddings import HashEmbedder

    engine = views.make_engine(settings.model_copy(update={"embedding_model": "fake-64"}))
    assert isinstance(engine.embedder, HashEmbedder) and engine.embedder.dim == 64


def test_make_engine_refuses_a_missing_corpus_folder(tmp_path: Path, settings) -> None:  # noqa: ANN001
    with pytest.raises(views.ConfigError, match="POLICY_ASSISTANT_CORPUS_DIR"):
        views.make_engine(settings.model_copy(update={"corpus_dir": tmp_path / "missing"}))
