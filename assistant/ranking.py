"""Ranking: which task, which target and which sentence of the retrieved items answer the question.

Retrieval (:mod:`assistant.hits`) returns items; this step decides, within them, what answers: the
task row of an item, whether the best item is about what is asked at all, and which of its targets
fits the question's year, measure word, rate and subject. Every weight sits in :class:`Weights`.
Character rarity is counted per plan version, so what another plan says never changes how one is read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Sequence
from typing import NamedTuple

from .hits import policy_terms
from .questions import YEAR
from .questions import topic as topic_of
from .schema import Hit, Target, Task
from .store import Store
from .targets import QUANTITY, UNITS, cn_count

__all__ = ["DATED", "Choice", "Ranker", "Weights", "own_part", "stated_quantities"]

_PER_UNIT = re.compile(r"人均|户均|每人|每户|每平方米|每万平方米|每公里|单位面积|单位建筑面积|每[十百千万亿]+(?=[\u4e00-\u9fff])")
_REDUCE_CUE = re.compile(r"降|减少|压减|减排|少排|缩减")
_UNIT_CUES: list[tuple[re.Pattern[str], tuple[str, ...]]] = [
    (re.compile(r"多长|多远|公里|里程|长度|千米"), ("公里", "千米", "米")),
    (re.compile(r"多宽|宽度|多少米"), ("米",)),
    (re.compile(r"多密|密度"), ("公里/平方公里",)),
    (re.compile(r"面积|平方米|多大面积|多少平"), ("平方米", "万平方米", "亿平方米", "平方公里", "亩", "万亩", "公顷", "万公顷")),
    (re.compile(r"比例|率|百分之|占比|占.{0,3}多|几成|百分点|%|多大一块"), ("%", "百分点", "个百分点")),
    (re.compile(r"(?<!哪)几个|多少个|多少家|几家|多少座|多少处|几座|几处|几所"), ("个", "家", "座", "处", "所")),
    (re.compile(r"几条|多少条|线路"), ("条",)),
    (re.compile(r"排放量|多少吨|万吨|每万平方米"), ("吨/万平方米", "吨", "万吨")),
    (re.compile(r"兆瓦|千瓦|装机"), ("千瓦", "兆瓦", "万千瓦")),
    # energy use is not an area: 能耗限额值 is never answered by 6380万平方米 (低能耗/近零能耗 name building types)
    (re.compile(r"(?<![低零])能耗|能源消费|耗能"), ("吨标准煤", "万吨标准煤", "千克标准煤", "千克标准煤/平方米", "千瓦时",
                                           "万千瓦时", "千瓦时/平方米", "%", "百分点", "个百分点")),
    # money, but not 万元 as the base of a rate (万元工业增加值用水量, 万元GDP能耗)
    (re.compile(r"多少钱|资金|预算|投资额|票价|价格|补贴|奖励|奖补|补助|多少元|(?:万|亿)元(?!GDP|国内生产总值|地区生产总值|工业增加值|增加值|产值)"),
     ("元", "万元", "亿元")),
]
_ASKED_UNIT = re.compile(r"(?:多少|几)([\u4e00-\u9fff%/]{1,6})")
_COUNT = ("个", "家", "座", "处", "所")
_CN_TENTHS = {"一": 10, "二": 20, "两": 20, "三": 30, "四": 40, "五": 50, "六": 60, "七": 70, "八": 80, "九": 90}

DATED = re.compile(r"(?:每年|每季度|每月|\d{4}年)\d{0,2}月?(?:底|末|中旬|上旬|下旬)?(?:前|以前)|\d{4}年(?:底|末)?前")
"""A sentence's date of completion: 每年10月底前, 2025年底前."""


@dataclass(frozen=True)
class Weights:
    """How ranking weighs what it sees; the defaults are the ones measured on the eval sets."""

    min_relevance: float = 0.885  # dense similarity of the best item that makes it "about" the question
    min_target_relevance: float = 0.25  # lexical match a target needs to be considered
    strong_dense: float = 0.91  # dense similarity that makes a sentence relevant on its own
    dense_floor: float = 0.85  # dense similarity above which it adds to a target's score
    rank_penalty: float = 0.15  # per place an item stands below the first
    stated_bonus: float = 0.5  # the question states the target's value (500公里)
    named_metric_bonus: float = 0.3  # the question names the indicator as the plan does
    reduce_bonus: float = 0.3  # the question asks for a cut and the target is one
    dated_margin: float = 0.1  # a dated sentence must beat the best target by this to answer "when"
    other_plan_margin: float = 0.05  # another plan's best item this close to the best plan's answers too


