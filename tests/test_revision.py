"""End to end: a revised plan is ingested beside the original; the diff, the answers and the eval see exactly the edits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.diff import diff_policies
from assistant.engine import Engine
from assistant.evaluation import compare, load_questions, run_eval
from assistant.policies import read_policy
from assistant.settings import Settings

from conftest import DATA, QINGDAO, FakeEmbedder

REVISION = DATA / "revision"
V2 = REVISION / "qingdao_urban_rural_carbon_peak_v2.txt"


def _expected() -> dict:
    return json.loads((REVISION / "expected_diff.json").read_text("utf-8"))


def test_diff_reports_exactly_the_edits() -> None:
    diff = diff_policies(read_policy(QINGDAO), read_policy(V2))
    expected = _expected()
    assert (diff.old_version, diff.new_version) == ("v1", "v2")
    assert [m.model_dump() for m in diff.added_items] == expected["added_items"]
    assert diff.removed_items == []
    assert [m.model_dump() for m in diff.renumbered] == expected["renumbered"]
    got_targets = sorted((t.item_new, t.metric, t.field, t.old, t.new) for t in diff.target_changes)
    want_targets = sorted((t["item_new"], t["metric"], t["field"], t["old"], t["new"]) for t in expected["target_changes"])
    assert got_targets == want_targets
    units = {a.item_new: a for a in diff.agency_changes}
    assert set(units) == {"四（十五）", "二（五）"}
    assert (units["四（十五）"].added, units["四（十五）"].removed) == (["市工业和信息化局"], ["市城市管理局"])
    assert (units["二（五）"].lead_old, units["二（五）"].lead_new) == ("市住房城乡建设局", "市城市管理局")
    assert units["二（五）"].added == units["二（五）"].removed == []
    assert diff.wording_changed_items == expected["wording_changed_items"] == []


@pytest.mark.parametrize("other", [QINGDAO, REVISION / "qingdao_clean_copy.txt"])
def test_no_changes_for_identical_or_presentation_only_copies(other: Path) -> None:
    diff = diff_policies(read_policy(QINGDAO), read_policy(other))
    assert diff.identical, diff.model_dump()


def test_answers_and_eval_follow_the_revision(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(QINGDAO, corpus / QINGDAO.name)
    engine = Engine(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEmbedder())
    engine.ingest()
    questions = load_questions(REVISION / "questions.jsonl")
    baseline = run_eval(engine.assistant(), questions)
    assert baseline.metrics["accuracy"] == 1.0, [r for r in baseline.records if not r["correct"]]

    shutil.copy(V2, corpus / V2.name)
    engine.ingest()
    revised = run_eval(engine.assistant(), questions)
    comparison = compare(revised, {"metrics": baseline.metrics, "records": baseline.records})
    assert sorted(c["id"] for c in comparison["changed"]) == ["r01", "r02", "r03", "r04"]
    assert comparison["regressed"] is True  # the old gold no longer holds for the four edited answers

    new = engine.ask("装配式建筑占城镇新建建筑的比例到2025年要达到多少？")
    old = engine.ask("装配式建筑占城镇新建建筑的比例到2025年要达到多少？", version="v1")
    asked_old = engine.ask("旧版中装配式建筑占城镇新建建筑的比例到2025年要达到多少？")
    assert (new.targets[0].value, new.version, new.citations[0].version) == (55.0, "v2", "v2")
    assert (old.targets[0].value, old.version, old.citations[0].version) == (50.0, "v1", "v1")
    assert asked_old.targets[0].value == 50.0 and "v1 版" in asked_old.answer
    assert new.citations[0].item_id == "四（十四）" and old.citations[0].item_id == "四（十三）"


def test_uploading_a_changed_file_of_the_same_name_adds_a_version(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    engine = Engine(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), FakeEmbedder())
    original = QINGDAO.read_bytes()
    first = engine.save_upload(QINGDAO.name, original)
    assert engine.save_upload(QINGDAO.name, original) == first  # the same file again changes nothing
    second = engine.save_upload(QINGDAO.name, V2.read_bytes())
    assert second.name == "qingdao_urban_rural_carbon_peak_v2.txt" and first.read_bytes() == original
    engine.ingest()
    assert engine.ask("装配式建筑占城镇新建建筑的比例到2025年要达到多少？").targets[0].value == 55.0
