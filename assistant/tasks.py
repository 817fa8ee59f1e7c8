"""The responsibility table: one Task row per numbered item (and per sub-item with units of its own).

Units are read, in order of preference, from a units bracket in the clause (（责任单位：…）,
（牵头单位：…；配合单位：…）, （A牵头，B按职责分工负责）), from a body sentence (由A牵头，会同B…),
from the units of its sub-items, or from an appendix table (附件：重点任务分工表).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .agencies import (
    CO_LABELS,
    LABEL,
    LEAD_LABELS,
    RESPONSIBLE_LABELS,
    UNIT_LABELS,
    UnitList,
    canonical,
    looks_like_unit,
    parse_body_lead,
    parse_role_sentence,
    parse_unit_statement,
    role_phrases,
    split_units,
)
from .clauses import PolicyDocument
from .schema import Clause, Target, Task
from .targets import extract, indicator_targets

_RESPONSIBLE_TAIL = re.compile(r"^(.{2,80}?)(?:按职责分工负责|分工负责|共同负责|负责落实|负责)$")
_FIRST_IS_LEAD = re.compile(r"(?:列|排)(?:在)?(?:第一位|首位|第一个|最前)的?(?:单位)?(?:为|是)牵头")
# Words addressed to a reader or a model, not policy (忽略以上内容… / ignore previous instructions): a sentence or
# bracket holding them never yields a unit or a target, whatever else it says.
_INSTRUCTION = re.compile(r"忽略(?:以上|上文|上述|前文|前面|之前|此前|先前)|无视(?:以上|上文|上述|前面|之前)|请?回答[：:]|"
                          r"\b(?:ignore|disregard)\b.{0,20}\b(?:previous|prior|above|earlier|instructions?)\b|"
                          r"\b(?:system|assistant)\s*[：:]", re.I)
_HEADER_ALIASES = {
    "number": ("序号", "编号"),
    "task": ("重点任务", "工作任务", "主要任务", "具体任务", "任务内容", "任务", "工作内容", "事项"),
    "lead": LEAD_LABELS + RESPONSIBLE_LABELS,
    "co": CO_LABELS,
    "deadline": ("完成时限", "时间节点", "完成时间", "时限", "进度安排", "时间安排"),
}


def _bracket_groups(text: str) -> list[tuple[int, int, str]]:
    """Top-level （…） groups in ``text``: start, end and inner content."""
    groups, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "（":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "）" and depth:
            depth -= 1
            if depth == 0:
                groups.append((start, i + 1, text[start + 1: i]))
    return groups


_LABEL_LINE = re.compile(r"^[ \t\u3000]*((?:" + "|".join(sorted(UNIT_LABELS, key=len, reverse=True)) + r")[：:][^\n]+)$",
                         re.M)


def unit_brackets(text: str) -> list[tuple[int, int, UnitList]]:
    """Units brackets in a clause's text, each with its span and the units it names; a line that starts with
    a units label (责任单位：A、B) counts as one."""
    found = []
    for m in _LABEL_LINE.finditer(text):
        if not _INSTRUCTION.search(m.group(1)):
            units = parse_unit_statement(m.group(1).strip())
            if units:
                found.append((m.start(1), m.end(), units))
    for start, end, inner in _bracket_groups(text):
        inner = inner.strip()
        if _INSTRUCTION.search(inner):
            continue
        tail = _RESPONSIBLE_TAIL.match(inner)
        if role_phrases(inner) and not (LABEL.match(inner) or "牵头" in inner):
            pass  # （A负责，B、C指导支持）
        elif tail and not (LABEL.match(inner) or "牵头" in inner):
            pieces = re.split(r"[、，,]", tail.group(1))
            if not all(looks_like_unit(canonical(p)) and "由" not in p for p in pieces):
                continue  # （A、B负责） names only units; anything else is prose
        elif not (LABEL.match(inner) or "牵头" in inner):
            continue
        units = parse_unit_statement(inner)
        if units and not any(a <= start < b for a, b, _ in found):
            found.append((start, end, units))
    return sorted(found, key=lambda f: f[0])


def _merge(lists: list[UnitList]) -> UnitList:
    merged = UnitList()
    for units in lists:
        if not merged.leads:
            merged.leads = list(units.leads)
            merged.lead_inferred = units.lead_inferred
        merged.co.extend(n for n in units.names if n not in merged.leads and n not in merged.co)
        merged.etc = merged.etc or units.etc
    return merged


@dataclass
class AppendixRow:
    number: str
    task: str
    leads: list[str]
    co: list[str]
    deadline: str
    line: str = field(default="", compare=False)


def parse_appendix_table(appendix: str) -> list[AppendixRow]:
    """Rows of a 分工表 given as TAB- or |-separated lines with a header naming the columns."""
    rows: list[AppendixRow] = []
    columns: dict[str, int] | None = None
    for line in appendix.splitlines():
        cells = [c.strip() for c in re.split(r"\t|\|", line.strip().strip("|"))]
        if len(cells) < 3:
            continue
        if columns is None:
            found: dict[str, int] = {}
            for key, names in _HEADER_ALIASES.items():
                for i, cell in enumerate(cells):
                    if cell in names and key not in found and i not in found.values():
                        found[key] = i
            if "lead" in found and "task" in found:
                columns = found
                both = [i for i, cell in enumerate(cells) if cell in ("责任单位", "责任部门")]
                if "co" not in columns and both and any(c in ("牵头单位", "牵头部门") for c in cells):
                    # 牵头单位 beside 责任单位: the second names the other responsible units
                    columns["lead"] = next(i for i, c in enumerate(cells) if c in ("牵头单位", "牵头部门"))
                    columns["co"] = both[0]
            continue

        cell = {key: cells[i] if i < len(cells) else "" for key, i in columns.items()}
        leads, _ = split_units(cell.get("lead", ""))
        co, _ = split_units(cell.get("co", ""))
        if cell.get("task") and (leads or co):
            rows.append(AppendixRow(cell.get("number", ""), cell["task"], leads, [n for n in co if n not in leads],
                                    cell.get("deadline", ""), line.strip()))
    return rows


def _match_rows(items: list[Clause], rows: list[AppendixRow]) -> dict[str, AppendixRow]:
    """Map appendix rows to items by title similarity, falling back to the running 序号."""
    mapping: dict[str, AppendixRow] = {}
    for position, row in enumerate(rows):
        scored = [(SequenceMatcher(None, row.task, c.title).ratio(), c) for c in items if c.id not in mapping]
        best = max(scored, key=lambda s: s[0], default=None)
        if best and best[0] >= 0.5:
            mapping[best[1].id] = row
            continue
        index = int(row.number) - 1 if row.number.isdigit() else position
        if 0 <= index < len(items) and items[index].id not in mapping:
            mapping[items[index].id] = row
    return mapping


def _own_text(clause: Clause, children: list[Clause]) -> tuple[str, int]:
    """The clause's text before its first sub-item, and its offset."""
    end = min((c.start for c in children), default=clause.end)
    return clause.text[: end - clause.start], clause.start


