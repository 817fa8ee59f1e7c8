"""The answer path for one store: question understanding → retrieval → ranking → wording.

:class:`Assistant` walks one question through the steps, each a module of its own:
:mod:`~assistant.questions` reads what is asked (a typed :class:`~assistant.schema.Query`), the store
retrieves items within the plans it names (:mod:`~assistant.hits`), :mod:`~assistant.ranking` picks the task,
target or sentence that answers, and :mod:`~assistant.wording` writes the cited answer or says the plan does
not say. Here live only the decisions between the steps: which plans and versions are in scope, whether a
question follows up the last one, and which plans besides the best one answer a question that names none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .embeddings import Embedder
from .hits import strip_question_words
from .policies import oldest_first
from .questions import YEAR as _YEAR
from .questions import UNIT_MENTION, Catalog, clean_question, understand
from .ranking import Ranker, Weights, stated_quantities
from .schema import Answer, Hit, Intent, Query, Target, Task
from .store import Store
from .wording import Wording

__all__ = ["Assistant", "Conversation", "clean_question"]

_FOLLOWUP_LEAD = re.compile(r"^(?:那|那么|那个|这个|这些|该项|它|其|此|上述|还有|另外|再问)")
_SUBJECT_NOISE = re.compile(r"哪些|什么|哪几|多少|方案|工作|任务|负责|牵头|配合|要做|要干|要管|都要|都|要|管|干|做|事情|事|活|啥|"
                            r"在|里|这个|这|那|的|了|呢|吗|和|或|[^\u4e00-\u9fff]")


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
                 weights: Weights | None = None) -> None:
        self.index = index
        self.max_question_chars = max_question_chars
        self.ranker = Ranker(index, weights)
        self.wording = Wording(index)
        self._versions = self.wording.versions
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

    def understand(self, question: str) -> Query:
        """The typed reading of a cleaned question against the loaded plans."""
        return understand(question, self.catalog, self._plan_units)

    def answer(self, text: str, conversation: Conversation | None = None, policy: str | None = None,
               version: str | None = None) -> Answer:
        """Answer a question already cleaned by :func:`~assistant.questions.clean_question`."""
        query = understand(text, self.catalog, self._plan_units, [policy] if policy else None)
        previous = conversation.last if conversation else None
        followup = previous is not None and self._is_followup(text)
        intent = query.intent
        if followup and previous is not None and intent == "general":
            intent = previous.intent if previous.intent != "agency_tasks" else "general"
        if query.unknown_places and not policy and not followup:
            answer = self.wording.no_such_plan(query, self.catalog.records)
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
        hits = self.index.search(text, k=5, scope=scope)
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

    # --------------------------------------------------------- one plan's answer
    def _answer_from(self, text: str, intent: Intent, hits: list[Hit], followup: bool,
                     previous: Turn | None) -> tuple[Answer, Task | None]:
        if intent == "agencies":
            return self._agencies_answer(text, hits, followup)
        if intent in ("target", "deadline"):
            return self._target_answer(text, intent, hits, followup, previous)
        return self._general_answer(text, hits, followup)

    def _agencies_answer(self, question: str, hits: list[Hit], followup: bool) -> tuple[Answer, Task | None]:
        hit = self.ranker.first_task_hit(hits)
        task = self.ranker.task_for(hit)
        if task is None or not self.ranker.relevant(question, hit, followup, loose=True):
            return self.wording.not_found(question, "agencies", "这项工作的责任单位", hits), None
        if not task.agencies:
            return self.wording.not_found(question, "agencies", f"“{task.title}”的责任单位", hits), task
        return self.wording.agencies(question, task), task

    def _target_answer(self, question: str, intent: Intent, hits: list[Hit], followup: bool,
                       previous: Turn | None) -> tuple[Answer, Task | None]:
        years = _YEAR.findall(question)
        pinned_item = self._item_of(previous) if followup and previous is not None else None
        best = self.ranker.best_target(question, hits, pinned_item, previous.target if previous else None)
        stated_values = stated_quantities(question)
        stated_best = best is not None and best.target.value is not None and \
            (best.target.value, best.target.unit) in stated_values
        if intent == "deadline" and (best is None or not years) and not stated_best:
            row = self.ranker.task_for(hits[0])
            if row is not None and row.deadline and self.ranker.relevant(question, hits[0], followup):
                return self.wording.task_deadline(question, intent, row), row
        if intent == "deadline" and not stated_values:
            dated = self.ranker.dated_sentence(question, hits, floor=best.score if best else None)
            if dated is not None:
                sentence, hit = dated
                return self.wording.dated(question, sentence, hit), self.ranker.task_for(hit)
        if best is None:
            what = f"{years[0]}年的这项量化目标" if years else "这一量化目标"
            return self.wording.not_found(question, intent, what, hits), None
        return self.wording.target(question, intent, best.target, best.task), best.task

    def _general_answer(self, question: str, hits: list[Hit], followup: bool) -> tuple[Answer, Task | None]:
        hit = hits[0]
        if not self.ranker.relevant(question, hit, followup):
            return self.wording.not_found(question, "general", "这一问题", hits), None
        task = self.ranker.task_for(hit)
        return self.wording.general(question, hit, task), task

    def _with_other_plans(self, text: str, intent: Intent, hits: list[Hit], answer: Answer) -> Answer:
        """A question that names no plan, answered by more than one: the best plan's answer first, then what each
        other plan that answers it as well says, grouped by plan with its own citations."""
        others: list[Answer] = []
        for own in self.ranker.other_plans(hits, answer.policy):
            if len(others) >= 2:
                break
            other, _ = self._answer_from(text, intent, own, False, None)
            if not other.not_found:
                others.append(other)
        return self.wording.by_plan(answer, others)

    # ----------------------------------------------------------- a unit's duties
    def _units_meant(self, question: str, units: list[str], scope: set[tuple[str, str]]) -> list[str]:
        """A short unit name that fits units of several plans (供电公司), in a question that also says what about
        (…在森林防火里要干什么): the units of the plan the question's subject is found in."""
        owners = {u: {p for p, names in self._plan_units.items() if u in names} for u in units}
        if len(units) < 2 or len(set().union(*owners.values())) < 2:
            return units
        subject = _SUBJECT_NOISE.sub("", UNIT_MENTION.sub("", question))
        if len(re.findall(r"[\u4e00-\u9fff]", subject)) < 3:
            return units  # 住建局都要管哪些事？ names nothing else: every unit it may mean
        hits = self.index.search(subject, k=1, scope=scope)
        return [u for u in units if hits and hits[0].policy in owners[u]] or units

    def _agency_tasks(self, question: str, units: list[str], scope: set[tuple[str, str]]) -> Answer:
        answers = [self.wording.unit_tasks(question, unit, self._rows_of(unit, scope), scope) for unit in units]
        return answers[0] if len(units) == 1 else self.wording.several_units(question, units, answers)

    def _rows_of(self, unit: str, scope: set[tuple[str, str]]) -> list[Task]:
        return [t for t in self.index.tasks if (t.policy, t.version) in scope and unit in t.agencies]

    # ------------------------------------------------------------ plans in scope
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

    # ---------------------------------------------------------------- follow-ups
    @staticmethod
    def _is_followup(question: str) -> bool:
        content = _YEAR.sub("", strip_question_words(question))
        content = re.sub(r"[那么这个些该它其此呢吗的要是还有项条件时候年底前后能可以]", "", content)
        content = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", content)
        short = len(content) <= 8
        return (bool(_FOLLOWUP_LEAD.match(question)) or question.rstrip("？?。 ").endswith("呢")) and short \
            or len(content) <= 2

    def _item_of(self, turn: Turn | None) -> str | None:
        if turn is None:
            return None
        task = self.index.task(turn.policy or "", turn.version or "", turn.task_id or "")
        return (task.parent or task.id) if task else None

    def _pinned_hit(self, previous: Turn, hits: list[Hit]) -> Hit | None:
        item_id = self._item_of(previous) or previous.task_id
        for hit in hits:
            if hit.policy == previous.policy and hit.version == previous.version and hit.item_id == item_id:
                return hit
        chunks = [c for c in self.index.chunks
                  if c.policy == previous.policy and c.version == previous.version and c.item_id == item_id]
        if not chunks:
            return None
        return Hit(policy=chunks[0].policy, version=chunks[0].version, item_id=item_id or "", score=1.0,
                   chunks=chunks[:5])

    @staticmethod
    def _record(conversation: Conversation | None, question: str, answer: Answer, task: Task | None) -> None:
        if conversation is None:
            return
        conversation.turns.append(Turn(question=question, intent=answer.intent, policy=answer.policy,
                                       version=answer.version, task_id=task.id if task else None,
                                       target=answer.targets[0] if answer.targets else None))
