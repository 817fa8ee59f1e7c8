"""Ranking within retrieved items: which target answers, by year, measure word, rate base and stated value."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.engine import Engine
from assistant.ranking import Weights, own_part, stated_quantities
from assistant.schema import Target
from assistant.settings import Settings

PLAN = """某市医疗卫生服务能力提升工作方案

一、主要任务
（一）加强卫生人才队伍建设。到2027年，每万常住人口全科医生数达到4.2人，每千常住人口执业（助理）医师数达到3.4人。（市卫生健康委牵头，市人力资源社会保障局配合）
（二）推进医疗设施建设。到2026年，新建社区卫生服务中心12个；到2027年，新建社区卫生服务中心20个，基层医疗卫生机构床位总数达到8000张。（市卫生健康委、市发展改革委负责）
（三）降低群众就医负担。到2027年，个人卫生支出占卫生总费用比例下降到25%以内。（市医保局牵头）
（四）改善城市空气质量。到2027年，细颗粒物（PM2.5）平均浓度控制在35微克/立方米以内。（市生态环境局牵头）
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from conftest import FakeEmbedder

    root = tmp_path_factory.mktemp("ranking")
    (root / "corpus").mkdir()
    (root / "corpus" / "health.txt").write_text(PLAN, "utf-8")
    engine = Engine(Settings(corpus_dir=root / "corpus", index_dir=root / "index"), FakeEmbedder())
    engine.ingest()
    return engine


def test_the_year_asked_picks_the_target_of_that_year(engine: Engine) -> None:
    assert engine.ask("到2026年要新建多少个社区卫生服务中心？").targets[0].value == 12
    assert engine.ask("到2027年要新建多少个社区卫生服务中心？").targets[0].value == 20


def test_the_measure_word_asked_picks_the_target_in_it(engine: Engine) -> None:
    answer = engine.ask("基层医疗卫生机构床位要达到多少张？")
    assert (answer.targets[0].value, answer.targets[0].unit) == (8000, "张")


def test_a_rate_on_another_base_does_not_answer(engine: Engine) -> None:
    """每千人口 is not answered by a 每万人口 figure, nor the other way round."""
    assert engine.ask("每万常住人口全科医生数要达到多少？").targets[0].value == 4.2
    assert engine.ask("每千人口执业医师数要达到多少？").targets[0].value == 3.4
    assert all(t.value != 4.2 for t in engine.ask("每千人口全科医生数要达到多少？").targets)


def test_a_target_is_read_by_its_own_part_of_a_shared_sentence() -> None:
    quote = "到2027年，每万常住人口全科医生数达到4.2人，每千常住人口执业（助理）医师数达到3.4人"
    gp, doctors = (Target(metric=m, comparator=">=", value=v, unit="人", year=2027, quote=quote)
                   for m, v in (("每万常住人口全科医生数", 4.2), ("每千常住人口执业（助理）医师数", 3.4)))
    assert own_part(doctors, [gp, doctors]) == "到2027年，每千常住人口执业（助理）医师数达到3.4人"
    assert own_part(gp, [gp, doctors]) == "到2027年，每万常住人口全科医生数达到4.2人，"
    assert own_part(gp, [gp]) == quote


def test_values_stated_in_a_question() -> None:
    assert stated_quantities("比例达到七成、百分之六十还是一半？") == {(70.0, "%"), (60.0, "%"), (50.0, "%")}
    assert (500.0, "公里") in stated_quantities("地铁总里程突破500公里是哪年？")


def test_weights_are_one_value() -> None:
    weights = Weights()
    assert weights.min_relevance > weights.min_target_relevance
    with pytest.raises(AttributeError):
        weights.min_relevance = 0.1  # type: ignore[misc]


@pytest.mark.parametrize(("question", "value"), [
    ("PM2.5平均浓度要控制在多少？", 35),
    ("每万人口全科医生数要达到多少？", 4.2),
    ("臭氧浓度要控制在多少？", None),  # the plan never names 臭氧: PM2.5 is another subject
    ("每千人口注册护士数要达到多少？", None),  # nor 护士: 执业医师 is another subject
])
def test_a_target_about_another_subject_is_not_an_answer(engine: Engine, question: str, value: float | None) -> None:
    answer = engine.ask(question)
    assert [t.value for t in answer.targets] == ([value] if value is not None else [])
    assert answer.not_found == (value is None)


def test_measure_families_asked_by_words() -> None:
    from assistant.ranking import _unit_cues

    assert any("万亩" in family for family in _unit_cues("粮食播种面积要稳定在多少？"))  # 面积 in 亩 too
    assert not _unit_cues("万元工业增加值用水量要控制在多少以内？")  # 万元 is a rate's base here, not money
    assert ("元", "万元", "亿元") in _unit_cues("补贴资金要安排多少万元？")
