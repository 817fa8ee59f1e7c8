"""Generated plans for the province bench: N distinct plans from the fixture plans, deterministic from a seed.

Sources are every fixture plan: ``tests/data/plans``, ``tests/data/unseen`` (.txt, and the text of the
.docx and .pdf files) and ``corpus/``. Plan i is written as a .txt file:

  - its *base* is source ``i mod S``: the notice, the chapters and the appendix, the source's own place
    replaced by plan i's place (济南市历城区 …);
  - task chapters of other sources (*donors*, picked by the seeded generator, each at most once) are put
    in before the base's last chapter (保障措施), renumbered, until the plan reaches a drawn length
    (``--chunks-per-plan`` on average, ±25 %); their own places are replaced too;
  - every number that is not a year is shifted, the body sentences of each item are rotated, the units
    after the first of each list of three or more are rotated, and every heading and body sentence
    carries the place, so no chunk text repeats another's, within a plan or across plans.

The base's own chapters keep their numbers and their appendix, so its units and targets parse as in the
source; donor chapters bring the units their own text names (those a source gives only in its appendix
table stay behind).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant import markers
from assistant.repair import _continues  # the parser's own rule for a wrapped line

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = (ROOT / "tests" / "data" / "plans", ROOT / "tests" / "data" / "unseen", ROOT / "corpus")
CITIES = ("济南 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽 石家庄 唐山 邯郸 保定 沧州 "
          "太原 大同 沈阳 大连 长春 哈尔滨 南京 无锡 徐州 常州 苏州 南通 杭州 宁波 温州 合肥 芜湖 福州 厦门 泉州").split()
DISTRICTS = "东城 西城 南湖 北山 中原 新华 高新 长安 安定 宁远 平阳 和平 兴隆 城关 山亭 海港 河西 湖滨 林泉 泉山".split()
CHUNKS_PER_PLAN = 150  # drawn per plan ±25 %, then rounded up by whole chapters: 2,000 plans ≈ 330,000 chunks

_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、](?!\d)|[（(]\d{1,2}[）)]|[①-⑳])\s*")  # items, sub-items
_CHAPTER = re.compile(r"^(\s*)([一二三四五六七八九十]+)([、.．]\s*)([^。]{1,30})$")
_APPENDIX = re.compile(r"^\s*(?:附\s*件|附表)")
_GENERAL = re.compile(r"目标|要求|保障|原则|指导思想")
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,3}?)(省|市|县|区)")
_UNITS = re.compile(r"((?:[\u4e00-\u9fff（）()]{2,20}?(?:局|委|办|厅|院|公司|中心|政府|部|会|队|站|所|集团)、){2,}"
                    r"[\u4e00-\u9fff（）()]{2,20}?(?:局|委|办|厅|院|公司|中心|政府|部|会|队|站|所|集团))")
# a quantity: not a year, month or day, not a list marker (1. （1）), not part of a name (PM2.5, G20)
_NUMBER = re.compile(r"(?<![\d.A-Za-z（(])(?<!^)(?<!\n)(?<!\n[ \u3000\t])(?<!\n[ \u3000\t]{2})(\d{1,4})"
                     r"(?![\d年月日号A-Za-z]|[）)]|[.．、](?!\d))")
_NAMES_UNITS = re.compile(r"牵头|负责|配合|责任单位|参与|会同|按职责|主责")  # the place in front would hide the units
_NUMERALS = "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十".split()


@dataclass(frozen=True)
class Source:
    """One fixture plan cut into the parts a generated plan is put together from."""

    name: str
    place: str  # the place its title names, without 省/市/县/区 (青岛, 河南 …)
    head: str  # notice, title and preamble: everything before the first chapter
    chapters: tuple[str, ...]
    tail: str  # the appendix, from its 附件 line
    sentences: tuple[int, ...]  # chunks per chapter in the source
    tasks: tuple[bool, ...]  # whether a chapter holds tasks (not 总体要求, 工作目标, 保障措施 …)


def _text(path: Path) -> str:
    from assistant.loading import load_file

    return load_file(path).text


def source_files() -> list[Path]:
    """Every fixture plan, one file per plan (a plan given as .docx, .pdf and a revision is taken once)."""
    files = [p for d in SOURCE_DIRS for p in sorted(d.glob("*")) if p.suffix in (".txt", ".docx", ".pdf")]
    seen: set[str] = set()
    out = []
    for path in files:
        key = re.sub(r"(_v\d+)?$", "", path.stem)
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


def _cut(name: str, text: str, title: str, per_chapter: dict[str, int]) -> Source:
    lines = text.replace("\r\n", "\n").split("\n")
    head: list[str] = []
    chapters: list[list[str]] = []
    tail: list[str] = []
    for line in lines:
        if tail or (chapters and _APPENDIX.match(line)):
            tail.append(line)
        elif markers.CHAPTER.match(line.strip(" \u3000\t")) and _CHAPTER.match(line):
            chapters.append([line])
        elif chapters:
            chapters[-1].append(line)
        else:
            head.append(line)
    own = _PLACE.match(title)
    bodies = ["\n".join(c) for c in chapters]
    return Source(name=name, place=own.group(1) if own else "", head="\n".join(head), chapters=tuple(bodies),
                  tail="\n".join(tail),
                  sentences=tuple(per_chapter.get(_NUMERALS[k], 1) if k < len(_NUMERALS) else 1 for k in range(len(chapters))),
                  tasks=tuple(not _GENERAL.search(c[0]) for c in chapters))


@lru_cache(maxsize=1)
def sources() -> tuple[Source, ...]:
    from collections import Counter

    from assistant.chunks import build_chunks
    from assistant.policies import read_policy

    out = []
    for path in source_files():
        policy = read_policy(path)
        per_chapter = Counter(c.chapter for c in build_chunks(policy))
        out.append(_cut(path.name, _text(path), policy.title, per_chapter))
    return tuple(out)


def place(i: int) -> str:
    """A distinct place for plan i (40 cities × 20 districts, then numbered: 济南市东城二片区 …; 16,000 in all)."""
    city, district = CITIES[i % len(CITIES)], DISTRICTS[(i // len(CITIES)) % len(DISTRICTS)]
    rounds = i // (len(CITIES) * len(DISTRICTS))
    return f"{city}市{district}{_NUMERALS[rounds] + '片' if rounds else ''}区"  # no digits: numbers get shifted


def _localise(text: str, own: str, where: str) -> str:
    """A source's text with its own place (青岛市, 青岛) made plan i's."""
    if not own:
        return text
    for suffix in ("省", "市", "县", "区"):
        text = text.replace(own + suffix, where)
    return text.replace(own, where)


def _renumber(chapter: str, numeral: str) -> str:
    first, _, rest = chapter.partition("\n")
    m = _CHAPTER.match(first)
    if m:
        first = m.group(1) + numeral + m.group(3) + m.group(4)
    return first + "\n" + rest


def compose(i: int, rng: random.Random, chunks_per_plan: int = CHUNKS_PER_PLAN) -> str:
    """The text of plan i before variation: its base source with donor task chapters put in."""
    pool = sources()
    base = pool[i % len(pool)]
    where = place(i)
    target = rng.randint(int(chunks_per_plan * 0.75), int(chunks_per_plan * 1.25))
    chapters = [_localise(c, base.place, where) for c in base.chapters]
    size = sum(base.sentences)
    keep_last = bool(chapters) and not base.tasks[-1]  # 保障措施 stays last
    donors = [(s, k) for j, s in enumerate(pool) if j != i % len(pool) for k in range(len(s.chapters)) if s.tasks[k]]
    rng.shuffle(donors)
    added: list[str] = []
    for donor, k in donors:
        if size >= target or len(chapters) + len(added) >= len(_NUMERALS):
            break
        added.append(_localise(donor.chapters[k], donor.place, where))
        size += donor.sentences[k]
    ordered = (chapters[:-1] + added + chapters[-1:]) if keep_last else chapters + added
    ordered = [_renumber(c, _NUMERALS[n]) for n, c in enumerate(ordered)]
    parts = [_localise(base.head, base.place, where)] + ordered + ([_localise(base.tail, base.place, where)]
                                                                    if base.tail else [])
    return "\n".join(parts)


def _rotate_units(line: str, rng: random.Random) -> str:
    """Lists of three or more units: the first (the lead, in many plans) stays, the others are rotated."""
    def turn(m: re.Match[str]) -> str:
        names = m.group(1).split("、")
        rest = names[1:]
        k = rng.randrange(len(rest))
        return "、".join([names[0]] + rest[k:] + rest[:k])

    return _UNITS.sub(turn, line)


def vary(text: str, i: int, rng: random.Random) -> str:
    """Plan i's variation: numbers shifted, sentences and unit lists rotated, the place in every heading and sentence."""
    where = place(i)
    shift = rng.randint(1, 9)
    text = _NUMBER.sub(lambda n: n.group(1) if re.fullmatch(r"(19|20)\d\d", n.group(1)) else str(int(n.group(1)) + shift),
                       text)
    lines: list[str] = []
    in_appendix = False
    for line in text.split("\n"):
        in_appendix = in_appendix or bool(_APPENDIX.match(line))
        if in_appendix:
            lines.append(line)
            continue
        previous = next((x.strip(" \u3000\t") for x in reversed(lines) if x.strip()), "")
        continued = _continues(previous, line.strip(" \u3000\t"))  # as the parser joins wrapped lines
        heading = _CHAPTER.match(line)
        item = _ITEM.match(line)
        line = _rotate_units(line, rng)
        if heading:
            line = heading.group(1) + heading.group(2) + heading.group(3) + where + heading.group(4)
        elif item and "。" not in line:
            line = line[:item.end()] + where + line[item.end():]
        elif "。" in line:
            parts = line.split("。")
            kept = bool(item) or continued  # an item's title, or the end of a sentence a wrapped line began
            head, body, tail = (parts[0], parts[1:-1], parts[-1]) if kept else ("", parts[:-1], parts[-1])
            if item:  # the item title prefixes every chunk of the item: with the place in it, none repeats
                head = head[:item.end()] + where + head[item.end():]
            if len(body) >= 2:
                k = rng.randrange(len(body))
                body = body[k:] + body[:k]
            body = [x if where in x or not x.strip() or _NAMES_UNITS.search(x) else where + x.lstrip("　 ") for x in body]
            line = "。".join(([head] if kept else []) + body + [tail])
        lines.append(line)
    return "\n".join(lines)


def generate(n: int, out: Path, seed: int = 7, chunks_per_plan: int = CHUNKS_PER_PLAN, start: int = 0) -> list[Path]:
    """Write plans ``start`` … ``n - 1`` under ``out`` as plan_00000.txt …; deterministic from ``seed`` (plan i
    is the same whatever ``n`` and ``start``); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, n):
        rng = random.Random(f"{seed}:{i}")
        path = out / f"plan_{i:05d}.txt"
        path.write_text(vary(compose(i, rng, chunks_per_plan), i, rng), "utf-8")
        paths.append(path)
    return paths
