"""Both stores through the same protocol: local, Milvus Lite from a file (tables in SQLite, or in a throwaway
PostgreSQL cluster), and a Milvus Lite server process.

Each backend holds the Qingdao plan (two versions) with the fake embedder; every lookup, every search and the
whole Qingdao eval set must come out as the local index gives them. Then every plan of tests/data/unseen and
Qingdao loaded at once, local and Milvus Lite: every question of their question sets gets the same answer.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answers import Assistant, Conversation
from assistant.evaluation import load_questions, run_eval
from assistant.index import load_index
from assistant.store import Store
from assistant.store.local import LocalStore
from assistant.store.milvus import MilvusStore
from assistant.schema import Answer

from conftest import DATA, QINGDAO, ROOT, FakeEmbedder, _drop_pg_database, _new_pg_database
from helpers.milvus_server import milvus_server

BACKENDS = ["local", "milvus-file", "milvus-postgresql", "milvus-server"]
QUESTIONS = ["公共机构节能谁负责？", "新建建筑光伏覆盖率要达到多少？", "轨道交通建设", "农村清洁取暖什么时候完成？"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("store-corpus")
    shutil.copy(QINGDAO, folder / QINGDAO.name)
    text = QINGDAO.read_text("utf-8").replace("2025年", "2026年", 3)
    (folder / f"{QINGDAO.stem}_v2.txt").write_text(text, "utf-8")
    return folder


@pytest.fixture(scope="module")
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with milvus_server(tmp_path_factory.mktemp("milvus-server") / "data") as uri:
        yield uri


@pytest.fixture(scope="module")
def postgresql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database on the session's throwaway PostgreSQL cluster (the ledger tests' server)."""
    server = request.getfixturevalue("postgres_server")
    name, url = _new_pg_database(server)
    yield url
    _drop_pg_database(server, name)


@pytest.fixture(scope="module")
def local(corpus: Path, embedder: FakeEmbedder, tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    from assistant.index import build_index

    folder = tmp_path_factory.mktemp("local-index")
    build_index(folder, [corpus], embedder)
    return LocalStore(load_index(folder), embedder)


@pytest.fixture(scope="module")
def stores(request: pytest.FixtureRequest, local: LocalStore, corpus: Path, embedder: FakeEmbedder,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Store]]:
    out: dict[str, Store] = {"local": local}
    folder = tmp_path_factory.mktemp("milvus-file")
    file_store = MilvusStore(str(folder / "milvus.db"), f"sqlite:///{folder / 'store.sqlite'}", embedder, folder)
    file_store.sync([corpus])
    out["milvus-file"] = file_store
    folder = tmp_path_factory.mktemp("milvus-postgresql")
    pg_store = MilvusStore(str(folder / "milvus.db"), request.getfixturevalue("postgresql_url"), embedder, folder)
    pg_store.sync([corpus])
    out["milvus-postgresql"] = pg_store
    uri = request.getfixturevalue("server")
    folder = tmp_path_factory.mktemp("milvus-server-client")
    server_store = MilvusStore(uri, f"sqlite:///{folder / 'store.sqlite'}", embedder, folder, collection="protocol")
    server_store.sync([corpus])
    out["milvus-server"] = server_store
    yield out
    for store in (file_store, pg_store, server_store):
        store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_store_is_the_protocol(stores: dict[str, Store], backend: str) -> None:
    assert isinstance(stores[backend], Store)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lookups_agree_with_the_local_index(stores: dict[str, Store], local: LocalStore, backend: str) -> None:
    store = stores[backend]
    assert store.latest_versions() == local.latest_versions() == {QINGDAO.stem: "v2"}
    assert sorted((p.policy, p.version, p.title) for p in store.policies) == \
        sorted((p.policy, p.version, p.title) for p in local.policies)
    assert len(store.chunks) == len(local.chunks) and len(store.tasks) == len(local.tasks)
    assert sorted(c.hash for c in store.chunks) == sorted(c.hash for c in local.chunks)
    for task in list(local.tasks)[::7]:
        assert store.task(task.policy, task.version, task.id) == task
        assert store.item_tasks(task.policy, task.version, task.parent or task.id) == \
            local.item_tasks(task.policy, task.version, task.parent or task.id)
        assert store.clause(task.policy, task.version, task.id) == local.clause(task.policy, task.version, task.id)
        assert store.info(task.policy, task.version).sha256 == local.info(task.policy, task.version).sha256  # type: ignore[union-attr]
    assert store.task(QINGDAO.stem, "v9", "一（一）") is None and store.clause("nope", "v1", "一") is None
    assert store.item_tasks("nope", "v1", "一") == [] and store.info("nope", "v1") is None


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_search_agrees_with_the_local_index(stores: dict[str, Store], local: LocalStore, backend: str,
                                            question: str) -> None:
    for scope in (None, {(QINGDAO.stem, "v1")}, {(QINGDAO.stem, "v1"), (QINGDAO.stem, "v2")}):
        want = local.search(question, 5, scope)
        got = stores[backend].search(question, 5, scope)
        assert [(h.policy, h.version, h.item_id) for h in got] == [(h.policy, h.version, h.item_id) for h in want]
        assert [c.hash for h in got for c in h.chunks] == [c.hash for h in want for c in h.chunks]
        assert [round(h.score, 4) for h in got] == [round(h.score, 4) for h in want]
        assert [round(d, 5) for h in got for d in h.chunk_dense] == [round(d, 5) for h in want for d in h.chunk_dense]
    assert stores[backend].search("   ", 5) == [] and stores[backend].search("问题", 5, {("nope", "v1")}) == []


