"""Whole plans against their hand-made gold tables: the Qingdao plan and the tests/data/plans fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.policies import Policy, read_policy
from assistant.scoring import load_gold, score_table

ROOT = Path(__file__).parent.parent
PLANS = Path(__file__).parent / "data" / "plans"

CASES = {
    "qingdao_urban_rural_carbon_peak": (ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt",
                                        ROOT / "eval" / "gold" / "qingdao_urban_rural_carbon_peak.json"),
    **{p.stem: (p, p.with_suffix(".expected.json")) for p in sorted(PLANS.glob("*.txt"))},
}
FIXTURES = ["plan_appendix", "plan_body_sentence", "plan_inline_lead", "plan_lead_colleague"]
# (gold items, gold unit pairs, gold lead pairs, gold targets) as counted when these tests were written
SIZES = {
    "qingdao_urban_rural_carbon_peak": (22, 92, 15, 42),
    "plan_appendix": (8, 34, 8, 11),
    "plan_body_sentence": (10, 36, 9, 19),
    "plan_inline_lead": (12, 35, 11, 16),
    "plan_lead_colleague": (8, 39, 8, 25),
}
TARGET_FIELDS = ("value", "unit", "year", "deadline_kind", "comparator", "baseline_year")


def _parse(stem: str) -> tuple[Policy, dict[str, Any]]:
    path, gold_path = CASES[stem]
    gold = load_gold(gold_path)
    return read_policy(path, policy=gold["policy"]), gold


def test_every_fixture_has_a_gold_table() -> None:
    assert sorted(CASES) == sorted(FIXTURES + ["qingdao_urban_rural_carbon_peak"])
    for path, gold in CASES.values():
        assert path.exists() and gold.exists()


@pytest.mark.parametrize("stem", sorted(CASES))
def test_scores_against_gold(stem: str) -> None:
    policy, gold = _parse(stem)
    report = score_table(policy.tasks, gold)
    items, units, leads, targets = SIZES[stem]
    assert report["items"] == {"precision": 1.0, "recall": 1.0, "gold": items, "found": items, "hit": items}
    assert report["units"] == {"precision": 1.0, "recall": 1.0, "gold": units, "found": units, "hit": units}
    assert report["leads"] == {"precision": 1.0, "recall": 1.0, "gold": leads, "found": leads, "hit": leads}
    # the floor is 0.95; every target is found today, so hold that
    assert report["targets"] == {"precision": 1.0, "recall": 1.0, "gold": targets, "found": targets, "hit": targets}
    assert report["missing_targets"] == [] and report["extra_targets"] == []
    assert report["mismatched_units"] == []


@pytest.mark.parametrize("stem", sorted(CASES))
def test_rows_match_gold_field_by_field(stem: str) -> None:
    policy, gold = _parse(stem)
    tasks = policy.tasks
    assert [t.id for t in tasks] == [g["id"] for g in gold["items"]]
    for task, expected in zip(tasks, gold["items"]):
        # the schema numbers sub-items "1"; the fixture gold writes the printed "1."
        number = expected["number"].rstrip(".") if task.parent else expected["number"]
        assert (task.chapter, task.chapter_title, task.number, task.title) == (
            expected["chapter"], expected["chapter_title"], number, expected["title"]), task.id
        assert (task.agencies, task.lead_agency) == (expected["agencies"], expected["lead_agency"]), task.id
        found = [tuple(getattr(t, f) for f in TARGET_FIELDS) for t in task.targets]
        wanted = [tuple(t[f] for f in TARGET_FIELDS) for t in expected["targets"]]
        assert found == wanted, task.id
        for target, gold_target in zip(task.targets, expected["targets"]):
            # our quote may run back to the year that governs it; it always covers the gold quote
            assert gold_target["quote"] in target.quote, task.id
            assert target.quote in task.text, task.id


@pytest.mark.parametrize("stem", sorted(CASES))
def test_gold_quotes_are_in_the_repaired_text(stem: str) -> None:
    policy, gold = _parse(stem)
    text = policy.document.text
    for item in gold["items"]:
        for target in item["targets"]:
            assert target["quote"] in text


def test_score_table_reports_mismatches() -> None:
    policy, gold = _parse("plan_inline_lead")
    broken = json.loads(json.dumps(gold))
    broken["items"][1]["agencies"] = ["市财政局"]
    broken["items"][1]["lead_agency"] = "市财政局"
    broken["items"][1]["targets"][0]["value"] = 6
    report = score_table(policy.tasks, broken)
    assert (report["units"]["hit"], report["units"]["gold"], report["units"]["found"]) == (33, 33, 35)
    assert report["leads"]["precision"] == round(10 / 11, 4)
    assert report["missing_targets"] == ["('二（一）', 6.0, '家', 2025)"]
    assert report["extra_targets"] == ["('二（一）', 5.0, '家', 2025)"]
    assert [m["id"] for m in report["mismatched_units"]] == ["二（一）"]
