"""Quantitative targets and scope thresholds in a clause's sentences.

A sentence is cut into clauses at ，；： outside brackets. A deadline at the head of a clause
(到2025年 / 2030年前 / 2025年底前 / 每年 / “十四五”期间) governs every target after it in the
sentence until another deadline appears. Each number with a unit becomes a target with a
comparator (≥ 以上/不低于, ≤ 以内/不超过, > 突破/大于, = 达到, reduce_by 比2020年下降…), unless it
only delimits scope (5000平方米以上的公共建筑), which makes it a threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema import Comparator, DeadlineKind, Target, Threshold

_COMPOSITE = ["吨/万平方米", "公里/平方公里", "千瓦时/平方米", "千克标准煤/平方米", "吨标准煤", "个百分点", "百分点"]
_BASE = ["平方公里", "平方米", "公里", "千米", "米", "千瓦时", "千瓦", "兆瓦", "吨", "户", "辆", "人", "元", "个", "家", "座",
         "所", "处", "条", "套", "台", "项", "倍", "株", "亩", "公顷", "张", "栋", "间", "根", "口", "次", "批"]
UNITS = sorted(_COMPOSITE + ["%"] + [prefix + base for base in _BASE for prefix in ("", "万", "亿")],
               key=len, reverse=True)
_UNIT_ALT = "|".join(re.escape(u) for u in UNITS)
_QUANTITY = re.compile(rf"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)(余|多)?({_UNIT_ALT})")
_DEADLINE = re.compile(
    r"^(?:力争|确保|计划|预计|争取|目标是|其中|并|且)?(?:在)?(到|至|截至|截止到?)?(\d{4})年(底|末|年底)?(前|以前|之前)?(?:，)?"
)
_PLAN_PERIOD = re.compile(r"^(?:到|至)?“?(十四五|十五五|十六五)”?(期间|时期|末)?(?:，)?")
_PERIOD_END = {"十四五": 2025, "十五五": 2030, "十六五": 2035}
_ANNUAL = re.compile(r"^(?:每年|年均|每年度)")
_COMPARATORS: list[tuple[str, Comparator]] = [
    ("不宜超过", "<="), ("不应超过", "<="), ("不得超过", "<="), ("不超过", "<="), ("不高于", "<="), ("不大于", "<="),
    ("不多于", "<="), ("控制在", "<="), ("不低于", ">="), ("不少于", ">="), ("不小于", ">="), ("至少", ">="),
    ("下降到", "="), ("降低到", "="), ("减少到", "="), ("降至", "="), ("降到", "="),
    ("下降", "reduce_by"), ("降低", "reduce_by"), ("减少", "reduce_by"), ("压减", "reduce_by"),
    ("提高到", "="), ("提高至", "="), ("提升到", "="), ("提升至", "="), ("增加到", "="), ("增长到", "="),
    ("达到", "="), ("达", "="), ("超过", ">"), ("突破", ">"), ("大于", ">"), ("高于", ">"), ("低于", "<"),
    ("小于", "<"), ("提高", "increase_by"), ("提升", "increase_by"), ("增长", "increase_by"), ("增加", "increase_by"),
]
_FILLER = "力争要应将基本均全部约总计共计累计新增可"
_PEAK = re.compile(r"达到峰值|达峰|实现碳达峰")


@dataclass
class _Deadline:
    year: int | None
    kind: DeadlineKind | None
    start: int


def _clauses(sentence: str) -> list[tuple[int, str]]:
    """Clauses of a sentence at ，；： outside brackets, with their offsets."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(sentence):
        if ch in "（《“":
            depth += 1
        elif ch in "）》”":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in "，；：。":
            out.append((start, sentence[start:i]))
            start = i + 1
    out.append((start, sentence[start:]))
    return [(s, c) for s, c in out if c.strip()]


def _deadline(clause: str) -> tuple[_Deadline | None, int]:
    """The deadline heading a clause, and where the rest of the clause starts."""
    m = _DEADLINE.match(clause)
    if m and 1990 <= int(m.group(2)) <= 2100:
        kind: DeadlineKind = "by"
        if m.group(4) and not m.group(3):
            kind = "before"
        return _Deadline(int(m.group(2)), kind, 0), m.end()
    m = _PLAN_PERIOD.match(clause)
    if m:
        return _Deadline(_PERIOD_END[m.group(1)], "during" if m.group(2) in ("期间", "时期") else "by", 0), m.end()
    m = _ANNUAL.match(clause)
    if m:
        return _Deadline(None, "annual", 0), m.end()
    return None, 0


