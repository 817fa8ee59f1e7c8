"""政策助手 — the Streamlit app: `streamlit run app.py`.

It only wires the settings to the engine and lays out what ``assistant.views`` returns; every
behaviour is a function in ``assistant/``. Domain errors are shown as ``st.error`` in plain Chinese,
anything else as a short notice while the traceback goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from assistant import views
from assistant.answers import Conversation
from assistant.engine import Engine
from assistant.errors import PolicyAssistantError
from assistant.store import Store
from assistant.settings import Settings, load_settings
from ledger_page import page_ledger

log = logging.getLogger("policy_assistant.app")

PAGES = ("问答", "责任分工表", "单位视图", "图表", "文件库", "评测报告", "版本对比", "督办")
ALL = "全部"
START_NOTICE = "正在准备索引。第一次启动时要先读取政策文件并建立索引，一般需要半分钟左右（电脑繁忙时更久），请稍候……"
ABOUT = "政策助手：读工作方案，生成责任分工表，回答谁牵头、目标多少、何时完成，并注明原文出处。全部在本机离线运行。"
# Streamlit's own file-uploader words ("Upload", "20MB per file • TXT, DOCX, PDF") cannot be set: they are hidden
# and Chinese drawn in their place.
UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] > div > span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::before { content: "可拖入文件，每个不超过 %d MB"; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after { content: "选择文件"; }
</style>"""
UNEXPECTED = "页面出现意外问题，已记录到日志。请刷新页面重试；如果问题反复出现，请联系系统管理员。"


@contextmanager
def shown_errors() -> Iterator[None]:
    """Domain errors as their own Chinese message; anything else as a plain notice, logged, never a traceback."""
    try:
        yield
    except PolicyAssistantError as exc:
        st.error(str(exc))
    except Exception:
        log.exception("unexpected error in the policy-assistant app")
        st.error(UNEXPECTED)


@st.cache_resource(show_spinner=False)
def engine_for(settings_key: str, _settings: Settings) -> Engine:
    """One engine (model and index) per distinct settings, shared by every session; the key never holds secrets."""
    return views.make_engine(_settings)


def ready_index(engine: Engine) -> Store:
    """The engine's index; built when missing or out of date, saying what is being done meanwhile."""
    slot = st.empty()

    def progress(done: int, total: int, stage: str) -> None:
        slot.progress(min(done / max(total, 1), 1.0), text=views.progress_text(done, total, stage))

    with st.spinner(START_NOTICE):
        index = engine.view(progress=progress)
    slot.empty()
    return index


# -------------------------------------------------------------------- chat
def show_answer(turn: views.ChatTurn, index: Store) -> None:
    if turn.answer is None:
        st.warning(turn.problem or "无法回答这个问题")
        return
    answer = turn.answer
    if answer.not_found:
        st.warning(views.answer_markdown(answer), icon=":material/search_off:")
    else:
        st.success(views.answer_markdown(answer), icon=":material/check_circle:")
    units = views.units_markdown(answer)
    if units:
        st.markdown(units)
    targets = views.target_lines(answer)
    if targets:
        bullets = "\n".join(f"- {views.md_escape(line)}" for line in targets)
        if len(targets) > 5:
            with st.expander(f"目标值（{len(targets)} 项）"):
                st.markdown(bullets)
        else:
            st.markdown("目标值：\n" + bullets)
    for warning in answer.warnings:
        st.caption(views.md_escape(warning))
    found = views.sources(answer, views.policy_titles(index))
    if not found:
        return
    st.caption("最相关的条款（文件没有直接回答，仅供参考）：" if answer.not_found
               else "来源（点开查看原文，黄色标出的是依据）：")
    if len(found) <= 3:
        for source in found:
            with st.expander(views.md_escape(source.label)):
                st.html(source.html)
        return
    with st.expander(f"{len(found)} 个条款的原文"):
        for source in found:
            st.markdown(f"**{views.md_escape(source.label)}**")
            st.html(source.html)


def show_turn(turn: views.ChatTurn, index: Store) -> None:
    with st.chat_message("user"):
        st.markdown(views.md_escape(turn.question))
    with st.chat_message("assistant"):
        show_answer(turn, index)


