"""Answers to who / what target / by when / which tasks, built from the task table of retrieved items.

Every answer cites the clause it comes from with a quote checked to be in it. When the document
does not say, the answer says so (``not_found``) and shows the nearest clauses; agencies and numbers
are only ever copied from the task table, never composed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .embeddings import Embedder
from .duties import duties_of
from .exports import describe_target
from .hits import policy_terms, strip_question_words
from .policies import oldest_first
from .questions import YEAR as _YEAR
from .questions import UNIT_MENTION, Catalog, clean_question, understand
from .questions import topic as topic_of
from .schema import Answer, Citation, Hit, Intent, Query, Target, Task
from .store import Store
from .targets import QUANTITY, UNITS

__all__ = ["Assistant", "Conversation", "clean_question"]

_PER_UNIT = re.compile(r"人均|户均|每人|每户|每平方米|每万平方米|每公里|单位面积|单位建筑面积")
_REDUCE_CUE = re.compile(r"降|减少|压减|减排|少排|缩减")
_FOLLOWUP_LEAD = re.compile(r"^(?:那|那么|那个|这个|这项|这些|该项|它|其|此|上述|还有|另外|再问)")
_UNIT_CUES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"多长|多远|公里|里程|长度|千米"), ("公里", "千米", "米")),
    (re.compile(r"多宽|宽度|多少米"), ("米",)),
    (re.compile(r"多密|密度"), ("公里/平方公里",)),
    (re.compile(r"面积|平方米|多大面积|多少平"), ("平方米", "万平方米", "亿平方米", "平方公里")),
    (re.compile(r"比例|率|百分之|占比|占.{0,3}多|几成|百分点|%|多大一块"), ("%", "百分点", "个百分点")),
    (re.compile(r"(?<!哪)几个|多少个|多少家|几家|多少座|多少处|几座|几处|几所"), ("个", "家", "座", "处", "所")),
    (re.compile(r"几条|多少条|线路"), ("条",)),
    (re.compile(r"排放量|多少吨|万吨|每万平方米"), ("吨/万平方米", "吨", "万吨")),
    (re.compile(r"兆瓦|千瓦|装机"), ("千瓦", "兆瓦", "万千瓦")),
    (re.compile(r"多少钱|资金|预算|投资额|票价|价格|补贴|奖励|奖补|补助|多少元|万元|亿元"), ("元", "万元", "亿元")),
]


_DATED = re.compile(r"(?:每年|每季度|每月|\d{4}年)\d{0,2}月?(?:底|末|中旬|上旬|下旬)?(?:前|以前)|\d{4}年(?:底|末)?前")


_ASKED_UNIT = re.compile(r"(?:多少|几)([\u4e00-\u9fff%/]{1,6})")


def _unit_cues(question: str) -> list[tuple[str, ...]]:
    """Unit families the question asks for: the measure word right after 多少/几 if any, else cue words."""
    for m in _ASKED_UNIT.finditer(question):
        asked = m.group(1)
        for pattern, units in _UNIT_CUES:
            if pattern.search(asked):
                return [units]
        # the longest unit the asked word starts with (多少部, 几个工作日, 多少亩 → 亩 and 万亩)
        word = next((u for u in UNITS if asked.startswith(u)), None)
        if word is not None:
            count = ("个", "家", "座", "处", "所")
            family = {"平方米": ("平方米", "万平方米", "亿平方米"), "吨": ("吨", "万吨"), "米": ("米",),
                      "公里": ("公里", "千米"), **{c: count for c in count}}.get(word, (word,))
            return [tuple(dict.fromkeys(family + tuple(p + w for w in family for p in ("万", "亿"))))]
    return [units for pattern, units in _UNIT_CUES if pattern.search(question)]


def _unit_in(unit: str | None, family: tuple[str, ...]) -> bool:
    """Whether a target's unit is of an asked family; a rate (公里/平方公里) counts by its numerator."""
    return bool(unit) and (unit in family or (unit or "").split("/")[0] in family)


def _states_rate(marker: str, target: Target) -> bool:
    """Whether a target is a rate per what ``marker`` (人均, 每万平方米 …) names: in its words or its unit."""
    unit = target.unit or ""
    return marker in target.metric + target.quote or (marker.startswith("每") and f"/{marker[1:]}" in unit) \
        or (marker.startswith("单位") and "/" in unit)


