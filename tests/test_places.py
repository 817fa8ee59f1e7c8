"""Places in titles and questions: provinces, cities and counties, written as places."""

from __future__ import annotations

import pytest

from assistant.places import level_of, places_in


@pytest.mark.parametrize(("text", "places"), [
    ("济南市的绿色建筑占比要达到多少？", [("济南市", "市")]),
    ("按省里的方案，山东要达到多少", [("山东省", "省")]),
    ("山东省临沂市沂水县的改厕目标", [("山东省", "省"), ("临沂市", "市"), ("沂水县", "县")]),
    ("青岛的轨道交通要修多长", [("青岛市", "市")]),
    # words that only look like places
    ("海绵城市这一块是谁负责", []), ("沿海城市", []), ("到2025年打造省级示范村多少个", []),
    ("城市更新全市各区市", []), ("新城区的道路", []), ("中山路改造", []), ("大同小异", []), ("市辖区", []),
    ("县融媒体中心", []),
])
def test_places_in(text: str, places: list[tuple[str, str]]) -> None:
    assert [(p.name, p.level) for p in places_in(text)] == places


def test_level_of() -> None:
    assert [level_of(n) for n in ("河南省", "广西壮族自治区", "洛阳市", "甘南藏族自治州", "沂水县", "包河区")] == \
        ["省", "省", "市", "市", "县", "区"]
