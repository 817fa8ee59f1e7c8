"""What the Streamlit app shows, as plain functions: chat turns, the filtered table, the unit view,
chart data, highlighted sources, upload handling, the eval report. ``app.py`` only lays these out.

Everything here takes task rows, answers or paths and returns text, HTML, DataFrames or small
dataclasses, so that tests (and the CLI) can call it without Streamlit.
"""

from __future__ import annotations

import html
import importlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from .agencies import CO, LEAD
from .answers import Conversation
from .duties import task_summary
from .engine import Engine, Status
from .errors import ConfigError, DocumentError, PolicyAssistantError, QuestionError
from .exports import TASK_COLUMNS, describe_target, due_date, export, leaf_tasks, task_records
from .index import BuildReport, Index, Progress
from .schema import Answer, Citation, Target, Task
from .store import Store
from .settings import Settings

NO_YEAR = "未写年份"
UPLOAD_TYPES = ("txt", "docx", "pdf")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|#])")
_MD_LINE_START = re.compile(r"^(\s*)(\d+)([.)])(?=\s|$)|^(\s*)([-+=>])")


# ------------------------------------------------------------------ engine
def make_engine(settings: Settings) -> Engine:
    """The engine the app uses: the embedder named by the settings, loaded now; the index on first use.
    Raises ConfigError when the corpus folder does not exist."""
    from . import embeddings  # looked up at call time, so a test can substitute the loader

    if not Path(settings.corpus_dir).is_dir():
        raise ConfigError(f"找不到政策文件夹“{settings.corpus_dir}”。请在项目根目录运行 streamlit run app.py，"
                          "或用环境变量 POLICY_ASSISTANT_CORPUS_DIR 指定文件夹。")
    return Engine(settings, embeddings.load_embedder(settings.embedding_model))


# -------------------------------------------------------------------- text
def md_escape(text: str) -> str:
    """Text shown literally by Streamlit's Markdown (no emphasis, links, HTML or LaTeX); newlines kept."""
    lines = []
    for line in str(text).splitlines():
        line = _MD_SPECIAL.sub(r"\\\1", line)
        line = _MD_LINE_START.sub(lambda m: f"{m[1]}{m[2]}\\{m[3]}" if m[2] else f"{m[4]}\\{m[5]}", line)
        lines.append(line)
    return "  \n".join(lines)


def highlight_html(text: str, quote: str) -> str:
    """The clause text as HTML, escaped, with every occurrence of ``quote`` inside ``<mark>``."""
    parts = text.split(quote) if quote else [text]
    marked = f"<mark>{html.escape(quote)}</mark>" if quote else ""
    body = marked.join(html.escape(part) for part in parts)
    return '<div class="clause" style="line-height:1.8">' + body.replace("\n", "<br>") + "</div>"


# -------------------------------------------------------------------- chat
@dataclass
class ChatTurn:
    """One exchange: the question and either an answer or a short message why it was not asked."""

    question: str
    answer: Answer | None = None
    problem: str | None = None


def ask(engine: Engine, question: object, conversation: Conversation) -> ChatTurn:
    """Ask through the engine, keeping follow-up context; an unaskable question becomes ``problem``."""
    shown = question if isinstance(question, str) else "（非文字输入）"
    try:
        return ChatTurn(question=shown, answer=engine.ask(question, conversation))
    except QuestionError as exc:
        return ChatTurn(question=shown, problem=str(exc))


def answer_markdown(answer: Answer) -> str:
    """The answer text, escaped for Markdown, one line per line."""
    return md_escape(answer.answer)


def units_markdown(answer: Answer) -> str | None:
    """责任单位 with the lead in bold and marked （牵头）, or （列第一，推定牵头） when the answer says the lead was
    inferred from list order; None when the answer names no unit."""
    inferred = answer.lead_inferred
    if not answer.agencies or answer.intent == "agency_tasks":  # there the unit is what was asked about
        return None
    names = []
    for name in answer.agencies:
        if name == answer.lead_agency:
            names.append(f"**{md_escape(name)}**" + ("（列第一，推定牵头）" if inferred else "（牵头）"))
        else:
            names.append(md_escape(name))
    return "责任单位：" + "、".join(names)


def target_lines(answer: Answer) -> list[str]:
    """The answer's targets as an official reads them, leaving out those its text already states."""
    return [line for line in (describe_target(t) for t in answer.targets) if line not in answer.answer]


@dataclass
class Source:
    """A cited clause ready to show: a label for the expander and the highlighted clause HTML."""

    label: str
    html: str
    quote: str