_CN_TENTHS = {"一": 10, "二": 20, "两": 20, "三": 30, "四": 40, "五": 50, "六": 60, "七": 70, "八": 80, "九": 90}


def _stated_quantities(question: str) -> set[tuple[float, str]]:
    """Values a question states: 500公里, 45%, 七成 (70%), 百分之六十 (60%), 一半 (50%)."""
    found = {(float(m.group(1)), m.group(4)) for m in QUANTITY.finditer(question)}
    found |= {(float(_CN_TENTHS[c]), "%") for c in re.findall(r"([一二两三四五六七八九])成", question)}
    found |= {(float(v), "%") for v in re.findall(r"百分之(\d+(?:\.\d+)?)", question)}
    if "一半" in question:
        found.add((50.0, "%"))
    return found


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def _overlap(question: str, text: str) -> float:
    q = _bigrams(question)
    return len(q & _bigrams(text)) / len(q) if q else 0.0


_SUBJECT_NOISE = re.compile(r"哪些|什么|哪几|多少|方案|工作|任务|负责|牵头|配合|要做|要干|要管|都要|都|要|管|干|做|事情|事|活|啥|"
                            r"在|里|这个|这|那|的|了|呢|吗|和|或|[^\u4e00-\u9fff]")
_OTHER_PLAN_MARGIN = 0.05  # another plan's best item this close to the best plan's answers too


