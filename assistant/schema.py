"""The one schema: what the parser returns, the exporter writes, the UI renders and the eval compares."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Comparator = Literal[">=", "<=", ">", "<", "=", "reduce_by", "increase_by", "peak"]
DeadlineKind = Literal["by", "before", "annual", "during"]
AgencyKind = Literal["department", "collective", "enterprise", "government", "other"]
Intent = Literal["agencies", "target", "deadline", "agency_tasks", "general"]
UnitSource = Literal["责任单位", "牵头单位", "牵头句", "附件表", "子项汇总", "无"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sentence(_Model):
    text: str
    start: int
    end: int


class Clause(_Model):
    """A node of the clause tree: a chapter (一、), an item (（一）) or a sub-item (1.)."""

    id: str = Field(description="Unique within the policy, e.g. 二（一） or 二（三）1")
    level: Literal["chapter", "item", "subitem"]
    chapter: str = Field(description="Chapter numeral, e.g. 二; empty when the plan has none")
    chapter_title: str
    number: str = Field(description="Item label as printed, e.g. （一）; sub-items 1")
    title: str
    text: str = Field(description="Full repaired text of the clause, heading included")
    start: int = Field(description="Offset in the repaired text")
    end: int
    parent: str | None = None
    sentences: list[Sentence] = []


class Target(_Model):
    metric: str
    year: int | None = None
    deadline_kind: DeadlineKind | None = None
    comparator: Comparator
    value: float | None = None
    value_max: float | None = Field(None, description="Upper end of a range (3.5—3.8人): value is the lower end")
    unit: str | None = None
    baseline_year: int | None = None
    quote: str


class Threshold(_Model):
    """A quantity that delimits scope (城镇新建5000平方米以上商品住宅项目), not a goal."""

    value: float
    unit: str
    quote: str


class Agency(_Model):
    name: str = Field(description="Canonical name")
    kind: AgencyKind
    role: Literal["lead", "co"]


class Task(_Model):
    """One row of the responsibility table: a numbered item (or a sub-item with its own units)."""

    policy: str
    version: str = ""
    id: str
    chapter: str
    chapter_title: str
    number: str
    title: str
    text: str
    lead_agency: str | None = None
    lead_inferred: bool = Field(False, description="Lead taken from list order, not a 牵头 statement")
    agencies: list[str] = Field([], description="Canonical names, lead(s) first")
    agency_details: list[Agency] = []
    agencies_etc: bool = Field(False, description="The list ended with 等")
    unit_source: UnitSource = "无"
    unit_quote: str | None = Field(None, description="The exact text that names the units (bracket, sentence or table row)")
    deadline: str | None = Field(None, description="完成时限 where the plan gives one")
    targets: list[Target] = []
    thresholds: list[Threshold] = []
    parent: str | None = None
    start: int = 0
    end: int = 0


class PolicyRecord(_Model):
    """What a plan says it is, read from its own text (see records.py)."""

    policy: str = Field(description="Internal id; never shown to an official")
    version: str = ""
    title: str
    place: str = Field("", description="The place the plan is for, e.g. 青岛市")
    level: str = Field("", description="省, 市, 县 or 区")
    issuer: str = Field("", description="Issuing body, e.g. 青岛市人民政府办公厅")
    doc_number: str = Field("", description="文号, e.g. 青政办字〔2024〕12号")
    date: str = Field("", description="ISO date the plan was issued or dated")
    content_hash: str = Field("", description="sha256 of the text without white space")
    files: list[str] = Field([], description="Files holding this text (a .docx and its .pdf are one policy)")


class Problem(_Model):
    """Something the parser could not read, reported instead of raised."""

    where: str
    message: str


class Citation(_Model):
    """A quote that was checked to occur in the plan it names: in the clause, the chapter or the appendix
    table whose text it carries, at ``start`` in the plan's repaired text."""

    policy: str
    version: str = ""
    chapter: str
    number: str
    item_id: str
    title: str
    text: str = Field(description="The text the quote was found in: the clause, its chapter or the appendix")
    quote: str = Field(description="The span that supports the answer; a substring of text")
    start: int = Field(-1, description="Offset of the quote in the plan's repaired text (-1: not located)")

    @model_validator(mode="after")
    def _quote_is_in_text(self) -> Citation:
        if self.quote not in self.text:
            raise ValueError(f"quote not found in clause {self.item_id}: {self.quote[:40]}")
        return self


