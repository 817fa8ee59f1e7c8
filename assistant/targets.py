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

_COMPOSITE = ["吨/万平方米", "公里/平方公里", "千瓦时/平方米", "千克标准煤/平方米", "吨标准煤", "个百分点", "百分点", "个工作日",
              "万亿元"]
_BASE = ["吨标准煤", "千克标准煤", "克标准煤", "吨二氧化碳", "千伏安", "千瓦时", "平方公里", "平方千米", "平方米", "立方米", "公里", "千米", "米", "千瓦时", "千瓦", "兆瓦", "吨", "户", "辆", "人次", "人",
         "元", "个", "家", "座", "所", "处", "条", "套", "台", "项", "倍", "株", "亩", "公顷", "张", "栋", "间", "根", "口", "次",
         "批", "盏", "部", "眼", "场", "例", "标箱", "小时", "分钟", "天", "工作日", "微克", "毫克", "升", "艘", "架", "列", "床",
         "片", "块", "棵", "头", "只", "本", "篇", "册", "层", "幢", "宗", "件", "名", "位", "支", "级"]
_BASE += [unit + "次" for unit in ("批", "架", "车", "班", "台", "户", "件", "场", "艘", "辆")]  # 300批次, 2万架次
UNITS = sorted(_COMPOSITE + ["%", "‰", "℃"] + [prefix + base for base in _BASE for prefix in ("", "万", "亿")],
               key=len, reverse=True)
_PER = ["日", "天", "年", "月", "人", "户", "万元", "元", "亩", "升", "立方米", "平方米", "万平方米", "公里", "平方公里", "千瓦时", "万千瓦时",
        "吨", "小时", "百户", "千人", "万人"]
_UNIT_ALT = "|".join(re.escape(u) for u in UNITS)
_PER_ALT = "|".join(re.escape(u) for u in sorted(_PER, key=len, reverse=True))
# a measure word nobody listed: one character, right before the end of the phrase
_NOT_UNITS = "年月日号时期届代版星类型第的和与及或等以在至到为是把被对从向于有"
_OTHER_UNIT = rf"(?:万|亿)?[\u4e00-\u9fff](?<![{_NOT_UNITS}])(?=$|[，。；、）)\s]|以上|以内|以下|左右|及以上)"
_UNIT_PATTERN = rf"(?:(?:{_UNIT_ALT})/(?:{_PER_ALT})|{_UNIT_ALT}|{_OTHER_UNIT})"
QUANTITY = re.compile(rf"(?<![\d.A-Za-z])(\d+(?:\.\d+)?)(?:(?:%|{_UNIT_ALT}|万|亿)?\s*[—–~～\-至到]\s*(\d+(?:\.\d+)?))?"
                       rf"(余|多)?({_UNIT_PATTERN})")
_COUNT_UNITS = tuple(prefix + unit for unit in ("个", "家", "座", "所", "处", "条", "项", "批", "部", "场", "户", "人", "人次", "辆", "台",
                                                "套", "栋", "间", "张", "名", "位", "株", "盏", "根", "眼", "艘")
                     for prefix in ("", "万"))
_DEADLINE = re.compile(
    r"^(?:力争|确保|计划|预计|争取|目标是|其中|并|且)?(?:在)?(到|至|截至|截止到?)?(?:(\d{4})\s*[—–\-至到~～]\s*)?(\d{4})年度?"
    r"(底|末|年底)?(前|以前|之前)?(?:，)?"
)
# a year after the value: …控制在8%以内，力争2027年底前实现
_YEAR_AFTER = re.compile(r"^(?:并|且)?(?:力争|确保|争取|计划|预计)?(?:于|在|到)?(\d{4})年(?:底|末)?(?:(?:前|以前|之前)|"
                         r"(?:全面|基本|如期)?(?:实现|完成|达到|建成|达标|到位))")
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
    if m and 1990 <= int(m.group(3)) <= 2100:
        kind: DeadlineKind = "by"
        if m.group(2):  # 2024—2026年累计…
            kind = "during"
        elif m.group(5) and not m.group(4):
            kind = "before"
        return _Deadline(int(m.group(3)), kind, 0), m.end()
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


_CN_NUMBER = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_WORDED = [
    (re.compile(r"翻一番"), "提高2倍"), (re.compile(r"翻两番"), "提高4倍"), (re.compile(r"过半"), "超过50%"),
    (re.compile(r"半数(?=以上)|一半(?=以上)"), "50%"),
    (re.compile(r"(?<![\u4e00-\u9fff])?([一二三四五六七八九])成(?=以上|以下|左右|[，。；的]|$)"),
     lambda m: f"{_CN_NUMBER[m.group(1)] * 10}%"),
    (re.compile(r"(?<=[建设成立造培育新增打创完])([两二三四五六七八九十]{1,2})(个|家|座|所|处|条|批)"),
     lambda m: f"{cn_count(m.group(1))}{m.group(2)}"),
]