def _comparator_before(text: str) -> tuple[Comparator | None, int]:
    """The comparator word ending right before a number (fillers like 力争 allowed), and its start."""
    stripped = text.rstrip(_FILLER)
    for word, comparator in _COMPARATORS:
        if stripped.endswith(word):
            return comparator, len(stripped) - len(word)
    return None, len(text)


def _clean_metric(metric: str) -> str:
    metric = re.sub(r"^(?:全市|全省|全区|全县|其中|并|且|使|确保|力争|到|将|推动|实现)+", "", metric)
    metric = metric.rstrip(_FILLER + "的")
    return metric.strip("，、 ")


def extract(sentences: list[str]) -> tuple[list[Target], list[Threshold]]:
    """Targets and thresholds in the given sentences of one clause, in order."""
    targets: list[Target] = []
    thresholds: list[Threshold] = []
    for sentence in sentences:
        deadline: _Deadline | None = None
        for offset, clause in _clauses(sentence):
            found, rest_at = _deadline(clause)
            if found:
                found.start = offset
                deadline = found
            rest = clause[rest_at:]
            quote_start = deadline.start if deadline and offset - deadline.start < 120 else offset
            quote = sentence[quote_start: offset + len(clause)]
            _extract_clause(rest, deadline, quote, targets, thresholds)
    return targets, thresholds


def _extract_clause(rest: str, deadline: _Deadline | None, quote: str, targets: list[Target],
                    thresholds: list[Threshold]) -> None:
    year = deadline.year if deadline else None
    kind = deadline.kind if deadline else None
    previous_end = 0
    for m in _QUANTITY.finditer(rest):
        value, approx, unit = float(m.group(1)), m.group(2), m.group(3)
        unit = "百分点" if unit == "个百分点" else unit
        after = rest[m.end():]
        before = rest[previous_end:m.start()]
        comparator, comp_at = _comparator_before(before)
        qualifier = re.match(r"^(?:及)?(以上|以下|以内|左右)", after)
        tail = after[qualifier.end():] if qualifier else after
        if tail.startswith("的") or (qualifier and qualifier.group(1) in ("以上", "以下") and unit != "%"
                                     and comparator is None and re.match(r"^[\u4e00-\u9fff]", tail)):
            thresholds.append(Threshold(value=value, unit=unit, quote=quote))
            continue  # a scope threshold stays part of the next target's metric (产值过50亿元的企业达到15家)
        if re.match(r"^(?:[\u4e00-\u9fff]{0,2}(?:标准|级|类|型|号|期|批|次))", after) and unit != "%":
            previous_end = m.end()
            continue
        if qualifier:
            if qualifier.group(1) == "以上" and comparator in (None, "=", ">"):
                comparator = ">="
            elif qualifier.group(1) in ("以下", "以内") and comparator in (None, "=", "<", "<="):
                comparator = "<="
        if approx and comparator in (None, "="):
            comparator = ">="
        if comparator == "increase_by" and unit not in ("%", "百分点", "倍"):
            comparator, comp_at = "=", len(before)  # 能效提升6380万平方米: the verb is part of the metric
        comparator = comparator or "="
        metric_text = before[:comp_at]
        baseline = None
        base = re.search(r"比(\d{4})年(?:底|末)?", metric_text)
        if base:
            baseline = int(base.group(1))
            metric_text = metric_text[: base.start()]
        metric = _clean_metric(metric_text)
        standard = re.match(r"^[\u4e00-\u9fff]{1,6}标准", after)
        if standard:  # 新建居住建筑执行83%节能标准
            metric = _clean_metric(re.sub(r"(?:执行|达到|按照)$", "", metric)) + standard.group()
        if not metric and qualifier:  # 80%以上县级机关达到… : the metric follows the number
            metric = _clean_metric(re.split(r"[达实执进完]", tail, maxsplit=1)[0] if tail else "")
        if not metric:
            metric = _clean_metric(rest[: m.start()]) or quote[:20]
        targets.append(Target(metric=metric, year=year, deadline_kind=kind, comparator=comparator, value=value,
                              unit=unit, baseline_year=baseline, quote=quote))
        previous_end = m.end() + (qualifier.end() if qualifier else 0)
    peak = _PEAK.search(rest)
    if deadline and deadline.kind == "before" and peak and not _QUANTITY.search(rest):
        metric = _clean_metric(rest[: peak.start()]) or "碳排放"
        targets.append(Target(metric=metric, year=year, deadline_kind=kind, comparator="peak", quote=quote))
