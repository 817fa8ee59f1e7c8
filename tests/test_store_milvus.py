"""The Milvus store: incremental ingest, bad states in plain Chinese, a killed ingest, several client processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answers import Assistant
from assistant.errors import SchemaOutdated, StoreMismatch, StoreUnavailable
from assistant.store.milvus import MilvusStore
from assistant.store.sql import SqlTables

from conftest import QINGDAO, ROOT, FakeEmbedder
from helpers.milvus_server import free_port, milvus_server

QUESTIONS = ["公共机构节能谁负责？", "新建建筑光伏覆盖率要达到多少？", "农村清洁取暖什么时候完成？", "轨道交通建设"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with milvus_server(tmp_path_factory.mktemp("milvus-server") / "data") as uri:
        yield uri


def _store(folder: Path, embedder: FakeEmbedder, uri: str | None = None, collection: str = "policy_chunks") -> MilvusStore:
    return MilvusStore(uri or str(folder / "milvus.db"), f"sqlite:///{folder / 'store.sqlite'}", embedder, folder,
                       collection=collection)


def _answers(store: MilvusStore, embedder: FakeEmbedder) -> list[str]:
    assistant = Assistant(store, embedder)
    return [assistant.ask(q).model_dump_json() for q in QUESTIONS]


def test_ingest_is_incremental_per_plan(tmp_path: Path, corpus_dir: Path, fake_embedder: FakeEmbedder) -> None:
    store = _store(tmp_path / "s", fake_embedder)
    first = store.sync([corpus_dir])
    assert first.policies == 1 and first.embedded == first.chunks > 100
    again = store.sync([corpus_dir])
    assert again.embedded == 0 and again.reused == first.chunks
    text = QINGDAO.read_text("utf-8")
    (corpus_dir / f"{QINGDAO.stem}_v2.txt").write_text(text.replace("2025年", "2026年", 1), "utf-8")
    calls = fake_embedder.calls
    second = store.sync([corpus_dir])
    assert second.policies == 2 and 0 < second.embedded <= 3  # only the changed sentences of the new version
    assert fake_embedder.calls - calls == second.embedded
    assert store.latest_versions() == {QINGDAO.stem: "v2"}
    (corpus_dir / f"{QINGDAO.stem}_v2.txt").unlink()
    store.sync([corpus_dir])
    assert store.latest_versions() == {QINGDAO.stem: "v1"} and len(store.policies) == 1
    assert store.sql.hidden_generations()  # the removed version's rows wait for the next ingest …
    store.sync([corpus_dir])
    assert not store.sql.hidden_generations()  # … which deletes them
    assert store.client.query(store.collection, filter="gen >= 0", output_fields=["count(*)"])[0]["count(*)"] == \
        first.chunks
    (corpus_dir / QINGDAO.name).write_text("", "utf-8")
    with pytest.raises(Exception, match="原有索引未改动"):
        store.sync([corpus_dir])
    assert store.latest_versions() == {QINGDAO.stem: "v1"}
    store.close()


def test_an_engine_answers_from_what_its_own_ingest_added(tmp_path: Path, corpus_dir: Path,
                                                        fake_embedder: FakeEmbedder) -> None:
    """The engine's ingest switches the store itself, so the store's ``changed()`` cannot tell the engine: the
    engine drops its assistant (catalog of units, plan versions) and builds it again on the next question."""
    from assistant.engine import Engine
    from assistant.settings import Settings

    settings = Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", store="milvus",
                        database_url=f"sqlite:///{tmp_path / 'store.sqlite'}")
    engine = Engine(settings, fake_embedder)
    engine.ingest()
    before = set(engine.assistant().catalog.units)
    shutil.copy(ROOT / "tests" / "data" / "unseen" / "a4_chapter_lead.txt", corpus_dir / "a4_chapter_lead.txt")
    engine.ingest()
    assert "国网襄阳供电公司" in set(engine.assistant().catalog.units) - before
    engine.store().close()


def test_a_collection_of_another_model_or_dimension_is_refused(tmp_path: Path, corpus_dir: Path) -> None:
    store = _store(tmp_path, FakeEmbedder())
    store.sync([corpus_dir])
    store.close()
    for other in (FakeEmbedder(dim=128), FakeEmbedder(model_id="fake/other")):
        with pytest.raises(StoreMismatch, match="Milvus 集合由模型 fake/bigram-hash-256（维度 256）生成") as caught:
            _store(tmp_path, other)
        assert "policy-assistant ingest" in str(caught.value)


def test_unreachable_milvus_and_database_say_what_is_wrong(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    with pytest.raises(StoreUnavailable, match="无法连接 Milvus 服务.*milvus_uri = http://127.0.0.1"):
        MilvusStore(f"http://127.0.0.1:{free_port()}", f"sqlite:///{tmp_path / 's.sqlite'}", embedder, tmp_path)
    with pytest.raises(StoreUnavailable, match="无法连接数据库.*database_url"):
        SqlTables(f"postgresql+psycopg://user:secret@127.0.0.1:{free_port()}/policies")
    with pytest.raises(StoreUnavailable) as caught:
        SqlTables(f"postgresql+psycopg://user:secret@127.0.0.1:{free_port()}/policies")
    assert "secret" not in str(caught.value)
    with pytest.raises(StoreUnavailable, match="数据库地址无效"):
        SqlTables("nosuchdb://x")


def test_an_older_database_schema_is_refused_with_the_fix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    tables = SqlTables(url)
    with tables.engine.begin() as conn:
        conn.execute(tables.t["meta"].update().where(tables.t["meta"].c.key == "schema").values(value="0"))
    with pytest.raises(SchemaOutdated, match="早于程序所需.*policy-assistant ingest"):
        SqlTables(url)


def _cli(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "assistant.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT), **kwargs)  # type: ignore[call-overload]


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICY_ASSISTANT_STORE": "milvus",
           "POLICY_ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "POLICY_ASSISTANT_CORPUS_DIR": str(tmp_path / "corpus"),
           # the store's tables in a database of this test's own (the default is a file in the working folder)
           "POLICY_ASSISTANT_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite'}"}
    env.update({f"POLICY_ASSISTANT_{k.upper()}": v for k, v in values.items()})
    return env


def test_the_cli_says_when_milvus_is_unreachable_and_exits_1(tmp_path: Path) -> None:
    env = _env(tmp_path, milvus_uri=f"http://127.0.0.1:{free_port()}")
    out, err = _cli(["ask", "公共机构节能谁负责？"], env).communicate(timeout=120)
    assert "错误：无法连接 Milvus 服务" in err and "Traceback" not in err


@pytest.mark.slow
def test_two_client_processes_ask_one_server_at_once(tmp_path: Path, server: str) -> None:
    """The real default model: ingest through the CLI, then two `ask` processes against the same server."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(QINGDAO, tmp_path / "corpus" / QINGDAO.name)
    env = _env(tmp_path, milvus_uri=server)
    ingest = _cli(["ingest"], env)
    out, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, err
    askers = [_cli(["ask", "--json", q], env) for q in ("公共机构节能谁负责？", "新建建筑光伏覆盖率要达到多少？")]
    results = [p.communicate(timeout=300) for p in askers]
    assert [p.returncode for p in askers] == [0, 0], [e for _, e in results]
    got = [json.loads(o) for o, _ in results]
    local = _env(tmp_path, store="local", index_dir=str(tmp_path / "local-index"))
    want = [json.loads(_cli(["ask", "--json", q], local).communicate(timeout=300)[0])
            for q in ("公共机构节能谁负责？", "新建建筑光伏覆盖率要达到多少？")]
    assert got == want  # the real model: the same answers as the local index
    assert got[0]["lead_agency"] and got[1]["targets"]