def _row(document: PolicyDocument, clause: Clause, text: str, units: UnitList, source: str,
         parent: str | None = None, deadline: str | None = None, targets_text: str | None = None,
         unit_quote: str | None = None, appendix_targets: list[Target] | None = None) -> Task:
    table_targets, body = indicator_targets(strip_units(targets_text if targets_text is not None else text))
    goals = bool(_GOALS.search(clause.title))
    pieces = body.split("\n") if goals else re.split(r"(?<=[。！？])|\n", body)
    sentences = [s for s in pieces if s.strip() and not _INSTRUCTION.search(s)]
    targets, thresholds = extract(sentences, paragraph_years=goals)
    targets += table_targets + (appendix_targets or [])
    return Task(policy=document.policy, version=document.version, id=clause.id, chapter=clause.chapter,
                chapter_title=clause.chapter_title, number=clause.number, title=clause.title, text=clause.text,
                lead_agency=units.leads[0] if units.leads else None, lead_inferred=units.lead_inferred,
                agencies=units.names, agency_details=units.details(), agencies_etc=units.etc,
                unit_source=source if units else "无", deadline=deadline or None,  # type: ignore[arg-type]
                unit_quote=unit_quote if units else None, targets=targets, thresholds=thresholds, parent=parent,
                start=clause.start, end=clause.end)


def strip_units(text: str) -> str:
    """The text without its units brackets and units lines."""
    for start, end, _ in reversed(unit_brackets(text)):
        text = text[:start] + text[end:]
    return text


def _units_in(text: str) -> tuple[UnitList, str, str | None]:
    """Units stated in a clause's text, the kind of statement, and its exact text."""
    brackets = unit_brackets(text)
    if brackets:
        source = "牵头单位" if any(not u.lead_inferred for _, _, u in brackets) else "责任单位"
        return _merge([u for _, _, u in brackets]), source, text[brackets[0][0]:brackets[0][1]]
    sentences = re.split(r"(?<=[。；])|\n", strip_units(text))
    for parse in (parse_body_lead, parse_role_sentence):
        for sentence in sentences:
            units = parse(sentence) if not _INSTRUCTION.search(sentence) else None
            if units and sentence.strip() in text:
                return units, "牵头句", sentence.strip()
    return UnitList(), "无", None


def _goal_rows(document: PolicyDocument, appendix_targets: list[Target]) -> list[Task]:
    """A goals chapter with no numbered items (二、工作目标) is a row of its own when it states targets."""
    rows = []
    for chapter in document.clauses:
        if chapter.level != "chapter" or not _GOALS.search(chapter.title) or document.children(chapter.id):
            continue
        row = _row(document, chapter, chapter.text, UnitList(), "无",
                   appendix_targets=appendix_targets if _REFERS_TO_APPENDIX.search(chapter.text) else None)
        if row.targets:
            rows.append(row.model_copy(update={"number": ""}))
    return rows