def policy_titles(index: Store) -> dict[tuple[str, str], str]:
    """(policy, version) → the policy's title."""
    return {(p.policy, p.version): p.title or p.policy for p in index.policies}


def source_label(citation: Citation, titles: dict[tuple[str, str], str] | None = None) -> str:
    title = (titles or {}).get((citation.policy, citation.version), citation.policy)
    version = f"（{citation.version}）" if citation.version and citation.version != "v1" else ""
    return f"{title}{version} · {citation.item_id} {citation.title}"


def sources(answer: Answer, titles: dict[tuple[str, str], str] | None = None) -> list[Source]:
    """The answer's citations as expander label + highlighted clause text."""
    return [Source(label=source_label(c, titles), html=highlight_html(c.text, c.quote), quote=c.quote)
            for c in answer.citations]


def example_questions(tasks: list[Task]) -> list[str]:
    """Up to four questions the table can answer: a target, who leads a task, a unit's tasks, a deadline."""
    out: list[str] = []
    target_task: str | None = None
    for task in tasks:
        found = next((t for t in task.targets if t.year and t.value is not None and t.comparator != "peak"
                      and 2 <= len(t.metric) <= 20), None)
        if found is not None:
            out.append(f"到{found.year}年，{found.metric}要达到多少？")
            target_task = task.id
            break
    crowded = sorted((t for t in tasks if t.agencies and t.id != target_task), key=lambda t: -len(t.agencies))
    if crowded:
        out.append(f"{crowded[0].title}由哪些单位负责？")
    leads = Counter(t.lead_agency for t in tasks if t.lead_agency)
    if leads:
        out.append(f"{leads.most_common(1)[0][0]}牵头哪些任务？")
    peak = next((x for t in tasks for x in t.targets if x.comparator == "peak" and x.year), None)
    if peak is not None:
        out.append(f"{peak.metric}什么时候达到峰值？")
    return out


# ------------------------------------------------------------------- table
def latest_tasks(index: Store) -> list[Task]:
    """Task rows of the latest version of every policy, in document order."""
    latest = index.latest_versions()
    return [t for t in index.tasks if latest.get(t.policy) == t.version]


def unit_options(tasks: list[Task]) -> list[str]:
    """Every unit in the table, the busiest first."""
    counts = Counter(a for t in leaf_tasks(tasks) for a in t.agencies)
    return sorted(counts, key=lambda name: (-counts[name], name))


def chapter_options(tasks: list[Task]) -> dict[str, str]:
    """Chapter numeral → 二、系统推进绿色低碳城市建设, in document order."""
    out: dict[str, str] = {}
    for t in tasks:
        if t.chapter and t.chapter not in out:
            out[t.chapter] = f"{t.chapter}、{t.chapter_title}" if t.chapter_title else t.chapter
    return out


def year_options(tasks: list[Task]) -> list[int]:
    """The target years in the table, ascending."""
    return sorted({x.year for t in tasks for x in t.targets if x.year is not None})


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def filter_tasks(tasks: list[Task], unit: str | None = None, chapter: str | None = None, year: int | None = None,
                 has_target: bool = False, search: str = "", policy: str | None = None) -> list[Task]:
    """Rows that match every filter given: a unit (lead or co), a chapter, a target year, having any target,
    and every word of ``search`` (in the id, title, text, units or target metrics)."""
    words = [_fold(w) for w in search.split() if _fold(w)]
    out = []
    for t in tasks:
        if policy and t.policy != policy:
            continue
        if unit and unit not in t.agencies:
            continue
        if chapter and t.chapter != chapter:
            continue
        if year is not None and not any(x.year == year for x in t.targets):
            continue
        if has_target and not t.targets:
            continue
        if words:
            haystack = _fold(" ".join([t.id, t.title, t.text, *t.agencies, *(x.metric for x in t.targets)]))
            if not all(w in haystack for w in words):
                continue
        out.append(t)
    return out


_TABLE_KEYS = ("id", "title", "lead_agency", "lead_inferred", "co_agencies", "targets")


def table_frame(tasks: list[Task], with_policy: bool = False) -> pd.DataFrame:
    """The task table as shown: 编号, 任务, 牵头单位, its basis, co-units, targets, and 完成时限 (the plan's, or
    derived from the target years) when any row has one (Chinese headers)."""
    keys = (("policy", "version") if with_policy else ()) + _TABLE_KEYS
    if any(due_date(t) for t in tasks):
        keys += ("deadline",)
    records = task_records(tasks)
    return pd.DataFrame([{TASK_COLUMNS[k]: r[k] for k in keys} for r in records],
                        columns=[TASK_COLUMNS[k] for k in keys])


