"""The app served by `streamlit run app.py` and driven in headless Debian Chromium through Playwright.

It runs on the default model over tmp copies of the corpus and index, asks a question and a
follow-up in the chat box, waits for the answers with their source, and saves screenshots/app.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


@pytest.fixture
def served_app(tmp_path: Path) -> object:
    """`streamlit run app.py` on a free port of 127.0.0.1, with corpus and index in tmp; stopped afterwards."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(QINGDAO, corpus / QINGDAO.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICY_ASSISTANT_")}
    env.update(POLICY_ASSISTANT_CORPUS_DIR=str(corpus), POLICY_ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    port = _free_port()
    log = tmp_path / "streamlit.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
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


def test_a_question_typed_in_the_browser_is_answered_with_its_source(chromium: Path, served_app: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1300}, locale="zh-CN")
            page.set_default_timeout(ANSWER_MS)
            page.goto(served_app, timeout=ANSWER_MS)
            box = page.get_by_test_id("stChatInputTextArea")
            expect(box).to_be_visible(timeout=INDEX_BUILD_MS)

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
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
