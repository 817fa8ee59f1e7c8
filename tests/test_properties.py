"""Properties on arbitrary and policy-like text: the parser never raises, and the origin map stays consistent."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.clauses import parse_clauses
from assistant.repair import repair
from assistant.targets import extract
from assistant.tasks import build_tasks, parse_appendix_table

FRAGMENTS = [
    "一、", "二、", "十一、", "第一章 ", "第三条 ", "（一）", "(二)", "（十一）", "1.", "2、", "（1）", "①", "⑳",
    "附件：", "附件1", "附表", "序号\t重点任务\t牵头单位\t配合单位\t完成时限", "\t", "|", "---",
    "责任单位：", "牵头单位:", "配合单位：", "牵头", "由", "会同", "按职责分工负责", "配合", "等",
    "市住房城乡建设局", "市住房和城乡建设局", "各县（市、区）", "各区、市", "人民政府", "青岛地铁集团",
    "、", "，", "。", "；", "：", ":", ",", ";", "“", "”", "《", "》", "（", "）", "(", ")",
    "\n", "\n\n", "\r\n", "\f", "— 7 —", "- 8 -", "第 3 页", "12", " ", "　", "\u00a0", "\u200b",
    "到2025年", "到 2030 年", "2030年前", "2025年底前", "每年", "“十四五”期间", "比2020年下降", "提高",
    "5个百分点", "50%", "７.９％", "1.5亿平方米", "300吨/万平方米", "100个", "余", "以上", "以内", "左右",
    "不低于", "不超过", "力争达", "突破", "达到峰值", "5000平方米以上的", "IV 类", "LED lamp", "标准", "的",
    "零碳试", "验区", "城镇基", "基础设施", "青岛市", "市直部门", "实施方案", "（2024—2026年）", "2024年4月28日",
]
policy_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=80).map("".join)
any_text = st.one_of(st.text(max_size=400), policy_like)
PROPERTY = settings(max_examples=300, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(any_text)
def test_pipeline_never_raises(source: str) -> None:
    document = parse_clauses(repair(source), "p")
    tasks = build_tasks(document)
    assert [t.id for t in tasks] == list(dict.fromkeys(t.id for t in tasks))  # ids are unique
    for clause in document.clauses:
        assert document.text[clause.start:clause.end] == clause.text
    for task in tasks:
        for target in task.targets:
            assert target.quote in task.text  # what a citation of this target will check


@PROPERTY
@given(any_text)
def test_origin_map_is_consistent(source: str) -> None:
    repaired = repair(source)
    origin = repaired.origin
    assert repaired.source == source
    assert len(origin) == len(repaired.text) + 1
    assert origin[-1] == len(source)
    assert all(a <= b for a, b in pairwise(origin))
    assert all(0 <= o <= len(source) for o in origin)
    assert all(o < len(source) for o in origin[:-1])


_SAME = {"\r": "\n", "\f": "\n", "\v": "\n", "（": "(", "）": ")", "：": ":", "，": ",", "；": ";"}


def _plain(char: str) -> str:
    char = _SAME.get(char, char)
    if char in " \u3000\xa0\u2002\u2003\u2009\u200b":
        return " "
    if 0xFF01 <= ord(char) <= 0xFF5E:
        return chr(ord(char) - 0xFEE0)
    return char


@PROPERTY
@given(any_text)
def test_each_repaired_character_comes_from_its_origin(source: str) -> None:
    repaired = repair(source)
    for i, char in enumerate(repaired.text):
        assert _plain(char) == _plain(source[repaired.origin[i]])


@PROPERTY
@given(any_text)
def test_repair_is_idempotent(source: str) -> None:
    once = repair(source).text
    assert repair(once).text == once


@PROPERTY
@given(st.lists(any_text, max_size=5))
def test_target_extraction_never_raises(sentences: list[str]) -> None:
    targets, thresholds = extract(sentences)
    for target in targets:
        assert any(target.quote in s for s in sentences)
    for threshold in thresholds:
        assert any(threshold.quote in s for s in sentences)


@PROPERTY
@given(any_text)
def test_appendix_table_never_raises(text: str) -> None:
    for row in parse_appendix_table("序号\t重点任务\t牵头单位\t配合单位\t完成时限\n" + text):
        assert row.task and (row.leads or row.co)