def cn_count(text: str) -> int:
    if text.startswith("十"):
        return 10 + (_CN_NUMBER.get(text[1:], 0) if len(text) > 1 else 0)
    if len(text) == 2 and text[1] == "十":
        return _CN_NUMBER[text[0]] * 10
    return _CN_NUMBER.get(text[0], 0)


def _worded(clause: str) -> str:
    """Quantities written in words made numeric for reading (三成 → 30%, 翻一番 → 提高2倍, 五个 → 5个)."""
    for pattern, replacement in _WORDED:
        clause = pattern.sub(replacement, clause)  # type: ignore[call-overload]
    return clause


def extract(sentences: list[str], paragraph_years: bool = False) -> tuple[list[Target], list[Threshold]]:
    """Targets and thresholds in the given sentences of one clause, in order.

    With ``paragraph_years`` (a goals section), a year that opens a paragraph governs its later sentences too:
    到2027年，…明显提升。主次干道机械化清扫率达到98%以上 → 2027. Sentences are then given one paragraph per item
    of ``sentences``, and split here."""
    targets: list[Target] = []
    thresholds: list[Threshold] = []
    opening: _Deadline | None = None
    unstated_from = 10**6
    if paragraph_years:
        split = []
        for paragraph in sentences:
            parts = [p for p in re.split(r"(?<=[。！？])", paragraph) if p.strip()]
            split += [(p, i == 0) for i, p in enumerate(parts)]
    else:
        split = [(s, True) for s in sentences]
    for sentence, first in split:
        if first:
            opening = None
        deadline: _Deadline | None = None if first or opening is None else _Deadline(opening.year, opening.kind, -1)
        for offset, clause in _clauses(sentence):
            after = _YEAR_AFTER.match(clause)
            if after and not QUANTITY.search(clause):  # …控制在8%以内，力争2027年底前实现
                year = int(after.group(1))
                targets[:] = [t.model_copy(update={"year": year, "deadline_kind": "by"})
                              if i >= unstated_from and t.quote in sentence else t for i, t in enumerate(targets)]
                # and, read as a clause of its own below, what follows too: 2025年底前建成…平台，接入率达到100%
            found, rest_at = _deadline(clause)
            governing = deadline
            if found:
                found.start = offset
                governing = found
                if first and paragraph_years and opening is None and offset == 0:
                    opening = found
                if found.kind != "annual" or deadline is None:
                    deadline = found  # 年均/每年 speaks for its own clause; 到2025年 for the rest of the sentence
            rest = _worded(clause[rest_at:])
            # targets of a clause that states no year of its own may take one stated right after them
            unstated_from = len(targets) if not found else len(targets) + 10**6
            quote_start = governing.start if governing and 0 <= governing.start and offset - governing.start < 120 else offset
            quote = sentence[quote_start: offset + len(clause)]
            _extract_clause(rest, governing, quote, targets, thresholds)
    return targets, thresholds


def _extract_clause(rest: str, deadline: _Deadline | None, quote: str, targets: list[Target],
                    thresholds: list[Threshold]) -> None:
    year = deadline.year if deadline else None
    kind = deadline.kind if deadline else None
    previous_end = 0
    for m in QUANTITY.finditer(rest):
        value, approx, unit = float(m.group(1)), m.group(3), m.group(4)
        value_max = float(m.group(2)) if m.group(2) else None
        after = rest[m.end():]
        before = rest[previous_end:m.start()]
        comparator, comp_at = _comparator_before(before)
        qualifier = re.match(r"^(?:及)?(以上|以下|以内|左右)", after)
        tail = after[qualifier.end():] if qualifier else after
        share_first = unit == "%" and tail.startswith("的") and comparator is None and (
            qualifier is not None or value_max is not None or re.search(r"不低于|不少于|达到|超过|形成", before))
        if not share_first and (tail.startswith("的") or (
                qualifier and qualifier.group(1) in ("以上", "以下") and unit != "%"
                and comparator is None and re.match(r"^[\u4e00-\u9fff]", tail))):
            thresholds.append(Threshold(value=value, unit=unit, quote=quote))
            continue  # a scope threshold stays part of the next target's metric (产值过50亿元的企业达到15家)
        if re.match(r"^(?:[\u4e00-\u9fff]{0,2}(?:标准|级|类|型|号|期|批|次))", after) and unit != "%" \
                and unit not in _COUNT_UNITS:
            previous_end = m.end()
            continue
        if unit not in _COUNT_UNITS and unit != "%" and re.match(r"^[\u4e00-\u9fff]", after) and not qualifier \
                and not re.match(r"^(?:和|与|及|或|、|的)", after) or rest[max(0, m.start() - 1):m.start()] == "每":
            previous_end = m.end()
            continue  # part of a name or a starting value: 15分钟生活圈, 500米覆盖率, 每10万人口, 由20天压减至10天
        if qualifier:
            if qualifier.group(1) == "以上" and comparator in (None, "=", ">"):
                comparator = ">="
            elif qualifier.group(1) in ("以下", "以内") and comparator in (None, "=", "<", "<="):
                comparator = "<="
        if approx and comparator in (None, "="):
            comparator = ">="
        if value_max is not None and comparator in (None, "="):
            comparator = ">="  # 达到3.5—3.8人: at least the lower end
        if comparator == "increase_by" and unit not in ("%", "百分点", "个百分点", "倍"):
            comparator, comp_at = "=", len(before)  # 能效提升6380万平方米: the verb is part of the metric
        comparator = comparator or "="
        metric_text = before[:comp_at]
        baseline = None
        base = re.search(r"(?:比|较)(\d{4})年(?:底|末)?", metric_text)
        if base:
            baseline = int(base.group(1))
            metric_text = metric_text[: base.start()]
        metric = _clean_metric(metric_text)
        standard = re.match(r"^[\u4e00-\u9fff]{1,6}标准", after)
        if standard:  # 新建居住建筑执行83%节能标准
            metric = _clean_metric(re.sub(r"(?:执行|达到|按照)$", "", metric)) + standard.group()
        if (not metric or share_first) and qualifier:  # 80%以上(的)县级机关达到… : the metric follows the number
            metric = _clean_metric(re.split(r"[达实执进完]", tail.lstrip("的"), maxsplit=1)[0]) or metric
        if not metric:
            metric = _clean_metric(rest[: m.start()]) or quote[:20]
        targets.append(Target(metric=metric, year=year, deadline_kind=kind, comparator=comparator, value=value,
                              value_max=value_max, unit=unit, baseline_year=baseline, quote=quote))
        previous_end = m.end() + (qualifier.end() if qualifier else 0)
    peak = _PEAK.search(rest)
    inner = re.search(r"在?(\d{4})年(?:前|以前|之前)", rest[: peak.start()]) if peak else None
    if inner:  # 确保…二氧化碳排放在2030年前达到峰值
        deadline, year, kind = _Deadline(int(inner.group(1)), "before", 0), int(inner.group(1)), "before"
    if deadline and deadline.kind == "before" and peak and not QUANTITY.search(rest):
        metric = _clean_metric(rest[: peak.start()]) or "碳排放"
        targets.append(Target(metric=metric, year=year, deadline_kind=kind, comparator="peak", quote=quote))


