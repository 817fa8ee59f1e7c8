"""Question understanding: what a question asks, about which plan and unit, before anything is retrieved.

``understand(text, catalog)`` returns a typed :class:`~assistant.schema.Query`: the intent, the places
and plans it names (and the places it names that no loaded plan is for), the units it names, the
years, the version, the unit families and values it states. Units are matched by what distinguishes
them: 住建局, 住房城乡建设局 and 住房和城乡建设局 are one unit; 水务局 is never 商务局; a short name that
fits several units names them all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from .agencies import canonical
from .errors import QuestionError
from .places import places_in, short_name
from .schema import Intent, PolicyRecord, Query

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_AGENCY_TASKS = re.compile(
    r"(?:负责|牵头|承担|参与|配合|涉及|有)(?:了)?(?:哪些|哪几|什么|几项|多少项)|(?:哪些|哪几|什么|多少)(?:项|件|个|方面)?"
    r"(?:任务|工作|事|活|职责|块)|干(?:些)?(?:什么|啥)|分到|头上|出哪些力|的任务|任务清单|职责是|要做(?:什么|啥)|"
    r"管(?:哪些|什么|啥)"
)
_AGENCIES = re.compile(r"谁|哪个部门|哪些部门|哪个单位|哪些单位|哪家|哪几家|哪几个部门|哪个局|牵头|负责单位|责任单位|配合单位|"
                       r"归.{0,2}管|主管|由谁|什么部门|什么单位|责任部门")
_DEADLINE = re.compile(r"什么时候|何时|哪年|哪一年|期限|时限|截止|啥时候|几几年|多久|完成时间|什么时间|奔着.{0,4}年|哪个年份|"
                       r"目标年份|年份")
_TARGET = re.compile(
    r"目标|多少|比例|达到|多长|多大|多高|多密|多远|多宽|最宽|最高|最低|最多|最少|(?<!哪)几[个家座所处条项成]|百分之|指标|"
    r"程度|占比|占.{0,3}多|至少|不低于|上限|多快|压到|降到|提高到|降多少|下降|要求.{0,4}[几多]|浓度|控制在"
)
YEAR = re.compile(r"(?<!比)(?<!\d)(20\d{2}|19\d{2})(?!\d)\s*年?")
_PLAN_PERIOD = {"十四五": 2025, "十五五": 2030, "十六五": 2035}
_OLD_VERSION = re.compile(r"旧版|原版|老版|修订前|上一版|之前的版本|原来的版本|原方案|修改前|去年版|去年的版本|去年的方案|上一年的方案|前一版")
_LEVEL_WORDS = {"省": re.compile(r"省里|省级|全省|省方案|省的方案|省政府"), "市": re.compile(r"市里|市级|全市方案|市的方案"),
                "县": re.compile(r"县里|县级|全县|县的方案")}
# the words of a unit name that say what kind of body it is, not which one
_GENERIC = re.compile(r"(?:管理局|委员会|办公室|领导小组|服务中心|中心|集团|有限公司|公司|部门|单位|局|委|办|厅|署|院)$")
UNIT_MENTION = re.compile(r"[\u4e00-\u9fff]{1,14}?(?:局|委|办|厅|中心|集团|公司|部门|管委会|署|院|处|站|支队|大队)")
_UNIT_WORDS = re.compile(r"\d+(?:\.\d+)?|公里|平方米|平方|万|亿|吨|个|%|百分点|多少|几")


def clean_question(question: object, max_chars: int) -> str:
    """The question as text, without control characters; raises QuestionError with a plain message."""
    if not isinstance(question, str):
        raise QuestionError("问题必须是文字")
    text = unicodedata.normalize("NFKC", _CONTROL.sub("", question)).strip()
    if not text:
        raise QuestionError("请输入问题")
    if len(text) > max_chars:
        raise QuestionError(f"问题太长（{len(text)} 字），请精简到 {max_chars} 字以内")
    if not re.search(r"[\u4e00-\u9fffA-Za-z0-9]", text):
        raise QuestionError("问题里没有可识别的文字，请用中文描述要查询的内容")
    return text


def detect_intent(question: str, names_unit: bool = False) -> Intent:
    """What is asked: agency_tasks, agencies, deadline, target or general."""
    if names_unit and _AGENCY_TASKS.search(question):
        return "agency_tasks"
    if _AGENCIES.search(question):
        return "agencies"
    if _DEADLINE.search(question):
        return "deadline"
    if _TARGET.search(question):
        return "target"
    return "general"


@lru_cache(maxsize=1 << 16)  # a pure function of the name; places_in scans the whole gazetteer
def _core(name: str) -> str:
    """What distinguishes a unit: its name without places, brand prefix and generic tail
    (市住房城乡建设局 → 住房城乡建设, 国网洛阳供电公司 → 供电)."""
    bare = name
    for place in places_in(name):
        for written in (place.name, place.short):
            if written in bare and len(bare) > len(written) + 1:
                bare = bare.replace(written, "", 1)
                break
    bare = re.sub(r"^(?:国网|国家电网|中国)", "", bare) or bare
    bare = re.sub(r"^[省市县区](?![场政辖])", "", bare) or name
    core = _GENERIC.sub("", bare)
    return core if len(core) >= 2 else bare


def _in_order(short: str, long: str) -> bool:
    """Whether every character of ``short`` occurs in ``long`` in order (住建 in 住房城乡建设)."""
    position = 0
    for ch in short:
        position = long.find(ch, position)
        if position < 0:
            return False
        position += 1
    return True


@dataclass
class Catalog:
    """What the loaded plans know: their records and the units they name."""

    records: list[PolicyRecord] = field(default_factory=list)
    units: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.units = sorted(set(self.units), key=lambda u: (-len(u), u))
        self._bare = {u: _core(u) for u in self.units}
        self._cores = {u: canonical(self._bare[u]) for u in self.units}
        self._generic = {u for u in self.units if _GENERIC.search(u)}
        # a mention's core can only fit a unit whose core starts with its first character or ends with its last
        self._by_end: dict[tuple[int, str], set[str]] = {}
        for u, known in self._cores.items():
            if known:
                self._by_end.setdefault((0, known[0]), set()).add(u)
                self._by_end.setdefault((-1, known[-1]), set()).add(u)

    def units_in(self, question: str, among: set[str] | None = None) -> list[str]:
        """The units a question names: a full name, or a short one matched by its distinguishing characters;
        ``among`` limits the match to the units of the plans the question is about."""
        units = [u for u in self.units if among is None or u in among]
        bare = self._bare
        # a name written out in full (市交通运输局) is that unit; a distinctive core alone (交通运输局) may be several
        exact = [u for u in units if u in question] or \
            [u for u in units if len(bare[u]) >= 3 and bare[u] in question and u in self._generic]
        exact = [u for u in exact if not any(u != o and u in o for o in exact)]
        if exact:
            return exact
        found: list[tuple[float, str]] = []
        for m in UNIT_MENTION.finditer(question):
            for start in range(m.start(), m.end() - 1):
                mention = question[start:m.end()]
                core = canonical(_core(mention))
                if len(core) < 2 or core in ("有关", "相关", "各", "哪个", "什么", "哪些"):
                    continue
                fits = self._by_end.get((0, core[0]), set()) | self._by_end.get((-1, core[-1]), set())
                for unit in (u for u in units if u in fits):
                    known = self._cores[unit]
                    if core == known or known.endswith(core) or (_in_order(core, known) and core[0] == known[0]):
                        ratio = SequenceMatcher(None, core, known).ratio()
                        # the kind of body written out counts too: 水务局 is 市水务局 before 市水务管理局, 住建厅 a 厅
                        ratio += 0.5 if unit.endswith(canonical(mention)) else 0.2 if unit[-1] == mention[-1] else 0.0
                        found.append((ratio, unit))
                if found:
                    break  # the longest mention that names a unit: 海事处, not its tail 事处 (…街道办事处)
            if found:
                break
        if not found:
            return []
        level = m.group()[:1] if m.group()[:1] in "省市县区" else ""
        if level:  # 省卫健委 is the province's, 县供电公司 the county's: units of that level, where there are any
            leveled = [(r, u) for r, u in found if u.startswith(level) or level + _core(m.group()[1:]) in u]
            found = leveled or found
        best = max(r for r, _ in found)
        # every unit the short name fits equally well: 水务部门 → 市水务局 and 市水务管理局 when both exist
        return list(dict.fromkeys(u for r, u in sorted(found, key=lambda x: -x[0]) if r >= best - 0.1))


def understand(question: str, catalog: Catalog, plan_units: dict[str, set[str]] | None = None,
               within: list[str] | None = None) -> Query:
    """The typed reading of a (cleaned) question against the loaded plans (``plan_units``: each plan's units;
    ``within``: the plans the caller has already chosen, e.g. an eval set's own)."""
    units = catalog.units_in(question)
    without_units = question
    for unit in units:
        without_units = without_units.replace(unit, " ")
    places = [p for p in places_in(without_units) if p.level]
    policies, unknown = _plans_named(question, places, catalog.records)
    if within:
        policies, unknown = list(within), []
    if policies and plan_units:  # a unit is looked for in the plans the question is about
        among = set().union(*(plan_units.get(p, set()) for p in policies))
        units = catalog.units_in(question, among) or units
    years = [int(y) for y in YEAR.findall(question)]
    years += [year for word, year in _PLAN_PERIOD.items() if word in question and year not in years]
    return Query(text=question, intent=detect_intent(question, bool(units)), units=units,
                 places=[p.name for p in places], policies=policies, unknown_places=unknown, years=years,
                 old_version=bool(_OLD_VERSION.search(question)))


def _plans_named(question: str, places: list, records: list[PolicyRecord]) -> tuple[list[str], list[str]]:  # type: ignore[type-arg]
    """Policy ids a question names by place, level word or title, and the places it names that no plan is for."""
    chosen: list[str] = []
    unknown: list[str] = []
    for place in places:
        match = [r.policy for r in records if r.place and (r.place == place.name or _place_names(r.place)[1] == place.short)]
        if not match:  # a province named: plans of its cities count only when no plan is for the province itself
            unknown.append(place.name)
        chosen.extend(m for m in match if m not in chosen)
    if not places:
        for level, pattern in _LEVEL_WORDS.items():
            if pattern.search(question):
                chosen.extend(r.policy for r in records if r.level == level and r.policy not in chosen)
    for record in records:  # a loaded plan's own place, by its full or short name (洛阳工业…, 叙州区)
        if record.place and any(len(name) >= 2 and name in question for name in _place_names(record.place)):
            if record.policy not in chosen:
                chosen.append(record.policy)
            unknown = [u for u in unknown if short_name(u) != short_name(record.place)]
    named = [m.group(1) for m in _PLAN_PHRASE.finditer(question)]
    for record in records:  # a plan named by its title: 这个工业碳达峰方案
        core = _title_core(record.title)
        if len(core) < 4 or record.policy in chosen:
            continue
        if core in question or any(_title_fit(phrase, core) >= 0.6 for phrase in named):
            chosen.append(record.policy)
    if unknown and chosen:
        unknown = []  # 山东省 and 青岛市 named, a Qingdao plan loaded: answer from it
    return chosen, unknown


@lru_cache(maxsize=1 << 14)
def _place_names(place: str) -> tuple[str, ...]:
    """A plan's place as a question may write it: in full, short, without its province or city, without 县/区."""
    local = re.sub(r"^.*[省市](?=.)", "", place)  # 宜宾市叙州区 → 叙州区
    bare = re.sub(r"(?<=..)[县区旗]$", "", local)  # 沂水县 → 沂水
    return place, short_name(place), local, bare


@lru_cache(maxsize=1 << 14)
def _title_core(title: str) -> str:
    """What a plan's title says it is about, without place, period and kind of plan (工业领域碳达峰)."""
    core = re.sub(r"^.*?[省市县区](?=[\u4e00-\u9fff]{4})", "", title)
    core = re.sub(r"(?:（.*）)?$", "", re.sub(r"(?:（.*）)$", "", core))
    return re.sub(r"(?:工作|实施|行动)?(?:方案|计划|规划)$", "", core)


_PLAN_PHRASE = re.compile(r"([\u4e00-\u9fff“”]{4,24}?)(?:的)?(?:工作|实施|行动)?(?:方案|计划|规划)")


def _title_fit(phrase: str, core: str) -> float:
    """How much of a question's name for a plan (工业碳达峰) the plan's title holds, by character bigrams."""
    bigrams = _phrase_bigrams(phrase)
    return sum(1 for b in bigrams if b in core) / len(bigrams) if bigrams else 0.0


@lru_cache(maxsize=1024)
def _phrase_bigrams(phrase: str) -> frozenset[str]:
    """The character bigrams of a plan name in a question, without the words that point at it (none under 4 characters)."""
    phrase = re.sub(r"^.*(?:这个|那个|这份|该|本|在|按|按照|根据|关于)", "", phrase).strip("“”的")
    return frozenset(phrase[i:i + 2] for i in range(len(phrase) - 1)) if len(phrase) >= 4 else frozenset()


def topic(question: str) -> str:
    """What a question is about: without question words, years and units."""
    from .hits import retrieval_query

    return _UNIT_WORDS.sub("", retrieval_query(YEAR.sub("", question)))
