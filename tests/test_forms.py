"""Less common ways plans state responsibility, each read by a general rule."""

from __future__ import annotations

from assistant.clauses import parse_text
from assistant.tasks import build_tasks

PLAN = """某市城市更新工作方案

一、重点任务
（一）推进老旧小区改造
到2025年，完成改造小区300个。（责任单位：市财政局、市住房城乡建设局（牵头）、各区县政府）
（二）完善停车设施
新增公共停车泊位2万个以上。（市公安局、市城市管理局负责）
（三）加强宣传
组织开展宣传活动（具体由各区县负责）。
二、保障措施
（一）强化资金保障
（主责单位：市财政局；配合单位：市发展改革委）
注：各项任务中列第一位的为牵头单位。
"""


def _rows() -> dict[str, object]:
    return {t.id: t for t in build_tasks(parse_text(PLAN, "plan"))}


def test_lead_marked_inside_a_list() -> None:
    row = _rows()["一（一）"]
    assert row.lead_agency == "市住房城乡建设局" and not row.lead_inferred
    assert row.agencies == ["市住房城乡建设局", "市财政局", "各区县政府"]
    assert [(t.year, t.value, t.unit) for t in row.targets] == [(2025, 300.0, "个")]


def test_bracket_naming_units_that_are_responsible() -> None:
    row = _rows()["一（二）"]
    assert row.agencies == ["市公安局", "市城市管理局"] and row.lead_agency == "市公安局"
    assert row.lead_inferred is False  # the plan says the first listed is the lead
    assert [(t.comparator, t.value, t.unit) for t in row.targets] == [(">=", 2.0, "万个")]


def test_prose_in_brackets_is_not_a_unit() -> None:
    assert _rows()["一（三）"].agencies == []


def test_other_lead_labels() -> None:
    row = _rows()["二（一）"]
    assert row.lead_agency == "市财政局" and row.agencies == ["市财政局", "市发展改革委"]
