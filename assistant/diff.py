"""Diff of two versions of a policy: items aligned by content, then targets, units and wording compared.

Items are compared on their repaired text without the numbering marker, so an inserted task that
renumbers the rest is one addition plus renumberings, not a cascade of changes; and a copy that
differs only in whitespace, bracket width or page breaks (all undone by the repairer) is identical.
Wording is compared with numbers and unit lists masked, since those changes are reported on their own.
"""

from __future__ import annotations

import io
import re
from difflib import SequenceMatcher
from typing import Any

from . import markers
from .policies import Policy
from .schema import AgencyChange, ItemMove, PolicyDiff, Target, TargetChange, Task
from .tasks import unit_brackets

MIN_SIMILARITY = 0.5
_FIELDS = ("value", "year", "unit", "comparator", "deadline_kind", "baseline_year")


def _body(task: Task) -> str:
    """The item's text without its numbering marker and whitespace."""
    text = re.sub(r"\s+", "", task.text)
    m = markers.ITEM.match(text) or markers.SUBITEM.match(text)
    if m:
        marker_end = m.start(m.lastindex) if m.lastindex and m.group(m.lastindex) else len(text)
        text = text[marker_end:]
    return text


def _wording(task: Task) -> str:
    text = _body(task)
    for start, end, _ in reversed(unit_brackets(text)):
        text = text[:start] + text[end:]
    return re.sub(r"\d+(?:\.\d+)?", "#", text)


