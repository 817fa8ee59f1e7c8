"""Wording: answers in the plan's words, 依据 lines, and citations checked against the clause they point to."""

from __future__ import annotations

from assistant.engine import Engine


def test_a_target_answer_quotes_the_plan_and_cites_the_clause(fake_engine: Engine) -> None:
    answer = fake_engine.ask("到2025年装配式建筑占新建建筑的比例要达到多少？")
    assert not answer.not_found and answer.targets
    cite = answer.citations[0]
    assert cite.quote in cite.text and cite.text[cite.start - _clause_start(fake_engine, cite):].startswith(cite.quote)
    assert "依据：" in answer.answer and cite.item_id in answer.answer


def test_an_agencies_answer_names_lead_and_co_units_from_the_row(fake_engine: Engine) -> None:
    answer = fake_engine.ask("打造绿色生态城区由哪些单位负责？")
    assert answer.lead_agency and answer.answer.startswith(f"牵头单位：{answer.lead_agency}")
    assert all(a in answer.answer for a in answer.co_agencies)
    assert answer.co_agencies == [a for a in answer.agencies if a != answer.lead_agency]


def test_not_found_lists_the_nearest_clauses(fake_engine: Engine) -> None:
    answer = fake_engine.ask("海上风电要装多少千瓦？")
    assert answer.not_found and answer.answer.startswith("文件未明确")
    assert "最相关的条款" in answer.answer and not answer.targets


def _clause_start(engine: Engine, cite) -> int:  # noqa: ANN001
    clause = engine.index().clause(cite.policy, cite.version, cite.item_id)
    assert clause is not None
    return clause.start