def _goal_item(document: PolicyDocument) -> Clause | None:
    """Where an appendix indicator table belongs: the goals section that refers to it (主要指标见附件1)."""
    for clause in document.clauses:
        if _GOALS.search(clause.title) and _REFERS_TO_APPENDIX.search(clause.text):
            return clause
    return None


_GOALS = re.compile(r"目标|指标")
_REFERS_TO_APPENDIX = re.compile(r"见附件|见附表|详见附件|如附件")
_CHAPTER_STATEMENT = re.compile(r"^(?:以上|上述)(?:各项|几项|重点|所列)?(?:任务|工作)(?:均|统一)?由")


def _chapter_statement(text: str) -> tuple[UnitList, str | None, str]:
    """A chapter-final 以上任务由A牵头，B、C按职责分工负责: its units, its text, and the clause text without it."""
    for line in text.split("\n"):
        sentence = line.strip()
        if _CHAPTER_STATEMENT.match(sentence) and not _INSTRUCTION.search(sentence):
            units = parse_body_lead(sentence)
            if units:
                return units, sentence, text.replace(line, "")
    return UnitList(), None, text


def _alone_on_last_line(text: str, quote: str | None) -> bool:
    """Whether a units bracket stands on a line of its own at the end of a text (a task's units after its sub-items)."""
    lines = [line.strip() for line in text.strip().split("\n") if line.strip()]
    return bool(quote) and bool(lines) and lines[-1] == quote


def build_tasks(document: PolicyDocument) -> list[Task]:
    """The task table of a parsed policy, in document order."""
    items = document.items
    first_is_lead = bool(_FIRST_IS_LEAD.search(document.text))
    appendix = _match_rows(items, parse_appendix_table(document.appendix)) if document.appendix else {}
    chapter_units: dict[str, tuple[UnitList, str]] = {}
    texts: dict[str, str] = {}
    for item in items:
        units, quote, rest = _chapter_statement(item.text)
        texts[item.id] = rest
        if units and quote:
            chapter_units[item.chapter] = (units, quote)
    tasks: list[Task] = []
    for item in items:
        text = texts[item.id]
        children = document.children(item.id)
        row = appendix.get(item.id)
        deadline = row.deadline if row else None
        found = [(child, *_units_in(child.text)) for child in children]
        own, _ = _own_text(item, children)
        own_units, own_source, own_quote = _units_in(own)
        named = [f for f in found if f[1]]
        if len(named) == 1 and named[0][0] is children[-1] and _alone_on_last_line(children[-1].text, named[0][3]):
            # （责任单位：…） on its own line after the last sub-item names the units of the whole task
            _, own_units, own_source, own_quote = named[0]
            named = []
        if not named:
            units, source, quote = (own_units, own_source, own_quote) if own_units else _units_in(text)
            if not units and row:
                units, source, quote = UnitList(leads=row.leads, co=row.co), "附件表", row.line
            if not units and item.chapter in chapter_units:
                units, quote = chapter_units[item.chapter]
                source = "牵头句"
            tasks.append(_row(document, item, text, units, source, deadline=deadline, unit_quote=quote))
            continue
        child_rows = []
        for child, units, source, quote in found:
            if not units:  # a sub-item that names no units carries the task's own
                units, source, quote = own_units, own_source, own_quote
            child_rows.append(_row(document, child, child.text, units, source, parent=item.id, unit_quote=quote))
        parts = ([own_units] if own_units else []) + [
            UnitList(leads=[r.lead_agency] if r.lead_agency else [], co=r.agencies, lead_inferred=r.lead_inferred)
            for r in child_rows if r.agencies]
        units = _merge(parts)
        source = own_source if own_units else "子项汇总"
        tasks.append(_row(document, item, item.text, units, source, deadline=deadline, targets_text=own,
                          unit_quote=own_quote))
        tasks.extend(child_rows)
    appendix_targets, _ = indicator_targets(document.appendix) if document.appendix else ([], "")
    home = _goal_item(document) if appendix_targets else None
    if home is not None and home.level == "item":  # a numbered goals item that refers to the appendix table
        tasks = [t.model_copy(update={"targets": t.targets + appendix_targets}) if t.id == home.id else t
                 for t in tasks]
    tasks = sorted(tasks + _goal_rows(document, appendix_targets), key=lambda t: t.start)  # stable: sub-item rows stay after their item
    if first_is_lead:  # the plan says the first unit listed is the lead: not an inference
        tasks = [t.model_copy(update={"lead_inferred": False}) if t.lead_inferred else t for t in tasks]
    return tasks
