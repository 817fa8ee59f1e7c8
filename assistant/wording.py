"""Wording: the :class:`~assistant.schema.Answer` an official reads, in the plan's own words.

Ranking has chosen the task, target or sentence; this step writes it out: who leads and who works
with them, the target as the plan words it, the 依据 line naming the item (and the plan and version
where the index holds several), and citations whose quotes are checked to be in the clause, the
chapter or the appendix row they point to. When nothing fits, the answer says the plan does not say
and lists the nearest clauses; units and numbers are only ever copied from the task table.
"""

from __future__ import annotations

from typing import Any

from .duties import duties_of
from .exports import describe_target
from .ranking import DATED
from .schema import Answer, Citation, Hit, Intent, PolicyRecord, Query, Target, Task
from .store import Store

__all__ = ["Wording", "task_fields"]


def task_fields(task: Task) -> dict[str, Any]:
    """What every answer built on a task row carries of it, so every view renders the same thing."""
    return {"agencies": task.agencies, "lead_agency": task.lead_agency, "lead_inferred": task.lead_inferred,
            "co_agencies": [a for a in task.agencies if a != task.lead_agency], "deadline": task.deadline}


class Wording:
    """Writes answers from the rows of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.versions: dict[str, list[str]] = {}  # each plan's versions, read once
        for info in store.policies:
            self.versions.setdefault(info.policy, []).append(info.version)

    # --------------------------------------------------------------- citations
    def citation(self, policy: str, version: str, clause_id: str, quote: str) -> Citation | None:
        """A citation of ``quote`` in the clause it names; none when the quote is not there."""
        clause = self.store.clause(policy, version, clause_id)
        if clause is None or not quote or quote not in clause.text:
            return None
        return Citation(policy=policy, version=version, chapter=clause.chapter, number=clause.number,
                        item_id=clause.id, title=clause.title, text=clause.text, quote=quote,
                        start=clause.start + clause.text.index(quote))

    def hit_citations(self, hits: list[Hit], n: int = 3) -> list[Citation]:
        """The best sentence of each of the first ``n`` items, cited."""
        cites = (self.citation(h.policy, h.version, h.item_id, h.chunks[0].sentence if h.chunks else "")
                 for h in hits[:n])
        return [c for c in cites if c]

    def units_citation(self, task: Task) -> Citation | None:
        """The citation of the text that names a task's units: its bracket or sentence, or its appendix-table row."""
        clause = self.store.clause(task.policy, task.version, task.id)
        if clause is None:
            return None
        quote = task.unit_quote or task.title
        if quote in clause.text:
            return self.citation(task.policy, task.version, task.id, quote)
        chapter = self.store.clause(task.policy, task.version, task.chapter)
        if chapter is not None and quote in chapter.text:  # 以上任务由A牵头… at the end of the chapter
            return Citation(policy=task.policy, version=task.version, chapter=clause.chapter, number=clause.number,
                            item_id=clause.id, title=f"{clause.title}（{chapter.title}：本章分工）", text=chapter.text,
                            quote=quote, start=chapter.start + chapter.text.index(quote))
        info = self.store.info(task.policy, task.version)
        if info is not None and quote in info.appendix:  # a row of the appendix 分工表
            return Citation(policy=task.policy, version=task.version, chapter=clause.chapter, number=clause.number,
                            item_id=clause.id, title=f"{clause.title}（附件：任务分工表）", text=info.appendix,
                            quote=quote, start=info.appendix_start + info.appendix.index(quote))
        return None

    # ------------------------------------------------------------------ labels
    def plan_title(self, policy: str, version: str) -> str:
        info = self.store.info(policy, version)
        return info.title if info and info.title else policy

    def item_title(self, hit: Hit) -> str:
        clause = self.store.clause(hit.policy, hit.version, hit.item_id)
        return clause.title if clause else ""

    def source(self, policy: str, version: str, item_id: str, title: str) -> str:
        """依据 line: item and title, plus the plan's title when the index holds several plans and the version
        when the plan has several."""
        versions = self.versions.get(policy, [])
        info = self.store.info(policy, version)
        name = f"《{info.title}》" if info and info.title and len(self.store.latest_versions()) > 1 else ""
        return f"{name}{item_id}{title}" + (f"（{version} 版）" if len(versions) > 1 else "")

    # ----------------------------------------------------------------- answers
    def not_found(self, question: str, intent: Intent, what: str, hits: list[Hit]) -> Answer:
        nearest = "；".join(f"{h.item_id}{self.item_title(h)}" for h in hits[:3])
        return Answer(question=question, intent=intent, not_found=True,
                      answer=f"文件未明确{what}。最相关的条款：{nearest}。", citations=self.hit_citations(hits),
                      policy=hits[0].policy if hits else None, version=hits[0].version if hits else None)

    @staticmethod
    def no_such_plan(query: Query, loaded: list[PolicyRecord]) -> Answer:
        titles = "、".join(f"《{r.title}》" for r in loaded) or "（无）"
        return Answer(question=query.text, intent=query.intent, not_found=True,
                      answer=f"已收录的文件中没有{'、'.join(query.unknown_places)}的方案。已收录：{titles}。")

    def agencies(self, question: str, task: Task) -> Answer:
        """牵头单位 and 配合单位 of a task, citing the words that name them."""
        lines = [f"牵头单位：{task.lead_agency}" + ("（原文未写“牵头”，按所列第一家推定）" if task.lead_inferred else "")]
        co = [a for a in task.agencies if a != task.lead_agency]
        if co:
            lines.append("配合单位：" + "、".join(co) + ("等" if task.agencies_etc else ""))
        lines.append(f"依据：{self.source(task.policy, task.version, task.id, task.title)}")
        cite = self.units_citation(task)
        return Answer(question=question, intent="agencies", answer="\n".join(lines), **task_fields(task),
                      citations=[c for c in [cite] if c], policy=task.policy, version=task.version)

    def target(self, question: str, intent: Intent, target: Target, task: Task) -> Answer:
        """A target in the plan's words; for 'when', its year first (每年 for an annual one)."""
        cite = self.citation(task.policy, task.version, task.id, target.quote)
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
        text += f"\n依据：{self.source(task.policy, task.version, task.id, task.title)}"
        return Answer(question=question, intent=intent, answer=text, targets=[target], **task_fields(task),
                      citations=[c for c in [cite] if c], policy=task.policy, version=task.version)

    def task_deadline(self, question: str, intent: Intent, task: Task) -> Answer:
        """The 完成时限 of a task, as the appendix 分工表 gives it."""
        cite = self.units_citation(task)
        text = (f"完成时限：{task.deadline}\n依据：{self.source(task.policy, task.version, task.id, task.title)}"
                "（附件：任务分工表）")
        return Answer(question=question, intent=intent, answer=text, **task_fields(task),
                      citations=[c for c in [cite] if c], policy=task.policy, version=task.version)

    def dated(self, question: str, sentence: str, hit: Hit) -> Answer:
        """A 'when' answered by a sentence that carries its date."""
        m = DATED.search(sentence)
        cite = self.citation(hit.policy, hit.version, hit.item_id, sentence)
        text = (f"{m.group() if m else ''}。\n原文：“{sentence}”\n"
                f"依据：{self.source(hit.policy, hit.version, hit.item_id, self.item_title(hit))}")
        return Answer(question=question, intent="deadline", answer=text, citations=[c for c in [cite] if c],
                      policy=hit.policy, version=hit.version)

    def general(self, question: str, hit: Hit, task: Task | None) -> Answer:
        """The item's best sentences, quoted, at most about 300 characters."""
        sentences = [c.sentence for c in hit.chunks[:3]]
        while len(sentences) > 1 and sum(map(len, sentences)) > 300:
            sentences.pop()
        citations = [c for c in (self.citation(hit.policy, hit.version, hit.item_id, s) for s in sentences) if c]
        source = self.source(hit.policy, hit.version, hit.item_id, self.item_title(hit))
        text = "\n".join(f"“{s}”" for s in sentences) + f"\n依据：{source}"
        return Answer(question=question, intent="general", answer=text, citations=citations,
                      **(task_fields(task) if task else {}), policy=hit.policy, version=hit.version)

    def unit_tasks(self, question: str, agency: str, rows: list[Task], scope: set[tuple[str, str]]) -> Answer:
        """A unit's duties: per task its role, what it asks, its targets and deadline, grouped by plan."""
        if not rows:
            return Answer(question=question, intent="agency_tasks", not_found=True, agencies=[agency],
                          answer=f"文件未给{agency}分配任务。")
        titles = {p: self.plan_title(p, v) for p, v in scope}
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
        citations = [c for c in (self.units_citation(t) for t in rows) if c]
        lead = [t for t in rows if t.lead_agency == agency]
        return Answer(question=question, intent="agency_tasks", answer="\n".join(lines), agencies=[agency],
                      targets=[x for t in lead for x in t.targets], citations=citations, duties=duties,
                      policy=rows[0].policy, version=rows[0].version)

    @staticmethod
    def several_units(question: str, units: list[str], answers: list[Answer]) -> Answer:
        """A short name that may mean several units: each one's duties, those with none left out."""
        found = [a for a in answers if not a.not_found] or answers
        text = f"“{question}”可能指{len(units)}个单位：" + "、".join(units) + "。\n\n" + "\n\n".join(a.answer for a in found)
        return Answer(question=question, intent="agency_tasks", answer=text, agencies=units,
                      not_found=all(a.not_found for a in answers),
                      citations=[c for a in found for c in a.citations], policy=found[0].policy,
                      version=found[0].version)

    def by_plan(self, answer: Answer, others: list[Answer]) -> Answer:
        """One answer from several plans: the best plan's first, each under its plan's title, citations kept."""
        if not others:
            return answer
        parts = [f"《{self.plan_title(a.policy or '', a.version or '')}》：\n{a.answer}" for a in [answer, *others]]
        return answer.model_copy(update={"answer": "\n\n".join(parts),
                                         "citations": answer.citations + [c for o in others for c in o.citations]})
