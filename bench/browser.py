"""Time from ``streamlit run app.py`` to the first answered question, read back in headless Chromium."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CHAT_INPUT = '[data-testid="stChatInputTextArea"], [data-testid="stChatInput"] textarea'


def why_not(app: Path) -> str | None:
    """The reason the browser timing cannot run here, or None."""
    if not app.exists():
        return f"{app.name} does not exist"
    for module in ("streamlit", "playwright"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is not available"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server we started, and its children (its own process group)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def time_first_answer(app: Path, corpus_dir: Path, index_dir: Path, question: str, expect: str,
                      timeout: float = 120.0) -> dict[str, Any]:
    """Start the app on a free port, ask ``question`` in its chat input, wait until ``expect`` appears once more.

    Returns seconds from the ``streamlit run`` call to: server healthy, chat input shown, answer shown.
    """
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "POLICY_ASSISTANT_CORPUS_DIR": str(corpus_dir),
           "POLICY_ASSISTANT_INDEX_DIR": str(index_dir)}
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless=true", f"--server.port={port}",
           "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"]
    with tempfile.TemporaryFile() as log:
        return _timed(cmd, app, env, port, log, question, expect, timeout)


def _timed(cmd: list[str], app: Path, env: dict[str, str], port: int, log: Any, question: str, expect: str,
           timeout: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    deadline = started + timeout

    def remaining() -> float:
        return max(1000.0, (deadline - time.perf_counter()) * 1000)

    proc = subprocess.Popen(cmd, cwd=app.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    out: dict[str, Any] = {"port": port}
    try:
        while not _healthy(port):
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}: {_tail(log)}")
            if time.perf_counter() > deadline:
                raise TimeoutError("the server did not become healthy in time")
            time.sleep(0.1)
        out["server_healthy_s"] = time.perf_counter() - started
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded", timeout=remaining())
                box = page.locator(CHAT_INPUT).first
                box.wait_for(state="visible", timeout=remaining())
                out["chat_input_shown_s"] = time.perf_counter() - started
                before = page.inner_text("body").count(expect)
                box.fill(question)
                box.press("Enter")
                page.wait_for_function("([s, n]) => document.body.innerText.split(s).length - 1 > n",
                                       arg=[expect, before], timeout=remaining(), polling=100)
                out["first_answer_s"] = time.perf_counter() - started
            finally:
                browser.close()
    finally:
        _stop(proc)
        out["server_exit"] = proc.returncode
    return out


def _tail(log: Any, chars: int = 600) -> str:
    log.seek(0)
    return log.read().decode("utf-8", "replace")[-chars:]