def _task_fields(task: Task) -> dict[str, Any]:
    """What every answer built on a task row carries of it, so every view renders the same thing."""
    return {"agencies": task.agencies, "lead_agency": task.lead_agency, "lead_inferred": task.lead_inferred,
            "co_agencies": [a for a in task.agencies if a != task.lead_agency], "deadline": task.deadline}


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
        # character rarity per plan version, so that what another plan says never changes how this one is read
        frequency: dict[tuple[str, str], dict[str, int]] = {}
        sizes: dict[tuple[str, str], int] = {}
        for chunk in index.chunks:
            key = (chunk.policy, chunk.version)
            counts = frequency.setdefault(key, {})
            sizes[key] = sizes.get(key, 0) + 1
            for ch in set(re.sub(r"[^\u4e00-\u9fff]", "", chunk.sentence)):
                counts[ch] = counts.get(ch, 0) + 1
        self._idf = {key: ({ch: math.log((sizes[key] + 1) / (df + 0.5)) for ch, df in counts.items()},
                           math.log((sizes[key] + 1) / 0.5)) for key, counts in frequency.items()}
        self._versions: dict[str, list[str]] = {}
        for info in index.policies:
            self._versions.setdefault(info.policy, []).append(info.version)
        latest = index.latest_versions()
        self.catalog = Catalog(records=[i.record for i in index.policies if i.record and latest.get(i.policy) == i.version],
                               units=[a for t in index.tasks for a in t.agencies])
        self._plan_units: dict[str, set[str]] = {}
        for t in index.tasks:
            self._plan_units.setdefault(t.policy, set()).update(t.agencies)

    # ----------------------------------------------------------------- public
    def ask(self, question: object, conversation: Conversation | None = None, policy: str | None = None,
            version: str | None = None) -> Answer:
        """Answer one question; ``conversation`` (if given) supplies and records context for follow-ups."""
        return self.answer(clean_question(question, self.max_question_chars), conversation, policy, version)

    def answer(self, text: str, conversation: Conversation | None = None, policy: str | None = None,
               version: str | None = None) -> Answer:
        """Answer a question already cleaned by :func:`~assistant.questions.clean_question`."""
        query = understand(text, self.catalog, self._plan_units, [policy] if policy else None)
        previous = conversation.last if conversation else None
        followup = previous is not None and self._is_followup(text, bool(query.units))
        intent = query.intent
        if followup and previous is not None and intent == "general":
            intent = previous.intent if previous.intent != "agency_tasks" else "general"
        if query.unknown_places and not policy and not followup:
            answer = self._no_such_plan(query)
            self._record(conversation, text, answer, None)
            return answer
        policies = [policy] if policy else query.policies
        if not policies and followup and previous is not None and previous.policy:
            policies = [previous.policy]
        scope = self._scope(text, policies, version, query.old_version)
        if intent == "agency_tasks" and query.units:
            units = self._units_meant(text, query.units, scope) if not policies else query.units
            answer = self._agency_tasks(text, units, scope)
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
        answer, task = self._answer_from(text, intent, hits, followup, previous)
        if not (policy or query.policies or followup) and not answer.not_found:
            answer = self._with_other_plans(text, intent, hits, answer)
        self._record(conversation, text, answer, task)
        return answer

    def _answer_from(self, text: str, intent: Intent, hits: list[Hit], followup: bool,
                     previous: Turn | None) -> tuple[Answer, Task | None]:
        if intent == "agencies":
            return self._agencies_answer(text, hits, followup)
        if intent in ("target", "deadline"):
            return self._target_answer(text, intent, hits, followup, previous)
        return self._general_answer(text, hits, followup)

    def _with_other_plans(self, text: str, intent: Intent, hits: list[Hit], answer: Answer) -> Answer:
        """A question that names no plan, answered by more than one: the best plan's answer first, then what each
        other plan that answers it as well says, grouped by plan with its own citations."""
        best = max((h.score for h in hits if h.policy == answer.policy), default=0.0)
        others: list[Answer] = []
        for policy in dict.fromkeys(h.policy for h in hits):
            own = [h for h in hits if h.policy == policy]
            if policy == answer.policy or own[0].score < best - _OTHER_PLAN_MARGIN or len(others) >= 2:
                continue
            other, _ = self._answer_from(text, intent, own, False, None)
            if not other.not_found:
                others.append(other)
        if not others:
            return answer
        title = self._plan_title(answer.policy or "", answer.version or "")
        parts = [f"《{title}》：\n{answer.answer}"] + [
            f"《{self._plan_title(o.policy or '', o.version or '')}》：\n{o.answer}" for o in others]
        return answer.model_copy(update={"answer": "\n\n".join(parts),
                                         "citations": answer.citations + [c for o in others for c in o.citations]})

    def _plan_title(self, policy: str, version: str) -> str:
        info = self.index.info(policy, version)
        return info.title if info and info.title else policy

    def understand(self, question: str) -> Query:
        """The typed reading of a cleaned question against the loaded plans."""
        return understand(question, self.catalog, self._plan_units)

    def _units_meant(self, question: str, units: list[str], scope: set[tuple[str, str]]) -> list[str]:
        """A short unit name that fits units of several plans (供电公司), in a question that also says what about
        (…在森林防火里要干什么): the units of the plan the question's subject is found in."""
        owners = {u: {p for p, names in self._plan_units.items() if u in names} for u in units}
        if len(units) < 2 or len(set().union(*owners.values())) < 2:
            return units
        subject = _SUBJECT_NOISE.sub("", UNIT_MENTION.sub("", question))
        if len(re.findall(r"[\u4e00-\u9fff]", subject)) < 3:
            return units  # 住建局都要管哪些事？ names nothing else: every unit it may mean
        hits = self.retriever.search(subject, k=1, scope=scope)
        return [u for u in units if hits and hits[0].policy in owners[u]] or units

    def _no_such_plan(self, query: Query) -> Answer:
        loaded = "、".join(f"《{r.title}》" for r in self.catalog.records) or "（无）"
        return Answer(question=query.text, intent=query.intent, not_found=True,
                      answer=f"已收录的文件中没有{'、'.join(query.unknown_places)}的方案。已收录：{loaded}。")

    # ---------------------------------------------------------------- helpers
    def _scope(self, question: str, policies: list[str], version: str | None,
               old_version: bool = False) -> set[tuple[str, str]]:
        latest = self.index.latest_versions()
        scope = set()
        for pid in [p for p in policies if p in latest] or list(latest):
            versions = self._versions.get(pid, [])
            chosen = version if version in versions else self._version_in(question, pid, versions, old_version)
            scope.add((pid, chosen or latest.get(pid, "")))
        return scope

    def _version_in(self, question: str, policy: str, versions: list[str], old_version: bool) -> str | None:
        for v in sorted(versions, key=len, reverse=True):
            if v and v.lower() in question.lower() and not re.fullmatch(r"v?\d", v.lower()):
                return v
        m = re.search(r"(?:第\s*)?(\d+)\s*版|v(\d+)", question, re.I)
        if m:
            label = f"v{m.group(1) or m.group(2)}"
            if label in versions:
                return label
        if old_version:
            infos = oldest_first(p for p in self.index.policies if p.policy == policy)
            if len(infos) >= 2:
                return infos[-2].version
        return None

    def _is_followup(self, question: str, names_unit: bool) -> bool:
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
        """A citation of ``quote`` in the clause it names; none when the quote is not there."""
        clause = self.index.clause(hit_policy, version, clause_id)
        if clause is None or not quote or quote not in clause.text:
            return None
        return Citation(policy=hit_policy, version=version, chapter=clause.chapter, number=clause.number,
                        item_id=clause.id, title=clause.title, text=clause.text, quote=quote,
                        start=clause.start + clause.text.index(quote))

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
        topic = topic_of(question)
        coverage = max((self._coverage(topic, c.sentence, hit) for c in hit.chunks), default=0.0)
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
        chapter = self.index.clause(task.policy, task.version, task.chapter)
        if chapter is not None and quote in chapter.text:  # 以上任务由A牵头… at the end of the chapter
            return Citation(policy=task.policy, version=task.version, chapter=clause.chapter, number=clause.number,
                            item_id=clause.id, title=f"{clause.title}（{chapter.title}：本章分工）", text=chapter.text,
                            quote=quote, start=chapter.start + chapter.text.index(quote))
        info = self.index.info(task.policy, task.version)
        if info is not None and quote in info.appendix:  # a row of the appendix 分工表
            return Citation(policy=task.policy, version=task.version, chapter=clause.chapter, number=clause.number,
                            item_id=clause.id, title=f"{clause.title}（附件：任务分工表）", text=info.appendix,
                            quote=quote, start=info.appendix_start + info.appendix.index(quote))
        return None

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
        return Answer(question=question, intent="agencies", answer="\n".join(lines), **_task_fields(task),
                      citations=[c for c in [cite] if c], policy=task.policy,
                      version=task.version), task

    def _target_answer(self, question: str, intent: Intent, hits: list[Hit], followup: bool,
                       previous: Turn | None) -> tuple[Answer, Task | None]:
        years = [int(y) for y in _YEAR.findall(question)]
        topic = topic_of(question)
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
                        lexical = max(lexical, 0.9 * self._coverage(terms, target.metric + target.quote, hit))
                    stated = target.value is not None and (target.value, target.unit) in stated_values
                    pinned = pinned_item is not None and hit.item_id == pinned_item
                    if not (lexical >= self.min_target_relevance or dense >= self.strong_dense or stated or pinned):
                        continue
                    score = lexical + 2 * max(0.0, dense - 0.85) - 0.15 * rank + (0.5 if stated else 0.0)
                    if len(target.metric) >= 4 and target.metric in question:
                        score += 0.3  # the question names the indicator as the plan does
                    if reduce and target.comparator in ("reduce_by", "<=", "<"):
                        score += 0.3
                    if pinned_item is not None and previous is not None and previous.target is not None:
                        score += 0.5 * _overlap(previous.target.metric, target.metric)
                        score += 0.3 if target.unit == previous.target.unit else 0.0
                    if best is None or score > best[0]:
                        best = (score, target, task, hit)
        stated_best = best is not None and best[1].value is not None and (best[1].value, best[1].unit) in stated_values
        if intent == "deadline" and hits and (best is None or not years) and not stated_best:
            row = self._task_for(hits[0])
            if row is not None and row.deadline and self._relevant(question, hits[0], followup):
                cite = self._units_citation(row)
                text = (f"完成时限：{row.deadline}\n依据：{self._source(row.policy, row.version, row.id, row.title)}"
                        "（附件：任务分工表）")
                return Answer(question=question, intent=intent, answer=text, **_task_fields(row),
                              citations=[c for c in [cite] if c], policy=row.policy,
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
        text += f"\n依据：{self._source(task.policy, task.version, task.id, task.title)}"
        return Answer(question=question, intent=intent, answer=text, targets=[target],
                      **_task_fields(task),
                      citations=[c for c in [cite] if c], policy=task.policy, version=task.version), task

    def _item_tasks(self, hit: Hit) -> list[Task]:
        return self.index.item_tasks(hit.policy, hit.version, hit.item_id)

    def _item_of(self, turn: Turn | None) -> str | None:
        if turn is None:
            return None
        task = self.index.task(turn.policy or "", turn.version or "", turn.task_id or "")
        return (task.parent or task.id) if task else None

    def _coverage(self, topic: str, text: str, hit: Hit) -> float:
        """Share of the topic's characters, weighted by rarity in the hit's plan, that ``text`` contains."""
        chars = set(re.sub(r"[^\u4e00-\u9fff]", "", topic))
        idf, idf_max = self._idf.get((hit.policy, hit.version), ({}, 1.0))
        total = sum(idf.get(c, idf_max) for c in chars)
        return sum(idf.get(c, 0.0) for c in chars if c in text) / total if total else 0.0

    def _target_relevance(self, topic: str, target: Target, hit: Hit) -> tuple[float, float]:
        """(lexical match of the target's metric and sentence to the topic, dense similarity of its sentence)."""
        lexical = max(_overlap(topic, target.metric), 0.8 * _overlap(topic, target.quote),
                      self._coverage(topic, target.metric + target.quote, hit))
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
                lexical = self._coverage(topic, chunk.sentence, hit)
                if terms:
                    lexical = max(lexical, 0.9 * self._coverage(terms, chunk.sentence, hit))
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
                      **(_task_fields(task) if task else {}),
                      policy=hit.policy, version=hit.version), task

    def _agency_tasks(self, question: str, units: list[str], scope: set[tuple[str, str]]) -> Answer:
        if len(units) == 1:
            return self._unit_tasks(question, units[0], scope)
        answers = [self._unit_tasks(question, unit, scope) for unit in units]
        found = [a for a in answers if not a.not_found] or answers
        text = f"“{question}”可能指{len(units)}个单位：" + "、".join(units) + "。\n\n" + "\n\n".join(a.answer for a in found)
        return Answer(question=question, intent="agency_tasks", answer=text, agencies=units,
                      not_found=all(a.not_found for a in answers),
                      citations=[c for a in found for c in a.citations], policy=found[0].policy,
                      version=found[0].version)

    def _unit_tasks(self, question: str, agency: str, scope: set[tuple[str, str]]) -> Answer:
        rows = [t for t in self.index.tasks if (t.policy, t.version) in scope and agency in t.agencies]
        if not rows:
            return Answer(question=question, intent="agency_tasks", not_found=True, agencies=[agency],
                          answer=f"文件未给{agency}分配任务。")
        titles = {p: (self.index.info(p, v).title if self.index.info(p, v) else p)  # type: ignore[union-attr]
                  for p, v in scope}
        duties = duties_of(agency, rows, titles)
        policies = list(dict.fromkeys(d.policy for d in duties))
        lines = [f"{agency}共涉及 {len(duties)} 项任务"
                 f"（牵头 {sum(d.role == '牵头' for d in duties)} 项，配合 {sum(d.role == '配合' for d in duties)} 项）。"]
        for policy in policies:
            if len(policies) > 1:
                lines.append(f"《{titles.get(policy, policy)}》")
            for d in (d for d in duties if d.policy == policy):
                role = d.role + ("（按所列第一家推定）" if d.lead_inferred else "")
                lines.append(f"{d.task_id}{d.title}（{role}）：{d.text}")
                lines += [f"　目标：{t}" for t in d.targets]
                if d.deadline:
                    lines.append(f"　完成时限：{d.deadline}")
        citations = [c for c in (self._units_citation(t) for t in rows) if c]
        lead = [t for t in rows if t.lead_agency == agency]
        return Answer(question=question, intent="agency_tasks", answer="\n".join(lines), agencies=[agency],
                      targets=[x for t in lead for x in t.targets], citations=citations, duties=duties,
                      policy=rows[0].policy, version=rows[0].version)

    @staticmethod
    def _record(conversation: Conversation | None, question: str, answer: Answer, task: Task | None) -> None:
        if conversation is None:
            return
        conversation.turns.append(Turn(question=question, intent=answer.intent, policy=answer.policy,
                                       version=answer.version, task_id=task.id if task else None,
                                       target=answer.targets[0] if answer.targets else None))
