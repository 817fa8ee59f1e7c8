"""Eval reports: run a question set with typed gold answers, score every answer, compare with a baseline.

A question line: {"id", "question", "intent", "item", "agencies", "lead", "target": {value, unit, year},
"items", "keywords", "followup_of", "policy", "version"}. ``intent: not_found`` means the document does
not answer it. The primary metric is overall answer accuracy.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answers import Assistant, Conversation

if TYPE_CHECKING:
    from .engine import Engine
from .errors import PolicyAssistantError
from .schema import Answer

PRIMARY = "accuracy"


_GOLD = {"agencies": ("agencies",), "target": ("target",), "deadline": ("target", "deadline"),
         "agency_tasks": ("items",)}  # a deadline's gold: the target it dates, or the date as the plan words it


def load_questions(path: Path) -> list[dict[str, Any]]:
    """The question set; a line that is not a question with its gold answer is refused with its number."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyAssistantError(f"无法读取问题集 {path}（文件不存在或不是 UTF-8 文本）") from exc
    questions = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PolicyAssistantError(f"{path} 第 {number} 行不是合法 JSON：{exc.msg}") from exc
            gold = _GOLD.get(str(record.get("intent")), ()) if isinstance(record, dict) else ()
            missing = ([k for k in ("question", "intent") if k not in record]
                       + ([" 或 ".join(gold)] if gold and not any(k in record for k in gold) else [])) \
                if isinstance(record, dict) else ["question"]
            if missing:
                raise PolicyAssistantError(f"{path} 第 {number} 行缺少字段：{'、'.join(missing)}")
            questions.append(record)
    return questions


def _same_number(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(float(a) - float(b)) < 1e-6


def judge(question: dict[str, Any], answer: Answer) -> bool:
    """Whether an answer meets its gold."""
    intent = question["intent"]
    if intent == "not_found":
        return answer.not_found and not answer.targets and (answer.intent == "agency_tasks" or not answer.agencies)
    if intent == "agencies" and not question["agencies"]:  # the plan names no unit for this task: say so
        return not answer.agencies and answer.lead_agency is None
    if answer.not_found:
        return False
    if intent == "agencies":
        return set(answer.agencies) == set(question["agencies"]) and answer.lead_agency == question.get("lead")
    if intent == "deadline" and "target" not in question:  # the date as the plan words it: 2025年底前
        year = re.search(r"\d{4}", str(question["deadline"]))
        said = [str(t.year) for t in answer.targets[:1]] + [answer.deadline or "", answer.answer.split("\n")[0]]
        return year is not None and any(year.group() in s for s in said)
    if intent in ("target", "deadline"):
        if not answer.targets:
            return False
        got, gold = answer.targets[0], question["target"]
        if intent == "deadline":
            return got.year == gold.get("year")
        return (got.year == gold.get("year") and got.unit == gold.get("unit")
                and (_same_number(got.value, gold.get("value")) or (got.value is None and gold.get("value") is None)))
    if intent == "agency_tasks":
        return {c.item_id for c in answer.citations} == set(question["items"])
    if intent == "general":
        return all(k in answer.answer for k in question.get("keywords", []))
    return False


def answer_record(question: dict[str, Any], answer: Answer | None, error: str | None = None) -> dict[str, Any]:
    cited = answer.citations[0].item_id if answer and answer.citations else None
    return {
        "id": question.get("id"), "question": question.get("question"), "intent": question.get("intent"),
        "style": question.get("style"), "gold_item": question.get("item"), "cited_item": cited,
        "correct": bool(answer and judge(question, answer)), "not_found": answer.not_found if answer else None,
        "answer_intent": answer.intent if answer else None,
        "cited_titles": [c.title for c in answer.citations] if answer else [],
        "answer": answer.answer if answer else error, "agencies": answer.agencies if answer else [],
        "lead": answer.lead_agency if answer else None,
        "targets": [t.model_dump() for t in answer.targets] if answer else [],
    }


@dataclass
class EvalReport:
    metrics: dict[str, Any]
    records: list[dict[str, Any]]


def run_eval(assistant: Assistant | Engine, questions: list[dict[str, Any]]) -> EvalReport:
    """Ask every question (follow-ups in the conversation of the line before) and score the answers."""
    records = []
    conversation = Conversation()
    for q in questions:
        if not q.get("followup_of"):
            conversation = Conversation()
        try:
            answer = assistant.ask(q["question"], conversation, policy=q.get("policy"), version=q.get("version"))
            records.append(answer_record(q, answer))
        except PolicyAssistantError as exc:
            records.append(answer_record(q, None, str(exc)))
    return EvalReport(metrics=metrics_of(records), records=records)


def metrics_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    by_intent: dict[str, list[bool]] = defaultdict(list)
    by_style: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        by_intent[r["intent"]].append(r["correct"])
        by_style[r["style"] or "-"].append(r["correct"])
    with_item = [r for r in records if r["gold_item"] and r["intent"] != "agency_tasks"]
    return {
        PRIMARY: round(sum(r["correct"] for r in records) / len(records), 4) if records else 0.0,
        "questions": len(records),
        "by_intent": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_intent.items())},
        "by_style": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_style.items())},
        "cited_item_recall@1": round(sum(r["cited_item"] == r["gold_item"] for r in with_item) / len(with_item), 4)
        if with_item else 0.0,
    }


