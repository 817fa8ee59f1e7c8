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
from assistant.db import check_schema, current_revision, head_revision, make_engine, migrate
from assistant.errors import SchemaOutdated, StoreMismatch, StoreUnavailable
from assistant.store.milvus import MilvusStore
from assistant.store.sql import SqlTables

from conftest import DATA, QINGDAO, ROOT, FakeEmbedder
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


def test_an_appendix_citation_is_located_as_the_local_index_locates_it(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    """a3 names its units only in an appendix 分工表: the plan's record and appendix come back from SQL, so the
    citation into the appendix has the same start on both backends, and it is where the quote is in the plan."""
    from assistant.index import build_index, load_index
    from assistant.policies import read_policy
    from assistant.store.local import LocalStore

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = ("a3_city_renewal_pdf.pdf", "a4_chapter_lead.txt")
    for name in names:
        shutil.copy(DATA / "unseen" / name, corpus / name)
    build_index(tmp_path / "local", [corpus], fake_embedder)
    local = LocalStore(load_index(tmp_path / "local"), fake_embedder)
    store = _store(tmp_path / "m", fake_embedder)
    store.sync([corpus])
    key = lambda i: (i.policy, i.version)  # noqa: E731
    for mine, theirs in zip(sorted(store.policies, key=key), sorted(local.policies, key=key), strict=True):
        assert (mine.record, mine.appendix, mine.appendix_start, mine.place) == \
            (theirs.record, theirs.appendix, theirs.appendix_start, theirs.place)
    assert any(i.appendix for i in store.policies) and all(i.record for i in store.policies)
    texts = {p.policy: p.document.text for p in (read_policy(corpus / name) for name in names)}
    in_appendix = 0
    for unit in ("市住房和城乡建设局", "市经济和信息化局", "市发展改革委"):
        want = Assistant(local, fake_embedder).ask(f"{unit}要做哪些工作？")
        got = Assistant(store, fake_embedder).ask(f"{unit}要做哪些工作？")
        assert got.citations == want.citations and got.citations
        for cite in got.citations:
            assert texts[cite.policy][cite.start:cite.start + len(cite.quote)] == cite.quote
            in_appendix += cite.title.endswith("（附件：任务分工表）")
    assert in_appendix
    # a plan version written before its record and appendix were kept (what migration 0004 leaves: content hash
    # cleared) is written again by the next ingest, from the vectors already in Milvus
    with store.sql.engine.begin() as conn:
        conn.execute(store.sql.t["generations"].update().values(content_hash="", record="", appendix="", appendix_start=0))
    report = store.sync([corpus])
    assert report.embedded == 0 and report.reused == report.chunks > 0
    assert [(i.record, i.appendix, i.appendix_start) for i in sorted(store.policies, key=key)] == \
        [(i.record, i.appendix, i.appendix_start) for i in sorted(local.policies, key=key)]
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
    with pytest.raises(StoreUnavailable, match="数据库地址无法识别.*database_url"):
        SqlTables("nosuchdb://x")
    with pytest.raises(StoreUnavailable, match="所需的驱动未安装.*postgresql\\+psycopg://") as caught:
        SqlTables("mysql://office:secret@db.example/policies")  # a dialect whose driver is not installed
    assert "secret" not in str(caught.value)


def test_a_wrong_milvus_uri_says_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    with pytest.raises(StoreUnavailable, match="milvus_uri 的写法无法识别.*htp://127.0.0.1:19530.*http://主机:端口"):
        MilvusStore("htp://127.0.0.1:19530", url, FakeEmbedder(), tmp_path)
    assert not (tmp_path / "htp:").exists()  # a mistyped address is not a folder to make
    (tmp_path / "notes.txt").write_text("x", "utf-8")
    for path in (tmp_path / "notes.txt", tmp_path / "notes.txt" / "milvus.db"):  # a file, and a folder that cannot be
        with pytest.raises(StoreUnavailable, match=f"无法打开 Milvus Lite 数据文件，请确认该路径可写.*{path.name}"):
            MilvusStore(str(path), url, FakeEmbedder(), tmp_path)


def test_an_older_database_schema_is_refused_with_the_fix(database_url: str) -> None:
    """A database the ledger migrated before the store's tables existed: the store refuses it, names the fix, and
    works once that fix has been run."""
    engine = make_engine(database_url)
    try:
        migrate(engine, "0002_delays")
        with pytest.raises(SchemaOutdated, match=f"0002_delays 比程序需要的 {head_revision()} 旧。"
                                                 "请先运行：policy-assistant db migrate"):
            SqlTables(database_url)
        assert current_revision(engine) == "0002_delays"  # refused, not quietly upgraded
        migrate(engine)
    finally:
        engine.dispose()
    tables = SqlTables(database_url)
    assert tables.visible() == [] and tables.serial() == 0
    tables.close()


def test_a_database_the_earlier_release_made_without_alembic_is_refused_until_migrated(database_url: str) -> None:
    """The store's tables made by the earlier release's create_all, no Alembic version: refused with the fix,
    never quietly migrated; ``db migrate`` keeps the table and its rows."""
    from sqlalchemy import text

    engine = make_engine(database_url)
    try:
        with engine.begin() as c:
            c.execute(text("CREATE TABLE store_meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)"))
            c.execute(text("INSERT INTO store_meta (key, value) VALUES ('schema', '1'), ('serial', '5')"))
        with pytest.raises(SchemaOutdated, match="中的数据表由旧版本建立。请先备份数据库，再运行：policy-assistant db migrate"):
            SqlTables(database_url)
        assert current_revision(engine) is None
        migrate(engine)
    finally:
        engine.dispose()
    tables = SqlTables(database_url)
    assert tables.serial() == 5 and tables.visible() == []
    tables.close()


def test_an_empty_database_gets_every_table(database_url: str) -> None:
    """The store opened on a database with none of our tables makes them as ``db migrate`` does: the ledger's too."""
    tables = SqlTables(database_url)
    assert current_revision(tables.engine) == head_revision()
    check_schema(tables.engine)
    tables.close()


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


def _older_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    migrate(engine, "0002_delays")
    engine.dispose()


def _collection_of_another_model(tmp_path: Path) -> None:
    """An ingest with the 256-dimensional fake model (in a process of its own: Milvus Lite holds its file until exit)."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(QINGDAO, tmp_path / "corpus" / QINGDAO.name)
    ingest = _cli(["ingest"], _env(tmp_path, embedding_model="fake"))
    err = ingest.communicate(timeout=300)[1]
    assert ingest.returncode == 0, err


BAD_STATES = {  # name: (settings, what to prepare, what the one line says)
    "milvus-unreachable": ({"milvus_uri": "http://127.0.0.1:{port}"}, None, "无法连接 Milvus 服务.*milvus_uri"),
    "wrong-milvus-uri": ({"milvus_uri": "htp://127.0.0.1:19530"}, None, "milvus_uri 的写法无法识别.*http://主机:端口"),
    "database-unreachable": ({"database_url": "postgresql+psycopg://office:secret@127.0.0.1:{port}/policies"}, None,
                             "无法连接数据库 postgresql\\+psycopg://office:\\*\\*\\*@127.0.0.1.*database_url"),
    "wrong-database-url": ({"database_url": "mysql://office@db.example/policies"}, None, "所需的驱动未安装.*database_url"),
    "older-schema": ({}, _older_database, "0002_delays 比程序需要的 .* 旧。请先运行：policy-assistant db migrate"),
    "another-model": ({"embedding_model": "fake-128"}, _collection_of_another_model,
                      "Milvus 集合由模型 fake/bigram-hash-256（维度 256）生成，当前配置为 fake.*128.*policy-assistant ingest"),
}


@pytest.mark.parametrize("state", BAD_STATES)
def test_the_cli_says_what_is_wrong_and_exits_1(tmp_path: Path, state: str) -> None:
    """Every bad state of the Milvus store is one line in Chinese with the fix, exit code 1, never a traceback
    and never an answer."""
    import re

    values, prepare, message = BAD_STATES[state]
    if prepare is not None:
        prepare(tmp_path)
    env = _env(tmp_path, **{"embedding_model": "fake", **{k: v.format(port=free_port()) for k, v in values.items()}})
    ask = _cli(["ask", "公共机构节能谁负责？"], env)
    out, err = ask.communicate(timeout=120)
    assert ask.returncode == 1 and out == "" and "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("错误：")]
    assert len(lines) == 1 and re.search(message, lines[0]), err
    assert "secret" not in err


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
