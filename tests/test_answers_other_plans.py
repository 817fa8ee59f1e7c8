"""Answers over the four other-city fixture plans, one index, with the fake embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.engine import Engine
from assistant.settings import Settings

from conftest import DATA, FakeEmbedder


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("plans")
    corpus = root / "corpus"
    corpus.mkdir()
    for plan in (DATA / "plans").glob("*.txt"):
        shutil.copy(plan, corpus / plan.name)
    engine = Engine(Settings(corpus_dir=corpus, index_dir=root / "index"), FakeEmbedder())
    engine.ingest()
    return engine


def test_stated_lead_and_colleagues(engine: Engine) -> None:
    answer = engine.ask("全面提升绿色建筑水平由哪个部门牵头？")
    assert answer.lead_agency == "市住房城乡建设局" and "原文未写" not in answer.answer
    assert answer.citations[0].quote.startswith("（牵头单位：")


def test_units_from_an_appendix_table_cite_the_row(engine: Engine) -> None:
    answer = engine.ask("建设智慧排水管理平台的牵头单位是？")
    assert answer.agencies == ["市住房城乡建设局", "市大数据局", "市气象局", "各区县人民政府"]
    cite = answer.citations[0]
    assert "附件" in cite.title and cite.quote.split("\t")[1] == "建设智慧排水管理平台"


def test_deadline_from_the_appendix_table(engine: Engine) -> None:
    answer = engine.ask("建设智慧排水管理平台什么时候完成？")
    assert answer.answer.startswith("完成时限：2025年6月底前")


def test_sub_item_units(engine: Engine) -> None:
    answer = engine.ask("推进燃气管道老化更新改造由谁负责？")
    assert answer.citations[0].item_id == "二（二）1" and answer.lead_agency == "市城市管理局"


def test_unit_tasks_grouped_by_plan(engine: Engine) -> None:
    answer = engine.ask("市大数据局负责哪些任务？")
    assert answer.answer.count("《") == 2 and len(answer.citations) == 3
