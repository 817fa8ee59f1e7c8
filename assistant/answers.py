"""Answers to who / what target / by when / which tasks, built from the task table of retrieved items.

Every answer cites the clause it comes from with a quote checked to be in it. When the document
does not say, the answer says so (``not_found``) and shows the nearest clauses; agencies and numbers
are only ever copied from the task table, never composed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .agencies import canonical
from .embeddings import Embedder
from .errors import QuestionError
from .exports import describe_target
from .hits import policy_terms, retrieval_query, strip_question_words
from .schema import Answer, Citation, Hit, Intent, Target, Task
from .store import Store

_AGENCY_TASKS = re.compile(
    r"(?:负责|牵头|承担|参与|配合|涉及|有)(?:了)?(?:哪些|哪几|什么|几项|多少项)|(?:哪些|哪几|什么|多少)(?:项|件|个|方面)?"
    r"(?:任务|工作|事|活|职责|块)|干(?:些)?(?:什么|啥)|分到|头上|出哪些力|的任务|任务清单"
)
_AGENCIES = re.compile(r"谁|哪个部门|哪些部门|哪个单位|哪些单位|哪家|哪几家|哪几个部门|哪个局|牵头|负责单位|责任单位|配合单位|归.{0,2}管|主管|由谁|什么部门|什么单位|责任部门")
_DEADLINE = re.compile(r"什么时候|何时|哪年|哪一年|期限|时限|截止|啥时候|几几年|多久|完成时间|什么时间|奔着.{0,4}年|哪个年份|目标年份|年份")
_TARGET = re.compile(
    r"目标|多少|比例|达到|多长|多大|多高|多密|多远|多宽|最宽|最高|最低|最多|最少|(?<!哪)几[个家座所处条项成]|百分之|指标|"
    r"程度|占比|占.{0,3}多|至少|不低于|上限|多快|压到|降到|提高到|降多少|下降|要求.{0,4}[几多]"
)
_YEAR = re.compile(r"(?<!比)(?<!\d)(20\d{2}|19\d{2})(?!\d)\s*年?")
_PER_UNIT = re.compile(r"人均|户均|每人|每户|每平方米|每万平方米|每公里|单位面积|单位建筑面积")
_REDUCE_CUE = re.compile(r"降|减少|压减|减排|少排|缩减")
_FOLLOWUP_LEAD = re.compile(r"^(?:那|那么|那个|这个|这项|这些|该项|它|其|此|上述|还有|另外|再问)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_UNIT_CUES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"多长|多远|公里|里程|长度|千米"), ("公里", "千米", "米")),
    (re.compile(r"多宽|宽度|多少米"), ("米",)),
    (re.compile(r"多密|密度"), ("公里/平方公里",)),
    (re.compile(r"面积|平方米|多大面积|多少平"), ("平方米", "万平方米", "亿平方米", "平方公里")),
    (re.compile(r"比例|率|百分之|占比|占.{0,3}多|几成|百分点|%|多大一块"), ("%", "百分点")),
    (re.compile(r"(?<!哪)几个|多少个|多少家|几家|多少座|多少处|几座|几处|几所"), ("个", "家", "座", "处", "所")),
    (re.compile(r"几条|多少条|线路"), ("条",)),
    (re.compile(r"排放量|多少吨|万吨|每万平方米"), ("吨/万平方米", "吨", "万吨")),
    (re.compile(r"兆瓦|千瓦|装机"), ("千瓦", "兆瓦", "万千瓦")),
    (re.compile(r"多少钱|资金|预算|投资额|票价|价格|补贴|奖励|奖补|补助|多少元|万元|亿元"), ("元", "万元", "亿元")),
]


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


def detect_intent(question: str, known_agency: str | None = None) -> Intent:
    """What is asked: agency_tasks, agencies, deadline, target or general."""
    if known_agency and _AGENCY_TASKS.search(question):
        return "agency_tasks"
    if _AGENCIES.search(question):
        return "agencies"
    if _DEADLINE.search(question):
        return "deadline"
    if _TARGET.search(question):
        return "target"
    return "general"


_DATED = re.compile(r"(?:每年|每季度|每月|\d{4}年)\d{0,2}月?(?:底|末|中旬|上旬|下旬)?(?:前|以前)|\d{4}年(?:底|末)?前")
_UNIT_WORDS = re.compile(r"\d+(?:\.\d+)?|公里|平方米|平方|万|亿|吨|个|%|百分点|多少|几")


_ASKED_UNIT = re.compile(r"(?:多少|几)([\u4e00-\u9fff%/]{1,6})")
_MEASURE_WORDS = ("层", "条", "辆", "台", "套", "户", "人", "元", "万元", "亿元", "吨", "万吨", "兆瓦", "千瓦", "万千瓦",
                  "公里", "米", "平方米", "个", "家", "座", "所", "处", "项", "倍")


def _unit_cues(question: str) -> list[tuple[str, ...]]:
    """Unit families the question asks for: the measure word right after 多少/几 if any, else cue words."""
    for m in _ASKED_UNIT.finditer(question):
        asked = m.group(1)
        for pattern, units in _UNIT_CUES:
            if pattern.search(asked):
                return [units]
        for word in sorted(_MEASURE_WORDS, key=len, reverse=True):
            if asked.startswith(word):
                count = ("个", "家", "座", "处", "所")
                family = {"平方米": ("平方米", "万平方米", "亿平方米"), "吨": ("吨", "万吨"), "米": ("米",),
                          "公里": ("公里", "千米"), **{c: count for c in count}}.get(word, (word,))
                return [family]
    return [units for pattern, units in _UNIT_CUES if pattern.search(question)]


def _unit_in(unit: str | None, family: tuple[str, ...]) -> bool:
    """Whether a target's unit is of an asked family; a rate (公里/平方公里) counts by its numerator."""
    return bool(unit) and (unit in family or (unit or "").split("/")[0] in family)