# nouns that say what kind of answer is wanted, or qualify without naming a subject (not what a question is about)
_FRAME_WORDS = frozenset("年份 时间 数量 数目 目标 指标 规模 比例 水平 情况 任务 工作 问题 方面 内容 要求 标准 总量 总数 方案 时候 "
                         "大家 程度 多长 多大 多少 节点 期限 时限 一共 总共 累计 够得上 普通 一般 主要 重点 全部 所有 "
                         "旧版 新版 原版 老版 版本 修订版 去年 今年 明年 文件 政策 百分之 市中心 城区 市区 县城".split())
_SIMILE = re.compile(r"像[^，。？?]{1,20}?(?:一样|似的)")  # 像搭积木一样: a picture, not the subject
_LOCATIVE = re.compile(r"^[\u4e00-\u9fff]{1,3}[里内外边上]$")  # 厂里, 城里, 家门口外: where, not what
_NOUN_TAGS = frozenset({"n", "nz", "vn", "l", "i", "nr", "nt", "ng", "an", "j"})


@lru_cache(maxsize=256)
def subject_words(topic: str) -> tuple[tuple[str, ...], ...]:
    """The nouns a question's topic names, each whole word with its parts (臭氧浓度 → 臭氧浓度, 臭氧, 浓度); places
    and words that only frame the question (程度, 期限, 一共) left out."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    groups: list[tuple[str, ...]] = []
    for word, tag in jieba.posseg.cut(_SIMILE.sub(" ", topic), HMM=False):
        if _LOCATIVE.match(word):
            continue
        if tag in _NOUN_TAGS:
            words = [w for w in dict.fromkeys([word, *jieba.cut_for_search(word, HMM=False)])
                     if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w) and w not in _FRAME_WORDS]
        elif tag == "eng" and len(word) >= 2:  # LNG, PM: a term in Latin letters
            words = [word]
        else:
            continue
        if words:
            groups.append(tuple(words))
    return tuple(groups)


class Choice(NamedTuple):
    """The target that answers, with its task row and the item it was found in."""

    score: float
    target: Target
    task: Task
    hit: Hit


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
            family = {"平方米": ("平方米", "万平方米", "亿平方米"), "吨": ("吨", "万吨"), "米": ("米",),
                      "公里": ("公里", "千米"), **{c: _COUNT for c in _COUNT}}.get(word, (word,))
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


def stated_quantities(question: str) -> set[tuple[float, str]]:
    """Values a question states: 500公里, 45%, 七成 (70%), 百分之六十 (60%), 一半 (50%)."""
    found = {(float(m.group(1)), m.group(4)) for m in QUANTITY.finditer(question)}
    found |= {(float(_CN_TENTHS[c]), "%") for c in re.findall(r"([一二两三四五六七八九])成", question)}
    found |= {(float(v), "%") for v in re.findall(r"百分之(\d+(?:\.\d+)?)", question)}
    found |= {(float(cn_count(v)), "%") for v in re.findall(r"百分之([一二两三四五六七八九十]{1,3})", question)}
    if "一半" in question:
        found.add((50.0, "%"))
    return found


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def overlap(question: str, text: str) -> float:
    """Share of the question's character bigrams that ``text`` contains."""
    q = _bigrams(question)
    return len(q & _bigrams(text)) / len(q) if q else 0.0


def _figure(target: Target) -> str:
    return f"{target.value:g}" if target.value is not None else ""


def _states(text: str, figure: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d.])", text) is not None


def own_part(target: Target, siblings: Sequence[Target]) -> str:
    """A target's sentence without the parts that state the other targets of the same sentence: 每万人口全科医生数
    达到4.2人，每千人口执业医师数达到3.4人 is, for the 3.4 target, not about 全科医生."""
    others = {_figure(t) for t in siblings if t is not target and t.quote == target.quote} - {_figure(target), ""}
    if not others:
        return target.quote
    parts = re.findall(r"[^，；,;]+[，；,;]?", target.quote)
    mine = _figure(target)
    kept = [p for p in parts if (mine and _states(p, mine)) or not any(_states(p, o) for o in others)]
    return "".join(kept) or target.quote


