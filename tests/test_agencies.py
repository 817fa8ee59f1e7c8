"""agencies: canonical names from the alias file, kinds, and every form of unit statement."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from assistant.agencies import (
    UnitList,
    canonical,
    kind_of,
    looks_like_unit,
    parse_body_lead,
    parse_unit_statement,
    role_phrases,
    split_units,
)


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("市住房和城乡建设局", "市住房城乡建设局"),
        ("市住建局", "市住建局"),  # an abbreviation stays as the plan writes it; questions match either
        ("市发展和改革委员会", "市发展改革委"),
        ("市发改委", "市发改委"),
        ("市自然资源与规划局", "市自然资源和规划局"),
        ("市卫生健康委员会", "市卫生健康委"),
        ("市城管局", "市城管局"),
        ("省住房和城乡建设厅", "省住房城乡建设厅"),
        ("区住房和城乡建设局", "区住房城乡建设局"),
        ("各区（市）", "各区市"),
        ("各区、市", "各区市"),
        ("各功能新区", "各功能区"),
        ("各县（市、区）", "各县市区"),
        ("各县（市、区）人民政府", "各县市区人民政府"),
        ("各县区", "各区县"),
        ("相关部门", "各有关部门"),
        ("有关部门", "各有关部门"),
        ("市财政局等有关部门", "市财政局"),
        ("市财政局等", "市财政局"),
        (" 市 财政局 。", "市财政局"),
        ("青岛地铁集团", "青岛地铁集团"),
        ("中国人民银行烟台市分行", "中国人民银行烟台市分行"),
    ],
)
def test_canonical(written: str, name: str) -> None:
    assert canonical(written) == name


def test_every_alias_in_the_data_file_maps_to_its_target() -> None:
    data = json.loads(resources.files("assistant").joinpath("data/agencies.json").read_text("utf-8"))
    for alias, target in data["aliases"].items():
        assert canonical("市" + alias) == "市" + target
    for alias, target in data["collective"].items():
        assert canonical(alias) == target


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("市住房城乡建设局", "department"),
        ("市发展改革委", "department"),
        ("市机关事务服务中心", "department"),
        ("市委金融办", "department"),
        ("青岛海关", "department"),
        ("各区市", "collective"),
        ("各县市区人民政府", "collective"),
        ("各有关部门", "collective"),
        ("市直有关单位", "collective"),
        ("青岛地铁集团", "enterprise"),
        ("青岛供电公司", "enterprise"),
        ("中国人民银行烟台市分行", "enterprise"),
        ("平阴县人民政府", "government"),
        ("市政府", "government"),
        ("西海岸新区", "government"),
        ("崂山区", "government"),
        ("胶州市", "government"),
        ("领导小组", "other"),
    ],
)
def test_kind_of(name: str, kind: str) -> None:
    assert kind_of(name) == kind


@pytest.mark.parametrize(
    ("name", "looks"),
    [
        ("市住房城乡建设局", True),
        ("各区市", True),
        ("青岛地铁集团", True),
        ("市", False),
        ("推进绿色建筑发展", False),
        ("市财政局，市民政局", False),
        ("30%", False),
        ("国家金融监督管理总局烟台监管分局和其他很多很多单位的名字", False),
    ],
)
def test_looks_like_unit(name: str, looks: bool) -> None:
    assert looks_like_unit(name) is looks


@pytest.mark.parametrize(
    ("text", "names", "etc"),
    [
        ("市住房城乡建设局、市财政局", ["市住房城乡建设局", "市财政局"], False),
        ("市住房城乡建设局、市财政局等", ["市住房城乡建设局", "市财政局"], True),
        ("市住房城乡建设局、市财政局等有关部门。", ["市住房城乡建设局", "市财政局"], True),
        ("市住房城乡建设局等部门推进", ["市住房城乡建设局"], False),
        ("市城市管理局、市住房城乡建设局、各县（市、区）人民政府", ["市城市管理局", "市住房城乡建设局", "各县市区人民政府"], False),
        ("市住房城乡建设局，市财政局；市民政局", ["市住房城乡建设局", "市财政局", "市民政局"], False),
        ("市住房城乡建设局、市住房和城乡建设局", ["市住房城乡建设局"], False),
        ("市住房城乡建设局、各区、市等", ["市住房城乡建设局", "各区市"], True),
        ("各县、市、区人民政府", ["各县市区人民政府"], False),
        ("各区市、市政府", ["各区市", "市政府"], False),
        ("市、区两级", [], False),
        ("", [], False),
    ],
)
def test_split_units(text: str, names: list[str], etc: bool) -> None:
    assert split_units(text) == (names, etc)


def _read(statement: str) -> tuple[list[str], list[str], bool, bool]:
    units = parse_unit_statement(statement)
    return units.leads, units.co, units.lead_inferred, units.etc


@pytest.mark.parametrize(
    ("statement", "leads", "co", "inferred", "etc"),
    [
        ("责任单位：市住房和城乡建设局、市发展和改革委员会、各区（市）、各功能新区等",
         ["市住房城乡建设局"], ["市发展改革委", "各区市", "各功能区"], True, True),
        ("责任单位：市住房城乡建设局、市自然资源和规划局",
         ["市住房城乡建设局"], ["市自然资源和规划局"], True, False),
        ("市城市管理局、市住房城乡建设局、各县（市、区）人民政府",
         ["市城市管理局"], ["市住房城乡建设局", "各县市区人民政府"], True, False),
        ("牵头单位：市自然资源和规划局；配合单位：市住房和城乡建设局、市交通运输局",
         ["市自然资源和规划局"], ["市住房城乡建设局", "市交通运输局"], False, False),
        ("牵头单位:市住房城乡建设局、市民政局;配合单位:市自然资源和规划局、各区县人民政府",
         ["市住房城乡建设局", "市民政局"], ["市自然资源和规划局", "各区县人民政府"], False, False),
        ("牵头单位：市住房城乡建设局；配合单位：市财政局、各区市等",
         ["市住房城乡建设局"], ["市财政局", "各区市"], False, True),
        ("市住房城乡建设局牵头，市财政局、市国资委按职责分工负责",
         ["市住房城乡建设局"], ["市财政局", "市国资委"], False, False),
        ("市住房城乡建设局、市行政审批服务局牵头，各区市政府负责落实",
         ["市住房城乡建设局", "市行政审批服务局"], ["各区市政府"], False, False),
        ("由市住房城乡建设局牵头，会同市发展改革委、市财政局",
         ["市住房城乡建设局"], ["市发展改革委", "市财政局"], False, False),
        ("市委金融办牵头，中国人民银行烟台市分行、国家金融监督管理总局烟台监管分局按职责分工负责",
         ["市委金融办"], ["中国人民银行烟台市分行", "国家金融监督管理总局烟台监管分局"], False, False),
    ],
)
def test_parse_unit_statement(statement: str, leads: list[str], co: list[str], inferred: bool, etc: bool) -> None:
    assert _read(statement) == (leads, co, inferred, etc)


def test_unit_list_names_and_details() -> None:
    units = parse_unit_statement("牵头单位：市住房城乡建设局、市民政局；配合单位：市民政局、青岛地铁集团、各区市")
    assert units.names == ["市住房城乡建设局", "市民政局", "青岛地铁集团", "各区市"]
    assert [(a.name, a.kind, a.role) for a in units.details()] == [
        ("市住房城乡建设局", "department", "lead"),
        ("市民政局", "department", "lead"),
        ("青岛地铁集团", "enterprise", "co"),
        ("各区市", "collective", "co"),
    ]
    assert units
    assert not UnitList()
    assert not parse_unit_statement("按照要求推进实施")


@pytest.mark.parametrize(
    ("sentence", "leads", "co"),
    [
        ("由市住房城乡建设局牵头，会同市发展改革委、市财政局、市民政局推进。",
         ["市住房城乡建设局"], ["市发展改革委", "市财政局", "市民政局"]),
        ("由市住房城乡建设局、市文化和旅游局牵头，会同市自然资源和规划局、各县（市、区）人民政府推进。",
         ["市住房城乡建设局", "市文化和旅游局"], ["市自然资源和规划局", "各县市区人民政府"]),
        ("市城市管理局牵头负责，会同市水利局、市自然资源与规划局、各县（市、区）人民政府组织实施。",
         ["市城市管理局"], ["市水利局", "市自然资源和规划局", "各县市区人民政府"]),
        ("市城市管理局牵头负责，市住房城乡建设局、市应急管理局、市大数据局配合。",
         ["市城市管理局"], ["市住房城乡建设局", "市应急管理局", "市大数据局"]),
        ("市住房城乡建设局牵头负责全市城乡建设领域碳达峰工作。", ["市住房城乡建设局"], []),
        ("（一）加强组织领导\n由市住房城乡建设局牵头，会同市财政局推进。", ["市住房城乡建设局"], ["市财政局"]),
        ("建立由市政府分管领导牵头的建筑业高质量发展工作协调机制。", [], []),
        ("加强部门协同，形成工作合力。", [], []),
    ],
)
def test_parse_body_lead(sentence: str, leads: list[str], co: list[str]) -> None:
    units = parse_body_lead(sentence)
    assert (units.leads, units.co, units.lead_inferred) == (leads, co, False)


@pytest.mark.parametrize(("statement", "leads", "co"), [
    # names no list knows count where the role words put them
    ("县财政局负责，中国农业发展银行梨树县支行、中国人民财产保险股份有限公司梨树支公司、县农业农村局配合",
     ["县财政局"], ["中国农业发展银行梨树县支行", "中国人民财产保险股份有限公司梨树支公司", "县农业农村局"]),
    ("牵头单位：市体育局；配合单位：市公安局、柳州广播电视台", ["市体育局"], ["市公安局", "柳州广播电视台"]),
])
def test_units_by_position(statement: str, leads: list[str], co: list[str]) -> None:
    units = parse_unit_statement(statement)
    assert (units.leads, units.co) == (leads, co)


def test_prose_with_role_words_is_not_a_unit_list() -> None:
    assert role_phrases("企业负责，群众参与") is None


@pytest.mark.parametrize(("name", "expected"), [
    ("各区（市）", "各区市"),
    ("各县（市、区）", "各县市区"),
    ("各乡镇人民政府（街道办事处）", "各乡镇人民政府（街道办事处）"),
    ("各省辖市人民政府（", "各省辖市人民政府"),
])
def test_collective_names_keep_what_is_not_a_level(name: str, expected: str) -> None:
    assert canonical(name) == expected
