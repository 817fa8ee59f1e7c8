"""Reading 完成时限, due dates of tasks and dates typed by users."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.deadlines import due_date, is_ongoing, parse_date, read_deadline, target_due
from assistant.errors import BadValue
from assistant.schema import Target, Task


@pytest.mark.parametrize(("text", "expected"), [
    ("2025年6月底前", date(2025, 6, 30)),
    ("2025年底前", date(2025, 12, 31)),
    ("2025年年底前", date(2025, 12, 31)),
    ("2026 年 2 月底", date(2026, 2, 28)),
    ("2024年2月底前", date(2024, 2, 29)),
    ("2025年9月30日前", date(2025, 9, 30)),
    ("2025年十二月底前", date(2025, 12, 31)),
    ("2025年第三季度", date(2025, 9, 30)),
    ("2025年上半年", date(2025, 6, 30)),
    ("2025年6月底前启动，2026年底前完成", date(2026, 12, 31)),
    ("长期坚持", None),
    ("持续推进", None),
    ("", None),
    (None, None),
])
def test_read_deadline(text: str | None, expected: date | None) -> None:
    assert read_deadline(text) == expected


def test_ongoing_words_are_not_dates() -> None:
    assert is_ongoing("长期坚持") and is_ongoing("持续推进")
    assert not is_ongoing("2025年底前") and not is_ongoing(None)


def _task(deadline: str | None = None, targets: list[Target] | None = None) -> Task:
    return Task(policy="p", id="二（一）", chapter="二", chapter_title="", number="（一）", title="t", text="t",
                deadline=deadline, targets=targets or [])


def _target(year: int | None, kind: str | None = "by") -> Target:
    return Target(metric="m", year=year, deadline_kind=kind, comparator=">=", value=1, quote="q")  # type: ignore[arg-type]


def test_stated_deadline_wins_over_target_years() -> None:
    due = due_date(_task("2025年6月底前", [_target(2030)]))
    assert due.date == date(2025, 6, 30) and due.stated and due.text == "2025年6月底前"


def test_derived_from_the_nearest_target_year() -> None:
    due = due_date(_task(None, [_target(2030), _target(2025), _target(None), _target(2027, "annual")]))
    assert due.date == date(2025, 12, 31) and not due.stated and "2025" in due.text
    assert target_due([_target(2030, "before")]) == date(2030, 12, 31)


def test_ongoing_and_undated_tasks_have_no_date() -> None:
    assert due_date(_task("长期坚持")).date is None and due_date(_task("长期坚持")).stated
    assert due_date(_task()).date is None and not due_date(_task()).stated


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-06-30", date(2025, 6, 30)), ("2025/6/3", date(2025, 6, 3)), ("2025.06.30", date(2025, 6, 30)),
    ("2025年6月30日", date(2025, 6, 30)), ("2025年6月底", date(2025, 6, 30)), (" 2025年6月 ", date(2025, 6, 30)),
])
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["明年", "2025-13-01", "2025-02-30", "30/06/2025", "", "2025"])
def test_unreadable_dates_are_refused_in_chinese(text: str) -> None:
    with pytest.raises(BadValue, match="无法识别的日期"):
        parse_date(text)