def new_conversation() -> None:
    st.session_state.history = []
    st.session_state.conversation = Conversation()


def page_chat(engine: Engine, index: Store) -> None:
    state = st.session_state
    if "history" not in state:
        new_conversation()
    st.header("政策问答")
    st.caption("可以问：某项工作由谁牵头、某个目标是多少、什么时候完成、某个单位有哪些任务。"
               "每个回答都附原文出处；可以接着追问，例如“那2030年呢？”。")
    examples = views.example_questions(views.latest_tasks(index))
    clicked = None
    if examples:
        st.markdown("**试试这些问题：**")
        for column, (i, example) in zip(st.columns(len(examples)), enumerate(examples)):
            if column.button(example, key=f"example-{i}", width="stretch"):
                clicked = example
    prompt = st.chat_input("请输入问题，例如：某项任务由哪个部门牵头？", key="question")
    question = prompt if prompt is not None else clicked
    for turn in state.history:
        show_turn(turn, index)
    if question is not None:
        with st.chat_message("user"):
            st.markdown(views.md_escape(question) if isinstance(question, str) else "（非文字输入）")
        with st.chat_message("assistant"):
            with st.spinner("正在查找原文……"):
                turn = views.ask(engine, question, state.conversation)
            show_answer(turn, index)
        state.history.append(turn)
    if state.history:
        st.button("开始新对话", key="new-conversation", on_click=new_conversation)


# ------------------------------------------------------------------- table
def download_row(tasks: list, stem: str, key: str, title: str | None = None) -> None:
    items = views.downloads(tasks, stem, title)
    for column, item in zip(st.columns(len(items)), items):
        column.download_button(item.label, item.data, file_name=item.file_name, mime=item.mime,
                               key=f"{key}-{item.file_name.rsplit('.', 1)[-1]}", on_click="ignore", width="stretch")


def table_height(rows: int) -> int:
    """Tall enough to show every row up to about twenty, then scroll."""
    return min(38 + 35 * max(rows, 1), 760)


def page_table(engine: Engine, index: Store) -> None:
    st.header("责任分工表")
    tasks = views.latest_tasks(index)
    policies = sorted({t.policy for t in tasks})
    titles = views.policy_titles(index)
    latest = index.latest_versions()
    policy = None
    if len(policies) > 1:
        choice = st.selectbox("政策", [ALL, *policies], key="filter-policy",
                              format_func=lambda p: p if p == ALL else titles.get((p, latest[p]), p))
        policy = None if choice == ALL else choice
    scoped = views.filter_tasks(tasks, policy=policy)
    chapters = views.chapter_options(scoped)
    left, middle, right, last = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    unit = left.selectbox("责任单位（牵头或配合）", [ALL, *views.unit_options(scoped)], key="filter-unit")
    chapter = middle.selectbox("章节", [ALL, *chapters], key="filter-chapter",
                               format_func=lambda c: chapters.get(c, c))
    year = right.selectbox("目标年份", [ALL, *map(str, views.year_options(scoped))], key="filter-year")
    has_target = last.checkbox("只看有量化目标的", key="filter-target")
    search = st.text_input("搜索", key="filter-search", placeholder="任务、单位、指标或原文中的词，多个词用空格分开")
    rows = views.filter_tasks(scoped, unit=None if unit == ALL else unit, chapter=None if chapter == ALL else chapter,
                              year=None if year == ALL else int(year), has_target=has_target, search=search or "")
    st.caption(f"共 {len(scoped)} 项任务，当前显示 {len(rows)} 项。“按列序推定”表示原文没有写“牵头”，"
               "按所列第一家单位推定为牵头单位。")
    st.dataframe(views.table_frame(rows, with_policy=len(policies) > 1), hide_index=True, width="stretch",
                 height=table_height(len(rows)))
    st.markdown("**下载当前显示的任务**")
    shown = {t.policy for t in rows}
    title = titles.get((next(iter(shown)), latest[next(iter(shown))]), "") if len(shown) == 1 else ""
    download_row(rows, "责任分工表", "download", f"{title}重点任务分工表")


