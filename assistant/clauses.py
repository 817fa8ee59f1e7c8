"""The clause tree of a repaired policy text: chapters (一、), items (（一）), sub-items (1.) and sentences.

Numbering may restart in each chapter or run on; ids are made unique by prefixing the chapter
numeral (一（一） is not 二（一）). Text before the first heading is the preamble (issuing notice,
purpose); a line starting with 附件 ends the body and starts the appendix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import markers
from .errors import NotAPolicy
from .repair import Repaired, repair
from .schema import Clause, Problem, Sentence

_APPENDIX = re.compile(r"^附\s*件\s*\d*\s*(?:[：:]|$|(?=[^，。；]{2,40}(?:表|清单|目录)$))|^附表\s*\d*\s*[：:]?")
_SENTENCE = re.compile(r"[^。！？；\n]+(?:[。！？；]+[”’」』）]*)?")
_MAX_TITLE = 60
_DOC_TITLE = re.compile(
    r"^(?!关于)(?!.*印发).{4,60}(?:方案|计划|意见|办法|措施|细则|规划|要点|通知)(?:（[^（）]{1,20}）)?$"
)
_APPENDIX_TITLE = re.compile(r"(?:附件[：:]\s*)?(.+?(?:工作方案|实施方案|行动方案|方案|计划|意见|措施))")


@dataclass
class PolicyDocument:
    """A parsed policy: repaired text, clause tree, appendix text and what could not be read."""

    policy: str
    version: str
    title: str
    repaired: Repaired
    clauses: list[Clause]
    appendix: str = ""
    appendix_start: int = 0
    problems: list[Problem] = field(default_factory=list)
    source_name: str = ""
    sha256: str = ""

    @property
    def text(self) -> str:
        return self.repaired.text

    @property
    def items(self) -> list[Clause]:
        return [c for c in self.clauses if c.level == "item"]

    def get(self, clause_id: str) -> Clause | None:
        return next((c for c in self.clauses if c.id == clause_id), None)

    def children(self, clause_id: str) -> list[Clause]:
        return [c for c in self.clauses if c.parent == clause_id]


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Sentences of ``text`` (ending at 。！？； or a line break), with offsets shifted by ``offset``."""
    out = []
    for m in _SENTENCE.finditer(text):
        chunk = m.group().strip()
        if not chunk:
            continue
        start = offset + m.start() + (len(m.group()) - len(m.group().lstrip()))
        out.append(Sentence(text=chunk, start=start, end=start + len(chunk)))
    return out


def _title_of(rest: str) -> str:
    """Heading title: the text before the first 。 (inline headings), else the whole line."""
    rest = rest.strip()
    for stop in "。；":
        if stop in rest:
            return rest.split(stop, 1)[0][:_MAX_TITLE]
    return rest[:_MAX_TITLE]


def _is_heading(rest: str) -> bool:
    return bool(rest) and len(_title_of(rest)) <= _MAX_TITLE and not rest.startswith(("、", "，"))


@dataclass
class _Open:
    level: str
    id: str
    chapter: str
    chapter_title: str
    number: str
    title: str
    start: int
    end: int
    parent: str | None


def _doc_title(lines: list[str], appendix: str, fallback: str) -> str:
    for line in lines[:40]:
        if _DOC_TITLE.match(line) and "，" not in line and "。" not in line and not line.endswith("通知"):
            return line
    first = appendix.split("\n", 1)[0]
    m = _APPENDIX_TITLE.match(first)
    if m:
        return m.group(1)
    return fallback