def _bigram_set(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def align(old: list[Task], new: list[Task]) -> list[tuple[Task | None, Task | None]]:
    """Pairs of (old, new) items matched by content; unmatched ones paired with None, in new order."""
    old_sets = [_bigram_set(_body(t)) for t in old]
    new_sets = [_bigram_set(_body(t)) for t in new]
    candidates = []
    for i, a in enumerate(old_sets):
        for j, b in enumerate(new_sets):
            if not a or not b:
                continue
            jaccard = len(a & b) / len(a | b)
            if jaccard >= 0.3 or old[i].title == new[j].title:
                candidates.append((i, j))
    scored = []
    for i, j in candidates:
        ratio = SequenceMatcher(None, _body(old[i]), _body(new[j]), autojunk=False).ratio()
        if old[i].title == new[j].title:
            ratio = max(ratio, 0.6) + 0.1
        scored.append((ratio, i, j))
    pairs: dict[int, int] = {}
    used_old: set[int] = set()
    for ratio, i, j in sorted(scored, key=lambda s: (-s[0], abs(s[1] - s[2]))):
        if ratio < MIN_SIMILARITY or i in used_old or j in pairs:
            continue
        pairs[j] = i
        used_old.add(i)
    out: list[tuple[Task | None, Task | None]] = []
    for j, task in enumerate(new):
        out.append((old[pairs[j]] if j in pairs else None, task))
    out.extend((task, None) for i, task in enumerate(old) if i not in used_old)
    return out


def _pair_targets(old: list[Target], new: list[Target]) -> list[tuple[Target | None, Target | None]]:
    scored = sorted(((SequenceMatcher(None, a.metric, b.metric).ratio() + (0.2 if a.unit == b.unit else 0.0)
                      + (0.1 if a.value == b.value else 0.0) + (0.1 if a.year == b.year else 0.0), i, j)
                     for i, a in enumerate(old) for j, b in enumerate(new)), reverse=True)
    matched: dict[int, int] = {}
    used: set[int] = set()
    for score, i, j in scored:
        if score >= 0.75 and i not in used and j not in matched:
            matched[j] = i
            used.add(i)
    pairs: list[tuple[Target | None, Target | None]] = [(old[matched[j]] if j in matched else None, b)
                                                        for j, b in enumerate(new)]
    pairs.extend((a, None) for i, a in enumerate(old) if i not in used)
    return pairs


def _target_changes(a: Task, b: Task) -> list[TargetChange]:
    changes = []
    for x, y in _pair_targets(a.targets, b.targets):
        if x is None and y is not None:
            changes.append(TargetChange(item_old=a.id, item_new=b.id, metric=y.metric, field="added", old=None,
                                        new=y.quote))
        elif y is None and x is not None:
            changes.append(TargetChange(item_old=a.id, item_new=b.id, metric=x.metric, field="removed", old=x.quote,
                                        new=None))
        elif x is not None and y is not None:
            for name in _FIELDS:
                if getattr(x, name) != getattr(y, name):
                    changes.append(TargetChange(item_old=a.id, item_new=b.id, metric=y.metric, field=name,  # type: ignore[arg-type]
                                                old=getattr(x, name), new=getattr(y, name)))
    return changes


def diff_tasks(policy: str, old_version: str, new_version: str, old: list[Task], new: list[Task]) -> PolicyDiff:
    """The diff of two task tables of one policy."""
    result = PolicyDiff(policy=policy, old_version=old_version, new_version=new_version)
    for a, b in align(old, new):
        if a is None and b is not None:
            result.added_items.append(ItemMove(old=None, new=b.id, title=b.title))
            continue
        if b is None and a is not None:
            result.removed_items.append(ItemMove(old=a.id, new=None, title=a.title))
            continue
        assert a is not None and b is not None
        if a.id != b.id:
            result.renumbered.append(ItemMove(old=a.id, new=b.id, title=b.title))
        result.target_changes.extend(_target_changes(a, b))
        added = [n for n in b.agencies if n not in a.agencies]
        removed = [n for n in a.agencies if n not in b.agencies]
        if added or removed or a.lead_agency != b.lead_agency:
            result.agency_changes.append(AgencyChange(
                item_old=a.id, item_new=b.id, title=b.title, added=added, removed=removed,
                lead_old=a.lead_agency if a.lead_agency != b.lead_agency else None,
                lead_new=b.lead_agency if a.lead_agency != b.lead_agency else None))
        if _wording(a) != _wording(b) or a.title != b.title:
            result.wording_changed_items.append(b.id)
    return result


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    """The diff between two parsed versions of a policy."""
    return diff_tasks(new.policy, old.version, new.version, old.tasks, new.tasks)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


FIELD_NAMES = {"value": "数值", "year": "年份", "unit": "单位", "comparator": "比较", "deadline_kind": "时限类型",
               "baseline_year": "基准年", "added": "新增目标", "removed": "删除目标"}


def diff_rows(diff: PolicyDiff) -> list[dict[str, str]]:
    """One row per change, in Chinese, for a terminal table, the app or a spreadsheet."""
    rows = []
    for m in diff.added_items:
        rows.append({"类型": "新增条目", "条目": m.new or "", "内容": m.title, "原": "—", "新": m.new or ""})
    for m in diff.removed_items:
        rows.append({"类型": "删除条目", "条目": m.old or "", "内容": m.title, "原": m.old or "", "新": "—"})
    for m in diff.renumbered:
        rows.append({"类型": "重新编号", "条目": m.new or "", "内容": m.title, "原": m.old or "", "新": m.new or ""})
    for t in diff.target_changes:
        rows.append({"类型": f"目标{FIELD_NAMES[t.field]}变化" if t.field not in ("added", "removed")
                     else FIELD_NAMES[t.field], "条目": t.item_new or t.item_old or "", "内容": t.metric,
                     "原": _fmt(t.old), "新": _fmt(t.new)})
    for a in diff.agency_changes:
        if a.added or a.removed:
            rows.append({"类型": "责任单位变化", "条目": a.item_new, "内容": a.title,
                         "原": "删除：" + "、".join(a.removed) if a.removed else "—",
                         "新": "新增：" + "、".join(a.added) if a.added else "—"})
        if a.lead_old != a.lead_new:
            rows.append({"类型": "牵头单位变化", "条目": a.item_new, "内容": a.title, "原": _fmt(a.lead_old),
                         "新": _fmt(a.lead_new)})
    for item in diff.wording_changed_items:
        rows.append({"类型": "文字修改", "条目": item, "内容": "", "原": "", "新": ""})
    return rows


def diff_xlsx(diff: PolicyDiff) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "变化"
    headers = ["类型", "条目", "内容", "原", "新"]
    sheet.append(headers)
    for row in diff_rows(diff):
        sheet.append([row[h] for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (14, 12, 36, 30, 30)):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