@pytest.mark.parametrize("backend", BACKENDS[1:])
def test_the_qingdao_eval_set_gives_the_same_answers(stores: dict[str, Store], local: LocalStore,
                                                     embedder: FakeEmbedder, backend: str) -> None:
    questions = load_questions(ROOT / "eval" / "questions.jsonl")
    want = run_eval(Assistant(local, embedder), questions)
    got = run_eval(Assistant(stores[backend], embedder), questions)
    fields = ("agencies", "lead", "targets", "not_found", "cited_item", "answer", "correct")
    assert [{k: r[k] for k in fields} for r in got.records] == [{k: r[k] for k in fields} for r in want.records]
    assert got.metrics == want.metrics


def test_large_scopes_go_through_the_hybrid_candidates(stores: dict[str, Store], local: LocalStore,
                                                       embedder: FakeEmbedder) -> None:
    """Above ``exact_limit`` chunks the RRF candidates decide which items are scored: the best item agrees."""
    store = stores["milvus-file"]
    assert isinstance(store, MilvusStore)
    store.exact_limit = 0
    try:
        questions = load_questions(ROOT / "eval" / "questions.jsonl")
        want = run_eval(Assistant(local, embedder), questions)
        got = run_eval(Assistant(store, embedder), questions)
    finally:
        store.exact_limit = 4000
    same = sum(a["cited_item"] == b["cited_item"] and a["correct"] == b["correct"]
               for a, b in zip(got.records, want.records))
    assert same / len(want.records) >= 0.95
    assert got.metrics["accuracy"] >= want.metrics["accuracy"] - 0.02


# ------------------------------------------------------------------ every plan loaded at once
UNSEEN = DATA / "unseen"


@pytest.fixture(scope="module")
def all_plans(embedder: FakeEmbedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStore, MilvusStore]]:
    """Every plan of tests/data/unseen (a .docx and its .pdf, a revised version) and Qingdao, in both stores."""
    from assistant.index import build_index

    root = tmp_path_factory.mktemp("all-plans")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in [*UNSEEN.iterdir(), QINGDAO]:
        if path.suffix in (".txt", ".docx", ".pdf"):
            shutil.copy(path, corpus / path.name)
    build_index(root / "local", [corpus], embedder)
    store = MilvusStore(str(root / "milvus" / "milvus.db"), f"sqlite:///{root / 'milvus' / 'store.sqlite'}", embedder,
                        root / "milvus")
    store.sync([corpus])
    yield LocalStore(load_index(root / "local"), embedder), store
    store.close()


def _said(answer: Answer) -> dict[str, object]:
    """What an answer tells an official: units, lead, targets, whether it was found, and where it cites."""
    return {"units": answer.agencies, "lead": answer.lead_agency, "targets": [t.model_dump() for t in answer.targets],
            "not_found": answer.not_found, "cited": [(c.policy, c.version, c.item_id, c.start) for c in answer.citations]}


def _ask_all(assistant: Assistant, questions: list[dict[str, object]], scoped: bool) -> list[dict[str, object]]:
    """Each question as an official asks it with every plan loaded, or (``scoped``) within the plan it names, as
    the eval runner asks; a follow-up in the conversation of the line before."""
    said = []
    conversation = Conversation()
    for q in questions:
        if not q.get("followup_of"):
            conversation = Conversation()
        policy = str(q["policy"]) if scoped and q.get("policy") else None
        version = str(q["version"]) if scoped and q.get("version") else None
        said.append(_said(assistant.ask(str(q["question"]), conversation, policy=policy, version=version)))
    return said


@pytest.mark.slow
@pytest.mark.parametrize("scoped", [False, True], ids=["all-plans", "its-plan"])
def test_every_question_set_gives_the_same_answers_with_every_plan_loaded(
        all_plans: tuple[LocalStore, MilvusStore], embedder: FakeEmbedder, scoped: bool) -> None:
    """Every question (15 per unseen plan, the cross-plan sets, the Qingdao eval set: 400 when written), each asked
    with every plan loaded and again within its own plan: units, lead, targets, not-found and every citation (plan, item,
    start) are the same on both stores. The corpus is under ``exact_limit`` chunks, so Milvus scores every chunk
    of the scope as the local index does; above it, the hybrid candidates path is compared in the test above."""
    local, milvus = all_plans
    assert len(local.latest_versions()) == len(milvus.latest_versions()) >= 16  # a5: two files, two versions, one policy
    assert len(milvus.chunks) == len(local.chunks) <= milvus.exact_limit
    files = sorted(UNSEEN.glob("*.questions.jsonl")) + [ROOT / "eval" / "questions.jsonl"]
    questions = [q for f in files for q in load_questions(f)]
    assert len(questions) >= 400 and {f.name for f in files} >= {"cross.questions.jsonl", "cross_c.questions.jsonl"}
    want = _ask_all(Assistant(local, embedder), questions, scoped)
    got = _ask_all(Assistant(milvus, embedder), questions, scoped)
    differ = [f"{q['id']} {q['question']}: local {a} / milvus {b}" for q, a, b in zip(questions, want, got) if a != b]
    assert differ == [], f"{len(differ)} of {len(questions)} answers differ:\n" + "\n".join(differ[:10])
    assert sum(not a["not_found"] for a in want) > len(questions) / 2  # the comparison is about answers, not refusals