def substance(record: dict[str, Any]) -> tuple[Any, ...]:
    """What an answer says to its question, without wording, item numbering or version label."""
    kind = record.get("answer_intent") or record.get("intent")
    if kind in ("target", "deadline"):
        said: Any = tuple((t.get("metric"), t.get("year"), t.get("comparator"), t.get("value"), t.get("unit"))
                          for t in record.get("targets", []))
    elif kind in ("agencies", "agency_tasks"):
        said = (tuple(sorted(record.get("agencies") or [])), record.get("lead"), record.get("cited_titles"))
    else:
        said = record.get("cited_titles")
    return said, record.get("not_found"), record.get("correct")


def compare(report: EvalReport, baseline: dict[str, Any] | None, tolerance: float = 0.02) -> dict[str, Any]:
    """Answers that changed against the baseline, and whether accuracy fell by more than ``tolerance``."""
    if not baseline:
        return {"changed": [], "regressed": False, "baseline_accuracy": None}
    before = {r["id"]: r for r in baseline.get("records", [])}
    changed = []
    for r in report.records:
        old = before.get(r["id"])
        if old is None:
            continue
        if substance(old) != substance(r):
            changed.append({"id": r["id"], "question": r["question"], "was_correct": old.get("correct"),
                            "now_correct": r["correct"], "old": old.get("answer"), "new": r["answer"]})
    base_accuracy = baseline.get("metrics", {}).get(PRIMARY)
    regressed = base_accuracy is not None and report.metrics[PRIMARY] < base_accuracy - tolerance
    return {"changed": changed, "regressed": regressed, "baseline_accuracy": base_accuracy}


INTENT_LABELS = {"agencies": "问责任单位", "target": "问目标值", "deadline": "问完成时间", "agency_tasks": "问某单位的任务",
                 "general": "问一般内容", "not_found": "文件未涉及的问题"}
STYLE_LABELS = {"colloquial": "口语化问法", "literal": "按原文问法", "-": "未标注问法"}


def _first_line(text: object) -> str:
    return str(text).splitlines()[0] if text else ""


def to_markdown(report: EvalReport, comparison: dict[str, Any]) -> str:
    """The report in Chinese for an official: accuracy overall, by kind of question and by wording, the questions
    answered wrongly and the answers that changed against the baseline (questions by their text, not their ids)."""
    m = report.metrics
    lines = ["# 问答回归评测报告", "", f"- 准确率：**{m[PRIMARY]:.1%}**（共 {m['questions']} 题）",
             f"- 首条出处正确率（第一条引用就是应引的条目）：{m['cited_item_recall@1']:.1%}"]
    if comparison.get("baseline_accuracy") is not None:
        lines.append(f"- 基线准确率：{comparison['baseline_accuracy']:.1%}；"
                     f"{'**低于基线，超出容差**' if comparison['regressed'] else '未退步'}")
    lines += ["", "| 问题类型 | 准确率 |", "|---|---|"]
    lines += [f"| {INTENT_LABELS.get(k, k)} | {v:.1%} |" for k, v in m["by_intent"].items()]
    if m.get("by_style"):
        lines += ["", "| 问法 | 准确率 |", "|---|---|"]
        lines += [f"| {STYLE_LABELS.get(k, k)} | {v:.1%} |" for k, v in m["by_style"].items()]
    wrong = [r for r in report.records if not r["correct"]]
    lines += ["", f"## 答错的问题（{len(wrong)}）", ""]
    lines += [f"- {r['question']} → {_first_line(r['answer'])}" for r in wrong]
    lines += ["", f"## 与基线相比变化的答案（{len(comparison.get('changed', []))}）", ""]
    lines += [f"- {c['question']}：{_first_line(c['old'])} → {_first_line(c['new'])}" for c in comparison.get("changed", [])]
    return "\n".join(lines) + "\n"