class Ranker:
    """Ranks within retrieved items over one store."""

    def __init__(self, store: Store, weights: Weights | None = None) -> None:
        self.store = store
        self.weights = weights or Weights()
        # one pass over the chunks: character rarity and the whole text, per plan version
        frequency: dict[tuple[str, str], dict[str, int]] = {}
        texts: dict[tuple[str, str], list[str]] = {}
        for chunk in store.chunks:
            key = (chunk.policy, chunk.version)
            counts = frequency.setdefault(key, {})
            texts.setdefault(key, []).append(chunk.text)
            for ch in set(re.sub(r"[^\u4e00-\u9fff]", "", chunk.sentence)):
                counts[ch] = counts.get(ch, 0) + 1
        self._idf = {key: ({ch: math.log((len(texts[key]) + 1) / (df + 0.5)) for ch, df in counts.items()},
                           math.log((len(texts[key]) + 1) / 0.5)) for key, counts in frequency.items()}
        self._text = {key: "\n".join(parts) for key, parts in texts.items()}

    # ------------------------------------------------------------- rows of items
    def task_for(self, hit: Hit) -> Task | None:
        """The task row of an item's best chunk (a sub-item row where there is one), else of the item."""
        task_id = hit.chunks[0].task_id if hit.chunks else hit.item_id
        return self.store.task(hit.policy, hit.version, task_id) or self.store.task(hit.policy, hit.version,
                                                                                     hit.item_id)

    def item_tasks(self, hit: Hit) -> list[Task]:
        return self.store.item_tasks(hit.policy, hit.version, hit.item_id)

    def first_task_hit(self, hits: list[Hit]) -> Hit:
        """The best item that has a task row (the first item if none has)."""
        return next((h for h in hits if self.task_for(h) is not None), hits[0])

    # --------------------------------------------------------------- relevance
    def coverage(self, topic: str, text: str, hit: Hit) -> float:
        """Share of the topic's characters, weighted by rarity in the hit's plan, that ``text`` contains."""
        chars = set(re.sub(r"[^\u4e00-\u9fff]", "", topic))
        idf, idf_max = self._idf.get((hit.policy, hit.version), ({}, 1.0))
        total = sum(idf.get(c, idf_max) for c in chars)
        return sum(idf.get(c, 0.0) for c in chars if c in text) / total if total else 0.0

    def relevant(self, question: str, hit: Hit, followup: bool, loose: bool = False) -> bool:
        """Whether the best item is about what is asked at all (else: the document does not say)."""
        if followup:
            return True
        w = self.weights
        topic = topic_of(question)
        coverage = max((self.coverage(topic, c.sentence, hit) for c in hit.chunks), default=0.0)
        if loose:
            return hit.dense >= w.min_relevance - 0.025 or coverage >= 0.2
        return hit.dense >= w.min_relevance or coverage >= 0.3

    def _target_relevance(self, topic: str, target: Target, hit: Hit, siblings: Sequence[Target] = ()) -> tuple[float, float]:
        """(lexical match of the target's metric and its part of the sentence to the topic, dense similarity of
        its sentence)."""
        own = own_part(target, siblings)
        lexical = max(overlap(topic, target.metric), 0.8 * overlap(topic, own), self.coverage(topic, target.metric + own, hit))
        dense = max((sim for c, sim in zip(hit.chunks, hit.chunk_dense) if target.quote in c.sentence), default=0.0)
        return lexical, dense

    def foreign_subject(self, topic: str, target: Target, hit: Hit) -> str | None:
        """A noun of the question that the target's plan never writes, nor a policy term for it, and that the target's
        own words do not paraphrase: 臭氧 asked, PM2.5 stated. Then the target is about another subject."""
        text = self._text.get((hit.policy, hit.version), "")
        own = target.metric + target.quote

        def written(word: str) -> bool:
            if word.isascii():
                return re.search(re.escape(word), text, re.I) is not None
            return word in text or any(term in text for term in policy_terms(word))

        for whole, *parts in subject_words(topic):
            if written(whole):  # 自来水管: the plan's 供水 says it; its fragment 自来 is not a subject of its own
                continue
            for word in (whole, *parts):
                # half its characters in the target's words, its head (last) character among them: 消防员 for
                # 专职消防队员 is a paraphrase; 示范区 for 示范校 is another thing (a Chinese compound ends in its head)
                if not written(word) and (sum(c in own for c in word) * 2 < len(word) or word[-1] not in own):
                    return word
        return None

    # ----------------------------------------------------------------- targets
    def best_target(self, question: str, hits: list[Hit], pinned_item: str | None = None,
                    previous: Target | None = None) -> Choice | None:
        """The target of the first three items that fits the question best: its year, its measure word, a rate
        where one is asked, and its subject; ``pinned_item`` (a follow-up's item) and ``previous`` (the target
        the last turn gave) let 那2030年呢 find the same indicator for another year."""
        w = self.weights
        years = [int(y) for y in YEAR.findall(question)]
        topic = topic_of(question)
        terms = " ".join(policy_terms(topic))
        stated_values = stated_quantities(question)
        cues = _unit_cues(question)
        reduce = bool(_REDUCE_CUE.search(question))
        per = _PER_UNIT.findall(question)  # 人均 / 每户 …: a rate, which a total does not answer
        best: Choice | None = None
        for rank, hit in enumerate(hits[:3]):
            for task in self.item_tasks(hit):
                for target in task.targets:
                    if years and target.year not in years:
                        continue
                    if cues and not any(_unit_in(target.unit, units) for units in cues):
                        continue
                    if per and not all(_states_rate(p, target) for p in per):
                        continue
                    lexical, dense = self._target_relevance(topic, target, hit, task.targets)
                    if terms:
                        lexical = max(lexical, 0.9 * self.coverage(terms, target.metric + own_part(target, task.targets), hit))
                    stated = target.value is not None and (target.value, target.unit) in stated_values
                    pinned = pinned_item is not None and hit.item_id == pinned_item
                    if not (stated or pinned) and self.foreign_subject(topic, target, hit):
                        continue
                    if not (lexical >= w.min_target_relevance or dense >= w.strong_dense or stated or pinned):
                        continue
                    score = lexical + 2 * max(0.0, dense - w.dense_floor) - w.rank_penalty * rank
                    score += w.stated_bonus if stated else 0.0
                    if len(target.metric) >= 4 and target.metric in question:
                        score += w.named_metric_bonus
                    if reduce and target.comparator in ("reduce_by", "<=", "<"):
                        score += w.reduce_bonus
                    if pinned_item is not None and previous is not None:
                        score += 0.5 * overlap(previous.metric, target.metric)
                        score += 0.3 if target.unit == previous.unit else 0.0
                    if best is None or score > best.score:
                        best = Choice(score, target, task, hit)
        return best

    def dated_sentence(self, question: str, hits: list[Hit], floor: float | None) -> tuple[str, Hit] | None:
        """For 'when' questions: the best-matching sentence that carries a date (每年10月底前, 2000年底前),
        when it matches the question better than any target does (``floor``)."""
        w = self.weights
        topic = topic_of(question)
        terms = " ".join(policy_terms(topic))
        best: tuple[float, str, Hit] | None = None
        for rank, hit in enumerate(hits[:3]):
            for chunk, dense in zip(hit.chunks, hit.chunk_dense):
                if not DATED.search(chunk.sentence):
                    continue
                lexical = self.coverage(topic, chunk.sentence, hit)
                if terms:
                    lexical = max(lexical, 0.9 * self.coverage(terms, chunk.sentence, hit))
                if lexical < w.min_target_relevance and dense < w.strong_dense:
                    continue
                score = lexical + 2 * max(0.0, dense - w.dense_floor) - w.rank_penalty * rank
                if best is None or score > best[0]:
                    best = (score, chunk.sentence, hit)
        if best is None or (floor is not None and best[0] <= floor + w.dated_margin):
            return None
        return best[1], best[2]

    # ------------------------------------------------------------------- plans
    def other_plans(self, hits: list[Hit], policy: str | None) -> list[list[Hit]]:
        """The items of each other plan whose best item stands within the margin of ``policy``'s best one."""
        best = max((h.score for h in hits if h.policy == policy), default=0.0)
        out: list[list[Hit]] = []
        for other in dict.fromkeys(h.policy for h in hits):
            own = [h for h in hits if h.policy == other]
            if other != policy and own[0].score >= best - self.weights.other_plan_margin:
                out.append(own)
        return out
