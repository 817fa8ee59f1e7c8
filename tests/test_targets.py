"""targets: comparators, years, deadline kinds, baselines and scope thresholds on small sentences."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.schema import Target, Threshold
from assistant.targets import extract


def T(metric: str, comparator: str, value: float | None, unit: str | None, quote: str, year: int | None = None,
      kind: str | None = None, baseline: int | None = None) -> Target:
    return Target.model_validate({"metric": metric, "year": year, "deadline_kind": kind, "comparator": comparator,
                                  "value": value, "unit": unit, "baseline_year": baseline, "quote": quote})


def _targets(*sentences: str) -> list[Target]:
    targets, _ = extract(list(sentences))
    return targets


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("到2025年，装配式建筑占新建建筑比例达到50%。",
         T("装配式建筑占新建建筑比例", "=", 50, "%", "到2025年，装配式建筑占新建建筑比例达到50%", 2025, "by")),
        ("2030年前，城乡建设领域碳排放达到峰值。",
         T("城乡建设领域碳排放", "peak", None, None, "2030年前，城乡建设领域碳排放达到峰值", 2030, "before")),
        ("确保2030年前建筑领域碳排放达到峰值。",
         T("建筑领域碳排放", "peak", None, None, "确保2030年前建筑领域碳排放达到峰值", 2030, "before")),
        ("到2025年，单位面积能耗比2020年下降5个百分点。",
         T("单位面积能耗", "reduce_by", 5, "个百分点", "到2025年，单位面积能耗比2020年下降5个百分点", 2025, "by", 2020)),
        ("到2030年，公共建筑单位面积能耗比2020年下降10%。",
         T("公共建筑单位面积能耗", "reduce_by", 10, "%", "到2030年，公共建筑单位面积能耗比2020年下降10%", 2030, "by", 2020)),
        ("到2025年，城镇新建建筑能效比2020年提高5个百分点。",
         T("城镇新建建筑能效", "increase_by", 5, "个百分点", "到2025年，城镇新建建筑能效比2020年提高5个百分点", 2025, "by",
           2020)),
        ("每年新增绿色建筑项目100个。", T("新增绿色建筑项目", "=", 100, "个", "每年新增绿色建筑项目100个", None, "annual")),
        ("到2025年，80%以上县级机关达到节约型机关创建要求。",
         T("县级机关", ">=", 80, "%", "到2025年，80%以上县级机关达到节约型机关创建要求", 2025, "by")),
        ("新建建筑施工现场建筑垃圾排放量不高于300吨/万平方米。",
         T("新建建筑施工现场建筑垃圾排放量", "<=", 300, "吨/万平方米", "新建建筑施工现场建筑垃圾排放量不高于300吨/万平方米")),
        ("屋顶光伏覆盖率力争达45%。", T("屋顶光伏覆盖率", "=", 45, "%", "屋顶光伏覆盖率力争达45%")),
        ("新建厂房屋顶光伏覆盖率力争达到50%。", T("新建厂房屋顶光伏覆盖率", "=", 50, "%", "新建厂房屋顶光伏覆盖率力争达到50%")),
        ("到2030年，全市完整社区覆盖率提高到60%以上。",
         T("完整社区覆盖率", ">=", 60, "%", "到2030年，全市完整社区覆盖率提高到60%以上", 2030, "by")),
        ("污泥无害化处置率达到95%以上。", T("污泥无害化处置率", ">=", 95, "%", "污泥无害化处置率达到95%以上")),
        ("城市公共供水管网漏损率控制在9%以内。", T("城市公共供水管网漏损率", "<=", 9, "%", "城市公共供水管网漏损率控制在9%以内")),
        ("全市储备移动泵车不少于30辆。", T("储备移动泵车", ">=", 30, "辆", "全市储备移动泵车不少于30辆")),
        ("道路红线宽度不超过40米。", T("道路红线宽度", "<=", 40, "米", "道路红线宽度不超过40米")),
        ("主城区道路网密度大于8公里/平方公里。", T("主城区道路网密度", ">", 8, "公里/平方公里", "主城区道路网密度大于8公里/平方公里")),
        ("到2030年，轨道交通运营总里程数突破500公里。",
         T("轨道交通运营总里程数", ">", 500, "公里", "到2030年，轨道交通运营总里程数突破500公里", 2030, "by")),
        ("建筑用电占建筑能耗比例超过65%。", T("建筑用电占建筑能耗比例", ">", 65, "%", "建筑用电占建筑能耗比例超过65%")),
        ("到2025年，累计建成绿色建筑面积1.5亿平方米以上。",
         T("累计建成绿色建筑面积", ">=", 1.5, "亿平方米", "到2025年，累计建成绿色建筑面积1.5亿平方米以上", 2025, "by")),
        ("到2024年底，完成排水管网普查检测3000公里。",
         T("完成排水管网普查检测", "=", 3000, "公里", "到2024年底，完成排水管网普查检测3000公里", 2024, "by")),
        ("2025年底前，完成改造10个。", T("完成改造", "=", 10, "个", "2025年底前，完成改造10个", 2025, "by")),
        ("其中，2025年前完成10个。", T("完成", "=", 10, "个", "2025年前完成10个", 2025, "before")),
        ("“十四五”期间，新增城市公园20个。",
         T("新增城市公园", "=", 20, "个", "“十四五”期间，新增城市公园20个", 2025, "during")),
        ("到“十四五”末，新增城市公园20个。",
         T("新增城市公园", "=", 20, "个", "到“十四五”末，新增城市公园20个", 2025, "by")),
        ("完成改造200余个。", T("完成改造", ">=", 200, "个", "完成改造200余个")),
        ("新建居住建筑执行83%节能标准。", T("新建居住建筑节能标准", "=", 83, "%", "新建居住建筑执行83%节能标准")),
        ("绿色建筑占比提高20%。", T("绿色建筑占比", "increase_by", 20, "%", "绿色建筑占比提高20%")),
    ],
)
def test_single_target(sentence: str, expected: Target) -> None:
    assert _targets(sentence) == [expected]


def test_year_heading_a_sentence_applies_until_another_year() -> None:
    sentence = ("到2025年，规划建设绿色生态城区不低于5个，零碳试验区不低于1个；"
                "到2030年，全市完整社区覆盖率提高到60%以上，绿色社区创建比例不低于70%。")
    assert _targets(sentence) == [
        T("规划建设绿色生态城区", ">=", 5, "个", "到2025年，规划建设绿色生态城区不低于5个", 2025, "by"),
        T("零碳试验区", ">=", 1, "个", "到2025年，规划建设绿色生态城区不低于5个，零碳试验区不低于1个", 2025, "by"),
        T("完整社区覆盖率", ">=", 60, "%", "到2030年，全市完整社区覆盖率提高到60%以上", 2030, "by"),
        T("绿色社区创建比例", ">=", 70, "%", "到2030年，全市完整社区覆盖率提高到60%以上，绿色社区创建比例不低于70%", 2030, "by"),
    ]


def test_a_new_sentence_without_a_year_has_none() -> None:
    assert _targets("到2025年，绿色建筑占比达到100%。", "城市公共供水管网漏损率控制在8%以内。") == [
        T("绿色建筑占比", "=", 100, "%", "到2025年，绿色建筑占比达到100%", 2025, "by"),
        T("城市公共供水管网漏损率", "<=", 8, "%", "城市公共供水管网漏损率控制在8%以内"),
    ]


def test_several_quantities_in_one_clause() -> None:
    assert _targets("到2026年，改造供水管网150公里、排水管网120公里。") == [
        T("改造供水管网", "=", 150, "公里", "到2026年，改造供水管网150公里、排水管网120公里", 2026, "by"),
        T("排水管网", "=", 120, "公里", "到2026年，改造供水管网150公里、排水管网120公里", 2026, "by"),
    ]


def test_verb_before_an_absolute_quantity_is_part_of_the_metric() -> None:
    assert _targets("到2025年，累计实施既有建筑节能改造和能效提升6380万平方米，改造后整体能效提升不低于20%。") == [
        T("累计实施既有建筑节能改造和能效提升", "=", 6380, "万平方米",
          "到2025年，累计实施既有建筑节能改造和能效提升6380万平方米", 2025, "by"),
        T("改造后整体能效提升", ">=", 20, "%",
          "到2025年，累计实施既有建筑节能改造和能效提升6380万平方米，改造后整体能效提升不低于20%", 2025, "by"),
    ]


@pytest.mark.parametrize(
    ("sentence", "thresholds"),
    [
        ("城镇新建5000平方米以上的公共建筑全面执行绿色建筑标准。",
         [Threshold(value=5000, unit="平方米", quote="城镇新建5000平方米以上的公共建筑全面执行绿色建筑标准")]),
        ("单体建筑面积2万平方米以上的大型公共建筑执行二星级标准。",
         [Threshold(value=2, unit="万平方米", quote="单体建筑面积2万平方米以上的大型公共建筑执行二星级标准")]),
        ("单体建筑面积2万平方米以上大型公共建筑执行二星级标准。",
         [Threshold(value=2, unit="万平方米", quote="单体建筑面积2万平方米以上大型公共建筑执行二星级标准")]),
    ],
)
def test_scope_thresholds_are_not_targets(sentence: str, thresholds: list[Threshold]) -> None:
    assert extract([sentence]) == ([], thresholds)


def test_threshold_stays_in_the_next_targets_metric() -> None:
    targets, thresholds = extract(["产值过50亿元的企业达到15家。"])
    assert targets == [T("产值过50亿元的企业", "=", 15, "家", "产值过50亿元的企业达到15家")]
    assert thresholds == [Threshold(value=50, unit="亿元", quote="产值过50亿元的企业达到15家")]


@pytest.mark.parametrize(
    "sentence",
    [
        "重点改造2000年底前建成的老旧小区。",
        "出水达到地表水准IV类水标准。",
        "执行二星级及以上绿色建筑标准。",
        "构建十五分钟生活圈。",
        "2030年前，城乡建设绿色发展体制机制基本建立。",
        "城乡建设领域碳排放达到峰值。",
        "建成3级标准站点。",
        "",
    ],
)
def test_no_targets(sentence: str) -> None:
    assert extract([sentence]) == ([], [])


def test_targets_keep_sentence_order_and_fields() -> None:
    targets = _targets("到2025年，新建改造市区排水管网110公里，污泥无害化处置率达到95%以上，再生水利用率达55%以上。")
    fields: list[tuple[Any, ...]] = [(t.value, t.unit, t.comparator, t.year, t.deadline_kind) for t in targets]
    assert fields == [(110, "公里", "=", 2025, "by"), (95, "%", ">=", 2025, "by"), (55, "%", ">=", 2025, "by")]
    assert [t.metric for t in targets] == ["新建改造市区排水管网", "污泥无害化处置率", "再生水利用率"]


@pytest.mark.parametrize(("sentence", "expected"), [
    # a compound measure word ending in 次
    ("抽检农资产品不少于300批次。", [(300, None, "批次", None)]),
    # a range whose lower end carries only 万 of the unit
    ("新增分布式光伏装机容量15万—20万千瓦。", [(15, 20, "万千瓦", None)]),
    # the year after the values, with any verb after 年底前
    ("新建集卡充换电站8座、加氢站2座，力争2026年底前全部投入运营。", [(8, None, "座", 2026), (2, None, "座", 2026)]),
    # a dated clause with no number dates the clause that follows it
    ("2025年底前建成全市统一的智慧养老服务平台，全市养老机构接入率达到100%。", [(100, None, "%", 2025)]),
])
def test_forms_of_round_d(sentence: str, expected: list[tuple[Any, ...]]) -> None:
    assert [(t.value, t.value_max, t.unit, t.year) for t in _targets(sentence)] == expected


def test_a_year_clause_with_a_peak_is_still_a_peak() -> None:
    targets = _targets("加强建筑用能管理，确保2030年前建筑领域碳排放达到峰值。")
    assert [(t.comparator, t.year, t.deadline_kind) for t in targets] == [("peak", 2030, "before")]
