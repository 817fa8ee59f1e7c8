"""A replicated corpus for the scale run: the original plan plus copies whose items differ a little.

Each copy prefixes the first body line of every item (the line after its （一） heading) with a city
name, e.g. ``济南参照执行：按照资源环境承载能力……``. Titles and every other sentence stay as they
are, so only the first sentence chunk of each item needs a new embedding; the rest hash the same as
the original's chunks and are embedded once for the whole corpus (the build dedupes identical chunk
texts, and the embedding cache from a previous build covers the original's).
"""

from __future__ import annotations

import math
from pathlib import Path

from assistant import markers

_CITY_NAMES = (
    "济南 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽 石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 "
    "承德 沧州 廊坊 衡水 太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁 沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 "
    "营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛 长春 吉林 四平 辽源 通化 白山 松原 白城 哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 "
    "大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化 南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁 "
    "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水 合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 "
    "阜阳 宿州 六安 亳州 池州 宣城 福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德"
)
CITIES = _CITY_NAMES.split()
_NUMERALS = "一二三四五六七八九十"


def copy_label(n: int) -> str:
    """A distinct label without digits (digits could be read as targets): 济南, …, then 济南二, 济南三, …"""
    city = CITIES[(n - 1) % len(CITIES)]
    round_ = (n - 1) // len(CITIES)
    return city if round_ == 0 else city + _NUMERALS[min(round_, 9)]


def vary(text: str, label: str) -> tuple[str, int]:
    """``text`` with the first body line of every item prefixed by ``label``; and how many lines changed."""
    lines = text.split("\n")
    changed = 0
    pending = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if markers.ITEM.match(stripped) or markers.CHAPTER.match(stripped):
            pending = bool(markers.ITEM.match(stripped))
            continue
        if pending and not markers.SUBITEM.match(stripped):
            lines[i] = f"{label}参照执行：{stripped}"
            changed += 1
        pending = False
    return "\n".join(lines), changed


def copies_for(items_per_copy: int, min_items: int) -> int:
    """How many documents (the original included) give at least ``min_items`` items."""
    return max(1, math.ceil(min_items / max(items_per_copy, 1)))


def write_scaled_corpus(original: Path, folder: Path, documents: int) -> list[Path]:
    """The original file plus ``documents - 1`` varied copies, written under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = original.read_text("utf-8")
    paths = [folder / original.name]
    paths[0].write_text(text, "utf-8")
    for n in range(1, documents):
        varied, _ = vary(text, copy_label(n))
        # A name that identify() cannot read as a version (no _v2 / _2025 / @… suffix).
        path = folder / f"scaled_c{n:03d}_{original.stem}.txt"
        path.write_text(varied, "utf-8")
        paths.append(path)
    return paths


def same_structure(original_text: str, varied_text: str) -> bool:
    """Whether a varied copy parses to the same items, agencies and targets as the original."""
    from assistant.clauses import parse_text
    from assistant.tasks import build_tasks

    def table(text: str) -> list[tuple[str, tuple[str, ...], tuple[tuple[object, ...], ...]]]:
        doc = parse_text(text, "p", "v1")
        return [(t.id, tuple(t.agencies), tuple((x.year, x.value, x.unit) for x in t.targets))
                for t in build_tasks(doc)]

    return table(original_text) == table(varied_text)