@dataclass
class Download:
    label: str
    data: bytes
    file_name: str
    mime: str


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_FORMATS = (("csv", "CSV", "text/csv"), ("xlsx", "Excel", XLSX_MIME), ("docx", "Word 分工表", DOCX_MIME),
            ("json", "JSON", "application/json"))


def downloads(tasks: list[Task], stem: str = "责任分工表", title: str | None = None) -> list[Download]:
    """The rows as CSV, XLSX, a Word 分工表 headed ``title`` (default: ``stem``) and JSON, through assistant.exports."""
    return [Download(label=f"下载 {label}", data=export(tasks, fmt, title or stem), file_name=f"{stem}.{fmt}", mime=mime)
            for fmt, label, mime in _FORMATS]


# --------------------------------------------------------------- unit view
@dataclass
class UnitView:
    """One unit's share of the plan: the rows it leads, the rows it works on, and their targets."""

    unit: str
    lead: list[Task] = field(default_factory=list)
    co: list[Task] = field(default_factory=list)

    @property
    def targets(self) -> list[tuple[str, Task, Target]]:
        """(role, task, target) for every target of the unit's rows, by year (undated last)."""
        rows = [(LEAD, t, x) for t in self.lead for x in t.targets] + [(CO, t, x) for t in self.co for x in t.targets]
        return sorted(rows, key=lambda r: (r[2].year is None, r[2].year or 0))


def unit_view(tasks: list[Task], unit: str) -> UnitView:
    """The rows ``unit`` leads and the rows it works on as a co-unit (leaf rows only)."""
    view = UnitView(unit=unit)
    for t in leaf_tasks(tasks):
        if t.lead_agency == unit:
            view.lead.append(t)
        elif unit in t.agencies:
            view.co.append(t)
    return view


def unit_task_frame(tasks: list[Task], role: str) -> pd.DataFrame:
    """Rows of a unit view: 编号, 任务, 工作内容 (what the task asks, in its own first sentences), the other units,
    目标 (count), 完成时限."""
    other = "配合单位" if role == LEAD else "牵头单位"
    columns = ["编号", "任务", "工作内容", other, "量化目标", "完成时限"]
    rows = []
    for t in tasks:
        others = "、".join(a for a in t.agencies if a != t.lead_agency) if role == LEAD else (t.lead_agency or "")
        rows.append({"编号": t.id, "任务": t.title, "工作内容": task_summary(t), other: others,
                     "量化目标": len(t.targets), "完成时限": t.deadline or ""})
    return pd.DataFrame(rows, columns=columns)


def unit_targets_frame(view: UnitView) -> pd.DataFrame:
    """The unit's targets by year: 年份, 目标, 编号, 任务, 角色."""
    rows = [{"年份": str(x.year) if x.year else ("每年" if x.deadline_kind == "annual" else NO_YEAR),
             "目标": describe_target(x), "编号": t.id, "任务": t.title, "角色": role}
            for role, t, x in view.targets]
    return pd.DataFrame(rows, columns=["年份", "目标", "编号", "任务", "角色"])


# ----------------------------------------------------------------- start-up
_STAGES = {"解析文件": "读取和解析政策文件", "生成向量": "计算语义向量", "建立关键词索引": "建立关键词索引",
           "写入索引": "写入索引文件"}


def progress_text(done: int, total: int, stage: str) -> str:
    """What the index build is doing, in words: 正在计算语义向量：已完成 96 / 162 段."""
    words = _STAGES.get(stage, stage)
    return f"正在{words}：已完成 {done} / {total} 段" if stage == "生成向量" else f"正在{words}……"


# ------------------------------------------------------------------ charts
def targets_timeline(tasks: list[Task]) -> pd.DataFrame:
    """One row per dated target: 年份, 指标, 目标, 编号, 任务, 牵头单位; by year, then document order."""
    rows = [{"年份": x.year, "指标": x.metric, "目标": describe_target(x), "编号": t.id, "任务": t.title,
             "牵头单位": t.lead_agency or "未写明"}
            for t in tasks for x in t.targets if x.year is not None]
    frame = pd.DataFrame(rows, columns=["年份", "指标", "目标", "编号", "任务", "牵头单位"])
    return frame.sort_values("年份", kind="stable").reset_index(drop=True)


def undated_targets(tasks: list[Task]) -> int:
    return sum(1 for t in tasks for x in t.targets if x.year is None)