def _states_rate(marker: str, target: Target) -> bool:
    """Whether a target is a rate per what ``marker`` (人均, 每万平方米 …) names: in its words or its unit."""
    unit = target.unit or ""
    return marker in target.metric + target.quote or (marker.startswith("每") and f"/{marker[1:]}" in unit) \
        or (marker.startswith("单位") and "/" in unit)


def _topic(question: str) -> str:
    """What a question is about: without question words, years and units."""
    return _UNIT_WORDS.sub("", retrieval_query(_YEAR.sub("", question)))


_CN_TENTHS = {"一": 10, "二": 20, "两": 20, "三": 30, "四": 40, "五": 50, "六": 60, "七": 70, "八": 80, "九": 90}


def _stated_quantities(question: str) -> set[tuple[float, str]]:
    """Values a question states: 500公里, 45%, 七成 (70%), 百分之六十 (60%), 一半 (50%)."""
    found = {(float(v), u) for v, u in re.findall(r"(\d+(?:\.\d+)?)\s*(%|公里|万平方米|亿平方米|平方米|个|米|吨|家|处)",
                                                 question)}
    found |= {(float(_CN_TENTHS[c]), "%") for c in re.findall(r"([一二两三四五六七八九])成", question)}
    found |= {(float(v), "%") for v in re.findall(r"百分之(\d+(?:\.\d+)?)", question)}
    if "一半" in question:
        found.add((50.0, "%"))
    return found


def _bare(name: str) -> str:
    """An agency name without its 市/区/县 prefix or the city's name before it."""
    return re.sub(r"^(?:[\u4e00-\u9fff]{2,4}?市(?![场政委直]))?(?:[市区县省](?![场政]))?", "", name) or name


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def _overlap(question: str, text: str) -> float:
    q = _bigrams(question)
    return len(q & _bigrams(text)) / len(q) if q else 0.0


@dataclass
class Turn:
    question: str
    intent: Intent
    policy: str | None
    version: str | None
    task_id: str | None
    target: Target | None = None


