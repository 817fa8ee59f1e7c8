"""Scoring an extracted task table against a gold table (eval/gold/*.json).

Units are scored as (item, unit) pairs and leads as (item, lead) pairs; targets as
(item, value, unit, year) tuples — a target is right only when value, unit and year all are.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from .schema import Task


def _prf(gold: Counter[Any], found: Counter[Any]) -> dict[str, float]:
    hit = sum((gold & found).values())
    precision = hit / sum(found.values()) if found else (1.0 if not gold else 0.0)
    recall = hit / sum(gold.values()) if gold else 1.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "gold": sum(gold.values()),
            "found": sum(found.values()), "hit": hit}


def _value(v: Any) -> float | None:
    return None if v is None else round(float(v), 4)


def score_table(tasks: list[Task], gold: dict[str, Any]) -> dict[str, Any]:
    """Precision/recall of items, units, leads and targets, plus the mismatches."""
    gold_items = gold["items"]
    found = {t.id: t for t in tasks}
    report: dict[str, Any] = {}
    report["items"] = _prf(Counter((g["id"], g["title"]) for g in gold_items),
                           Counter((t.id, t.title) for t in tasks))
    report["units"] = _prf(Counter((g["id"], a) for g in gold_items for a in g["agencies"]),
                           Counter((t.id, a) for t in tasks for a in t.agencies))
    report["leads"] = _prf(Counter((g["id"], g["lead_agency"]) for g in gold_items if g.get("lead_agency")),
                           Counter((t.id, t.lead_agency) for t in tasks if t.lead_agency))
    gold_targets = Counter((g["id"], _value(x["value"]), x["unit"], x["year"]) for g in gold_items
                           for x in g["targets"])
    found_targets = Counter((t.id, _value(x.value), x.unit, x.year) for t in tasks for x in t.targets)
    report["targets"] = _prf(gold_targets, found_targets)
    report["missing_targets"] = sorted(map(str, (gold_targets - found_targets).elements()))
    report["extra_targets"] = sorted(map(str, (found_targets - gold_targets).elements()))
    mismatched_units = []
    for g in gold_items:
        t = found.get(g["id"])
        got = t.agencies if t else None
        if got != g["agencies"] or (t and t.lead_agency) != g.get("lead_agency"):
            mismatched_units.append({"id": g["id"], "gold": g["agencies"], "found": got,
                                     "gold_lead": g.get("lead_agency"), "found_lead": t.lead_agency if t else None})
    report["mismatched_units"] = mismatched_units
    return report


def load_gold(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))
    return data