def unit_counts(tasks: list[Task]) -> pd.DataFrame:
    """Tasks per unit and role: 单位, 角色 (牵头/配合), 任务数; busiest unit first (leaf rows only)."""
    lead: Counter[str] = Counter()
    co: Counter[str] = Counter()
    for t in leaf_tasks(tasks):
        for a in t.agencies:
            (lead if a == t.lead_agency else co)[a] += 1
    units = sorted(set(lead) | set(co), key=lambda u: (-(lead[u] + co[u]), -lead[u], u))
    rows = [{"单位": u, "角色": role, "任务数": counts[u]} for u in units
            for role, counts in ((LEAD, lead), (CO, co)) if counts[u]]
    return pd.DataFrame(rows, columns=["单位", "角色", "任务数"])


def timeline_chart(frame: pd.DataFrame) -> Any:
    """Altair: targets due per year, one stacked segment per target, coloured by lead unit."""
    import altair as alt

    return alt.Chart(frame).mark_bar(stroke="white", strokeWidth=1).encode(
        x=alt.X("年份:O", title="年份", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("count():Q", title="到期的量化目标（项）"),
        color=alt.Color("牵头单位:N", title="牵头单位"),
        detail="目标:N",
        tooltip=[alt.Tooltip("年份:O"), alt.Tooltip("目标:N"), alt.Tooltip("编号:N"), alt.Tooltip("牵头单位:N")],
    ).properties(height=320)


def unit_chart(frame: pd.DataFrame) -> Any:
    """Altair: horizontal stacked bars of tasks per unit, lead and co-unit."""
    import altair as alt

    order = list(dict.fromkeys(frame["单位"]))
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("单位:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)),
        x=alt.X("sum(任务数):Q", title="任务数（项）", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("角色:N", scale=alt.Scale(domain=[LEAD, CO], range=["#1f4e79", "#9dc3e6"]), title="角色"),
        order=alt.Order("角色:N", sort="ascending"),  # 牵头 sorts before 配合: lead on the left
        tooltip=["单位:N", "角色:N", "任务数:Q"],
    ).properties(height=max(160, 30 * len(order)))


# ------------------------------------------------------------------ corpus
STATE_LABELS = {"fresh": "最新", "stale": "已过期", "damaged": "已损坏", "missing": "未建立"}


def status_label(status: Status) -> str:
    return STATE_LABELS.get(status.state, status.state)


def status_sentence(status: Status) -> str:
    """The index state in words for an official: what it means and what happens next."""
    if status.state == "fresh":
        return "索引是最新的：文件库中的政策都已收录，可以直接提问。"
    if status.state == "stale":
        return f"文件库有变化（{status.message.removeprefix('索引已过期：')}），下次提问前会自动更新索引。"
    if status.state == "missing":
        return "还没有建立索引：第一次提问前会自动建立。"
    return f"索引已损坏（{status.message}），下次提问前会自动重建。"


def chinese_date(moment: str | None, with_time: bool = True) -> str:
    """An ISO date or time as an official writes it, in local time: 2026年12月1日 10:21; "" when unreadable."""
    from datetime import datetime

    if not moment:
        return ""
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if when.tzinfo is not None:
        when = when.astimezone()
    day = f"{when.year}年{when.month}月{when.day}日"
    return f"{day} {when:%H:%M}" if with_time and len(moment) > 10 else day


def version_label(version: str) -> str:
    """v1 → 第1版, 2025-06 → 2025年6月版, 2025-06-01 → 2025年6月1日版; any other label as written."""
    m = re.fullmatch(r"[vV](\d+)(?:\.(\d+))?", version)
    if m:
        return f"第{m[1]}版" if not m[2] else f"第{m[1]}.{m[2]}版"
    m = re.fullmatch(r"(\d{4})-?(\d{2})(?:-?(\d{2}))?", version)
    if m:
        return f"{m[1]}年{int(m[2])}月" + (f"{int(m[3])}日" if m[3] else "") + "版"
    return version


def policies_frame(status: Status) -> pd.DataFrame:
    """The indexed policies by title and version, for the corpus page (no file-name ids)."""
    rows = [{"政策文件": t or p, "版本": version_label(v)} for p, v, t in status.policies or []]
    return pd.DataFrame(rows, columns=["政策文件", "版本"])


@dataclass
class UploadResult:
    """What happened to an upload: files stored, files refused (name, reason) and the rebuild."""

    saved: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    report: BuildReport | None = None

    @property
    def problems(self) -> list[str]:
        """Every problem, one plain Chinese line each: refused uploads, then corpus files left out."""
        lines = [f"“{name}”未能加入：{reason}" for name, reason in self.rejected]
        if self.report is not None:
            lines += [f"“{Path(f['path']).name}”未收录：{f['reason']}" for f in self.report.failures]
        return lines


def add_uploads(engine: Engine, files: Iterable[tuple[str, bytes]], progress: Progress | None = None) -> UploadResult:
    """Store each file that is a readable policy under the corpus folder, then rebuild the index once."""
    result = UploadResult()
    for name, data in files:
        try:
            result.saved.append(engine.save_upload(name, data).name)
        except DocumentError as exc:
            result.rejected.append((name, exc.reason))
    if result.saved:
        result.report = engine.ingest(progress=progress)
    return result


# -------------------------------------------------------------------- eval
@dataclass
class EvalView:
    markdown: str | None
    changed: pd.DataFrame
    note: str | None = None


_CHANGED_COLUMNS = {"question": "问题", "was_correct": "原先", "now_correct": "现在", "old": "原答案", "new": "新答案"}


def _right(value: object) -> object:
    return {True: "正确", False: "错误"}.get(value, value) if isinstance(value, bool) else value


def _demote(markdown: str, levels: int) -> str:
    """Markdown with every ATX heading ``levels`` deeper (# → ###), to sit under the page's own header."""
    return re.sub(r"^(#{1,6})(?=\s)", lambda m: "#" * min(6, len(m[1]) + levels), markdown, flags=re.M)


def eval_report(report_dir: Path) -> EvalView:
    """report.md (None if absent; headings two levels down) and the changed answers of report.json's comparison."""
    md_path, json_path = Path(report_dir) / "report.md", Path(report_dir) / "report.json"
    markdown = _demote(md_path.read_text("utf-8"), 2) if md_path.exists() else None
    changed: list[dict[str, Any]] = []
    note = None
    if json_path.exists():
        try:
            data = json.loads(json_path.read_text("utf-8"))
            changed = list((data.get("comparison") or {}).get("changed") or [])
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            note = "评测结果文件无法读取，请重新运行评测（命令：policy-assistant eval）"
    rows = [{label: _right(c.get(key)) if key.endswith("_correct") else c.get(key) for key, label in _CHANGED_COLUMNS.items()}
            for c in changed if isinstance(c, dict)]
    return EvalView(markdown=markdown, changed=pd.DataFrame(rows, columns=list(_CHANGED_COLUMNS.values())), note=note)


# -------------------------------------------------------------------- diff
def load_diff() -> ModuleType | None:
    """assistant.diff if it is installed and has diff_policies, else None."""
    try:
        module = importlib.import_module("assistant.diff")
    except ImportError:
        return None
    return module if callable(getattr(module, "diff_policies", None)) else None


def policy_versions(index: Store) -> dict[str, list[str]]:
    """policy id → its versions, oldest first."""
    from .policies import oldest_first

    out: dict[str, list[str]] = {}
    for p in oldest_first(index.policies):
        out.setdefault(p.policy, []).append(p.version)
    return out


def diff_frame(module: ModuleType, result: Any) -> pd.DataFrame:
    """The diff as rows 类型/条目/内容/原/新 (through the module's diff_rows when it has one), changes of
    substance first and mere renumberings last."""
    rows_of: Callable[[Any], list[dict[str, str]]] | None = getattr(module, "diff_rows", None)
    if rows_of is not None:
        rows = sorted(rows_of(result), key=lambda r: r.get("类型") == "重新编号")
        return pd.DataFrame(rows, columns=["类型", "条目", "内容", "原", "新"])
    data = result.model_dump() if hasattr(result, "model_dump") else dict(result)
    rows = [{"类型": key, "条目": "", "内容": json.dumps(value, ensure_ascii=False), "原": "", "新": ""}
            for key, value in data.items() if isinstance(value, list) and value]
    return pd.DataFrame(rows, columns=["类型", "条目", "内容", "原", "新"])


def diff_versions(engine: Engine, module: ModuleType, policy: str, old: str, new: str) -> Any:
    """Parse the two versions from the corpus folder and diff them; raises PolicyAssistantError if one is gone."""
    versions = {p.version: p for p in engine.corpus().versions(policy)}
    missing = [v for v in (old, new) if v not in versions]
    if missing:
        raise PolicyAssistantError(f"文件库中找不到 {policy} 的版本：{'、'.join(missing)}（请先更新索引）")
    return module.diff_policies(versions[old], versions[new])
