"""Fault drills: a killed ingest, damaged or stale indexes, two ingests at once, many askers at once.

Where a crash or a second process is the point, the CLI runs in a subprocess through
`python -m assistant.cli` with the package's fake model (``--model fake``). Each drill prints what it measured
(run with ``-s`` to see the figures).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import assistant.engine
import assistant.index
from assistant.cli import app
from assistant.engine import Engine
from assistant.errors import IndexCorrupt, IndexLocked, IndexMissing, IndexStale, IndexUnusable, QuestionError
from assistant.index import ingest_lock, load_index
from assistant.settings import Settings

from conftest import QINGDAO, ROOT, FakeEmbedder

CLI = ["-m", "assistant.cli"]  # the package's own fake model is selected by POLICY_ASSISTANT_EMBEDDING_MODEL=fake
PREFAB = "到2025年，装配式建筑占城镇新建建筑的比例达到多少？"
QUESTIONS = [json.loads(line)["question"]
             for line in (ROOT / "eval" / "questions.jsonl").read_text("utf-8").splitlines()]
runner = CliRunner()


# ------------------------------------------------------------------ helpers
def workspace(root: Path) -> tuple[Path, Path]:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(QINGDAO, corpus / QINGDAO.name)
    return corpus, root / "index"


def env_for(corpus: Path, index: Path, model: str = "fake") -> dict[str, str]:
    env = dict(os.environ)
    env.update({"POLICY_ASSISTANT_CORPUS_DIR": str(corpus), "POLICY_ASSISTANT_INDEX_DIR": str(index),
                "POLICY_ASSISTANT_EMBEDDING_MODEL": model, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    return env


def cli_process(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, *CLI, *args], env=env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, *CLI, *args], env=env, cwd=cwd, text=True, capture_output=True,
                          check=False, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def snapshot(index_dir: Path) -> dict[str, str]:
    """sha256 of CURRENT and of every file of every finished build (unfinished *.tmp builds left out)."""
    files = [p for p in index_dir.rglob("*") if p.is_file() and p.name != ".lock"
             and not any(part.endswith(".tmp") for part in p.relative_to(index_dir).parts)]
    return {str(p.relative_to(index_dir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def facts(answer: Any) -> dict[str, Any]:
    data = answer if isinstance(answer, dict) else answer.model_dump()
    return {k: v for k, v in data.items() if k not in ("question", "line")}


def live_build(index_dir: Path) -> Path:
    return index_dir / "builds" / (index_dir / "CURRENT").read_text("utf-8").strip()


def distinct_copies(folder: Path, n: int) -> None:
    """``n`` plans under their own names and titles (the same text would be one policy): each is parsed, and the
    sentences they share are embedded once."""
    folder.mkdir()
    text = QINGDAO.read_text("utf-8")
    for i in range(n):
        titled = f"青岛市城乡建设领域碳达峰工作方案（第{i + 1}稿）\n" + text
        (folder / f"plan_{i:02d}.txt").write_text(titled, "utf-8")


# ------------------------------------------------------------------ kill -9 during ingest
def test_kill_9_during_ingest_leaves_the_previous_index_answering_exactly_as_before(tmp_path: Path) -> None:
    corpus, index = workspace(tmp_path)
    env = env_for(corpus, index)
    assert run_cli(["ingest"], env, tmp_path).returncode == 0
    batch = tmp_path / "questions.txt"
    batch.write_text("\n".join(QUESTIONS[::7]), "utf-8")
    answers_before = run_cli(["ask", "--batch", str(batch)], env, tmp_path).stdout
    before = snapshot(index)
    big = tmp_path / "big"
    distinct_copies(big, 40)

    started = time.monotonic()
    process = cli_process(["ingest", str(big)], env, tmp_path)
    seen_tmp = None
    while process.poll() is None and time.monotonic() - started < 240:
        partial = [p for p in (index / "builds").iterdir() if p.name.endswith(".tmp")]
        if partial:
            os.kill(process.pid, signal.SIGKILL)
            seen_tmp = partial[0]
            break
        time.sleep(0.002)
    process.communicate()
    killed_after = time.monotonic() - started
    assert seen_tmp is not None and process.returncode == -signal.SIGKILL, "the build finished before it was killed"

    assert snapshot(index) == before  # CURRENT and every file of the live build unchanged
    answers_after = run_cli(["ask", "--batch", str(batch)], env, tmp_path)
    assert answers_after.stdout == answers_before and "过期" not in answers_after.stderr

    started = time.monotonic()
    again = run_cli(["ingest", str(big)], env, tmp_path)
    assert again.returncode == 0 and "40 份政策" in again.stdout
    assert not seen_tmp.exists() and [p.name for p in (index / "builds").iterdir()] == [live_build(index).name]
    assert len(load_index(index, check_corpus=True).policies) == 40
    print(f"\n[kill -9] killed {killed_after:.2f}s into a 40-file ingest, with {seen_tmp.name} half written; "
          f"{len(before)} index files unchanged; {len(QUESTIONS[::7])} answers identical; "
          f"next ingest finished in {time.monotonic() - started:.2f}s and removed the partial build")


# ------------------------------------------------------------------ damaged index files
def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in (len(data) // 3, len(data) // 2, len(data) - 5):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def _tamper_target(path: Path) -> None:
    """Still valid JSON, same length: the 2025 prefab target 50% becomes 99%."""
    text = path.read_text("utf-8")
    anchor = text.index("装配式建筑占城镇新建建筑的比例")
    at = text.index('"value": 50.0', anchor)
    path.write_text(text[:at] + '"value": 99.0' + text[at + len('"value": 50.0'):], "utf-8")


DAMAGE = [
    pytest.param(lambda b: _flip(b / "vectors.faiss"), IndexCorrupt, "vectors.faiss", id="flipped-vectors"),
    pytest.param(lambda b: _flip(b / "docstore.json"), IndexCorrupt, "docstore.json", id="flipped-docstore"),
    pytest.param(lambda b: _tamper_target(b / "docstore.json"), IndexCorrupt, "校验和不符", id="edited-docstore"),
    pytest.param(lambda b: (b / "vectors.faiss").write_bytes(b""), IndexCorrupt, "vectors.faiss", id="truncated"),
    pytest.param(lambda b: (b / "docstore.json").unlink(), IndexCorrupt, "docstore.json", id="file-deleted"),
    pytest.param(lambda b: (b / "manifest.json").write_text("{\"format\": 1, \"mod", "utf-8"), IndexCorrupt,
                 "清单已损坏", id="garbled-manifest"),
    pytest.param(lambda b: (b.parent.parent / "CURRENT").write_text("no-such-build", "utf-8"), IndexMissing,
                 "尚未建立索引", id="current-points-nowhere"),
]


@pytest.mark.parametrize(("damage", "error", "message"), DAMAGE)
def test_a_damaged_index_is_refused_or_rebuilt_never_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          damage: Any, error: type[Exception], message: str) -> None:
    corpus, index = workspace(tmp_path)
    settings = Settings(corpus_dir=corpus, index_dir=index)
    Engine(settings, FakeEmbedder()).ingest()
    damage(live_build(index))

    with pytest.raises(error, match=message) as caught:
        load_index(index)
    assert "policy-assistant ingest" in str(caught.value)
    with pytest.raises(IndexUnusable):
        Engine(settings, FakeEmbedder()).index(rebuild=False)

    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", "fake")
    status = runner.invoke(app, ["status", "--index", str(index)], env={"POLICY_ASSISTANT_CORPUS_DIR": str(corpus)})
    assert isinstance(status.exception, SystemExit) and status.exit_code == 1
    assert ("已损坏" in status.stdout or "未建立" in status.stdout) and "修复方法：policy-assistant ingest" in status.stdout

    answer = Engine(settings, FakeEmbedder()).ask(PREFAB)  # the default engine rebuilds, then answers
    assert answer.targets[0].value == 50.0
    assert load_index(index).manifest["counts"]["policies"] == 1


def test_a_build_swapped_and_deleted_while_it_is_being_read_is_not_an_error(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """An ingest elsewhere makes a new build live and deletes the old one between reading CURRENT and its files."""
    corpus, index = workspace(tmp_path)
    settings = Settings(corpus_dir=corpus, index_dir=index)
    Engine(settings, FakeEmbedder()).ingest()
    old = live_build(index)
    real = assistant.index._sha256_file
    swapped: list[Path] = []

    def racing(path: Path) -> str:
        if not swapped:
            swapped.append(path)
            Engine(settings, FakeEmbedder()).ingest()  # the other process: new build live, old one removed
        return real(path)

    monkeypatch.setattr(assistant.index, "_sha256_file", racing)
    answer = Engine(settings, FakeEmbedder()).ask(PREFAB)
    assert swapped and not old.exists() and answer.targets[0].value == 50.0


# ------------------------------------------------------------------ corpus changed after indexing
def _edit(path: Path) -> None:
    """50% → 55% in place: same inode, same size."""
    text = path.read_text("utf-8")
    assert "比例达到 50%" in text
    with path.open("r+", encoding="utf-8") as handle:
        handle.write(text.replace("比例达到 50%", "比例达到 55%"))


def test_a_changed_corpus_file_is_never_answered_from_the_old_text(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = workspace(tmp_path)
    settings = Settings(corpus_dir=corpus, index_dir=index)
    long_lived = Engine(settings, FakeEmbedder())
    long_lived.ingest()
    assert long_lived.ask(PREFAB).targets[0].value == 50.0
    size = (corpus / QINGDAO.name).stat().st_size
    _edit(corpus / QINGDAO.name)
    assert (corpus / QINGDAO.name).stat().st_size == size

    with pytest.raises(IndexStale, match=f"文件已修改：{QINGDAO.name}"):
        Engine(settings, FakeEmbedder()).index(rebuild=False)
    started = time.monotonic()
    assert long_lived.ask(PREFAB).targets[0].value == 55.0  # the engine already loaded notices too
    noticed = time.monotonic() - started

    restored = (corpus / QINGDAO.name).read_text("utf-8").replace("比例达到 55%", "比例达到 50%")
    (corpus / QINGDAO.name).write_text(restored, "utf-8")
    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", "fake")
    result = runner.invoke(app, ["ask", PREFAB, "--json"], env={"POLICY_ASSISTANT_CORPUS_DIR": str(corpus),
                                                                "POLICY_ASSISTANT_INDEX_DIR": str(index)})
    assert "索引已过期：文件已修改" in result.stderr and "已自动重建索引" in result.stderr
    assert json.loads(result.stdout)["targets"][0]["value"] == 50.0

    (corpus / "extra.txt").write_text((ROOT / "tests/data/plans/plan_appendix.txt").read_text("utf-8"), "utf-8")
    with pytest.raises(IndexStale, match="新增文件：extra.txt"):
        Engine(settings, FakeEmbedder()).index(rebuild=False)
    (corpus / "extra.txt").unlink()
    (corpus / QINGDAO.name).unlink()
    with pytest.raises(IndexStale, match=f"文件已删除：{QINGDAO.name}"):
        Engine(settings, FakeEmbedder()).index(rebuild=False)
    print(f"\n[stale] an in-place edit of the same size was noticed by an engine already serving, "
          f"rebuilt and answered in {noticed:.2f}s")


def test_an_unchanged_corpus_is_not_rechecked_by_hashing_on_every_question(corpus_dir: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index"), FakeEmbedder())
    engine.ingest()
    engine.ask(PREFAB)
    calls: list[int] = []
    real = assistant.engine.load_index
    monkeypatch.setattr(assistant.engine, "load_index", lambda *a, **k: calls.append(1) or real(*a, **k))
    (corpus_dir / QINGDAO.name).touch()  # mtime only: verified once (hash unchanged), then kept
    for _ in range(3):
        engine.ask(PREFAB)
    assert len(calls) <= 1


# ------------------------------------------------------------------ another model or dimension
def test_an_index_from_another_model_or_dimension_is_detected(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = workspace(tmp_path)
    settings = Settings(corpus_dir=corpus, index_dir=index)
    Engine(settings, FakeEmbedder(dim=256)).ingest()
    with pytest.raises(IndexStale, match="索引向量维度 256 与当前模型维度 128 不一致"):
        Engine(settings, FakeEmbedder(dim=128)).index(rebuild=False)
    with pytest.raises(IndexStale, match="索引由模型 fake/bigram-hash-256 生成，当前配置为 other/model-256"):
        Engine(settings, FakeEmbedder(dim=256, model_id="other/model")).index(rebuild=False)

    manifest_path = live_build(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "model_id": "someone/else-256"}), "utf-8")
    with pytest.raises(IndexStale, match="someone/else-256"):
        Engine(settings, FakeEmbedder()).index(rebuild=False)
    manifest_path.write_text(json.dumps({**manifest, "dim": 384}), "utf-8")
    with pytest.raises(IndexStale, match="维度 384"):
        Engine(settings, FakeEmbedder()).index(rebuild=False)

    rebuilt = Engine(settings, FakeEmbedder(dim=128))
    assert rebuilt.ask(PREFAB).targets[0].value == 50.0
    assert load_index(index).manifest["dim"] == 128

    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", "fake-64")
    result = runner.invoke(app, ["ask", PREFAB, "--json", "--index", str(index)],
                           env={"POLICY_ASSISTANT_CORPUS_DIR": str(corpus)})
    assert "维度 128 与当前模型维度 64 不一致" in result.stderr and "已自动重建索引" in result.stderr
    assert json.loads(result.stdout)["targets"][0]["value"] == 50.0


# ------------------------------------------------------------------ two ingests at once
def test_two_ingests_at_once_are_serialised_by_the_lock(tmp_path: Path) -> None:
    corpus, index = workspace(tmp_path)
    big = tmp_path / "big"
    distinct_copies(big, 12)
    env = env_for(corpus, index)
    partial_at_once: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                partial_at_once.append(sum(1 for p in (index / "builds").iterdir() if p.name.endswith(".tmp")))
            except FileNotFoundError:
                partial_at_once.append(0)
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    processes = [cli_process(["ingest", str(big)], env, tmp_path) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in processes]
    elapsed = time.monotonic() - started
    done.set()
    watcher.join()

    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all("Traceback" not in err for _, err in outputs)
    embedded = sorted(int(out.split("新生成向量 ")[1].split("，")[0]) for out, _ in outputs)
    assert embedded[0] == 0 and embedded[1] > 0  # the second ran after the first finished and reused its work
    assert max(partial_at_once) <= 1  # never two builds being written at once
    assert len(load_index(index).policies) == 12
    print(f"\n[lock] two 12-file ingests started together finished in {elapsed:.2f}s, one after the other "
          f"(vectors embedded {embedded[1]} then {embedded[0]}); at most 1 partial build at any of "
          f"{len(partial_at_once)} looks")


def test_a_second_ingest_that_cannot_wait_says_why(tmp_path: Path) -> None:
    index = tmp_path / "index"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from assistant.index import ingest_lock\n"
        "with ingest_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(30)"), str(index)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(IndexLocked, match="另一个建索引任务正在运行。请稍后再试"), ingest_lock(index, wait_seconds=0.5):
            pass
        assert 0.5 <= time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.communicate()
    with ingest_lock(index, wait_seconds=0.5):  # a killed holder's lock is released with its process
        pass


# ------------------------------------------------------------------ many askers at once
def test_8_threads_x_100_questions_on_one_engine_answer_as_a_sequential_run(fake_engine: Engine) -> None:
    questions = QUESTIONS[:96] + ["", "？？", "绿" * 600, "谁负责\x00大力发展应用绿色建材？"]

    def outcome(question: str) -> Any:
        try:
            return facts(fake_engine.ask(question))
        except QuestionError as exc:
            return str(exc)

    started = time.monotonic()
    sequential = {q: outcome(q) for q in questions}
    one = time.monotonic() - started

    def worker(seed: int) -> list[tuple[str, Any]]:
        order = random.Random(seed).sample(questions, len(questions))
        return [(q, outcome(q)) for q in order]

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(worker, range(8)))
    eight = time.monotonic() - started
    assert sum(len(r) for r in results) == 800
    assert all(answer == sequential[q] for result in results for q, answer in result)
    print(f"\n[threads] 8 threads x 100 questions: 800 answers identical to the sequential run; "
          f"{eight:.2f}s (sequential 100: {one:.2f}s)")


@pytest.mark.integration
def test_threads_on_the_real_model_answer_as_a_sequential_run(real_engine: Engine) -> None:
    questions = QUESTIONS[::12]
    sequential = {q: facts(real_engine.ask(q)) for q in questions}
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda seed: [(q, facts(real_engine.ask(q)))
                                              for q in random.Random(seed).sample(questions, len(questions))],
                                range(8)))
    assert all(answer == sequential[q] for result in results for q, answer in result)


@pytest.mark.slow
def test_8_concurrent_batch_processes_answer_as_a_sequential_run(tmp_path: Path) -> None:
    """The slowest drill (about 8 process starts' worth of CPU): 8 CLI processes asking over one index at once."""
    corpus, index = workspace(tmp_path)
    Engine(Settings(corpus_dir=corpus, index_dir=index), FakeEmbedder()).ingest()
    env = env_for(corpus, index)
    batch = tmp_path / "questions.jsonl"
    questions = QUESTIONS[::3] + ["", "？？"]
    batch.write_text("\n".join(json.dumps({"question": q}, ensure_ascii=False) for q in questions) + "\n", "utf-8")
    before = snapshot(index)

    started = time.monotonic()
    sequential = run_cli(["ask", "--batch", str(batch)], env, tmp_path)
    one = time.monotonic() - started
    assert sequential.returncode == 0 and len(sequential.stdout.splitlines()) == len(questions)

    started = time.monotonic()
    processes = [cli_process(["ask", "--batch", str(batch)], env, tmp_path) for _ in range(8)]
    outputs = [p.communicate(timeout=600) for p in processes]
    eight = time.monotonic() - started
    assert [p.returncode for p in processes] == [0] * 8
    assert all(out == sequential.stdout and "Traceback" not in err for out, err in outputs)
    assert snapshot(index) == before
    print(f"\n[processes] 8 concurrent `ask --batch` x {len(questions)} questions: identical to the sequential run, "
          f"index untouched; {eight:.1f}s (one process: {one:.1f}s)")