class Query(_Model):
    """What a question asks, read before anything is retrieved (see questions.py)."""

    text: str
    intent: Intent
    units: list[str] = Field([], description="Units the question names, canonical; several when a short name fits several")
    places: list[str] = Field([], description="Places the question names")
    policies: list[str] = Field([], description="Plans the question names (by place, level or title); empty: any")
    unknown_places: list[str] = Field([], description="Places named that no loaded plan is for")
    years: list[int] = []
    old_version: bool = Field(False, description="The question asks about an earlier version (旧版, 修订前)")


class Duty(_Model):
    """What one task asks of one unit: the rows of 'X要做哪些工作' and of a unit's task list."""

    policy: str
    version: str = ""
    plan_title: str = ""
    task_id: str
    title: str
    role: Literal["牵头", "配合"]
    lead_inferred: bool = False
    text: str = Field(description="What the task asks, in the plan's words (its first sentences)")
    targets: list[str] = Field([], description="Its targets in the plan's words")
    deadline: str | None = None


class Answer(_Model):
    question: str
    intent: Intent
    answer: str
    not_found: bool = False
    agencies: list[str] = []
    lead_agency: str | None = None
    lead_inferred: bool = Field(False, description="The lead is the first unit listed, not stated as 牵头")
    co_agencies: list[str] = []
    deadline: str | None = Field(None, description="完成时限 of the task, where the plan gives one")
    duties: list[Duty] = []
    targets: list[Target] = []
    citations: list[Citation] = []
    policy: str | None = None
    version: str | None = None
    warnings: list[str] = []


class Chunk(_Model):
    """A retrieval unit: one sentence of a clause, prefixed with the clause title, mapped to its task row."""

    id: int
    policy: str
    version: str
    item_id: str = Field(description="The top-level item (or chapter) the sentence belongs to")
    task_id: str = Field(description="The task row that covers the sentence (a sub-item row where one exists)")
    chapter: str
    number: str
    title: str
    text: str = Field(description="What is embedded and indexed: title + sentence")
    sentence: str
    start: int
    end: int
    hash: str


class Hit(_Model):
    """A retrieved item with the chunks that matched it, best first."""

    policy: str
    version: str
    item_id: str
    score: float = Field(description="Fused rank score")
    dense: float = Field(0.0, description="Best cosine similarity among its chunks")
    lexical: float = Field(0.0, description="Best BM25 score among its chunks")
    chunks: list[Chunk]
    chunk_dense: list[float] = Field([], description="Cosine similarity of each listed chunk")


class ItemMove(_Model):
    """An item added (old is None), removed (new is None) or renumbered."""

    old: str | None
    new: str | None
    title: str


class TargetChange(_Model):
    item_old: str | None
    item_new: str | None
    metric: str
    field: Literal["value", "year", "unit", "comparator", "deadline_kind", "baseline_year", "added", "removed"]
    old: float | int | str | None
    new: float | int | str | None


class AgencyChange(_Model):
    item_old: str
    item_new: str
    title: str
    added: list[str] = []
    removed: list[str] = []
    lead_old: str | None = None
    lead_new: str | None = None


class PolicyDiff(_Model):
    """What changed between two versions of a policy, with items aligned by content, not by number."""

    policy: str
    old_version: str
    new_version: str
    added_items: list[ItemMove] = []
    removed_items: list[ItemMove] = []
    renumbered: list[ItemMove] = []
    target_changes: list[TargetChange] = []
    agency_changes: list[AgencyChange] = []
    wording_changed_items: list[str] = []

    @property
    def identical(self) -> bool:
        return not (self.added_items or self.removed_items or self.renumbered or self.target_changes
                    or self.agency_changes or self.wording_changed_items)