@pytest.mark.slow
def test_a_killed_ingest_leaves_the_previous_version_answering(tmp_path: Path, server: str) -> None:
    """The drill: an ingest of a new version SIGKILLed after its rows are in Milvus but before the switch."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(QINGDAO, corpus / QINGDAO.name)
    embedder = FakeEmbedder()
    store = _store(tmp_path, embedder, server, collection="drill")
    store.sync([corpus])
    before = _answers(store, embedder)
    lead = json.loads(before[0])["lead_agency"]
    assert lead and lead in QINGDAO.read_text("utf-8")
    text = QINGDAO.read_text("utf-8").replace(lead, "市演练局")
    (corpus / QINGDAO.name).write_text(text, "utf-8")
    script = (f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]\n"
              "from pathlib import Path\nfrom conftest import FakeEmbedder\nfrom assistant.store.milvus import MilvusStore\n"
              f"s = MilvusStore({server!r}, 'sqlite:///{tmp_path / 'store.sqlite'}', FakeEmbedder(), Path({str(tmp_path)!r}),"
              " collection='drill')\n"
              f"s.sync([Path({str(corpus)!r})])\n")
    child = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "POLICY_ASSISTANT_DRILL_PAUSE": "120"},
                             stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    deadline = time.monotonic() + 120
    lines = [""]
    while "drill:" not in lines[-1] and time.monotonic() < deadline and (lines[-1] or len(lines) == 1):
        lines.append(child.stderr.readline())
    assert "not visible" in lines[-1], "".join(lines)
    assert _answers(store, embedder) == before  # an asker during the ingest sees the whole old version
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stderr.close()
    assert _answers(store, embedder) == before  # and after the kill, too
    fresh = _store(tmp_path, embedder, server, collection="drill")  # a new process's view
    assert _answers(fresh, embedder) == before
    report = fresh.sync([corpus])  # the next ingest removes the dead generation and writes the new text
    dead = int(lines[-1].split("generation ")[1].split()[0])
    assert report.embedded > 0 and dead not in fresh.sql.hidden_generations()
    assert not fresh.client.query(fresh.collection, filter=f"gen == {dead}", output_fields=["pk"], limit=1)
    after = Assistant(fresh, embedder).ask(QUESTIONS[0])
    assert after.lead_agency == "市演练局"