def page_units(engine: Engine, index: Store) -> None:
    st.header("单位视图")
    tasks = views.latest_tasks(index)
    units = views.unit_options(tasks)
    if not units:
        st.info("任务表中没有写明责任单位。")
        return
    unit = st.selectbox("选择单位", units, key="unit")
    view = views.unit_view(tasks, unit)
    first, second, third = st.columns(3)
    first.metric("牵头的任务", f"{len(view.lead)} 项")
    second.metric("配合的任务", f"{len(view.co)} 项")
    third.metric("涉及的量化目标", f"{len(view.targets)} 项")
    for role, rows in ((views.LEAD, view.lead), (views.CO, view.co)):
        st.subheader(f"{role}的任务（{len(rows)}）")
        if rows:
            st.dataframe(views.unit_task_frame(rows, role), hide_index=True, width="stretch",
                         height=table_height(len(rows)))
        else:
            st.caption(f"没有{role}的任务。")
    st.subheader("按年份的目标")
    targets = views.unit_targets_frame(view)
    if targets.empty:
        st.caption("这些任务没有量化目标。")
    else:
        st.dataframe(targets, hide_index=True, width="stretch")
    st.markdown(f"**下载{unit}的任务**")
    download_row(view.lead + view.co, f"{unit}任务", "unit-download")


def page_charts(engine: Engine, index: Store) -> None:
    st.header("图表")
    tasks = views.latest_tasks(index)
    st.subheader("目标时间表：哪一年到期哪些目标")
    timeline = views.targets_timeline(tasks)
    if timeline.empty:
        st.info("任务表中没有写明年份的量化目标。")
    else:
        st.altair_chart(views.timeline_chart(timeline), width="stretch")
        undated = views.undated_targets(tasks)
        st.caption("每一小段是一项目标，颜色表示牵头单位；鼠标悬停可看目标内容。"
                   + (f"另有 {undated} 项目标原文未写年份，未画入图中。" if undated else ""))
        with st.expander("按年份列出全部目标"):
            st.dataframe(timeline, hide_index=True, width="stretch")
    st.subheader("各单位承担的任务（牵头与配合）")
    counts = views.unit_counts(tasks)
    if counts.empty:
        st.info("任务表中没有写明责任单位。")
    else:
        st.altair_chart(views.unit_chart(counts), width="stretch")


# ------------------------------------------------------------------ corpus
def page_corpus(engine: Engine, index: Store) -> None:
    state = st.session_state
    st.header("文件库与索引")
    for kind, message in state.pop("upload-messages", []):
        (st.success if kind == "success" else st.error)(message)
    status = engine.status()
    (st.success if status.state == "fresh" else st.warning)(views.status_sentence(status))
    details = [f"索引建立于 {views.chinese_date(status.built_at)}" if status.built_at else "",
               f"向量模型：{status.model_id}" if status.model_id and engine.settings.show_model_info else ""]
    st.caption("　".join(d for d in details if d))
    policies = views.policies_frame(status)
    if not policies.empty:
        st.dataframe(policies, hide_index=True, width="stretch")
    for failure in status.failures or []:
        st.error(f"“{Path(failure['path']).name}”未收录：{failure['reason']}")

    st.subheader("上传政策文件")
    st.caption(f"支持 .txt、.docx、.pdf，单个文件不超过 {engine.settings.max_upload_mb} MB。"
               "与已有文件同名的文件，会作为该政策的新版本收录。")
    state.setdefault("upload-round", 0)
    st.html(UPLOADER_CSS % engine.settings.max_upload_mb)
    files = st.file_uploader("政策文件", type=list(views.UPLOAD_TYPES), accept_multiple_files=True,
                             key=f"upload-{state['upload-round']}", max_upload_size=engine.settings.max_upload_mb)
    if st.button("加入文件库并更新索引", type="primary", disabled=not files, key="ingest"):
        bar = st.progress(0.0, text="正在检查文件……")

        def progress(done: int, total: int, stage: str) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=f"{stage}（{done}/{total}）")

        result = views.add_uploads(engine, [(f.name, f.getvalue()) for f in files or []], progress)
        bar.empty()
        messages = [("error", line) for line in result.problems]
        if result.saved and result.report is not None:
            done = f"已加入：{'、'.join(result.saved)}。索引已更新，共 {result.report.policies} 份政策；现在可以在“问答”中提问。"
            messages.insert(0, ("success", done))
        state["upload-messages"] = messages
        state["upload-round"] += 1
        st.rerun()


