"""Question understanding: the typed Query a question becomes before anything is retrieved."""

from __future__ import annotations

import pytest

from assistant.questions import Catalog, understand
from assistant.schema import PolicyRecord

RECORDS = [PolicyRecord(policy="qd", title="青岛市城乡建设领域碳达峰工作方案", place="青岛市", level="市"),
           PolicyRecord(policy="ly", title="洛阳市工业领域碳达峰实施方案", place="洛阳市", level="市"),
           PolicyRecord(policy="hn", title="河南省深入实施节水行动方案（2025—2027年）", place="河南省", level="省"),
           PolicyRecord(policy="xz", title="叙州区城乡供水保障和污水治理提升三年行动方案", place="宜宾市叙州区", level="区")]
UNITS = {"qd": {"市住房城乡建设局", "市水务管理局", "青岛供电公司", "市城市管理局"},
         "ly": {"市水务局", "市商务局", "国网洛阳供电公司", "市工业和信息化局"},
         "hn": {"省住房城乡建设厅", "省水利厅"}, "xz": {"区农业农村局"}}
CATALOG = Catalog(records=RECORDS, units=[u for units in UNITS.values() for u in units])


def _ask(text: str) -> tuple[str, list[str], list[str], list[str]]:
    query = understand(text, CATALOG, UNITS)
    return query.intent, query.units, query.policies, query.unknown_places


def test_units_by_what_distinguishes_them() -> None:
    assert _ask("水务局要做哪些工作？")[1] == ["市水务局"]  # the kind of body written out: 局, not 管理局
    assert "市商务局" not in _ask("水务局要做哪些工作？")[1]
    assert _ask("住建局负责哪些任务")[1] == ["市住房城乡建设局"]
    assert _ask("住建厅在节水这块要干哪些活？")[1] == ["省住房城乡建设厅"]
    assert sorted(_ask("供电公司要干哪些活？")[1]) == ["国网洛阳供电公司", "青岛供电公司"]  # ambiguous: both


def test_a_plan_named_by_place_level_or_title() -> None:
    assert _ask("洛阳的单位工业增加值能耗要降多少？")[2] == ["ly"]
    assert _ask("按省里的方案，用水总量控制在多少？")[2] == ["hn"]
    assert _ask("供电公司在这个工业碳达峰方案里要干哪些活？")[2:] == (["ly"], [])
    assert _ask("叙州区农村自来水普及率要达到多少？")[2] == ["xz"]
    intent, units, policies, unknown = _ask("供电公司在这个工业碳达峰方案里要干哪些活？")
    assert (intent, units) == ("agency_tasks", ["国网洛阳供电公司"])


def test_a_place_no_plan_is_for() -> None:
    assert _ask("长治市PM2.5平均浓度目标是多少？")[2:] == ([], ["长治市"])
    assert _ask("海绵城市这一块是谁负责？")[2:] == ([], [])


def test_intent_and_years() -> None:
    query = understand("“十四五”末和2030年的用水总量分别是多少？", CATALOG, UNITS)
    assert query.intent == "target" and query.years == [2030, 2025]
    assert understand("旧版方案里的目标是多少？", CATALOG, UNITS).old_version


@pytest.mark.parametrize(("question", "units"), [
    ("省卫健委在这块要干哪些活？", ["省卫生健康委"]),  # the level written first picks that level's unit
    ("县供电公司要干啥？", ["国网梨树县供电公司"]),
    ("卫健委负责什么？", ["市卫生健康委", "省卫生健康委"]),  # no level: each unit it may be
    ("海事处要干哪些活？", ["宁波海事局北仑海事处"]),  # the longest mention, not its tail 事处 (…街道办事处)
    ("市卫生健康委负责什么？", ["市卫生健康委"]),  # a name written in full is that unit only
])
def test_units_by_level_and_longest_mention(question: str, units: list[str]) -> None:
    catalog = Catalog(units=["宁波海事局北仑海事处", "各街道办事处", "春晓街道办事处", "市卫生健康委", "省卫生健康委",
                             "青岛供电公司", "国网梨树县供电公司"])
    assert catalog.units_in(question) == units


def test_last_years_version_is_the_old_version() -> None:
    assert understand("去年版方案里，经常参加体育锻炼人数比例定的是多少？", Catalog()).old_version
