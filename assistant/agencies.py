"""Agency names: canonical forms from a data file of aliases, kinds, and parsing of unit lists.

Unit lists come in several forms, all read here:
- 责任单位：A、B、C等                 (first listed is the lead, inferred from order)
- 牵头单位：A；配合单位：B、C           (lead stated)
- A牵头，B、C按职责分工负责 / A、B牵头，C配合
- 由A牵头，会同B、C… (a body sentence)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .schema import Agency, AgencyKind

_UNIT_END = re.compile(
    r"(?:局|委|办|厅|中心|集团|公司|政府|部门|单位|银行|分行|院|会|署|处|所|站|队|部|组|室|区|市|县|镇|街道|管委会|联|社|协|林场|农场|"
    r"新区|功能区|海关|税务局|监管局|管理局|支队|大队|总队|分局|办公室|委员会)$"
)
_STOP_WORDS = ("等", "按职责", "按照职责", "分工负责", "负责", "配合", "参与", "推进", "落实", "共同", "协同",
               "牵头", "会同", "组织实施", "具体实施", "抓好", "统筹推进")
# The unit-label vocabulary, in one place: every module that reads or writes a unit label takes it from here.
LEAD = "牵头"  # the two roles a unit has in a task, as an official says them
CO = "配合"
LEAD_LABELS = ("牵头单位", "牵头部门", "主要责任单位", "牵头责任单位", "主责单位", "牵头处室")  # the lead is stated
CO_LABELS = ("配合单位", "配合部门", "参与单位", "协同单位", "协办单位")
RESPONSIBLE_LABELS = ("责任单位", "责任部门")  # every unit, lead first by custom (the lead is inferred)
OTHER_LABELS = ("责任主体", "承办单位", "实施主体", "责任处室", "实施单位")
UNIT_LABELS = LEAD_LABELS + CO_LABELS + RESPONSIBLE_LABELS + OTHER_LABELS


def _label(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("^(?:" + "|".join(sorted(names, key=len, reverse=True)) + ")[：:]")


LABEL = _label(UNIT_LABELS)  # any unit label followed by a colon: 责任单位：… / 牵头单位：…
_LABEL_NAMES = "(?:" + "|".join(sorted(UNIT_LABELS, key=len, reverse=True)) + ")[：:]"
_LEAD_LABEL = _label(LEAD_LABELS)
_LEAD_MARK = re.compile(r"[（(]牵头(?:单位)?[）)]")
_SEPARATORS = re.compile(r"[、，,；;]|\s+")
_ADMIN_HEAD = re.compile(r"各[市县区](?:、[市县区])*")
_ADMIN_TAIL = re.compile(r"[市县区](?:人民政府|政府)?")


@dataclass(frozen=True)
class _Aliases:
    aliases: tuple[tuple[str, str], ...]
    collective: dict[str, str]


@lru_cache(maxsize=1)
def _aliases() -> _Aliases:
    data = json.loads(resources.files("assistant").joinpath("data/agencies.json").read_text("utf-8"))
    pairs = sorted(data["aliases"].items(), key=lambda kv: -len(kv[0]))
    return _Aliases(aliases=tuple(pairs), collective=dict(data["collective"]))


def canonical(name: str) -> str:
    """The canonical form of an agency name (市住房和城乡建设局 → 市住房城乡建设局, 各区（市） → 各区市)."""
    name = re.sub(r"\s+", "", name).strip("，。、；：:,.")
    name = re.sub(r"(?:等有关部门|等相关部门|等部门|等单位|等)$", "", name)
    name = re.sub(r"[（(][^）)]*$", "", name)  # a bracket left open where a role word was cut: A（按职责分工）
    table = _aliases()
    if name.startswith("各") or name in table.collective:
        # levels in brackets are part of the collective name (各区（市） → 各区市); other brackets stay as written:
        # 各乡镇人民政府（街道办事处）
        flat = re.sub(r"[（(]([市县区旗、]+)[）)]", lambda m: m.group(1).replace("、", ""), name)
        flat = flat if re.search(r"[（(]", flat) else flat.replace("、", "")
        return table.collective.get(flat, flat)
    for alias, target in table.aliases:
        if alias in name:
            return name.replace(alias, target)
    return name


def kind_of(name: str) -> AgencyKind:
    """department, collective (各区市), enterprise (…集团/公司), government (区市政府, 西海岸新区)."""
    if name.startswith("各") or name.endswith(("有关部门", "有关单位")):
        return "collective"
    if re.search(r"(?:集团|公司|银行|分行|企业)$", name):
        return "enterprise"
    if re.search(r"(?:人民政府|政府|新区|功能区|管委会|[^市]市|区|县)$", name):
        return "government"
    if re.search(r"(?:局|委|办|厅|中心|院|署|处|所|站|队|部|室|委员会|办公室|海关)$", name):
        return "department"
    return "other"


def looks_like_unit(name: str) -> bool:
    """Whether a string is shaped like an agency name (short, ends like one, no sentence inside)."""
    if not 2 <= len(name) <= 24 or re.search(r"[。；：:，,\d%]", name):
        return False
    return bool(_UNIT_END.search(name)) or name.startswith("各")


_NOT_A_NAME = re.compile(r"[。；：:，,%\d]|推进|落实|加强|开展|组织|实施|建立|完善|做好|确保|提高|提升|要|将")


def shaped_like_name(name: str) -> bool:
    """Whether a string standing where units stand (after 配合单位：, before 负责/配合) can be a unit that no list
    knows (柳州广播电视台, 中国农业发展银行梨树县支行): short, no sentence and no verb inside."""
    return 2 <= len(name) <= 30 and not _NOT_A_NAME.search(name)


def _clip(piece: str) -> str:
    """Cut a list piece at the first word that is not part of a name (A等部门推进 → A)."""
    cuts = [i for i in (piece.find(word) for word in _STOP_WORDS) if i > 0]
    return piece[: min(cuts, default=len(piece))]


def split_units(text: str, by_position: bool = False) -> tuple[list[str], bool]:
    """Canonical unit names in a list, in order, and whether the list ended with 等; ``by_position``: the list
    stands where units stand (after a units label, before a role word), so a name no list knows counts too."""
    text = text.strip().rstrip("。；;")
    etc = bool(re.search(r"等(?:有关部门|相关部门|部门|单位)?$", text))
    names: list[str] = []
    depth = 0
    current = ""
    for ch in text:  # split on 、，； outside brackets: 各区（市、区）stays whole
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and _SEPARATORS.fullmatch(ch):
            names.append(current)
            current = ""
        else:
            current += ch
    names.append(current)
    pieces: list[str] = []
    for raw in names:
        piece = _clip(raw)
        if pieces and _ADMIN_HEAD.fullmatch(pieces[-1].strip()) and _ADMIN_TAIL.fullmatch(piece.strip()):
            pieces[-1] += "、" + piece.strip()  # 各区、市 / 各县、市、区人民政府 name one collective unit
        else:
            pieces.append(piece)
    out: list[str] = []
    for piece in pieces:
        name = canonical(piece)
        if name and (looks_like_unit(name) or (by_position and shaped_like_name(name))) and name not in out:
            out.append(name)
    return out, etc


@dataclass
class UnitList:
    """Units read from one statement: leads stated (or inferred from order) and co-units."""

    leads: list[str] = field(default_factory=list)
    co: list[str] = field(default_factory=list)
    lead_inferred: bool = False
    etc: bool = False

    @property
    def names(self) -> list[str]:
        return self.leads + [n for n in self.co if n not in self.leads]

    def details(self) -> list[Agency]:
        return [Agency(name=n, kind=kind_of(n), role="lead" if n in self.leads else "co") for n in self.names]

    def __bool__(self) -> bool:
        return bool(self.leads or self.co)


_LEAD_ROLE = re.compile(r"(?:牵头负责|牵头|负总责|负责|主责)$")
_CO_ROLE = re.compile(r"(?:按照?职责分工负责|按照?职责分工|分工负责|负责落实|共同负责|密切配合|配合|指导支持|协助|支持|参与)$")


def role_phrases(content: str) -> UnitList | None:
    """（A负责，B、C指导支持）: comma-separated unit lists each ending in a role word; None if not of that shape."""
    phrases = [p.strip() for p in re.split(r"[，,；;]", content) if p.strip()]
    result = UnitList()
    for phrase in phrases:
        lead, co = _LEAD_ROLE.search(phrase), _CO_ROLE.search(phrase)
        role = co or lead
        if role is None:
            return None
        names, etc = split_units(phrase[: role.start()], by_position=True)
        pieces = [x for x in re.split(r"[、]", phrase[: role.start()]) if x.strip()]
        if not names or len(names) < len(pieces) or "由" in phrase:
            return None
        result.etc = result.etc or etc
        if co is None and not result.leads:
            result.leads = names
        else:
            result.co.extend(n for n in names if n not in result.names)
    if not any(looks_like_unit(n) for n in result.names):
        return None  # nothing in it is shaped like a unit: prose such as （企业负责，政府配合）
    return result if result.leads else None


def parse_unit_statement(content: str) -> UnitList:
    """Read the inside of a units bracket: labelled parts, an X牵头 phrase, or a plain list."""
    content = content.strip()
    roles = role_phrases(content) if not LABEL.match(content) and "牵头" not in content else None
    if roles:
        return roles
    # parts at ；, or at a comma that opens another label (牵头单位：A，配合单位：B)
    parts = [p for p in re.split(r"[；;]|[，,](?=" + _LABEL_NAMES + ")", content) if p.strip()]
    result = UnitList()
    labelled = [p for p in parts if LABEL.match(p.strip())]
    if labelled and any(_LEAD_LABEL.match(p.strip()) for p in labelled):
        for part in parts:
            part = part.strip()
            names, etc = split_units(LABEL.sub("", part), by_position=True)
            result.etc = result.etc or etc
            (result.leads if _LEAD_LABEL.match(part) else result.co).extend(n for n in names if n not in result.names)
        return result
    body = LABEL.sub("", content)
    if _LEAD_MARK.search(body):  # 责任单位：A（牵头）、B、C
        marked = [canonical(_clip(m.group(1))) for m in re.finditer(r"([^、，,；;（(]+)[（(]牵头(?:单位)?[）)]", body)]
        names, result.etc = split_units(_LEAD_MARK.sub("", body))
        result.leads = [n for n in names if n in marked]
        result.co = [n for n in names if n not in marked]
        if result.leads:
            return result
    if "牵头" in body:
        head, _, tail = body.partition("牵头")
        head = re.sub(r"^由", "", head.strip("，, "))
        result.leads, _ = split_units(head)
        tail = re.sub(r"^[，,、]?(?:负责)?[，,]?(?:会同|联合|协调)?", "", tail)
        co, result.etc = split_units(tail)
        result.co = [n for n in co if n not in result.leads]
        if result.leads:
            return result
    names, result.etc = split_units(body)
    if names:
        result.leads, result.co, result.lead_inferred = names[:1], names[1:], True
    return result


_BODY_LEAD = re.compile(r"(?:^|[，。；、\n])(?:由)?([^，。；：\n]{2,40}?)牵头(?!单位)([^。；]{0,120})")


_ROLE_PHRASE = re.compile(r"^(?:由|以)?([^，。；]{2,80}?)(牵头抓总|牵头负责|牵头|负总责|负责|主责|配合|协同推进|协同|参与|协助|"
                          r"按照?职责分工)")


def parse_role_sentence(sentence: str) -> UnitList:
    """A sentence of unit phrases with their roles: 由A负责，B、C配合 / A牵头抓总，B、C协同推进 /
    A负责统筹指导，B负责具体实施，C配合开展联合执法. Every phrase before the roles must be units only."""
    result = UnitList()
    for phrase in re.split(r"[，,；;]", sentence.strip().rstrip("。")):
        m = _ROLE_PHRASE.match(phrase.strip())
        if not m:
            continue
        pieces = [p for p in re.split(r"[、]", m.group(1)) if p.strip()]
        names, etc = split_units(m.group(1))
        if not names or len(names) < len(pieces) or re.search(r"由|[（(][^）)]*$", m.group(1)):
            continue
        result.etc = result.etc or etc
        if m.group(2) in ("牵头抓总", "牵头负责", "牵头", "负总责", "负责", "主责") and not result.leads:
            result.leads = names
        else:
            result.co.extend(n for n in names if n not in result.names)
    return result if result.leads else UnitList()


def parse_body_lead(sentence: str) -> UnitList:
    """A body sentence stating a lead: 由A牵头，会同B、C… / A牵头负责… ."""
    m = _BODY_LEAD.search(sentence)
    if not m:
        return UnitList()
    head = re.sub(r"^.*由", "", m.group(1))  # 本项工作由A / 以上任务由A → A
    head = re.sub(r"(?:要|应|应当|要充分|充分)?(?:发挥|履行|承担|负责)?$", "", head)  # A要发挥(牵头抓总作用)
    leads, _ = split_units(head)
    if not leads:
        return UnitList()
    tail = m.group(2)
    co: list[str] = []
    etc = False
    cm = re.match(r"^[，,]?(?:负责)?[，,]?(?:会同|联合|协调|配合单位[：:]?)([^。；]+)", tail)
    if cm:
        co, etc = split_units(cm.group(1))
    else:
        pm = re.match(r"^[^，,。；]{0,12}?[，,](.+?)(?:按照?职责分工|按职责负责|密切配合|配合|参与|共同推进|共同负责|分工负责|"
                      r"指导支持|协助|协同推进|协同配合|协同)", tail)
        if pm:
            co, etc = split_units(pm.group(1))
    return UnitList(leads=leads, co=[n for n in co if n not in leads], etc=etc)
