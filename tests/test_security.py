"""Security: nothing from disk is unpickled; uploads are checked, renamed and kept under corpus/; nothing is
written outside corpus/, index/ and the temp folder; the LLM key never leaves the settings; an LLM that
states its own unit or number is flagged."""

from __future__ import annotations

import ast
import io
import json
import logging
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

import assistant.phrasing
from assistant.cli import app
from assistant.engine import Engine, safe_filename
from assistant.errors import DocumentError
from assistant.phrasing import phrase
from assistant.settings import Settings, load_settings

from conftest import DATA, QINGDAO, ROOT, FakeEmbedder

PACKAGE = ROOT / "assistant"
BAD = DATA / "bad"
CANARY = "sk-CANARY-7f3a9c2e1b-do-not-print"
runner = CliRunner()


# ------------------------------------------------------------------ nothing is unpickled
def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            out.append((f"{owner}.{name}" if owner else name, node))
    return out


def test_nothing_read_from_disk_is_unpickled() -> None:
    unsafe_modules = {"pickle", "cPickle", "dill", "joblib", "shelve", "marshal", "cloudpickle", "torch"}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & unsafe_modules, path
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in unsafe_modules, path
        for name, call in _calls(tree):
            keywords = {k.arg: k.value for k in call.keywords}
            if name.endswith(("np.load", "numpy.load")) or name == "load" and "allow_pickle" in keywords:
                flag = keywords.get("allow_pickle")
                assert isinstance(flag, ast.Constant) and flag.value is False, path
            assert not name.endswith(("torch.load", "pd.read_pickle", "yaml.load", "yaml.unsafe_load")), (path, name)
            assert name not in ("eval", "exec"), (path, name)
    source = "\n".join(p.read_text("utf-8") for p in PACKAGE.rglob("*.py"))
    assert "allow_pickle=True" not in source and "trust_remote_code=True" not in source


def test_the_index_on_disk_is_plain_json_and_faiss(fake_engine: Engine) -> None:
    build = fake_engine.index().path
    assert sorted(p.name for p in build.iterdir()) == ["docstore.json", "manifest.json", "vectors.faiss"]
    for name in ("docstore.json", "manifest.json"):
        json.loads((build / name).read_text("utf-8"))
    assert not (build / "vectors.faiss").read_bytes().startswith(b"\x80")  # not a pickle stream


