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


_SHORT_FOLLOWED = re.compile(r"$|[^\u4e00-\u9fff]|的|在|要|是|和|与|及|、|到|对|将|方面|地区|全|市|省|里|当地|今年|明年|计划|提出|目标")


# district names that are also ordinary words (新城区, 城关区, 市中区, 东区): only a plan's own place matches them
_GENERIC_COUNTY = re.compile(r"^(?:新城|城关|城中|城东|城西|城南|城北|市中|郊|矿|高新|开发|经济|老城|新区|[东西南北中]+区)")


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
            if len(name) < 2 or "辖" in name:  # the table's placeholder rows (县, 市辖区) name no place
                continue
            if code.endswith("0000000000"):
                level = "省"
            elif code.endswith("00000000"):
                level = "市"
            else:
                level = level_of(name) or "县"
                level = "县" if level == "市" else level  # a county-level city ranks with counties
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
    """Places a text names, in order of appearance: full names of provinces, cities and counties, and the
    short names of provinces and cities. A county's name counts only where it is written as a place (at
    the start, after punctuation or after its province or city), not inside a longer word (沿海城市)."""
    found: list[tuple[int, Place]] = []
    for key, place in gazetteer().items():
        start = text.find(key)
        if start < 0:
            continue
        if place.level not in ("省", "市"):
            if len(key) < 3 or _GENERIC_COUNTY.match(key) or not _written_as_place(text, start):
                continue
        elif key == place.short and not _SHORT_FOLLOWED.match(text, start + len(key)):
            continue  # 大同小异, 中山路: a short name inside another word
        found.append((start, place))
    found.sort(key=lambda x: (x[0], -len(x[1].name)))
    out: list[Place] = []
    covered: list[tuple[int, int]] = []
    for start, place in found:
        end = start + len(place.name if text.startswith(place.name, start) else place.short)
        if any(a <= start < b for a, b in covered) or place in out:
            continue  # 青岛 inside 青岛市, already taken
        covered.append((start, end))
        out.append(place)
    return out


def _written_as_place(text: str, start: int) -> bool:
    if start == 0 or not re.match(r"[\u4e00-\u9fff]", text[start - 1]):
        return True
    before = text[:start]
    return bool(re.search(r"(?:省|市|州|盟|在|对|与|和|及|、|是|按|的)$", before))
