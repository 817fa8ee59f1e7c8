"""tasks: units brackets, body leads, sub-item rows and appendix tables, turned into task rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.agencies import UnitList
from assistant.clauses import parse_text
from assistant.policies import read_policy
from assistant.schema import Task
from assistant.tasks import AppendixRow, build_tasks, parse_appendix_table, unit_brackets

ROOT = Path(__file__).parent.parent
PLANS = Path(__file__).parent / "data" / "plans"
QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"


def _tasks(text: str) -> list[Task]:
    return build_tasks(parse_text(text, "p"))


def _units(task: Task) -> tuple[str | None, list[str], bool, bool, str]:
    return task.lead_agency, task.agencies, task.lead_inferred, task.agencies_etc, task.unit_source


def test_unit_brackets() -> None:
    text = "推进工作（试行）。（责任单位：市财政局、市民政局等）（市住房城乡建设局牵头，市财政局配合）（含2025年）"
    assert unit_brackets(text) == [
        (9, 26, UnitList(leads=["市财政局"], co=["市民政局"], lead_inferred=True, etc=True)),
        (26, 45, UnitList(leads=["市住房城乡建设局"], co=["市财政局"])),
    ]
    assert text[9:26] == "（责任单位：市财政局、市民政局等）"
    assert unit_brackets("各县（市、区）要落实（牵头单位：市财政局；配合单位：各县（市、区）人民政府）") == [
        (10, 38, UnitList(leads=["市财政局"], co=["各县市区人民政府"])),
    ]
    assert unit_brackets("按照《导则（试行）》推进（2025年底前完成）。") == []


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("（责任单位：市住房和城乡建设局、市财政局、各区（市）等）",
         ("市住房城乡建设局", ["市住房城乡建设局", "市财政局", "各区市"], True, True, "责任单位")),
        ("（牵头单位：市财政局；配合单位：市住房城乡建设局、市民政局）",
         ("市财政局", ["市财政局", "市住房城乡建设局", "市民政局"], False, False, "牵头单位")),
        ("(牵头单位:市财政局、市民政局;配合单位:市住房城乡建设局)",
         ("市财政局", ["市财政局", "市民政局", "市住房城乡建设局"], False, False, "牵头单位")),
        ("（市财政局牵头，市住房城乡建设局、市民政局按职责分工负责）",
         ("市财政局", ["市财政局", "市住房城乡建设局", "市民政局"], False, False, "牵头单位")),
        ("由市财政局牵头，会同市住房城乡建设局、市民政局推进。",
         ("市财政局", ["市财政局", "市住房城乡建设局", "市民政局"], False, False, "牵头句")),
        ("市财政局牵头负责，市住房城乡建设局、市民政局配合。",
         ("市财政局", ["市财政局", "市住房城乡建设局", "市民政局"], False, False, "牵头句")),
        ("加强部门协同。", (None, [], False, False, "无")),
    ],
)
def test_units_of_an_item(form: str, expected: tuple[object, ...]) -> None:
    (task,) = _tasks(f"一、重点任务\n（一）推进绿色建筑\n到2025年，绿色建筑占比达到100%。{form}")
    assert _units(task) == expected
    assert [(t.value, t.unit, t.year) for t in task.targets] == [(100, "%", 2025)]


def test_units_bracket_is_not_read_as_targets_and_details_follow_roles() -> None:
    (task,) = _tasks("一、重点任务\n（一）推进更新\n推进更新。（牵头单位：市财政局；配合单位：青岛地铁集团、各区市）")
    assert task.targets == [] and task.thresholds == []
    assert [(a.name, a.kind, a.role) for a in task.agency_details] == [
        ("市财政局", "department", "lead"), ("青岛地铁集团", "enterprise", "co"), ("各区市", "collective", "co"),
    ]


def test_row_fields() -> None:
    (task,) = _tasks("某市实施方案\n二、重点任务\n（三）推进绿色建筑。到2025年，占比达到100%。（责任单位：市财政局）")
    assert task.model_dump(exclude={"targets", "agency_details", "text", "start", "end"}) == {
        "policy": "p", "version": "", "id": "二（三）", "chapter": "二", "chapter_title": "重点任务", "number": "（三）",
        "title": "推进绿色建筑", "lead_agency": "市财政局", "lead_inferred": True, "agencies": ["市财政局"],
        "agencies_etc": False, "unit_source": "责任单位", "unit_quote": "（责任单位：市财政局）", "deadline": None,
        "thresholds": [], "parent": None,
    }
    assert task.text == "（三）推进绿色建筑。到2025年，占比达到100%。（责任单位：市财政局）"


SUB_ITEMS = """一、重点任务
（一）实施城市基础设施更新改造
统筹推进，到2025年，完成改造10个。
1.推进燃气管道改造。到2025年，完成燃气管道改造200公里。（责任单位：市城市管理局、各县（市、区）人民政府）
2.推进供水管网改造。到2026年，改造供水管网150公里。（责任单位：市住房城乡建设局、市城市管理局）
3.推进桥梁改造。改造提升城市桥梁20座。
（二）完善政策
完善政策。
"""


def test_sub_items_with_units_become_rows_after_their_parent() -> None:
    tasks = _tasks(SUB_ITEMS)
    assert [(t.id, t.number, t.parent, t.unit_source) for t in tasks] == [
        ("一（一）", "（一）", None, "子项汇总"),
        ("一（一）1", "1", "一（一）", "责任单位"),
        ("一（一）2", "2", "一（一）", "责任单位"),
        ("一（一）3", "3", "一（一）", "无"),
        ("一（二）", "（二）", None, "无"),
    ]
    parent, first, second, third, _ = tasks
    assert (parent.lead_agency, parent.agencies) == (
        "市城市管理局", ["市城市管理局", "各县市区人民政府", "市住房城乡建设局"])
    assert (first.lead_agency, first.agencies) == ("市城市管理局", ["市城市管理局", "各县市区人民政府"])
    assert (second.lead_agency, second.agencies) == ("市住房城乡建设局", ["市住房城乡建设局", "市城市管理局"])
    assert first.title == "推进燃气管道改造" and first.chapter_title == "重点任务"
    # once one sub-item names units, every sub-item is a row: each keeps its own targets, the parent its lead-in's
    assert [(t.value, t.unit, t.year) for t in parent.targets] == [(10, "个", 2025)]
    assert [(t.value, t.unit, t.year) for t in third.targets] == [(20, "座", None)] and third.agencies == []
    assert [(t.value, t.unit, t.year) for t in first.targets] == [(200, "公里", 2025)]
    assert [(t.value, t.unit, t.year) for t in second.targets] == [(150, "公里", 2026)]


def test_parent_units_come_first_and_a_sub_item_without_units_inherits_them() -> None:
    text = SUB_ITEMS.replace("统筹推进，", "由市发展改革委牵头，会同市财政局推进，")
    parent, _, _, third, _ = _tasks(text)
    assert _units(parent) == ("市发展改革委", ["市发展改革委", "市财政局", "市城市管理局", "各县市区人民政府",
                                         "市住房城乡建设局"], False, False, "牵头句")
    assert (third.lead_agency, third.agencies) == ("市发展改革委", ["市发展改革委", "市财政局"])


APPENDIX = """某市实施方案
一、重点任务
（一）开展排水设施普查
内容。
（二）整治城市易涝积水点
到2025年，完成整治45处。
二、完善设施
（一）实施雨污分流改造
内容。（责任单位：市生态环境局）
附件：重点任务分工表
序号\t重点任务\t牵头单位\t配合单位\t完成时限
1\t开展排水设施普查\t市住房和城乡建设局\t市大数据局、各区县人民政府\t2024年12月底前
2\t整治易涝积水点\t市住房城乡建设局、市水利局\t市城市管理局\t2025年12月底前
3\t实施雨污分流改造\t市住房城乡建设局\t市财政局\t长期坚持
"""


def test_parse_appendix_table() -> None:
    document = parse_text(APPENDIX, "p")
    assert parse_appendix_table(document.appendix) == [
        AppendixRow("1", "开展排水设施普查", ["市住房城乡建设局"], ["市大数据局", "各区县人民政府"], "2024年12月底前"),
        AppendixRow("2", "整治易涝积水点", ["市住房城乡建设局", "市水利局"], ["市城市管理局"], "2025年12月底前"),
        AppendixRow("3", "实施雨污分流改造", ["市住房城乡建设局"], ["市财政局"], "长期坚持"),
    ]


def test_parse_markdown_style_table_with_other_header_names() -> None:
    table = ("附件：分工表\n|序号|工作任务|责任单位|配合部门|时间节点|\n|---|---|---|---|---|\n"
             "|1|推进普查|市住房和城乡建设局|市发展和改革委员会|2025年底|\n|2|加强运维|市民政局||长期|\n|3|没有单位|||长期|\n")
    assert parse_appendix_table(table) == [
        AppendixRow("1", "推进普查", ["市住房城乡建设局"], ["市发展改革委"], "2025年底"),
        AppendixRow("2", "加强运维", ["市民政局"], [], "长期"),
    ]


def test_table_without_a_recognised_header_gives_no_rows() -> None:
    assert parse_appendix_table("附件：分工表\n甲\t乙\t丙\n1\t推进普查\t市财政局") == []


def test_appendix_rows_map_to_items_by_title() -> None:
    tasks = _tasks(APPENDIX)
    assert [(t.id, t.lead_agency, t.agencies, t.unit_source, t.deadline) for t in tasks] == [
        ("一（一）", "市住房城乡建设局", ["市住房城乡建设局", "市大数据局", "各区县人民政府"], "附件表", "2024年12月底前"),
        ("一（二）", "市住房城乡建设局", ["市住房城乡建设局", "市水利局", "市城市管理局"], "附件表", "2025年12月底前"),
        # units written in the body win over the table; the table still gives the deadline
        ("二（一）", "市生态环境局", ["市生态环境局"], "责任单位", "长期坚持"),
    ]
    assert [(t.value, t.unit, t.year) for t in tasks[1].targets] == [(45, "处", 2025)]


def test_appendix_rows_fall_back_to_their_number() -> None:
    text = APPENDIX.replace("开展排水设施普查\t", "甲\t").replace("整治易涝积水点\t", "乙\t")
    tasks = _tasks(text)
    assert [(t.id, t.lead_agency, t.deadline) for t in tasks] == [
        ("一（一）", "市住房城乡建设局", "2024年12月底前"),
        ("一（二）", "市住房城乡建设局", "2025年12月底前"),
        ("二（一）", "市生态环境局", "长期坚持"),
    ]


def test_plan_appendix_fixture_maps_shortened_table_names() -> None:
    tasks = read_policy(PLANS / "plan_appendix.txt").tasks
    assert [(t.id, t.title, t.lead_agency, t.deadline, t.unit_source) for t in tasks] == [
        ("二（一）", "开展排水设施普查", "市住房城乡建设局", "2024年12月底前", "附件表"),
        ("二（二）", "整治城市易涝积水点", "市住房城乡建设局", "2025年12月底前", "附件表"),
        ("三（一）", "实施雨污分流改造", "市住房城乡建设局", "2025年12月底前", "附件表"),
        ("三（二）", "提升泵站和排涝通道能力", "市住房城乡建设局", "2025年12月底前", "附件表"),
        ("三（三）", "推进海绵城市建设", "市住房城乡建设局", "长期坚持", "附件表"),
        ("四（一）", "建设智慧排水管理平台", "市住房城乡建设局", "2025年6月底前", "附件表"),
        ("四（二）", "强化应急处置能力", "市应急管理局", "每年汛期前", "附件表"),
        ("四（三）", "加强排水设施运行维护", "市城市管理局", "长期坚持", "附件表"),
    ]
    assert tasks[3].agencies == ["市住房城乡建设局", "市水利局", "市城市管理局", "各区县人民政府"]
    assert tasks[4].agencies == ["市住房城乡建设局", "市发展改革委", "市自然资源和规划局", "市财政局", "各区县人民政府"]


def test_plan_body_sentence_fixture_sub_item_rows() -> None:
    tasks = read_policy(PLANS / "plan_body_sentence.txt").tasks
    assert [(t.id, t.parent, t.unit_source, t.lead_agency) for t in tasks] == [
        ("二（一）", None, "牵头句", "市住房城乡建设局"),
        ("二（二）", None, "子项汇总", "市城市管理局"),
        ("二（二）1", "二（二）", "责任单位", "市城市管理局"),
        ("二（二）2", "二（二）", "责任单位", "市住房城乡建设局"),
        ("二（二）3", "二（二）", "责任单位", "市住房城乡建设局"),
        ("二（三）", None, "牵头句", "市城市管理局"),
        ("二（四）", None, "牵头句", "市住房城乡建设局"),
        ("二（五）", None, "无", None),
        ("三（一）", None, "牵头句", "市住房城乡建设局"),
        ("三（二）", None, "牵头句", "市城市管理局"),
    ]
    assert tasks[1].targets == []
    assert [t.title for t in tasks[2:5]] == ["推进燃气管道老化更新改造", "推进供排水管网改造", "推进城市道路和桥梁改造"]


def test_qingdao_rows() -> None:
    tasks = {t.id: t for t in read_policy(QINGDAO).tasks}
    assert len(tasks) == 22
    first = tasks["二（一）"]
    assert _units(first) == (
        "市自然资源和规划局", ["市自然资源和规划局", "市住房城乡建设局", "市交通运输局", "青岛地铁集团", "各区市"],
        True, True, "责任单位")
    assert _units(tasks["五（十五）"]) == ("市住房城乡建设局", ["市住房城乡建设局"], False, False, "牵头句")
    assert _units(tasks["五（十八）"]) == (None, [], False, False, "无")
    assert [(t.value, t.unit) for t in tasks["二（四）"].thresholds] == [(5000, "平方米")]
    assert [(t.value, t.unit, t.year, t.comparator) for t in tasks["一（三）"].targets] == [(None, None, 2030, "peak")]
    for task in tasks.values():
        for target in task.targets:
            assert target.quote in task.text