# -------------------------------------------------------------- eval, diff
def page_eval(engine: Engine, index: Store) -> None:
    st.header("评测报告")
    view = views.eval_report(engine.settings.report_dir)
    if view.markdown is None:
        st.info("还没有评测报告。评测由系统管理员在命令行运行（`policy-assistant eval`），完成后刷新本页即可看到。")
    else:
        with st.container(border=True):
            st.markdown(view.markdown)
    if view.note:
        st.warning(view.note)
    st.subheader("与基线相比变化的答案")
    if view.changed.empty:
        st.caption("没有变化的答案（或者还没有基线）。")
    else:
        st.dataframe(view.changed, hide_index=True, width="stretch")


def page_diff(engine: Engine, index: Store) -> None:
    st.header("版本对比")
    module = views.load_diff()
    if module is None:
        st.info("版本对比功能暂不可用（没有安装 assistant.diff 模块）。")
        return
    versions = {p: v for p, v in views.policy_versions(index).items() if len(v) >= 2}
    if not versions:
        st.info("文件库中还没有同一政策的两个版本。在“文件库”上传新版本（如“方案名_v2.txt”）后即可对比。")
        return
    titles = views.policy_titles(index)
    policy = st.selectbox("政策", list(versions), key="diff-policy",
                          format_func=lambda p: titles.get((p, versions[p][-1]), p))
    choices = versions[policy]
    left, right = st.columns(2)
    old = left.selectbox("旧版本", choices, index=len(choices) - 2, key="diff-old", format_func=views.version_label)
    new = right.selectbox("新版本", choices, index=len(choices) - 1, key="diff-new", format_func=views.version_label)
    if old == new:
        st.info("请选择两个不同的版本。")
        return
    result = views.diff_versions(engine, module, policy, old, new)
    frame = views.diff_frame(module, result)
    if frame.empty:
        st.success("两个版本的任务、责任单位和目标没有差别。")
        return
    st.caption(f"{views.version_label(old)} → {views.version_label(new)}：共 {len(frame)} 处变化（目标和责任单位的变化在前，单纯的重新编号在后）")
    st.dataframe(frame, hide_index=True, width="stretch", height=table_height(len(frame)))
    to_xlsx = getattr(module, "diff_xlsx", None)
    if callable(to_xlsx):
        st.download_button("下载对比结果 Excel", to_xlsx(result), file_name=f"{policy}_{old}_{new}_对比.xlsx",
                           mime=views.XLSX_MIME, key="diff-download", on_click="ignore")


PAGE_FUNCTIONS = {"问答": page_chat, "责任分工表": page_table, "单位视图": page_units, "图表": page_charts,
                  "文件库": page_corpus, "评测报告": page_eval, "版本对比": page_diff, "督办": page_ledger}


def main() -> None:
    st.set_page_config(page_title="政策助手", page_icon="📑", layout="wide",
                       menu_items={"Get help": None, "Report a bug": None, "About": ABOUT})
    st.sidebar.title("政策助手")
    page = st.sidebar.radio("功能", PAGES, key="page")
    with shown_errors():
        settings = load_settings()
        with st.spinner("正在加载语义模型……"):
            engine = engine_for(settings.model_dump_json(exclude={"llm_api_key"}), settings)
        try:
            index = ready_index(engine)
        except PolicyAssistantError as exc:
            if page != "督办":
                raise
            st.error(str(exc))  # the ledger needs only the database: it is still served
            with shown_errors():
                page_ledger(engine, None)
            return
        st.sidebar.caption(f"已收录 {len(index.policies)} 份政策文件、{len(views.latest_tasks(index))} 项任务")
        if not index.policies:
            st.sidebar.warning("文件库是空的：请在“文件库”上传政策文件。")
        with shown_errors():
            PAGE_FUNCTIONS[page or PAGES[0]](engine, index)


main()
