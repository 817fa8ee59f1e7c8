"""clauses: the clause tree, its ids, titles, sentences, the appendix and the document title."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.clauses import parse_clauses, parse_text, split_sentences
from assistant.errors import NotAPolicy
from assistant.loading import load_file
from assistant.repair import repair

ROOT = Path(__file__).parent.parent
QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"
QINGDAO_GOLD = ROOT / "eval" / "gold" / "qingdao_urban_rural_carbon_peak.json"
PLANS = Path(__file__).parent / "data" / "plans"

RESTARTED = """某市城乡建设领域碳达峰实施方案
为推进碳达峰，制定本方案。
一、总体要求
（一）指导思想
坚持系统观念。
二、重点任务
（一）推进绿色建筑。到2025年，城镇新建建筑全面执行绿色建筑标准。
1.推广超低能耗建筑。加快推广。（责任单位：市住房城乡建设局）
2.推进既有建筑改造
持续推进。
（二）发展装配式建筑
大力发展。
三、保障措施
（三）加强组织领导
加强领导。
附件：重点任务分工表
序号\t重点任务\t牵头单位
1\t推进绿色建筑\t市住房城乡建设局
"""


def _ids(text: str) -> list[tuple[str, str]]:
    return [(c.id, c.level) for c in parse_text(text, "p").clauses]


def test_restarted_and_running_numbering_give_unique_ids() -> None:
    document = parse_text(RESTARTED, "p")
    assert [(c.id, c.level, c.chapter, c.number, c.title, c.parent) for c in document.clauses] == [
        ("一", "chapter", "一", "一", "总体要求", None),
        ("一（一）", "item", "一", "（一）", "指导思想", "一"),
        ("二", "chapter", "二", "二", "重点任务", None),
        ("二（一）", "item", "二", "（一）", "推进绿色建筑", "二"),
        ("二（一）1", "subitem", "二", "1", "推广超低能耗建筑", "二（一）"),
        ("二（一）2", "subitem", "二", "2", "推进既有建筑改造", "二（一）"),
        ("二（二）", "item", "二", "（二）", "发展装配式建筑", "二"),
        ("三", "chapter", "三", "三", "保障措施", None),
        ("三（三）", "item", "三", "（三）", "加强组织领导", "三"),
    ]
    assert document.problems == []
    assert [c.chapter_title for c in document.items] == ["总体要求", "重点任务", "重点任务", "保障措施"]


def test_clause_text_and_offsets() -> None:
    document = parse_text(RESTARTED, "p")
    for clause in document.clauses:
        assert document.text[clause.start:clause.end] == clause.text
    item = document.get("二（一）")
    assert item is not None
    assert item.text == ("（一）推进绿色建筑。到2025年，城镇新建建筑全面执行绿色建筑标准。\n"
                         "1.推广超低能耗建筑。加快推广。（责任单位：市住房城乡建设局）\n"
                         "2.推进既有建筑改造\n持续推进。")
    assert [c.id for c in document.children("二（一）")] == ["二（一）1", "二（一）2"]
    second = document.get("二（一）2")
    assert second is not None and second.text == "2.推进既有建筑改造\n持续推进。"
    assert document.get("四（一）") is None


def test_sentences_of_a_clause() -> None:
    document = parse_text(RESTARTED, "p")
    item = document.get("二（一）")
    assert item is not None
    assert [s.text for s in item.sentences] == [
        "（一）推进绿色建筑。", "到2025年，城镇新建建筑全面执行绿色建筑标准。", "1.推广超低能耗建筑。", "加快推广。",
        "（责任单位：市住房城乡建设局）", "2.推进既有建筑改造", "持续推进。",
    ]
    for sentence in item.sentences:
        assert document.text[sentence.start:sentence.end] == sentence.text


def test_split_sentences() -> None:
    assert [(s.text, s.start, s.end) for s in split_sentences("甲。乙！丙？丁；戊\n己", 10)] == [
        ("甲。", 10, 12), ("乙！", 12, 14), ("丙？", 14, 16), ("丁；", 16, 18), ("戊", 18, 19), ("己", 20, 21),
    ]
    assert [s.text for s in split_sentences("他说：“到2025年完成。”然后")] == ["他说：“到2025年完成。”", "然后"]
    assert split_sentences("") == []


def test_duplicate_number_in_one_chapter_is_kept_and_reported() -> None:
    document = parse_text("二、其他\n（一）甲\n内容。\n（一）乙\n内容。", "p")
    assert [c.id for c in document.items] == ["二（一）", "二（一）#2"]
    assert [(p.where, p.message) for p in document.problems] == [("二（一）", "编号重复，记为 二（一）#2")]


def test_inline_heading_title_is_text_before_first_full_stop() -> None:
    document = parse_text("二、做大做强市场主体\n（一）培育壮大骨干企业。支持企业做大做强。到2025年，企业达到5家。", "p")
    (item,) = document.items
    assert item.title == "培育壮大骨干企业"
    assert item.text == "（一）培育壮大骨干企业。支持企业做大做强。到2025年，企业达到5家。"


def test_a_marker_without_a_title_is_not_a_heading() -> None:
    document = parse_text("一、总体要求\n（一）\n内容。\n（二）、内容\n（三）推进绿色建造。大力发展。", "p")
    assert [(c.id, c.title) for c in document.clauses] == [("一", "总体要求"), ("一（三）", "推进绿色建造")]


def test_sub_item_markers() -> None:
    document = parse_text("二、重点任务\n（一）甲\n（1）子一。\n（2）子二。\n（二）乙\n①子三。\n②子四。", "p")
    assert [(c.id, c.level, c.number, c.title, c.parent) for c in document.clauses if c.level == "subitem"] == [
        ("二（一）（1）", "subitem", "（1）", "子一", "二（一）"),
        ("二（一）（2）", "subitem", "（2）", "子二", "二（一）"),
        ("二（二）①", "subitem", "①", "子三", "二（二）"),
        ("二（二）②", "subitem", "②", "子四", "二（二）"),
    ]


def test_chapter_whose_tasks_are_numbered_like_sub_items() -> None:
    document = parse_text("一、重点任务\n1.推广超低能耗建筑。加快推广。\n（1）甲。\n（2）乙。\n2.推进既有建筑改造。持续推进。", "p")
    assert [(c.id, c.level, c.number, c.title, c.parent) for c in document.clauses] == [
        ("一", "chapter", "一", "重点任务", None),
        ("一1", "item", "1.", "推广超低能耗建筑", "一"),
        ("一1（1）", "subitem", "（1）", "甲", "一1"),
        ("一1（2）", "subitem", "（2）", "乙", "一1"),
        ("一2", "item", "2.", "推进既有建筑改造", "一"),
    ]
    second = document.get("一1（2）")
    assert second is not None and second.text == "（2）乙。"


def test_articles_and_chapters_in_measures_form() -> None:
    document = parse_text("第一章 总则\n第一条 为了规范管理，制定本办法。\n第二章 职责\n第二条 市住房城乡建设局负责。", "p")
    assert [(c.id, c.level, c.number, c.title) for c in document.clauses] == [
        ("一", "chapter", "一", "总则"),
        ("一第一条", "item", "第一条", "为了规范管理，制定本办法"),
        ("二", "chapter", "二", "职责"),
        ("二第二条", "item", "第二条", "市住房城乡建设局负责"),
    ]


def test_appendix_is_split_off() -> None:
    document = parse_text(RESTARTED, "p")
    assert document.appendix == "附件：重点任务分工表\n序号\t重点任务\t牵头单位\n1\t推进绿色建筑\t市住房城乡建设局\n"
    assert document.text[document.appendix_start:] == document.appendix
    assert max(c.end for c in document.clauses) < document.appendix_start
    assert "附件" not in document.get("三（三）").text  # type: ignore[union-attr]


@pytest.mark.parametrize("line", ["附件：任务清单", "附件1：任务清单", "附件 2", "附表：分工表", "附表1"])
def test_appendix_heading_forms(line: str) -> None:
    document = parse_text(f"一、重点任务\n（一）推进更新\n内容。\n{line}\n（二）不是条目\n内容。", "p")
    assert [c.id for c in document.items] == ["一（一）"]
    assert document.appendix.startswith(line.replace(" ", ""))


def test_appendix_line_before_any_heading_is_preamble() -> None:
    document = parse_text("附件：说明\n一、总体要求\n（一）甲\n内容。", "p")
    assert document.appendix == ""
    assert [c.id for c in document.clauses] == ["一", "一（一）"]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("某市城乡建设领域碳达峰实施方案\n一、总体要求\n（一）甲\n内容。", "某市城乡建设领域碳达峰实施方案"),
        (("关于印发某市实施方案的通知\n各区市人民政府：\n现将《某市实施方案》印发给你们。\n某市人民政府办公厅\n2024年6月12日\n"
          "某市城市更新实施方案（试行）\n为推进城市更新，制定本方案。\n一、重点任务\n（一）推进更新\n内容。"),
         "某市城市更新实施方案（试行）"),
        ("潍坊市城市更新行动实施方案（2024—2026年）\n一、重点任务\n（一）甲\n内容。", "潍坊市城市更新行动实施方案（2024—2026年）"),
        ("一、重点任务\n（一）甲\n内容。\n附件：某市排水防涝实施方案重点任务分工表", "某市排水防涝实施方案"),
        ("为推进工作，制定本方案。\n一、重点任务\n（一）甲\n内容。", "p"),
    ],
)
def test_document_title(text: str, title: str) -> None:
    assert parse_text(text, "p").title == title


def test_text_without_items_is_reported_but_not_raised() -> None:
    document = parse_clauses(repair("一、总体要求\n到2025年，完成任务。\n二、保障措施\n加强领导。"), "p")
    assert [c.id for c in document.clauses] == ["一", "二"]
    assert [p.message for p in document.problems] == ["未识别出编号条目（（一）、1. 等）"]


def test_prose_is_not_a_policy() -> None:
    with pytest.raises(NotAPolicy, match="prose.txt") as info:
        parse_text("这是一段没有任何编号的文字。", "p", name="prose.txt")
    assert "未识别出政策条款结构" in info.value.reason


def test_qingdao_items_match_the_gold_titles() -> None:
    gold = json.loads(QINGDAO_GOLD.read_text("utf-8"))
    document = parse_text(load_file(QINGDAO).text, "qingdao_urban_rural_carbon_peak")
    assert len(document.items) == 22
    assert [(c.id, c.chapter, c.chapter_title, c.number, c.title) for c in document.items] == [
        (g["id"], g["chapter"], g["chapter_title"], g["number"], g["title"]) for g in gold["items"]
    ]
    assert [c.id for c in document.items] == [
        "一（一）", "一（二）", "一（三）", "二（一）", "二（二）", "二（三）", "二（四）", "二（五）",
        "三（六）", "三（七）", "三（八）", "三（九）", "四（十）", "四（十一）", "四（十二）", "四（十三）", "四（十四）",
        "五（十五）", "五（十六）", "五（十七）", "五（十八）", "五（十九）",
    ]
    assert document.get("三（七）").title == "建设绿色宜居乡村"  # type: ignore[union-attr]  # printed as (七)
    assert document.title == "青岛市城乡建设领域碳达峰工作方案"
    assert document.appendix.startswith("附件：青岛市城乡建设领域碳达峰工作方案重点任务及责任分工表")
    assert document.problems == []


@pytest.mark.parametrize(
    ("stem", "title"),
    [
        ("plan_appendix", "淄博市城市排水防涝能力提升行动实施方案"),
        ("plan_body_sentence", "潍坊市城市更新行动实施方案（2024—2026年）"),
        ("plan_inline_lead", "烟台市推动建筑业高质量发展实施方案"),
        ("plan_lead_colleague", "济南市城乡建设领域碳达峰实施方案"),
    ],
)
def test_fixture_titles(stem: str, title: str) -> None:
    assert parse_text(load_file(PLANS / f"{stem}.txt").text, stem).title == title
