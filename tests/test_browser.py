"""The app served by `streamlit run app.py` and driven in headless Debian Chromium through Playwright.

It runs on the default model over tmp copies of the corpus and index, asks a question and a
follow-up in the chat box, waits for the answers with their source, and saves screenshots/app.png.
A second test reads every word an official sees on the chat, table, unit, corpus and eval pages and
finds no English beside what Streamlit itself prints (listed in the README).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import QINGDAO, ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOT = ROOT / "screenshots" / "app.png"
SERVER_START_SECONDS = 60
INDEX_BUILD_MS = 240_000  # first page load builds the index with the real model
ANSWER_MS = 60_000

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text('utf-8', 'replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not answer within {SERVER_START_SECONDS} s:\n{log.read_text('utf-8', 'replace')[-3000:]}")


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; the test is skipped without it, except in CI, where it must be there."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must install it: apt-get install -y chromium fonts-wqy-microhei")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium fonts-wqy-microhei)")
    return CHROMIUM


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    shutil.copy(QINGDAO, corpus / QINGDAO.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ASSISTANT_")}
    env.update(POLICY_ASSISTANT_CORPUS_DIR=str(corpus), POLICY_ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    env.update({f"POLICY_ASSISTANT_{k.upper()}": v for k, v in settings.items()})
    return env


@pytest.fixture
def served_app(tmp_path: Path) -> object:
    """`streamlit run app.py` on a free port of 127.0.0.1, with corpus and index in tmp; stopped afterwards."""
    yield from _serve(tmp_path, _env(tmp_path))


@pytest.fixture
def served_app_with_a_report(tmp_path: Path) -> object:
    """The app on the fake model, with an eval report made by `policy-assistant eval` to show on its eval page."""
    env = _env(tmp_path, embedding_model="fake", report_dir=str(tmp_path / "reports"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    subprocess.run([sys.executable, "-m", "assistant.cli", "eval", "--index", str(tmp_path / "eval-index"),
                    "--report-dir", str(tmp_path / "reports"), "--baseline", str(tmp_path / "no-baseline.json")],
                   cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert (tmp_path / "reports" / "report.md").exists()
    yield from _serve(tmp_path, env)


def _serve(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    log = tmp_path / "streamlit.log"
    with log.open("wb") as out:  # the address comes from .streamlit/config.toml: 127.0.0.1
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@contextmanager
def chat_page(chromium: Path, url: str) -> Iterator[Any]:
    """A headless Chromium page on the served app, once its chat box is shown (the index is built by then)."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1300}, locale="zh-CN")
            page.set_default_timeout(ANSWER_MS)
            page.goto(url, timeout=ANSWER_MS)
            expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=INDEX_BUILD_MS)
            yield page
        finally:
            browser.close()


def test_a_question_typed_in_the_browser_is_answered_with_its_source(chromium: Path, served_app: str) -> None:
    from playwright.sync_api import expect

    with chat_page(chromium, served_app) as page:
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("到2025年，轨道交通运营总里程数要达到多少？")
        box.press("Enter")
        answers = page.get_by_test_id("stChatMessage")
        expect(answers.nth(1)).to_contain_text("351.6公里", timeout=ANSWER_MS)

        box.fill("那2030年呢？")
        box.press("Enter")
        expect(answers).to_have_count(4, timeout=ANSWER_MS)
        last = answers.nth(3)
        expect(last).to_contain_text("500公里", timeout=ANSWER_MS)
        source = last.get_by_test_id("stExpander").first
        expect(source).to_contain_text("二（一） 构建绿色发展空间格局")
        source.locator("summary").click()
        expect(source.locator("mark")).to_have_text("到2030年，轨道交通运营总里程数突破500公里")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(500)  # let the expander finish opening
        source.locator("mark").evaluate("mark => mark.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOT), timeout=ANSWER_MS)
    assert SCREENSHOT.stat().st_size > 10_000


# Words Streamlit prints itself and an app cannot set (README, "What Streamlit prints in English"): the hidden
# "Skip to main content" link for keyboard users, and "Running…" / "Stop" while a page runs.
STREAMLIT_OWN = {"Skip", "to", "main", "content", "Running", "Stop"}
# Not English words: file types and product names an office uses (下载 Excel / Word 分工表, 上传 .docx …).
NAMES = {"txt", "docx", "pdf", "MB", "Excel", "Word", "CSV", "JSON"}
PAGES_TO_READ = ("问答", "责任分工表", "单位视图", "文件库", "评测报告")


def _words_seen(page: object) -> set[str]:
    """Latin words in the text an official sees, leaving out icon ligatures (keyboard_arrow_right …), which
    the icon font draws as pictures."""
    text: str = page.inner_text("body")  # type: ignore[attr-defined]
    icons = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "span", "els => els.filter(e => /Material/.test(getComputedStyle(e).fontFamily)).map(e => e.textContent)")
    for icon in sorted(set(icons), key=len, reverse=True):
        text = text.replace(icon, " ")
    return set(re.findall(r"[A-Za-z][A-Za-z'-]*", text))


def test_no_english_word_on_the_chat_table_unit_corpus_and_eval_pages(chromium: Path,
                                                                     served_app_with_a_report: str) -> None:
    from playwright.sync_api import expect

    seen: dict[str, set[str]] = {}
    with chat_page(chromium, served_app_with_a_report) as page:
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("打造绿色生态城区由哪些单位负责？")
        box.press("Enter")
        expect(page.get_by_test_id("stChatMessage").nth(1)).to_contain_text("市住房城乡建设局")
        checks = {"责任分工表": "下载 Word 分工表", "单位视图": "牵头的任务", "文件库": "青岛市城乡建设领域碳达峰工作方案",
                  "评测报告": "准确率"}
        for name in PAGES_TO_READ:
            if name != "问答":
                page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
                expect(page.get_by_test_id("stMain")).to_contain_text(checks[name], timeout=ANSWER_MS)
            page.wait_for_timeout(500)
            expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=ANSWER_MS)  # done running
            seen[name] = _words_seen(page) - STREAMLIT_OWN - NAMES
    assert seen == {name: set() for name in PAGES_TO_READ}