@dataclass
class Conversation:
    """The turns so far; a follow-up (那2030年呢？ / 由谁负责？) is read against the last one."""

    turns: list[Turn] = field(default_factory=list)

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


class Assistant:
    """Answers questions over one store (the local index folder, or Milvus + SQL)."""

    def __init__(self, index: Store, embedder: Embedder, max_question_chars: int = 500,
                 min_relevance: float = 0.885, min_target_relevance: float = 0.25,
                 strong_dense: float = 0.91) -> None:
        self.index = index
        self.retriever = index
        self.max_question_chars = max_question_chars
        self.min_relevance = min_relevance
        self.min_target_relevance = min_target_relevance
        self.strong_dense = strong_dense
        document_frequency: dict[str, int] = {}
        for chunk in index.chunks:
            for ch in set(re.sub(r"[^\u4e00-\u9fff]", "", chunk.sentence)):
                document_frequency[ch] = document_frequency.get(ch, 0) + 1
        n = len(index.chunks) + 1
        self._idf = {ch: math.log(n / (df + 0.5)) for ch, df in document_frequency.items()}
        self._idf_max = math.log(n / 0.5)
        self._agencies = sorted({a for t in index.tasks for a in t.agencies}, key=len, reverse=True)
        self._versions: dict[str, list[str]] = {}
        for info in index.policies:
            self._versions.setdefault(info.policy, []).append(info.version)

    # ----------------------------------------------------------------- public
    def ask(self, question: object, conversation: Conversation | None = None, policy: str | None = None,
            version: str | None = None) -> Answer:
        """Answer one question; ``conversation`` (if given) supplies and records context for follow-ups."""
        text = clean_question(question, self.max_question_chars)
        agency = self.find_agency(text)
        intent = detect_intent(text, agency)
        scope = self._scope(text, policy, version)
        previous = conversation.last if conversation else None
        followup = previous is not None and self._is_followup(text, agency)
        if followup and previous is not None and intent == "general":
            intent = previous.intent if previous.intent != "agency_tasks" else "general"
        if intent == "agency_tasks" and agency:
            answer = self._agency_tasks(text, agency, scope)
            self._record(conversation, text, answer, None)
            return answer
        hits = self.retriever.search(text, k=5, scope=scope)
        if followup and previous is not None and previous.task_id and previous.policy:
            pinned = self._pinned_hit(previous, hits)
            if pinned is not None:
                hits = [pinned] + [h for h in hits if h.item_id != pinned.item_id]
        if not hits:
            answer = Answer(question=text, intent=intent, answer="文件未涉及这一问题：索引中没有可检索的条款。",
                            not_found=True)
            self._record(conversation, text, answer, None)
            return answer
        if intent == "agencies":
            answer, task = self._agencies_answer(text, hits, followup)
        elif intent in ("target", "deadline"):
            answer, task = self._target_answer(text, intent, hits, followup, previous)
        else:
            answer, task = self._general_answer(text, hits, followup)
        self._record(conversation, text, answer, task)
        return answer

    def find_agency(self, question: str) -> str | None:
        """The agency a question names, as its canonical name in the corpus (住建局 → 市住房城乡建设局)."""
        for name in self._agencies:
            if name in question:
                return name
        best: tuple[float, str] | None = None
        for m in re.finditer(r"[\u4e00-\u9fff]{1,12}?(?:局|委|办|厅|中心|集团|公司)", question):
            for start in range(m.start(), m.end() - 1):
                bare = _bare(canonical(question[start:m.end()]))
                if len(bare) < 2:
                    continue
                for name in self._agencies:
                    known = _bare(name)
                    if known[-1] != bare[-1]:
                        continue
                    ratio = SequenceMatcher(None, bare, known).ratio()
                    if (known.endswith(bare) or ratio >= 0.7) and (best is None or ratio > best[0]):
                        best = (ratio, name)
        return best[1] if best else None

    # ---------------------------------------------------------------- helpers
    def _scope(self, question: str, policy: str | None, version: str | None) -> set[tuple[str, str]]:
        latest = self.index.latest_versions()
        policies = [policy] if policy else list(latest)
        scope = set()
        for pid in policies:
            versions = self._versions.get(pid, [])
            chosen = version if version in versions else self._version_in(question, pid, versions)
            scope.add((pid, chosen or latest.get(pid, "")))
        return scope

    def _version_in(self, question: str, policy: str, versions: list[str]) -> str | None:
        from .policies import version_key

        for v in sorted(versions, key=len, reverse=True):
            if v and v.lower() in question.lower() and not re.fullmatch(r"v?\d", v.lower()):
                return v
        m = re.search(r"(?:第\s*)?(\d+)\s*版|v(\d+)", question, re.I)
        if m:
            label = f"v{m.group(1) or m.group(2)}"
            if label in versions:
                return label
        if re.search(r"旧版|原版|老版|修订前|上一版|之前的版本|原来的版本|原方案|修改前", question):
            infos = sorted((p for p in self.index.policies if p.policy == policy),
                           key=lambda p: version_key(p.version, p.date))
            if len(infos) >= 2:
                return infos[-2].version
        return None

    def _is_followup(self, question: str, agency: str | None) -> bool:
        content = _YEAR.sub("", strip_question_words(question))
        content = re.sub(r"[那么这个些该它其此呢吗的要是还有项条件时候年底前后能可以]", "", content)
        content = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", content)
        short = len(content) <= 8
        return (bool(_FOLLOWUP_LEAD.match(question)) or question.rstrip("？?。 ").endswith("呢")) and short \
            or len(content) <= 2

    def _pinned_hit(self, previous: Turn, hits: list[Hit]) -> Hit | None:
        item_id = previous.task_id
        task = self.index.task(previous.policy or "", previous.version or "", item_id or "")
        if task is not None and task.parent:
            item_id = task.parent
        for hit in hits:
            if hit.policy == previous.policy and hit.version == previous.version and hit.item_id == item_id:
                return hit
        chunks = [c for c in self.index.chunks
                  if c.policy == previous.policy and c.version == previous.version and c.item_id == item_id]
        if not chunks:
            return None
        return Hit(policy=chunks[0].policy, version=chunks[0].version, item_id=item_id or "", score=1.0,
                   chunks=chunks[:5])

    def _task_for(self, hit: Hit) -> Task | None:
        task_id = hit.chunks[0].task_id if hit.chunks else hit.item_id
        return self.index.task(hit.policy, hit.version, task_id) or self.index.task(hit.policy, hit.version,
                                                                                     hit.item_id)

    def _citation(self, hit_policy: str, version: str, clause_id: str, quote: str) -> Citation | None:
        clause = self.index.clause(hit_policy, version, clause_id)
        if clause is None:
            return None
        if quote not in clause.text:
            quote = clause.title if clause.title in clause.text else clause.text[:60]
        return Citation(policy=hit_policy, version=version, chapter=clause.chapter, number=clause.number,
                        item_id=clause.id, title=clause.title, text=clause.text, quote=quote)

    def _hit_citations(self, hits: list[Hit], n: int = 3) -> list[Citation]:
        out = []
        for hit in hits[:n]:
            cite = self._citation(hit.policy, hit.version, hit.item_id,
                                  hit.chunks[0].sentence if hit.chunks else "")
            if cite:
                out.append(cite)
        return out

    def _relevant(self, question: str, hit: Hit, followup: bool, loose: bool = False) -> bool:
        """Whether the best item is about what is asked at all (else: the document does not say)."""
        if followup:
            return True
        topic = _topic(question)
        coverage = max((self._coverage(topic, c.sentence) for c in hit.chunks), default=0.0)
        if loose:
            return hit.dense >= self.min_relevance - 0.025 or coverage >= 0.2
        return hit.dense >= self.min_relevance or coverage >= 0.3

    def _not_found(self, question: str, intent: Intent, what: str, hits: list[Hit]) -> Answer:
        nearest = "；".join(f"{h.item_id}{self._title(h)}" for h in hits[:3])
        return Answer(question=question, intent=intent, not_found=True,
                      answer=f"文件未明确{what}。最相关的条款：{nearest}。", citations=self._hit_citations(hits),
                      policy=hits[0].policy if hits else None, version=hits[0].version if hits else None)

    def _source(self, policy: str, version: str, item_id: str, title: str) -> str:
        """依据 line: item and title, plus the policy version when the index holds several."""
        versions = self._versions.get(policy, [])
        info = self.index.info(policy, version)
        name = f"《{info.title}》" if info and info.title and len(self.index.latest_versions()) > 1 else ""
        return f"{name}{item_id}{title}" + (f"（{version} 版）" if len(versions) > 1 else "")

    def _title(self, hit: Hit) -> str:
        clause = self.index.clause(hit.policy, hit.version, hit.item_id)
        return clause.title if clause else ""

    def _units_citation(self, task: Task) -> Citation | None:
        """The citation of the text that names a task's units: its bracket or sentence, or its appendix-table row."""
        clause = self.index.clause(task.policy, task.version, task.id)
        if clause is None:
            return None
        quote = task.unit_quote or task.title
        if quote in clause.text:
            return self._citation(task.policy, task.version, task.id, quote)
        return Citation(policy=task.policy, version=task.version, chapter=clause.chapter, number=clause.number,
                        item_id=clause.id, title=f"{clause.title}（附件：任务分工表）", text=quote, quote=quote)

    def _agencies_answer(self, question: str, hits: list[Hit], followup: bool) -> tuple[Answer, Task | None]:
        hit = next((h for h in hits if self._task_for(h) is not None), hits[0])
        task = self._task_for(hit)
        if task is None or not self._relevant(question, hit, followup, loose=True):
            return self._not_found(question, "agencies", "这项工作的责任单位", hits), None
        if not task.agencies:
            return self._not_found(question, "agencies", f"“{task.title}”的责任单位", hits), task
        lead = task.lead_agency
        co = [a for a in task.agencies if a != lead]
        lines = [f"牵头单位：{lead}" + ("（原文未写“牵头”，按所列第一家推定）" if task.lead_inferred else "")]
        if co:
            lines.append("配合单位：" + "、".join(co) + ("等" if task.agencies_etc else ""))
        lines.append(f"依据：{self._source(task.policy, task.version, task.id, task.title)}")
        cite = self._units_citation(task)
        return Answer(question=question, intent="agencies", answer="\n".join(lines), agencies=task.agencies,
                      lead_agency=lead, citations=[c for c in [cite] if c], policy=task.policy,
                      version=task.version), task

    def _target_answer(self, question: str, intent: Intent, hits: list[Hit], followup: bool,
                       previous: Turn | None) -> tuple[Answer, Task | None]:
        years = [int(y) for y in _YEAR.findall(question)]
        topic = _topic(question)
        terms = " ".join(policy_terms(topic))
        stated_values = _stated_quantities(question)
        cues = _unit_cues(question)
        reduce = bool(_REDUCE_CUE.search(question))
        per = _PER_UNIT.findall(question)  # 人均 / 每户 …: a rate, which a total does not answer
        pinned_item = self._item_of(previous) if followup and previous is not None else None
        best: tuple[float, Target, Task, Hit] | None = None
        for rank, hit in enumerate(hits[:3]):
            for task in self._item_tasks(hit):
                for target in task.targets:
                    if years and target.year not in years:
                        continue
                    if cues and not any(_unit_in(target.unit, units) for units in cues):
                        continue
                    if per and not all(_states_rate(p, target) for p in per):
                        continue
                    lexical, dense = self._target_relevance(topic, target, hit)
                    if terms:
                        lexical = max(lexical, 0.9 * self._coverage(terms, target.metric + target.quote))
                    stated = target.value is not None and (target.value, target.unit) in stated_values
                    pinned = pinned_item is not None and hit.item_id == pinned_item
                    if not (lexical >= self.min_target_relevance or dense >= self.strong_dense or stated or pinned):
                        continue
                    score = lexical + 2 * max(0.0, dense - 0.85) - 0.15 * rank + (0.5 if stated else 0.0)
                    if reduce and target.comparator in ("reduce_by", "<=", "<"):
                        score += 0.3
                    if pinned_item is not None and previous is not None and previous.target is not None:
                        score += 0.5 * _overlap(previous.target.metric, target.metric)
                        score += 0.3 if target.unit == previous.target.unit else 0.0
                    if best is None or score > best[0]:
                        best = (score, target, task, hit)
        if intent == "deadline" and hits and (best is None or not years):
            row = self._task_for(hits[0])
            if row is not None and row.deadline and self._relevant(question, hits[0], followup):
                cite = self._units_citation(row)
                text = (f"完成时限：{row.deadline}\n依据：{self._source(row.policy, row.version, row.id, row.title)}"
                        "（附件：任务分工表）")
                return Answer(question=question, intent=intent, answer=text, agencies=row.agencies,
                              lead_agency=row.lead_agency, citations=[c for c in [cite] if c], policy=row.policy,
                              version=row.version), row
        if intent == "deadline" and not stated_values:
            dated = self._dated_sentence(question, hits, topic, terms, floor=best[0] if best else None)
            if dated is not None:
                return dated
        if best is None:
            what = f"{years[0]}年的这项量化目标" if years else "这一量化目标"
            return self._not_found(question, intent, what, hits), None
        _, target, task, hit = best
        cite = self._citation(task.policy, task.version, task.id, target.quote)
        if intent == "deadline":
            if target.year is None and target.deadline_kind != "annual":
                text = f"文件未写明完成年份：{describe_target(target)}"
            elif target.deadline_kind == "annual":
                text = f"每年：{describe_target(target)}"
            else:
                when = f"{target.year}年前" if target.deadline_kind == "before" else f"到{target.year}年"
                text = f"{when}。{describe_target(target)}"
        else:
            text = describe_target(target)
        text += f"\n原文：“{target.quote}”\n依据：{self._source(task.policy, task.version, task.id, task.title)}"
        return Answer(question=question, intent=intent, answer=text, targets=[target],
                      agencies=task.agencies, lead_agency=task.lead_agency,
                      citations=[c for c in [cite] if c], policy=task.policy, version=task.version), task

    def _item_tasks(self, hit: Hit) -> list[Task]:
        return self.index.item_tasks(hit.policy, hit.version, hit.item_id)

    def _item_of(self, turn: Turn | None) -> str | None:
        if turn is None:
            return None
        task = self.index.task(turn.policy or "", turn.version or "", turn.task_id or "")
        return (task.parent or task.id) if task else None

    def _coverage(self, topic: str, text: str) -> float:
        """Share of the topic's characters, weighted by rarity in the corpus, that ``text`` contains."""
        chars = set(re.sub(r"[^\u4e00-\u9fff]", "", topic))
        total = sum(self._idf.get(c, self._idf_max) for c in chars)
        return sum(self._idf.get(c, 0.0) for c in chars if c in text) / total if total else 0.0

    def _target_relevance(self, topic: str, target: Target, hit: Hit) -> tuple[float, float]:
        """(lexical match of the target's metric and sentence to the topic, dense similarity of its sentence)."""
        lexical = max(_overlap(topic, target.metric), 0.8 * _overlap(topic, target.quote),
                      self._coverage(topic, target.metric + target.quote))
        dense = max((sim for c, sim in zip(hit.chunks, hit.chunk_dense) if target.quote in c.sentence), default=0.0)
        return lexical, dense

    def _dated_sentence(self, question: str, hits: list[Hit], topic: str, terms: str,
                        floor: float | None) -> tuple[Answer, Task | None] | None:
        """For 'when' questions: the best-matching sentence that carries a date (每年10月底前, 2000年底前),
        when it matches the question better than any target does (``floor``)."""
        best: tuple[float, str, Hit] | None = None
        for rank, hit in enumerate(hits[:3]):
            for chunk, dense in zip(hit.chunks, hit.chunk_dense):
                if not _DATED.search(chunk.sentence):
                    continue
                lexical = self._coverage(topic, chunk.sentence)
                if terms:
                    lexical = max(lexical, 0.9 * self._coverage(terms, chunk.sentence))
                if lexical < self.min_target_relevance and dense < self.strong_dense:
                    continue
                score = lexical + 2 * max(0.0, dense - 0.85) - 0.15 * rank
                if best is None or score > best[0]:
                    best = (score, chunk.sentence, hit)
        if best is None or (floor is not None and best[0] <= floor + 0.1):
            return None
        _, sentence, hit = best
        m = _DATED.search(sentence)
        cite = self._citation(hit.policy, hit.version, hit.item_id, sentence)
        text = (f"{m.group() if m else ''}。\n原文：“{sentence}”\n"
                f"依据：{self._source(hit.policy, hit.version, hit.item_id, self._title(hit))}")
        return Answer(question=question, intent="deadline", answer=text, citations=[c for c in [cite] if c],
                      policy=hit.policy, version=hit.version), self._task_for(hit)

    def _general_answer(self, question: str, hits: list[Hit], followup: bool) -> tuple[Answer, Task | None]:
        hit = hits[0]
        if not self._relevant(question, hit, followup):
            return self._not_found(question, "general", "这一问题", hits), None
        task = self._task_for(hit)
        sentences = [c.sentence for c in hit.chunks[:3]]
        while len(sentences) > 1 and sum(map(len, sentences)) > 300:
            sentences.pop()
        citations = [c for c in (self._citation(hit.policy, hit.version, hit.item_id, s) for s in sentences) if c]
        source = self._source(hit.policy, hit.version, hit.item_id, self._title(hit))
        text = "\n".join(f"“{s}”" for s in sentences) + f"\n依据：{source}"
        return Answer(question=question, intent="general", answer=text, citations=citations,
                      agencies=task.agencies if task else [], lead_agency=task.lead_agency if task else None,
                      policy=hit.policy, version=hit.version), task

    def _agency_tasks(self, question: str, agency: str, scope: set[tuple[str, str]]) -> Answer:
        rows = [t for t in self.index.tasks if (t.policy, t.version) in scope and agency in t.agencies]
        if not rows:
            return Answer(question=question, intent="agency_tasks", not_found=True, agencies=[agency],
                          answer=f"文件未给{agency}分配任务。")
        lead = [t for t in rows if t.lead_agency == agency]
        policies = list(dict.fromkeys(t.policy for t in rows))
        lines = [f"{agency}共涉及 {len(rows)} 项任务。"]
        for policy in policies:
            own = [t for t in rows if t.policy == policy]
            if len(policies) > 1:
                info = self.index.info(policy, own[0].version)
                lines.append(f"《{info.title if info else policy}》：")
            as_lead = [t for t in own if t.lead_agency == agency]
            as_co = [t for t in own if t.lead_agency != agency]
            if as_lead:
                lines.append("牵头（含按列序推定）：" + "；".join(f"{t.id}{t.title}" for t in as_lead))
            if as_co:
                lines.append("配合：" + "；".join(f"{t.id}{t.title}" for t in as_co))
        citations = []
        for t in rows:
            cite = self._units_citation(t)
            if cite:
                citations.append(cite)
        return Answer(question=question, intent="agency_tasks", answer="\n".join(lines), agencies=[agency],
                      targets=[x for t in lead for x in t.targets], citations=citations,
                      policy=rows[0].policy, version=rows[0].version)

    @staticmethod
    def _record(conversation: Conversation | None, question: str, answer: Answer, task: Task | None) -> None:
        if conversation is None:
            return
        conversation.turns.append(Turn(question=question, intent=answer.intent, policy=answer.policy,
                                       version=answer.version, task_id=task.id if task else None,
                                       target=answer.targets[0] if answer.targets else None))