_TABLE_YEAR = re.compile(r"(\d{4})年?(?:目标值?|预期值?|值)?$")
_BASE_COLUMN = re.compile(r"基期|基准|现状|基础值|基年")
_CELL_VALUE = re.compile(r"^(≥|≤|>|<|＞|＜|不低于|不少于|不高于|不超过)?\s*(\d+(?:\.\d+)?)\s*(%)?\s*(以上|以内|以下|左右)?$")
_CELL_COMPARATOR: dict[str, Comparator] = {"≥": ">=", "不低于": ">=", "不少于": ">=", "以上": ">=", "≤": "<=", "不高于": "<=",
                                          "不超过": "<=", "以内": "<=", "以下": "<=", ">": ">", "＞": ">", "<": "<", "＜": "<"}


def indicator_targets(text: str) -> tuple[list[Target], str]:
    """Targets of an indicator table (主要指标表: 指标 | 单位 | 基期值 | 2025年 | 2027年 | 属性) given as TAB-separated
    rows, one per indicator and target year (the base-year value is not a target), and the text without the table."""
    lines = text.split("\n")
    targets: list[Target] = []
    keep: list[str] = []
    columns: dict[str, int] | None = None
    years: dict[int, int] = {}
    for line in lines:
        cells = [c.strip() for c in line.split("\t")] if "\t" in line else []
        if len(cells) < 3:
            if line.strip() and not re.fullmatch(r"[\s\-—–－]*\d{1,3}[\s\-—–－]*", line):
                columns = None  # a table goes on over a page break (blank or page-number lines)
            keep.append(line)
            continue
        if columns is None:
            metric = next((i for i, c in enumerate(cells) if c.startswith("指标") or c in ("项目", "名称", "主要指标")), None)
            years = {i: int(m.group(1)) for i, c in enumerate(cells)
                     if (m := _TABLE_YEAR.search(c)) and not _BASE_COLUMN.search(c) and 1990 <= int(m.group(1)) <= 2100}
            if metric is not None and years:
                columns = {"metric": metric}
                unit = next((i for i, c in enumerate(cells) if c.startswith("单位")), None)
                if unit is not None:
                    columns["unit"] = unit
                continue
            keep.append(line)
            continue
        name = cells[columns["metric"]] if columns["metric"] < len(cells) else ""
        unit_cell = cells[columns["unit"]] if "unit" in columns and columns["unit"] < len(cells) else ""
        for i, year in years.items():
            m = _CELL_VALUE.match(cells[i]) if i < len(cells) else None
            if not (m and name):
                continue
            comparator = _CELL_COMPARATOR.get(m.group(1) or m.group(4) or "", "=")
            targets.append(Target(metric=name, year=year, deadline_kind="by", comparator=comparator,
                                  value=float(m.group(2)), unit=unit_cell or m.group(3) or None, quote=line))
    return targets, "\n".join(keep)
