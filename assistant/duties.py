"""A unit's duties: for each task that names it, its role and what the task asks, in the plan's words.

One list serves the answer to "X要做哪些工作", the app's unit view and the list a bureau is handed.
"""

from __future__ import annotations

import re

from .exports import describe_target
from .schema import Duty, Task
from .tasks import strip_units

_MAX_CHARS = 120


def task_summary(task: Task) -> str:
    """What a task asks, in its own first one or two sentences (heading, numbering and units left out)."""
    body = strip_units(task.text)
    lines = body.split("\n")
    first = re.sub(r"^\s*(?:（[一二三四五六七八九十百]+）|[一二三四五六七八九十]+、|\d+[.．、]|（\d+）)\s*", "", lines[0])
    if first.startswith(task.title):  # an inline heading: （三）推进绿色建造。大力发展…
        first = first[len(task.title):].lstrip("。：: ")
    else:
        first = ""
    body = "\n".join([first, *lines[1:]])
    sentences = [s.strip() for s in re.findall(r"[^。！？\n]+[。！？]?", body) if len(s.strip()) > 4]
    out = ""
    for sentence in sentences[:2]:
        if out and len(out) + len(sentence) > _MAX_CHARS:
            break
        out += sentence
    return out or task.title


def duties_of(unit: str, tasks: list[Task], titles: dict[str, str] | None = None) -> list[Duty]:
    """Every task that names ``unit``, in document order, with its role (牵头 / 配合), summary, targets and deadline."""
    out = []
    for task in tasks:
        if unit not in task.agencies:
            continue
        out.append(Duty(policy=task.policy, version=task.version, plan_title=(titles or {}).get(task.policy, ""),
                        task_id=task.id, title=task.title, role="牵头" if unit == task.lead_agency else "配合",
                        lead_inferred=task.lead_inferred and unit == task.lead_agency, text=task_summary(task),
                        targets=[describe_target(t) for t in task.targets], deadline=task.deadline))
    return out