def parse_clauses(repaired: Repaired, policy: str, version: str = "") -> PolicyDocument:
    """Build the clause tree of a repaired text. Never raises; oddities become ``problems``."""
    text = repaired.text
    lines = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[^\n]+", text)]
    nodes: list[_Open] = []
    problems: list[Problem] = []
    chapter = _Open("chapter", "", "", "", "", "", 0, 0, None)
    item: _Open | None = None
    item_style = 0  # for an item numbered like a sub-item (1. under a chapter), which marker group it used
    sub: _Open | None = None
    seen: set[str] = set()
    appendix_start = len(text)
    preamble: list[str] = []

    def unique(candidate: str) -> str:
        n, out = 2, candidate
        while out in seen:
            out, n = f"{candidate}#{n}", n + 1
        if out != candidate:
            problems.append(Problem(where=candidate, message=f"编号重复，记为 {out}"))
        seen.add(out)
        return out

    def extend(end: int) -> None:
        for node in (chapter if chapter.id else None, item, sub):
            if node is not None:
                node.end = end

    for start, end, line in lines:
        if nodes and _APPENDIX.match(line):
            appendix_start = start
            break
        ch, it, sb = markers.CHAPTER.match(line), markers.ITEM.match(line), markers.SUBITEM.match(line)
        if ch and _is_heading(ch.group(3) or ""):
            numeral = ch.group(1) or ch.group(2)
            title = _title_of(ch.group(3) or "")
            chapter = _Open("chapter", unique(numeral), numeral, title, numeral, title, start, end, None)
            nodes.append(chapter)
            item = sub = None
        elif it and _is_heading(it.group(3) or ""):
            numeral = it.group(1) or it.group(2)
            number = f"（{numeral}）" if it.group(1) else f"第{numeral}条"
            item = _Open("item", unique(chapter.chapter + number),
                         chapter.chapter, chapter.chapter_title, number, _title_of(it.group(3) or ""),
                         start, end, chapter.id or None)
            nodes.append(item)
            sub, item_style = None, 0
            extend(end)
        elif sb and _is_heading(sb.group(4) or "") and (item is not None or chapter.id):
            numeral = sb.group(1) or sb.group(2) or str(markers.cn_to_int(sb.group(3)))
            title = _title_of(sb.group(4) or "")
            style = next(i for i in (1, 2, 3) if sb.group(i))
            if item is None or item_style == style:  # a chapter whose tasks are numbered 1. 2.
                item_style, sub = style, None
                label = numeral if style == 1 else f"（{numeral}）" if style == 2 else sb.group(3)
                item = _Open("item", unique(f"{chapter.chapter}{label}"), chapter.chapter, chapter.chapter_title,
                             f"{numeral}." if style == 1 else label, title, start, end, chapter.id or None)
                nodes.append(item)
                extend(end)
                continue
            # a sub-item's id ends in its label as printed: 二（二）1 for 1., 二（四）（1） for （1）, 二（一）① for ①
            label = numeral if style == 1 else f"（{numeral}）" if style == 2 else sb.group(3)
            sub = _Open("subitem", unique(f"{item.id}{label}"), item.chapter, item.chapter_title, label,
                        title, start, end, item.id)
            nodes.append(sub)
            extend(end)
        elif not nodes:
            preamble.append(line)
        else:
            extend(end)
    clauses = []
    for node in nodes:
        body = text[node.start:node.end]
        clauses.append(Clause(id=node.id, level=node.level, chapter=node.chapter,  # type: ignore[arg-type]
                              chapter_title=node.chapter_title, number=node.number, title=node.title,
                              text=body, start=node.start, end=node.end, parent=node.parent,
                              sentences=split_sentences(body, node.start)))
    appendix = text[appendix_start:] if appendix_start < len(text) else ""
    if not any(c.level == "item" for c in clauses):
        problems.append(Problem(where=policy, message="未识别出编号条目（（一）、1. 等）"))
    return PolicyDocument(policy=policy, version=version, title=_doc_title(preamble, appendix, policy),
                          repaired=repaired, clauses=clauses, appendix=appendix,
                          appendix_start=appendix_start, problems=problems)


def parse_text(source: str, policy: str, version: str = "", name: str = "") -> PolicyDocument:
    """Repair and parse raw text; raise :class:`NotAPolicy` when no clause structure is found."""
    document = parse_clauses(repair(source), policy, version)
    if not document.clauses:
        raise NotAPolicy(name or policy, "未识别出政策条款结构（如“一、”“（一）”“1.”编号），不像是一份工作方案")
    document.source_name = name
    return document
