from __future__ import annotations

import pytest

from assistant.answers import Conversation
from assistant.questions import clean_question, detect_intent
from assistant.errors import QuestionError


@pytest.mark.parametrize(("question", "intent"), [
    ("打造绿色生态城区由哪些单位负责？", "agencies"),
    ("这事谁牵头？", "agencies"),
    ("到2025年装配式建筑比例要达到多少？", "target"),
    ("地铁要修到多长？", "target"),
    ("城市建成区绿地率达到40%要在哪一年实现？", "deadline"),
    ("“光储直柔”指的是什么？", "general"),
])
def test_intent(question: str, intent: str) -> None:
    assert detect_intent(question) == intent


def test_unit_tasks_intent_needs_a_named_unit() -> None:
    assert detect_intent("市住房城乡建设局负责哪些任务？", True) == "agency_tasks"
    assert detect_intent("负责哪些任务？", False) == "general"


@pytest.mark.parametrize("bad", ["", "   ", "？？！！", "\x00\x01", 42, None])
def test_bad_questions_get_a_plain_message(bad: object) -> None:
    with pytest.raises(QuestionError):
        clean_question(bad, 500)


def test_too_long_question() -> None:
    with pytest.raises(QuestionError, match="太长"):
        clean_question("问" * 501, 500)
    assert clean_question(" 谁\x00负责？\u200b ", 500) == "谁负责?"


def test_agencies_answer_is_the_table_row_with_a_checked_citation(fake_engine) -> None:  # noqa: ANN001
    answer = fake_engine.ask("打造绿色生态城区的责任单位有哪些？")
    assert answer.intent == "agencies" and not answer.not_found
    assert answer.agencies == ["市住房城乡建设局", "市自然资源和规划局", "各区市", "各功能区"]
    assert answer.lead_agency == "市住房城乡建设局"
    cite = answer.citations[0]
    assert (cite.chapter, cite.number, cite.title) == ("二", "（二）", "打造绿色生态城区")
    assert cite.quote.startswith("（责任单位：") and cite.quote in cite.text
    assert "按所列第一家推定" in answer.answer


def test_target_answer_gives_metric_year_value_unit(fake_engine) -> None:  # noqa: ANN001
    answer = fake_engine.ask("到2025年，装配式建筑占城镇新建建筑的比例达到多少？")
    target = answer.targets[0]
    assert (target.year, target.value, target.unit, target.comparator) == (2025, 50.0, "%", "=")
    assert answer.citations[0].item_id == "四（十三）" and "50%" in answer.citations[0].quote


def test_followup_uses_the_previous_turn(fake_engine) -> None:  # noqa: ANN001
    conversation = Conversation()
    first = fake_engine.ask("到2025年，轨道交通运营总里程数要达到多少？", conversation)
    assert first.targets[0].value == 351.6
    second = fake_engine.ask("那2030年呢？", conversation)
    assert (second.targets[0].year, second.targets[0].value, second.targets[0].comparator) == (2030, 500.0, ">")
    third = fake_engine.ask("由谁负责？", conversation)
    assert third.lead_agency == "市自然资源和规划局" and "青岛地铁集团" in third.agencies


def test_unit_tasks_lists_lead_and_co_tasks(fake_engine) -> None:  # noqa: ANN001
    answer = fake_engine.ask("住建局负责哪些任务？")
    assert answer.intent == "agency_tasks" and answer.agencies == ["市住房城乡建设局"]
    cited = [c.item_id for c in answer.citations]
    assert len(cited) == 15 and "五（十五）" in cited and "二（一）" in cited


def test_not_in_document_is_said_plainly_without_numbers(fake_engine) -> None:  # noqa: ANN001
    answer = fake_engine.ask("海上风电要装多少千瓦？")
    assert answer.not_found and answer.targets == [] and answer.answer.startswith("文件未明确")
    answer = fake_engine.ask("组建产业技术创新联盟由哪个单位牵头？")
    assert answer.not_found and answer.agencies == []


def test_year_the_plan_does_not_set(fake_engine) -> None:  # noqa: ANN001
    answer = fake_engine.ask("到2035年装配式建筑占城镇新建建筑的比例达到多少？")
    assert answer.not_found and "2035" in answer.answer
