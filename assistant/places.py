"""Place names: provinces, cities and counties of China, and finding them in a title or a question.

The names come from the administrative-division table shipped in the ``cpca`` package (read as a
CSV; the package itself is never imported). Provinces and prefecture cities are also known by their
short names (山东, 青岛); counties and districts only by their full names (沂水县), since many short
county names are ordinary words.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

Level = str  # 省 | 市 | 县 | 区 | ""

_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "地区", "省", "市", "盟")
# a place written with its level word: 2–6 characters before it, not a word that only looks like one
_NAMED = re.compile(r"([\u4e00-\u9fff]{2,6}?(?:省|自治区|市|自治州|州|盟|县|区|旗))")
_NOT_PLACES = ("城市", "全市", "本市", "我市", "该市", "各市", "全省", "本省", "我省", "各省", "城区", "市区", "县城", "全县",
               "本县", "我县", "各县", "全区", "本区", "我区", "各区", "新区", "园区", "社区", "街区", "片区", "景区", "小区",
               "老城区", "中心城区", "主城区", "开发区", "示范区", "功能区", "保护区", "自贸区", "试验区", "先行区", "城乡")


@dataclass(frozen=True)
class Place:
    name: str  # 青岛市
    short: str  # 青岛
    level: Level  # 省 | 市 | 县 | 区


def level_of(name: str) -> Level:
    """省, 市, 县 or 区 from a place name's last word (自治区 is a province, 自治州 a city)."""
    if name.endswith(("省", "自治区", "特别行政区")):
        return "省"
    if name.endswith(("市", "州", "盟", "地区")):
        return "市"
    if name.endswith(("县", "旗")):
        return "县"
    if name.endswith("区"):
        return "区"
    return ""


def short_name(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _table_path() -> Path | None:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "adcodes.csv"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Place]:
    """Every known place by its full name and, for provinces and cities, by its short name."""
    path = _table_path()
    places: dict[str, Place] = {}
    if path is None:
        return places
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code, name = row["adcode"], row["name"]
            if len(name) < 2:  # the table's placeholder rows (县, 市辖区) name no place
                continue
            if code.endswith("0000000000"):
                level = "省"
            elif code.endswith("00000000"):
                level = "市"
            else:
                level = level_of(name) or "县"
            place = Place(name, short_name(name), level)
            places.setdefault(name, place)
            if level in ("省", "市") and len(place.short) >= 2:
                places.setdefault(place.short, place)
    return places


def place_of(name: str) -> Place:
    """A Place for a name written in full (沂水县), known to the table or not."""
    known = gazetteer().get(name)
    return known if known and known.name == name else Place(name, short_name(name), level_of(name))


def places_in(text: str) -> list[Place]:
    """Places a text names, in order: full names with their level word (X市, X县), and known short names."""
    found: dict[str, Place] = {}
    table = gazetteer()
    for m in _NAMED.finditer(text):
        name = m.group(1)
        # the shortest known place the match ends with (山东省青岛市 → 青岛市 after 山东省)
        for start in range(len(name) - 2, -1, -1):
            tail = name[start:]
            if tail in table and table[tail].name == tail:
                name = tail
                break
        if name in _NOT_PLACES or name[0] in "各全本我该某每其此省市县区" or \
                any(name.endswith(w) for w in _NOT_PLACES if len(w) >= 3):
            continue
        if name not in table and not re.match(r"^[\u4e00-\u9fff]{2,3}[省市县]$", name):
            continue  # an unknown name must at least look like one (two or three characters and 省/市/县)
        found.setdefault(name, place_of(name))
    for short, place in table.items():
        if place.level in ("省", "市") and short == place.short and short in text and place.name not in found and short not in "".join(found):
            found.setdefault(place.name, place)
    return list(found.values())
