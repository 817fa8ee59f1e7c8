"""The 督办 page of the app: filters, 三色 flags, status by unit, create, update, report downloads.

Rendering only; every behaviour is ``assistant.ledger.service``. ``app.py`` calls ``page_ledger``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from assistant.db import MIGRATE_COMMAND
from assistant.errors import SchemaOutdated
from assistant.ledger.service import FLAGS, STATUSES, Ledger, summary

ALL = "全部"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
COLUMNS = {"id": "编号", "flag_label": "预警", "status": "状态", "unit": "单位", "role": "责任", "task_id": "条目",
           "title": "任务", "due": "完成时限", "progress": "完成情况", "last_note": "最新进展", "version": "版本"}


def _frame(entries: list[Any]) -> pd.DataFrame:
    rows = []
    for e in entries:
        due = e.due_date.isoformat() + ("" if e.due_stated else "（推定）") if e.due_date else (e.due_text or "未明确")
        progress = "" if e.progress_value is None else f"{e.progress_value:g}" + (f" / {e.target}" if e.target else "")
        rows.append({COLUMNS[k]: v for k, v in {**e.as_dict(), "due": due, "progress": progress}.items() if k in COLUMNS})
    return pd.DataFrame(rows, columns=list(COLUMNS.values()))


def _chart(entries: list[Any]) -> Any:
    import altair as alt

    frame = pd.DataFrame([{"单位": e.unit, "状态": e.status} for e in entries])
    counts = frame.groupby(["单位", "状态"]).size().reset_index(name="条数")
    return alt.Chart(counts).mark_bar().encode(
        x=alt.X("条数:Q", title="条目数"), y=alt.Y("单位:N", sort="-x", title=None),
        color=alt.Color("状态:N", scale=alt.Scale(domain=list(STATUSES)), title="状态"),
        tooltip=["单位", "状态", "条数"])


def page_ledger(engine: Any, index: Any) -> None:
    st.header("督办台账")
    with Ledger(engine.settings) as ledger:
        try:
            entries_all = ledger.entries()
        except SchemaOutdated as exc:
            st.error(str(exc))
            st.caption(f"在命令行运行 `{MIGRATE_COMMAND}` 后刷新本页。")
            return
        policies = sorted(index.latest_versions()) if index is not None else []
        _create(ledger, policies, {e.policy for e in entries_all})
        if not entries_all:
            st.info("还没有台账。选择政策后点“建立台账”，将按责任分工表为每项任务、每个责任单位建立一条。")
            return
        left, middle, right, last = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
        policy = left.selectbox("政策", [ALL, *sorted({e.policy for e in entries_all})], key="ledger-policy")
        unit = middle.selectbox("单位", [ALL, *sorted({e.unit for e in entries_all})], key="ledger-unit")
        status = right.selectbox("状态", [ALL, *STATUSES], key="ledger-status")
        on = last.date_input("预警日期", value=ledger.clock().date(), key="ledger-on")
        entries = ledger.entries(on=on if isinstance(on, date) else None, policy=None if policy == ALL else policy,
                                 unit=None if unit == ALL else unit, status=None if status == ALL else status)
        counts = {f: sum(e.flag == f for e in entries) for f in ("red", "yellow", "blue")}
        for column, key in zip(st.columns(4), ("red", "yellow", "blue")):
            column.metric(FLAGS[key], f"{counts[key]} 条")
        st.columns(4)[3].metric("合计", f"{len(entries)} 条")
        st.caption(f"红色：已过完成时限未完成；黄色：进度落后于时间（超过 {ledger.settings.ledger_behind_margin:.0%}）或已延期；"
                   f"蓝色：{ledger.settings.ledger_near_days} 天内到期。")
        st.dataframe(_frame(entries), hide_index=True, width="stretch")
        if entries:
            st.subheader("各单位任务状态")
            st.altair_chart(_chart(entries), width="stretch")
            with st.expander("按到期月份"):
                st.dataframe(pd.DataFrame(summary(entries, "month")), hide_index=True, width="stretch")
        _update(ledger, entries)
        _reports(ledger)


def _create(ledger: Ledger, policies: list[str], existing: set[str]) -> None:
    missing = [p for p in policies if p not in existing]
    if not missing:
        return
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    policy = left.selectbox("为政策建立台账", missing, key="ledger-create-policy")
    if right.button("建立台账", key="ledger-create", type="primary"):
        report = ledger.create(policy, by="督办页面")
        st.success(f"已建立 {report.policy}（{report.version}）的督办台账：{report.entries} 条")
        st.rerun()


def _update(ledger: Ledger, entries: list[Any]) -> None:
    st.subheader("填报进展")
    for message in st.session_state.pop("ledger-messages", []):
        st.success(message)
    labels = {e.id: f"#{e.id} {e.unit}（{e.role}）{e.task_id}{e.title}" for e in entries}
    with st.form("ledger-update", clear_on_submit=False):
        entry_id = st.selectbox("条目", list(labels), format_func=lambda i: labels[i], key="ledger-entry")
        left, middle, right = st.columns(3)
        status = left.selectbox("状态", ["（不变）", *STATUSES], key="ledger-new-status")
        value = middle.text_input("完成数值（可不填）", key="ledger-value")
        due = right.text_input("调整完成时限（可不填，如 2026-06-30）", key="ledger-due")
        note = st.text_area("进展情况（调整时限时请写明原因）", key="ledger-note")
        by = st.text_input("填报人", key="ledger-by")
        files = st.file_uploader("附件", accept_multiple_files=True, key="ledger-files",
                                 max_upload_size=ledger.settings.max_upload_mb)
        confirm = st.checkbox("确认：新的完成时限早于方案印发日期", key="ledger-confirm")
        submitted = st.form_submit_button("提交")
    if not submitted:
        return
    from assistant.deadlines import parse_date
    from assistant.errors import BadValue

    try:
        number = float(value) if value.strip() else None
    except ValueError:
        raise BadValue(f"完成数值“{value}”不是数字") from None
    current = next(e for e in entries if e.id == entry_id)
    result = ledger.update(entry_id, by=by, note=note, status=None if status == "（不变）" else status, value=number,
                           due=parse_date(due) if due.strip() else None, expect_version=current.version,
                           confirm=confirm, attachments=[(f.name, f.getvalue()) for f in files or []])
    st.session_state["ledger-messages"] = [f"已记录 #{result.entry.id}：{result.entry.status}（版本 {result.entry.version}）"]
    st.rerun()


def _reports(ledger: Ledger) -> None:
    st.subheader("督办通报")
    left, right = st.columns(2)
    start = left.date_input("起始日期", value=None, key="ledger-from")
    end = right.date_input("截止日期", value=ledger.clock().date(), key="ledger-to")
    start_day = start if isinstance(start, date) else None
    end_day = end if isinstance(end, date) else None
    if st.button("生成通报", key="ledger-make-report"):
        st.session_state["ledger-report"] = {fmt: ledger.report(fmt, start_day, end_day, by="督办页面")
                                             for fmt in ("docx", "xlsx")}
    made = st.session_state.get("ledger-report")
    if not made:
        return
    stem = f"督办通报_{end_day.isoformat() if end_day else ''}"
    first, second = st.columns(2)
    first.download_button("下载通报 Word", made["docx"], file_name=f"{stem}.docx", mime=DOCX_MIME, key="ledger-docx",
                          on_click="ignore", width="stretch")
    second.download_button("下载通报 Excel", made["xlsx"], file_name=f"{stem}.xlsx", mime=XLSX_MIME, key="ledger-xlsx",
                           on_click="ignore", width="stretch")
