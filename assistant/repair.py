"""Repair of PDF/Word extraction artefacts, by general rules, keeping a map back to the source.

Text in, repaired text out, with ``origin[i]`` = offset in the source of repaired character ``i``:
- page-number lines (— 7 —, - 8 -, 第 3 页) are dropped;
- full-width digits, letters and % become ASCII; brackets, colons, commas and semicolons take
  the Chinese full-width form (except between digits: 1,000 and 10:30 stay);
- spaces are removed unless both neighbours are ASCII letters or digits ("到 2025 年" → 到2025年);
- a line that does not end a sentence continues on the next non-blank line (零碳试⏎⏎验区), unless
  either is a heading, a title, a date or a table row;
- at such a join, a character doubled across the break is removed when only the right-hand copy
  starts a word and the left-hand one ends none (城镇基⏎⏎基础设施 → 城镇基础设施; 青岛市⏎市直 stays).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import markers

_HSPACE = " \u3000\xa0\u2002\u2003\u2009\u200b"
_PAGE_NUMBER = re.compile(
    r"^[ \t\u3000]*(?:[—–\-－─_·•]+[ \u3000]*\d{1,4}[ \u3000]*[—–\-－─_·•]*|"
    r"第[ \u3000]*\d{1,4}[ \u3000]*页(?:[ \u3000]*[,，/][ \u3000]*共[ \u3000]*\d{1,4}[ \u3000]*页)?|"
    r"\d{1,4}[ \u3000]*/[ \u3000]*\d{1,4}|\d{1,3})[ \t\u3000]*$",
    re.M,
)
_FULLWIDTH: dict[int, int | str] = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}  # ０-９
_FULLWIDTH |= {c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)}  # Ａ-Ｚ
_FULLWIDTH |= {c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)}  # ａ-ｚ
_FULLWIDTH |= {ord("％"): "%", ord("／"): "/", ord("＋"): "+", ord("．"): ".", ord("("): "（", ord(")"): "）"}
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPACES = re.compile(f"[{_HSPACE}]+")
_ASCII_PUNCT = re.compile(r"[:,;]")
_TO_FULL = {":": "：", ",": "，", ";": "；"}


@dataclass(frozen=True)
class Repaired:
    """Repaired text and the source offset of each of its characters (plus one past the end)."""

    source: str
    text: str
    origin: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source offsets covering repaired ``text[start:end]``."""
        if end <= start:
            return self.origin[start], self.origin[start]
        return self.origin[start], self.origin[end - 1] + 1


def _apply(text: str, origin: list[int], edits: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """Replace ``text[s:e]`` by ``r`` for each edit (sorted, disjoint), carrying the origin map."""
    if not edits:
        return text, origin
    parts: list[str] = []
    new_origin: list[int] = []
    pos = 0
    for start, end, replacement in edits:
        parts.append(text[pos:start])
        new_origin.extend(origin[pos:start])
        parts.append(replacement)
        if len(replacement) == end - start:
            new_origin.extend(origin[start:end])
        else:
            new_origin.extend([origin[start]] * len(replacement))
        pos = end
    parts.append(text[pos:])
    new_origin.extend(origin[pos:])
    return "".join(parts), new_origin


def _sub(text: str, origin: list[int], pattern: re.Pattern[str], repl: str) -> tuple[str, list[int]]:
    return _apply(text, origin, [(m.start(), m.end(), m.expand(repl)) for m in pattern.finditer(text)])


def _full_punct(text: str) -> list[tuple[int, int, str]]:
    """ASCII : , ; become full-width, except between two digits (1,000 and 10:30)."""
    edits = []
    for m in _ASCII_PUNCT.finditer(text):
        i = m.start()
        if 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            continue
        edits.append((i, i + 1, _TO_FULL[m.group()]))
    return edits


def _drop_spaces(text: str) -> list[tuple[int, int, str]]:
    edits = []
    for m in _SPACES.finditer(text):
        before = text[m.start() - 1] if m.start() else "\n"
        after = text[m.end()] if m.end() < len(text) else "\n"
        if before.isascii() and before.isalnum() and after.isascii() and after.isalnum():
            if m.end() - m.start() > 1 or text[m.start()] != " ":
                edits.append((m.start(), m.end(), " "))
            continue
        edits.append((m.start(), m.end(), ""))
    return edits


@lru_cache(maxsize=1)
def _word_freq() -> dict[str, int]:
    import jieba

    jieba.setLogLevel(60)
    jieba.dt.check_initialized()
    return jieba.dt.FREQ


def _is_word(candidate: str) -> bool:
    return _word_freq().get(candidate, 0) > 0


def is_doubled_at_break(left: str, right: str) -> bool:
    """Whether ``left[-1]`` repeats ``right[0]`` as an artefact of the break between them."""
    if not left or not right or left[-1] != right[0] or not _CJK.match(right[0]):
        return False
    char = right[0]
    if _is_word(char + char) or len(left) < 2 or left[-2] in "、，,：:（(；;“":
        return False  # after a separator the left copy starts a name of its own (…、市⏎市场监管局)
    starts_word = any(_is_word(right[:k]) for k in range(2, 5) if len(right) >= k)
    ends_word = any(_is_word(left[-k:]) for k in range(2, 5) if len(left) >= k)
    return starts_word and not ends_word


def _continues(line: str, nxt: str) -> bool:
    """Whether ``nxt`` continues the sentence that ``line`` leaves open."""
    if not line or not nxt or line[-1] in markers.LINE_END:
        return False
    if "\t" in line or "\t" in nxt or line.startswith("|") or nxt.startswith("|"):
        return False
    if markers.is_heading_start(nxt):
        return False
    if markers.is_heading_start(line) and not any(p in line for p in markers.SENTENCE_END + "，"):
        return False
    return not markers.is_standalone_line(line)


def _join_lines(text: str) -> list[tuple[int, int, str]]:
    """Edits that join each open line to the next non-blank one, dropping a doubled character."""
    edits: list[tuple[int, int, str]] = []
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    for (s1, e1), (s2, e2) in zip(lines, lines[1:]):
        line, nxt = text[s1:e1], text[s2:e2]
        if not _continues(line, nxt):
            continue
        if is_doubled_at_break(line, nxt):
            edits.append((e1 - 1, s2, ""))
        else:
            edits.append((e1, s2, ""))
    return edits


def repair(source: str) -> Repaired:
    """Repair ``source`` (raw extracted text) and keep the map back to it."""
    text, origin = source, list(range(len(source) + 1))
    text, origin = _sub(text, origin, re.compile(r"\r\n?|\f|\v"), "\n")
    text, origin = _sub(text, origin, _PAGE_NUMBER, "")
    text = text.translate(_FULLWIDTH)
    text, origin = _apply(text, origin, _full_punct(text))
    text, origin = _apply(text, origin, _drop_spaces(text))
    text, origin = _sub(text, origin, re.compile(r"(?<=[^\t\n])\t+$", re.M), "")
    text, origin = _apply(text, origin, _join_lines(text))
    text, origin = _sub(text, origin, re.compile(r"\n{3,}"), "\n\n")
    return Repaired(source=source, text=text, origin=tuple(origin))