# ------------------------------------------------------------------ uploads
@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """tmp/corpus (where uploads go), tmp/outside (must stay as it is), and a sentinel in tmp/."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("untouched", "utf-8")
    return tmp_path


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("name", "stored"), [
    pytest.param("../../x.txt", "x.txt", id="path-traversal"),
    pytest.param("..\\..\\windows\\x.txt", "x.txt", id="backslash-traversal"),
    pytest.param("/etc/x.txt", "x.txt", id="absolute"),
    pytest.param("a\x00b\x1f\x7fc.txt", "abc.txt", id="control-characters"),
    pytest.param("\u202eevil\u200b.txt", "evil.txt", id="bidi-override-and-zero-width"),
    pytest.param("..hidden.txt", "hidden.txt", id="leading-dots"),
    pytest.param("方案 (最终版).TXT", "方案_(最终版).txt", id="spaces-chinese-upper-case-suffix"),
    pytest.param("a<b>c:d\"e|f?g*h.txt", "abcdefgh.txt", id="characters-windows-forbids"),
    pytest.param("长" * 300 + ".txt", "长" * 40 + ".txt", id="very-long"),  # 120 bytes of UTF-8
])
def test_an_upload_name_is_sanitised_and_the_file_stays_under_corpus(sandbox: Path, name: str, stored: str) -> None:
    engine = Engine(Settings(corpus_dir=sandbox / "corpus", index_dir=sandbox / "index"), FakeEmbedder())
    outside = _files(sandbox / "outside")
    path = engine.save_upload(name, QINGDAO.read_bytes())
    assert path == (sandbox / "corpus" / stored).resolve() and path.read_bytes() == QINGDAO.read_bytes()
    assert _files(sandbox) == {"outside/keep.txt", f"corpus/{stored}"} and _files(sandbox / "outside") == outside


@pytest.mark.parametrize("name", ["CON.txt", "nul.txt", "com1.pdf", "LPT9.docx", "aux.txt", ".txt", " .txt",
                                  "../", "", "x.txt.exe", "x.exe", "x", "x.php.", "\x00.txt"])
def test_an_upload_name_that_cannot_be_made_safe_is_refused(sandbox: Path, name: str) -> None:
    engine = Engine(Settings(corpus_dir=sandbox / "corpus", index_dir=sandbox / "index"), FakeEmbedder())
    with pytest.raises(DocumentError) as caught:
        engine.save_upload(name, QINGDAO.read_bytes())
    assert caught.value.reason in ("文件名不合法", "只接受 .txt、.docx、.pdf 文件")
    assert _files(sandbox) == {"outside/keep.txt"}


def test_an_upload_cannot_be_written_through_a_symlink_out_of_corpus(sandbox: Path) -> None:
    corpus = sandbox / "corpus"
    corpus.mkdir()
    (corpus / "plan.txt").symlink_to(sandbox / "outside" / "keep.txt")
    engine = Engine(Settings(corpus_dir=corpus, index_dir=sandbox / "index"), FakeEmbedder())
    with pytest.raises(DocumentError, match="文件名不合法"):
        engine.save_upload("plan.txt", QINGDAO.read_bytes())
    assert (sandbox / "outside" / "keep.txt").read_text("utf-8") == "untouched"


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data", "reason"), [
    pytest.param("plan.pdf", QINGDAO.read_bytes(), "文件内容不是 PDF 格式", id="text-named-pdf"),
    pytest.param("plan.docx", QINGDAO.read_bytes(), "文件内容不是 Word（.docx）格式", id="text-named-docx"),
    pytest.param("plan.txt", (BAD / "scanned.pdf").read_bytes(), "文件内容是 PDF，不是纯文本", id="pdf-named-txt"),
    pytest.param("plan.txt", _docx_bytes(), "文件内容是 Word（.docx）或压缩包，不是纯文本", id="zip-named-txt"),
    pytest.param("plan.txt", (BAD / "legacy.doc").read_bytes(), "文件内容是旧版 Word（.doc）", id="doc-named-txt"),
    pytest.param("plan.pdf", _docx_bytes(), "文件内容不是 PDF 格式", id="zip-named-pdf"),
    pytest.param("plan.docx", (BAD / "scanned.pdf").read_bytes(), "文件内容不是 Word（.docx）格式", id="pdf-named-docx"),
    pytest.param("plan.docx", _docx_bytes(), "Word 文件已损坏或不是 .docx 格式", id="zip-without-word-parts"),
])
def test_upload_content_is_checked_against_its_extension(sandbox: Path, name: str, data: bytes, reason: str) -> None:
    engine = Engine(Settings(corpus_dir=sandbox / "corpus", index_dir=sandbox / "index"), FakeEmbedder())
    with pytest.raises(DocumentError) as caught:
        engine.save_upload(name, data)
    assert reason in caught.value.reason
    assert _files(sandbox) == {"outside/keep.txt"}


def test_upload_size_limit(sandbox: Path) -> None:
    engine = Engine(Settings(corpus_dir=sandbox / "corpus", index_dir=sandbox / "index", max_upload_mb=1),
                    FakeEmbedder())
    text = QINGDAO.read_text("utf-8")
    too_big = (text * (2 * 1024 * 1024 // len(text.encode()) + 1)).encode("utf-8")
    with pytest.raises(DocumentError, match="文件过大.*上限 1 MB"):
        engine.save_upload("big.txt", too_big)
    assert _files(sandbox) == {"outside/keep.txt"}
    assert engine.save_upload("small.txt", QINGDAO.read_bytes()).exists()  # under the limit: stored


def test_safe_filename_never_returns_a_path() -> None:
    for name in ("../../a.txt", "/abs/a.txt", "C:\\x\\a.txt", "a/../../b.pdf", "\\\\server\\share\\c.docx"):
        safe = safe_filename(name)
        assert "/" not in safe and "\\" not in safe and ".." not in safe and not os.path.isabs(safe)


# ------------------------------------------------------------------ nothing written outside corpus/, index/, temp
@pytest.mark.integration
def test_ingest_and_ask_write_only_corpus_index_and_temp(tmp_path: Path) -> None:
    """The real default model and the installed command, with an empty HOME: HOME stays empty."""
    home, temp, work = tmp_path / "home", tmp_path / "temp", tmp_path / "work"
    for folder in (home, temp, work / "corpus"):
        folder.mkdir(parents=True)
    shutil.copy(QINGDAO, work / "corpus" / QINGDAO.name)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(temp), "LANG": "C.UTF-8",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    command = shutil.which("policy-assistant")
    assert command, "the console script is installed with the package"
    for args in (["ingest"], ["ask", "装配式建筑占城镇新建建筑的比例达到多少？", "--json"], ["status"]):
        done = subprocess.run([command, *args], cwd=work, env=env, capture_output=True, text=True, check=False,
                              timeout=600)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert list(home.iterdir()) == []
    assert sorted(p.name for p in work.iterdir()) == ["corpus", "index"]
    assert _files(work / "corpus") == {QINGDAO.name}
    assert {p.name for p in temp.iterdir()} <= {"jieba.cache"}


def test_uploads_and_ingest_write_nowhere_else(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sandbox / "outside")
    engine = Engine(Settings(corpus_dir=sandbox / "corpus", index_dir=sandbox / "index"), FakeEmbedder())
    engine.save_upload("青岛方案.txt", QINGDAO.read_bytes())
    engine.ingest()
    engine.ask("谁负责大力发展应用绿色建材？")
    assert {f.split("/")[0] for f in _files(sandbox)} == {"outside", "corpus", "index"}
    assert _files(sandbox / "outside") == {"keep.txt"}


# ------------------------------------------------------------------ the LLM key
@pytest.fixture
def keyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace whose settings carry the canary key, from OPENAI_API_KEY and from the config file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus").mkdir()
    shutil.copy(QINGDAO, tmp_path / "corpus" / QINGDAO.name)
    for name in ("POLICY_ASSISTANT_CORPUS_DIR", "POLICY_ASSISTANT_INDEX_DIR", "POLICY_ASSISTANT_EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("POLICY_ASSISTANT_EMBEDDING_MODEL", "fake")
    return tmp_path


def test_the_llm_key_is_never_printed_logged_or_reported(keyed: Path, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings()
    assert settings.llm_api_key == CANARY
    assert CANARY not in repr(settings) and CANARY not in str(settings) and CANARY not in f"{settings!r}"
    monkeypatch.setattr(assistant.phrasing, "chat_model",
                        lambda s: FakeListChatModel(responses=["牵头单位：市住房城乡建设局。"] * 20))
    questions = keyed / "questions.jsonl"
    questions.write_text(json.dumps({"id": "k1", "question": "谁负责大力发展应用绿色建材？", "intent": "agencies",
                                     "item": "四（十四）", "lead": "市住房城乡建设局",
                                     "agencies": ["市住房城乡建设局", "市财政局", "市城市管理局", "各区市"]},
                                    ensure_ascii=False) + "\n", "utf-8")
    batch = keyed / "batch.txt"
    batch.write_text("谁负责大力发展应用绿色建材？\n\n{broken\n", "utf-8")
    outputs = []
    caplog.set_level(logging.DEBUG)
    for args in (["ingest"], ["status"], ["ask", "谁负责大力发展应用绿色建材？", "--json"],
                 ["ask", "谁负责大力发展应用绿色建材？", "--llm"], ["ask", "--batch", str(batch), "--llm"],
                 ["ask", ""], ["eval", "--questions", str(questions), "--baseline", str(keyed / "baseline.json"),
                               "--report-dir", str(keyed / "reports"), "--update-baseline"],
                 ["schema"], ["--help"]):
        result = runner.invoke(app, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        outputs.append(result.stdout + result.stderr)
    result = runner.invoke(app, ["status"], env={"POLICY_ASSISTANT_TOP_K": "many"})  # a config error
    assert result.exit_code == 1 and "top_k" in result.stderr
    outputs.append(result.stdout + result.stderr)
    assert all(CANARY not in out for out in outputs)
    assert CANARY not in caplog.text
    written = [p for p in keyed.rglob("*") if p.is_file() and p.suffix in (".json", ".md", ".jsonl", ".txt")]
    assert any(p.parent.name == "reports" for p in written)
    assert all(CANARY not in p.read_text("utf-8", errors="replace") for p in written)
    assert all(CANARY.encode() not in p.read_bytes() for p in (keyed / "index").rglob("*") if p.is_file())


def test_a_config_file_with_a_key_and_a_mistake_does_not_echo_the_key(tmp_path: Path) -> None:
    config = tmp_path / "policy-assistant.toml"
    config.write_text(f'llm_api_key = "{CANARY}"\ntop_k = "three"\n', "utf-8")
    result = runner.invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 1 and "配置项有误：top_k" in result.stderr and CANARY not in result.output
    config.write_text(f'llm_api_key = "{CANARY}\n', "utf-8")  # not valid TOML
    result = runner.invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 1 and "格式有误" in result.stderr and CANARY not in result.output


# ------------------------------------------------------------------ an LLM that adds its own facts
def test_an_llm_that_states_another_unit_or_number_is_flagged(fake_engine: Engine) -> None:
    answer = fake_engine.ask("到2025年，装配式建筑占城镇新建建筑的比例达到多少？")
    assert answer.targets[0].value == 50.0 and not answer.warnings
    lying = FakeListChatModel(responses=["该项工作由市公安局牵头，到2025年比例要达到99%。"])
    phrased = phrase(answer, lying)
    assert phrased.answer.startswith("该项工作由市公安局牵头")
    assert any("市公安局" in w for w in phrased.warnings) and any("“99”" in w for w in phrased.warnings)
    assert all("请以原文为准" in w for w in phrased.warnings)
    assert phrased.targets == answer.targets and phrased.agencies == answer.agencies  # facts never from the model
    assert phrased.citations == answer.citations

    faithful = FakeListChatModel(responses=["到2025年，装配式建筑占城镇新建建筑的比例要达到50%，牵头单位是市住房城乡建设局。"])
    assert phrase(answer, faithful).warnings == []


def test_a_not_found_answer_is_never_sent_to_the_llm(fake_engine: Engine) -> None:
    answer = fake_engine.ask("Who is responsible?")
    assert answer.not_found
    model = FakeListChatModel(responses=["市公安局负责，目标99%。"])
    assert phrase(answer, model) == answer
