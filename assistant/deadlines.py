"""Reading dates: a plan's 完成时限 (2025年6月底前, 2025年底前, 长期坚持), a task's due date, and a date typed by a user.

``due_date`` gives the date a task falls due and whether the plan states it (完成时限) or it is derived
from the year of the task's nearest target (that year's end). The exporter and the ledger both use it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .errors import BadValue
from .schema import Target, Task

ONGOING = ("长期坚持", "长期", "持续推进", "持续", "常态化", "每年", "逐年")
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_YEAR = r"(?P<year>(?:19|20)\d{2})\s*年"
_MONTH = r"(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月"
_DAY = r"(?P<day>3[01]|[12]\d|0?[1-9])\s*[日号]"
_FULL = re.compile(_YEAR + r"\s*" + _MONTH + r"\s*" + _DAY)
_MONTH_END = re.compile(_YEAR + r"\s*" + _MONTH + r"\s*(?:份)?\s*(?:底|末|前|内|$)")
_QUARTER = re.compile(_YEAR + r"\s*(?:第\s*)?(?P<q>[一二三四1-4])\s*季度")
_HALF = re.compile(_YEAR + r"\s*(?P<half>上|下)\s*半年")
_YEAR_ONLY = re.compile(_YEAR)
_ISO = re.compile(r"^\s*(?P<year>\d{4})\s*[-/.]\s*(?P<month>\d{1,2})\s*[-/.]\s*(?P<day>\d{1,2})\s*$")


@dataclass(frozen=True)
class Due:
    """When a task falls due: the date, whether the plan states it, and the words it comes from."""

    date: date | None  # None: ongoing work with no end (长期坚持)
    stated: bool
    text: str


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + (_CN_DIGITS[text[1]] if len(text) > 1 else 0)
    return _CN_DIGITS[text]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def read_deadline(text: str | None) -> date | None:
    """The last day a 完成时限 allows: 2025年6月底前 → 2025-06-30, 2025年底前 → 2025-12-31, 2025年第三季度 → 2025-09-30.

    None when the text names no date (长期坚持, 持续推进, empty). The latest date wins when several are named
    (2025年6月底前启动，2026年底前完成 → 2026-12-31).
    """
    if not text or not text.strip():
        return None
    found: list[date] = []
    for m in _FULL.finditer(text):
        try:
            found.append(date(int(m["year"]), _number(m["month"]), int(m["day"])))
        except ValueError:
            continue
    covered = [m.span() for m in _FULL.finditer(text)]
    for m in _MONTH_END.finditer(text):
        if not any(a <= m.start() < b for a, b in covered):
            found.append(_month_end(int(m["year"]), _number(m["month"])))
            covered.append(m.span())
    for m in _QUARTER.finditer(text):
        found.append(_month_end(int(m["year"]), 3 * _number(m["q"])))
        covered.append(m.span())
    for m in _HALF.finditer(text):
        found.append(_month_end(int(m["year"]), 6 if m["half"] == "上" else 12))
        covered.append(m.span())
    for m in _YEAR_ONLY.finditer(text):
        if not any(a <= m.start() < b for a, b in covered):
            found.append(date(int(m["year"]), 12, 31))
    return max(found) if found else None


def is_ongoing(text: str | None) -> bool:
    """True for 完成时限 that name continuing work rather than a date (长期坚持, 持续推进)."""
    return bool(text) and read_deadline(text) is None and any(word in (text or "") for word in ONGOING)


def target_due(targets: Iterable[Target], last: bool = False) -> date | None:
    """The end of the earliest (``last``: the latest) year a target of the task falls due (到2025年 / 2030年前),
    if any names a year."""
    years = [t.year for t in targets if t.year is not None and t.deadline_kind in ("by", "before", "during", None)]
    return date(max(years) if last else min(years), 12, 31) if years else None


def due_date(task: Task) -> Due:
    """When the task falls due: its 完成时限 if the plan gives one (stated), else its nearest target's year end (derived)."""
    stated = read_deadline(task.deadline)
    if stated is not None:
        return Due(stated, True, task.deadline or "")
    if is_ongoing(task.deadline):
        return Due(None, True, task.deadline or "")
    derived = target_due(task.targets)
    if derived is not None:
        return Due(derived, False, f"按目标年份推定：{derived.year}年底")
    return Due(None, False, "")


def parse_date(text: str) -> date:
    """A date a user typed: 2025-06-30, 2025/6/30, 2025.6.30, 2025年6月30日 or 2025年6月底. Raises BadValue."""
    raw = str(text).strip()
    m = _ISO.match(raw)
    try:
        if m:
            return date(int(m["year"]), int(m["month"]), int(m["day"]))
        m = _FULL.fullmatch(raw)
        if m:
            return date(int(m["year"]), _number(m["month"]), int(m["day"]))
        m = _MONTH_END.fullmatch(raw) or _MONTH_END.fullmatch(raw + "底")
        if m:
            return _month_end(int(m["year"]), _number(m["month"]))
    except ValueError:
        pass
    raise BadValue(f"无法识别的日期“{raw}”，请写成 2025-06-30 或 2025年6月30日")
