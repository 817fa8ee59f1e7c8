"""repair: page breaks, doubled characters, widths, spaces, page numbers, and the map back to the source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.repair import Repaired, is_doubled_at_break, repair

DATA = Path(__file__).parent / "data"
UGLY = DATA / "ugly"
QINGDAO = Path(__file__).parent.parent / "corpus" / "qingdao_urban_rural_carbon_peak.txt"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("page_break_word.txt", "推进中德生态园向零碳试验区转型。\n"),
        ("doubled_char.txt", "加快推动城镇基础设施向乡村延伸。\n"),
        ("legit_double.txt", "青岛市市直部门按职责分工负责。\n"),
        ("half_width.txt", "（七）建设绿色宜居乡村\n推进农房建设。（责任单位：市住房城乡建设局，市农业农村局；各区市等）\n"),
        ("spaced_numbers.txt", "到2025年，单位能耗控制在7.9%以内，出水达到IV类水标准，推广LED lamp照明。\n"),
        ("page_numbers.txt", "统筹地上地下空间综合开发利用。\n建设城市绿道网络。\n"),
        ("headings.txt", ("一、总体要求\n（一）指导思想\n以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神。\n"
                          "（二）工作原则\n坚持系统谋划。\n")),
    ],
)
def test_ugly_files(name: str, expected: str) -> None:
    source = (UGLY / name).read_text("utf-8")
    repaired = repair(source)
    assert repaired.text == expected
    assert repaired.source == source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("零碳试\n\n验区", "零碳试验区"),
        ("城镇基\n\n基础设施", "城镇基础设施"),
        ("青岛市\n\n市直部门", "青岛市市直部门"),
        ("城镇基\n— 2 —\n基础设施", "城镇基础设施"),
        ("布\n\n局。", "布局。"),
        ("到 2025 年", "到2025年"),
        ("7.9% 以内", "7.9%以内"),
        ("达到 30% 以上", "达到30%以上"),
        ("8 公里/平方公里 以上", "8公里/平方公里以上"),
        ("IV 类", "IV类"),
        ("LED lamp", "LED lamp"),
        ("LED   lamp", "LED lamp"),
        ("LED 灯", "LED灯"),
        ("全面\u3000推进", "全面推进"),
        ("达到３０％", "达到30%"),
        ("ＢＩＭ技术", "BIM技术"),
        ("(责任单位:市财政局)", "（责任单位：市财政局）"),
        ("牵头单位:A;配合单位:B,C", "牵头单位：A；配合单位：B，C"),
        ("1,000吨，10:30开会", "1,000吨，10:30开会"),
        ("甲。\r\n乙。", "甲。\n乙。"),
        ("甲。\n\n\n\n乙。", "甲。\n\n乙。"),
    ],
)
def test_inline_repairs(source: str, expected: str) -> None:
    assert repair(source).text == expected


@pytest.mark.parametrize("page_line", ["— 7 —", "- 8 -", "—7—", "第 3 页", "第3页，共10页", "12/30", "15"])
def test_page_number_lines_are_removed(page_line: str) -> None:
    assert repair(f"甲。\n{page_line}\n乙。").text == "甲。\n\n乙。"
    assert repair(f"推进零碳试\n{page_line}\n验区建设。").text == "推进零碳试验区建设。"


def test_numbers_that_are_content_are_kept() -> None:
    assert repair("到\n2025\n年").text == "到2025年"
    assert repair("甲。\n1\t开展排水设施普查\t市住房城乡建设局").text == "甲。\n1\t开展排水设施普查\t市住房城乡建设局"


@pytest.mark.parametrize(
    "source",
    [
        "一、总体要求\n（一）指导思想\n以习近平新时代中国特色社会主义思想为指导",
        "（二）工作原则\n坚持系统谋划",
        "（一）推进绿色建筑\n1.推广超低能耗建筑\n加快推广",
        "推进农村清洁取暖\n（三）加强组织领导",
        "某市城乡建设领域碳达峰实施方案\n为深入贯彻落实",
        "淄博市人民政府办公室\n2024年4月28日\n淄博市城市排水防涝能力提升行动实施方案",
        "序号\t重点任务\t牵头单位\n1\t开展排水设施普查\t市住房城乡建设局",
        "附件：重点任务分工表\n序号",
    ],
)
def test_lines_that_must_not_be_joined(source: str) -> None:
    assert repair(source).text == source


def test_inline_heading_continues_across_a_break() -> None:
    assert repair("（三）推进绿色建造。大力发展装配式\n建筑。").text == "（三）推进绿色建造。大力发展装配式建筑。"


@pytest.mark.parametrize(
    ("left", "right", "doubled"),
    [
        ("城镇基", "基础设施", True),
        ("城乡基", "基础设施一体化", True),
        ("青岛市", "市直部门", False),
        ("零碳试", "验区", False),
        ("人人", "人人参与", False),
        ("", "基础", False),
        ("基", "", False),
        ("ab", "bc", False),
    ],
)
def test_is_doubled_at_break(left: str, right: str, doubled: bool) -> None:
    assert is_doubled_at_break(left, right) is doubled


def _source_of(repaired: Repaired, span: str) -> str:
    start = repaired.text.index(span)
    s, e = repaired.source_span(start, start + len(span))
    return repaired.source[s:e]


@pytest.mark.parametrize(
    ("source", "span", "expected_source"),
    [
        ("推进零碳试\n\n验区建设。", "零碳试验区", "零碳试\n\n验区"),
        ("到 2025 年，能耗控制在 7.9% 以内。", "到2025年", "到 2025 年"),
        ("到 2025 年，能耗控制在 7.9% 以内。", "7.9%以内", "7.9% 以内"),
        ("推广  LED   lamp 照明", "LED lamp", "LED   lamp"),
        # the dropped copy of a doubled character lies inside the source span
        ("加强城镇基\n\n基础设施建设。", "城镇基础设施", "城镇基\n\n基础设施"),
        # a removed page-number line lies inside the source span
        ("内容\n— 7 —\n继续。", "内容继续", "内容\n— 7 —\n继续"),
    ],
)
def test_source_span_exact(source: str, span: str, expected_source: str) -> None:
    assert _source_of(repair(source), span) == expected_source


def test_source_span_of_empty_span() -> None:
    repaired = repair("到 2025 年")
    assert repaired.source_span(1, 1) == (2, 2)


@pytest.mark.parametrize("name", ["page_break_word.txt", "spaced_numbers.txt", "legit_double.txt", "headings.txt"])
def test_every_repaired_line_maps_to_its_source_modulo_whitespace(name: str) -> None:
    repaired = repair((UGLY / name).read_text("utf-8"))
    for line in repaired.text.splitlines():
        if line:
            assert re.sub(r"\s", "", _source_of(repaired, line)) == re.sub(r"\s", "", line)


def test_origin_map_shape() -> None:
    source = (UGLY / "page_numbers.txt").read_text("utf-8")
    repaired = repair(source)
    assert len(repaired.origin) == len(repaired.text) + 1
    assert repaired.origin[-1] == len(source)
    assert list(repaired.origin) == sorted(repaired.origin)
    for i, char in enumerate(repaired.text):
        assert source[repaired.origin[i]] == char


def test_qingdao_corpus_repairs() -> None:
    source = QINGDAO.read_text("utf-8")
    text = repair(source).text
    assert "零碳试验区不低于1个" in text
    assert "加快推动城镇基础设施向乡村延伸" in text
    assert "城镇基\n" not in text
    assert "（七）建设绿色宜居乡村" in text
    assert "(" not in text and ")" not in text
    assert "到2025年" in text and "到 2025 年" not in text
    assert "（责任单位：市自然资源和规划局、市住房城乡建设局、市交通运输局、青岛地铁集团、各区市等）" in text
    assert "统筹地上地下空间综合开发利用" in text
    assert "支撑经济社会可持续发展" in text and "促进行业绿色发展和产业转型升级，支撑经济社会可持续发展" in text


@pytest.mark.parametrize("path", [QINGDAO, *sorted((DATA / "plans").glob("*.txt"))], ids=lambda p: p.stem)
def test_repairing_repaired_text_changes_nothing(path: Path) -> None:
    once = repair(path.read_text("utf-8")).text
    assert repair(once).text == once
