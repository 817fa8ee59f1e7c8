"""Province scale: chunks in a Milvus collection, tables in SQL (``store/sql.py``), same answers as local.

One collection ``policy_chunks``: a dense vector (the embedder's dimension, COSINE, AUTOINDEX), a BM25
sparse vector Milvus derives from ``text`` with the jieba analyzer, and scalar fields policy, version,
gen (the generation its plan version was written under), item_id, task_id, ord, place, level, hash, plus
the chunk record and its lexical tokens. The model id and dimension are collection properties; a
collection made by another model or dimension is refused, as the local manifest does.

Search, within the visible generations of the scope (pushed down as ``gen in [...]``):
  1. small scopes (≤ ``exact_limit`` chunks, e.g. one plan): every chunk of the scope is fetched;
  2. larger scopes: ``hybrid_search`` of the dense and the BM25 routes, fused by an explicit ``RRFRanker``,
     names the candidate items, and every chunk of those items is fetched.
Then the fetched chunks are scored exactly as the local index scores them — cosine from the stored
vectors, BM25 (bm25s' Lucene formula) from the stored tokens with corpus statistics kept in SQL — and
max-pooled to items by ``hits.pool_items``. So one plan's answers are identical to local; across a
province the normalisation runs over the candidates instead of the whole scope (measured in the bench).

Ingest is per plan version and incremental: a plan whose content hash is unchanged is skipped, vectors of
chunk texts already in the collection are reused, the rest are embedded. Rows go in under a new
generation; the SQL transaction that writes its tables also switches ``visible`` to it, last. A killed
ingest leaves rows of an invisible generation, removed by the next ingest.

pymilvus, not langchain-milvus: ``langchain_milvus.Milvus`` returns only the fused score per Document
(we need each chunk's cosine, which answers check against thresholds), owns the schema (no collection
properties for the model check, no ``gen`` field of our own), and mutates its ``vector_field`` list per
search (STACK.md). Its retriever interface would add a layer without removing any of the code below.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..chunks import build_chunks
from ..embeddings import Embedder
from ..errors import DocumentError, StoreMismatch, StoreUnavailable
from ..hits import ALPHA, expand_query, pool_items, retrieval_query
from ..index import BuildReport, PolicyInfo, Progress, ingest_lock
from ..lexical import Tokenizer, domain_words
from ..policies import Corpus, Policy, read_corpus, version_key
from ..schema import Chunk, Clause, Hit, Task
from .sql import Generation, SqlTables, generation_columns

COLLECTION = "policy_chunks"
FORMAT = "1"
K1, B = 1.5, 0.75  # bm25s defaults, as the local LexicalIndex uses them
_PARSER = "1"  # bump when parsing changes, so unchanged files are re-ingested
_BATCH = 500
_FIELDS = ["gen", "ord", "item_id", "chunk", "tokens", "dense"]


def _pymilvus() -> Any:
    try:
        import pymilvus
    except ImportError as exc:  # pragma: no cover - a declared dependency
        from ..errors import DependencyMissing

        raise DependencyMissing("Milvus 存储需要：pip install pymilvus 'milvus-lite[chinese]'") from exc
    return pymilvus


def _connect(uri: str) -> Any:
    """A MilvusClient for a Lite file path or an http(s):// server; StoreUnavailable with the fix if not."""
    pymilvus = _pymilvus()
    remote = uri.startswith(("http://", "https://", "tcp://", "grpc://"))
    if not remote and "://" in uri:  # htp://…, milvus://…: a mistyped address, not a file to create
        raise StoreUnavailable(f"milvus_uri 的写法无法识别（milvus_uri = {uri}）",
                               "请写 Milvus Lite 数据文件的路径，或 Milvus 服务的地址 http://主机:端口")
    try:
        if remote:
            return pymilvus.MilvusClient(uri=uri, timeout=10)
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        return pymilvus.MilvusClient(uri)
    except Exception as exc:  # pymilvus raises MilvusException, Lite its own errors, grpc its own
        text = str(exc)
        if "lock" in text.lower():
            why = "该 Milvus Lite 文件正被另一个进程使用（多个进程请改用 milvus-lite server 或 Milvus 服务，milvus_uri 写 http://主机:端口）"
        elif remote:
            why = "无法连接 Milvus 服务，请确认服务已启动、地址和端口正确"
        else:
            why = "无法打开 Milvus Lite 数据文件，请确认该路径可写、不是别的文件"
        raise StoreUnavailable(f"{why}（milvus_uri = {uri}）") from exc


def place_and_level(title: str) -> tuple[str, str]:
    """The place a plan's title names (青岛市, 崂山区 …) and its level (province, city, county)."""
    import re

    m = re.search(r"([\u4e00-\u9fff]{2,8}?(?:自治区|省|市|自治州|州|盟|区|县|旗))", title)
    if not m:
        return "", ""
    place = m.group(1)
    level = "province" if place.endswith(("省", "自治区")) else \
        "city" if place.endswith(("市", "州", "盟")) else "county"
    return place, level


def content_hash(policy: Policy) -> str:
    """What decides whether a plan version must be written again: its text and how it was parsed."""
    digest = hashlib.sha256((policy.sha256 + _PARSER + policy.title + policy.date).encode("utf-8"))
    return digest.hexdigest()


class _Rows(Sequence[Any]):
    """A read-only sequence of tasks or chunks streamed from SQL: iterating never holds the whole corpus."""

    def __init__(self, sql: SqlTables, name: str, gens: list[int], model: Any) -> None:
        self._sql, self._name, self._gens, self._model = sql, name, gens, model
        self._len: int | None = None

    def __len__(self) -> int:
        if self._len is None:
            self._len = self._sql.count(self._name, self._gens)
        return self._len

    def __iter__(self) -> Iterator[Any]:
        for data in self._sql.stream(self._name, self._gens):
            yield self._model.model_validate_json(data)

    def __getitem__(self, i: Any) -> Any:
        rows = list(self)
        return rows[i]


class _Lru:
    """A small thread-safe LRU map for rows that never change once written (everything keyed by generation)."""

    def __init__(self, size: int) -> None:
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = make()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self._size:
                self._data.popitem(last=False)
        return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def peek(self, key: Any) -> Any:
        """The value, or None when absent."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
            return self._data.get(key)


class _Chunks(Sequence[Chunk]):
    """Chunk records of fetched rows, parsed only when read (pooling reads the few best of each hit)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self._parsed: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i not in self._parsed:
            self._parsed[i] = Chunk.model_validate_json(self._rows[i]["chunk"])
        return self._parsed[i]


class MilvusStore:
    """Chunks in Milvus, tables in SQL; the Store protocol, plus ingest. Safe to share between threads.

    Per process it keeps only what is small and cannot go stale: the visible plan versions (reloaded when the
    switch serial moves), and, in bounded LRU maps keyed by generation (whose rows never change), the clause
    and task rows answers look up, each plan version's item → chunk positions, and word counts of searched
    scopes. No chunk text or vector is kept.
    """

    def __init__(self, uri: str, database_url: str, embedder: Embedder, index_dir: Path,
                 exact_limit: int = 4000, candidates: int = 200, collection: str = COLLECTION) -> None:
        self.uri = uri
        self.collection = collection
        self.embedder = embedder
        self.index_dir = Path(index_dir)
        self.exact_limit = exact_limit
        self.candidates = candidates
        self.sql = SqlTables(database_url)
        self.client = _connect(uri)
        self._ensure_collection()
        self._serial = -1
        self._visible: list[Generation] = []
        self._gen: dict[tuple[str, str], int] = {}
        self._key_of: dict[int, tuple[str, str]] = {}
        self._n: dict[int, int] = {}
        self._latest: dict[str, str] = {}
        self._infos: dict[tuple[str, str], PolicyInfo] = {}
        self._tokenizer: Tokenizer | None = None
        self._rows = _Lru(8192)  # (kind, gen, id) → Clause / Task / list[Task]
        self._items = _Lru(8192)  # gen → item id → chunk positions
        self._stats = _Lru(256)  # searched gens → (chunks, tokens, {token: chunks holding it})
        self._refresh()

    # ---------------------------------------------------------------- collection
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if isinstance(exc, (StoreMismatch, StoreUnavailable)):
                raise
            raise StoreUnavailable(f"Milvus 请求失败（milvus_uri = {self.uri}）：{type(exc).__name__}。"
                                   "请确认 Milvus 服务正常后重试") from exc

    def _ensure_collection(self) -> None:
        pymilvus = _pymilvus()
        c = self.client
        want = {"pa.model_id": self.embedder.model_id, "pa.dim": str(self.embedder.dim), "pa.format": FORMAT}
        if self._call(c.has_collection, self.collection):
            found = self._call(c.describe_collection, self.collection).get("properties") or {}
            if found.get("pa.format") != FORMAT:
                raise StoreMismatch(f"Milvus 集合 {self.collection} 不是本版本政策助手建立的。"
                                    "请换一个 milvus_uri，或删除该集合后运行：policy-assistant ingest")
            if found.get("pa.model_id") != want["pa.model_id"] or found.get("pa.dim") != want["pa.dim"]:
                raise StoreMismatch(
                    f"Milvus 集合由模型 {found.get('pa.model_id')}（维度 {found.get('pa.dim')}）生成，当前配置为 "
                    f"{self.embedder.model_id}（维度 {self.embedder.dim}）。请改回原模型（配置项 embedding_model），"
                    "或换一个 milvus_uri 和 database_url 后运行：policy-assistant ingest 重新导入")
            self._call(c.load_collection, self.collection)
            return
        DataType, Function, FunctionType = pymilvus.DataType, pymilvus.Function, pymilvus.FunctionType
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("text", DataType.VARCHAR, max_length=16000, enable_analyzer=True,
                         analyzer_params={"tokenizer": "jieba"})
        for name, length in (("policy", 200), ("version", 100), ("item_id", 100), ("task_id", 100),
                             ("place", 100), ("level", 20), ("hash", 64)):
            schema.add_field(name, DataType.VARCHAR, max_length=length)
        schema.add_field("gen", DataType.INT64)
        schema.add_field("ord", DataType.INT64)
        schema.add_field("chunk", DataType.VARCHAR, max_length=65535)
        schema.add_field("tokens", DataType.VARCHAR, max_length=65535)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.embedder.dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="text_bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["sparse"]))
        index = c.prepare_index_params()
        index.add_index("dense", index_type="AUTOINDEX", metric_type="COSINE")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        for name in ("gen", "hash"):
            index.add_index(name, index_type="INVERTED")
        self._call(c.create_collection, self.collection, schema=schema, index_params=index, properties=want)

    # ---------------------------------------------------------------- visible plans
    def _refresh(self) -> None:
        serial = self.sql.serial()
        if serial == self._serial:
            return
        visible = self.sql.visible()
        self._visible = visible
        self._gen = {(g.policy, g.version): g.gen for g in visible}
        self._key_of = {g.gen: (g.policy, g.version) for g in visible}
        self._infos = {(g.policy, g.version): g for g in visible}
        latest: dict[str, Generation] = {}
        for g in sorted(visible, key=lambda g: version_key(g.version, g.date)):
            latest[g.policy] = g
        self._latest = {k: v.version for k, v in latest.items()}
        self._n = {}
        self._tokenizer = None
        self._serial = serial

    def changed(self) -> bool:
        """Whether a plan version was switched since this store last looked (then reload what you cached)."""
        before = self._serial
        self._refresh()
        return self._serial != before

    def _gen_of(self, policy: str, version: str) -> int | None:
        """The generation of a visible plan version, in the view the last search or listing took: an answer looks up
        the rows of the version it found, even if another process switches that version meanwhile."""
        return self._gen.get((policy, version))

    @property
    def policies(self) -> Sequence[PolicyInfo]:
        self._refresh()
        return list(self._infos.values())

    @property
    def tasks(self) -> Sequence[Task]:
        self._refresh()
        return _Rows(self.sql, "tasks", sorted(self._gen.values()), Task)

    @property
    def chunks(self) -> Sequence[Chunk]:
        self._refresh()
        return _Rows(self.sql, "chunks", sorted(self._gen.values()), Chunk)

    def latest_versions(self) -> dict[str, str]:
        self._refresh()
        return dict(self._latest)

    def info(self, policy: str, version: str) -> PolicyInfo | None:
        return self._infos.get((policy, version))

    def clause(self, policy: str, version: str, clause_id: str) -> Clause | None:
        gen = self._gen_of(policy, version)
        if gen is None:
            return None
        return self._rows.get(("clause", gen, clause_id), lambda: self.sql.clause(gen, clause_id))  # type: ignore[no-any-return]

    def task(self, policy: str, version: str, task_id: str) -> Task | None:
        gen = self._gen_of(policy, version)
        if gen is None:
            return None
        return self._rows.get(("task", gen, task_id), lambda: self.sql.task(gen, task_id))  # type: ignore[no-any-return]

    def item_tasks(self, policy: str, version: str, item_id: str) -> list[Task]:
        gen = self._gen_of(policy, version)
        if gen is None:
            return []
        return list(self._rows.get(("item", gen, item_id), lambda: self.sql.item_tasks(gen, item_id)))

    def clauses(self, policy: str, version: str) -> list[Clause]:
        gen = self._gen_of(policy, version)
        return [] if gen is None else self.sql.clauses(gen)

    # ---------------------------------------------------------------- search
    def tokenizer(self) -> Tokenizer:
        """The lexical tokenizer with the agency names and metrics of every visible plan, as the local one."""
        self._refresh()
        if self._tokenizer is None:
            self._tokenizer = Tokenizer(self.sql.user_words())
        return self._tokenizer

    def _chunk_counts(self) -> dict[int, int]:
        if not self._n:
            self._n = {g.gen: 0 for g in self._visible}
            rows = self.sql._run(lambda conn: conn.execute(
                self.sql._sa.select(self.sql.t["generations"].c.gen, self.sql.t["generations"].c.n_chunks)).all())
            self._n.update({int(g): int(n or 0) for g, n in rows if g in self._n})
        return self._n

    def search(self, question: str, k: int = 5, scope: set[tuple[str, str]] | None = None) -> list[Hit]:
        self._refresh()
        if not question.strip():
            return []
        if scope is None:
            scope = set(self._latest.items())
        gens = sorted({self._gen[s] for s in scope if s in self._gen})
        if not gens:
            return []
        query = retrieval_query(question)
        vector = self.embedder.embed_queries([query])[0]
        lexical_query = expand_query(query)
        counts = self._chunk_counts()
        scope_expr = f"gen in {gens}"
        if sum(counts.get(g, 0) for g in gens) <= self.exact_limit:
            rows = self._get([(g, i) for g in gens for i in range(counts.get(g, 0))])
        else:
            rows = self._candidates(vector, lexical_query, scope_expr)
        return self._pool(rows, vector, lexical_query, k, gens)

    def _pool(self, rows: list[dict[str, Any]], vector: np.ndarray, lexical_query: str, k: int,
              gens: list[int]) -> list[Hit]:
        """The local index's scoring of the fetched chunks (cosine, BM25, max-pooled to items, mixed)."""
        if not rows:
            return []
        unique = {(int(r["gen"]), int(r["ord"])): r for r in rows}
        order = sorted(unique, key=lambda key: (self._key_of.get(key[0], ("", "")), key[1]))
        rows = [unique[key] for key in order]
        chunks = _Chunks(rows)  # only the best chunks of the k hits are parsed
        matrix = np.asarray([r["dense"] for r in rows], dtype=np.float32)
        dense = matrix @ np.asarray(vector, dtype=np.float32)
        lexical = self._bm25([r["tokens"].split("\t") if r["tokens"] else [] for r in rows], lexical_query, gens)
        keys = [(*self._key_of.get(gen, ("", "")), r["item_id"]) for (gen, _), r in zip(order, rows)]
        groups = list(dict.fromkeys(keys))
        position = {key: i for i, key in enumerate(groups)}
        group_of = np.array([position[key] for key in keys], dtype=np.int64)
        mask = np.ones(len(rows), dtype=bool)
        return pool_items(chunks, groups, group_of, mask, dense, lexical, ALPHA, k)  # type: ignore[arg-type]

    def _get(self, keys: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """Chunks by (gen, ord): primary-key lookups, far cheaper than a filter in Milvus Lite."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(keys), 4000):
            ids = [(gen << 20) | ord_ for gen, ord_ in keys[i:i + 4000]]
            found = self._call(self.client.get, self.collection, ids=ids, output_fields=_FIELDS,
                               strict_float32=True)  # vectors as one float32 array, not a Python float per value
            out.extend(dict(r) for r in found)
        return out

    def _candidates(self, vector: np.ndarray, text: str, scope_expr: str) -> list[dict[str, Any]]:
        """Chunks for a large scope: every chunk of the items the hybrid search (dense + BM25 within the scope, fused
        by RRF) ranks highest, fetched by primary key, so those items are scored on all their sentences as locally."""
        pymilvus = _pymilvus()
        requests = [
            pymilvus.AnnSearchRequest(data=[vector.tolist()], anns_field="dense", param={"metric_type": "COSINE"},
                                      limit=self.candidates, expr=scope_expr),
            pymilvus.AnnSearchRequest(data=[text], anns_field="sparse", param={"metric_type": "BM25"},
                                      limit=self.candidates, expr=scope_expr),
        ]
        found = self._call(self.client.hybrid_search, self.collection, requests, pymilvus.RRFRanker(60),
                           limit=2 * self.candidates, output_fields=["gen", "item_id"])
        items: dict[int, list[str]] = {}
        for hit in found[0] if found else []:
            entity = hit.get("entity", hit)
            ids = items.setdefault(int(entity["gen"]), [])
            if entity["item_id"] not in ids:
                ids.append(entity["item_id"])
        if not items:
            return []
        return self._get(self._item_chunks(items))

    def _item_chunks(self, items: dict[int, list[str]]) -> list[tuple[int, int]]:
        """(gen, ord) of every chunk of the given items (gen → item ids), from each plan version's item → chunk
        positions (read in one query for all versions not yet seen, then kept)."""
        table = {gen: self._items.peek(gen) for gen in items}
        missing = [gen for gen, positions in table.items() if positions is None]
        if missing:
            found: dict[int, dict[str, list[int]]] = {gen: {} for gen in missing}
            for gen, ord_, item in self.sql.chunk_items(missing):
                found[gen].setdefault(item, []).append(ord_)
            for gen, positions in found.items():
                table[gen] = {item: tuple(ords) for item, ords in positions.items()}
                self._items.put(gen, table[gen])
        return [(gen, o) for gen, ids in items.items() for item in ids for o in table[gen].get(item, ())]

    def _corpus_stats(self, tokens: list[str], gens: list[int]) -> tuple[int, int, dict[str, int]]:
        """The searched plan versions' chunk count, token count and document frequencies, kept per scope: the rows
        of a generation never change, so a scope's counts cannot go stale."""
        key = tuple(gens)
        cached = self._stats.peek(key)
        if cached is None or any(t not in cached[2] for t in tokens):
            known = cached[2] if cached else {}
            n, total, df = self.sql.corpus_stats([t for t in tokens if t not in known] or tokens, gens)
            merged = {**known, **{t: df.get(t, 0) for t in tokens if t not in known}}
            cached = (n, total, merged)
            self._stats.put(key, cached)
        return cached[0], cached[1], {t: cached[2][t] for t in tokens if cached[2].get(t)}

    def _bm25(self, docs: list[list[str]], query: str, gens: list[int]) -> np.ndarray:
        """BM25 of each document, with the statistics of the searched plan versions: what bm25s gives the local index."""
        tokens = self.tokenizer().tokens(query)
        n, total, df = self._corpus_stats(tokens, gens)
        scores = np.zeros(len(docs), dtype=np.float32)
        if not n:
            return scores
        average = total / n
        known = [t for t in tokens if df.get(t, 0) > 0]
        idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in set(known)}
        wanted = set(known)
        for i, doc in enumerate(docs):
            counts = Counter(t for t in doc if t in wanted)  # only the query's words count; the sum is unchanged
            if not counts:
                continue
            length = max(len(doc), 1)
            norm = K1 * ((1 - B) + B * length / average)
            scores[i] = sum(idf[t] * counts[t] / (norm + counts[t]) for t in known if counts.get(t))
        return scores

    # ---------------------------------------------------------------- ingest
    def sync(self, roots: list[Path], progress: Progress | None = None, corpus: Corpus | None = None,
             max_bytes: int = 50 * 1024 * 1024) -> BuildReport:
        """Make the store hold exactly the plans under ``roots``: changed ones written anew, removed ones hidden."""
        import time

        started = time.monotonic()
        report = progress or (lambda *_: None)
        with ingest_lock(self.index_dir):
            self._drop_hidden()
            report(0, 1, "解析文件")
            corpus = corpus or read_corpus(roots, max_bytes)
            self._refresh()
            if not corpus.policies and self._visible:
                why = "；".join(f"{Path(f.path).name}：{f.reason}" for f in corpus.failures) or "未找到 .txt、.docx 或 .pdf 文件"
                raise DocumentError("、".join(str(r) for r in roots), f"没有可解析的政策文件，原有索引未改动（{why}）")
            words = sorted(set(domain_words([t for p in corpus.policies for t in p.tasks])) | set(self.sql.user_words()))
            tokenizer = Tokenizer(words)  # one for the whole ingest: jieba takes a second to start
            hashes = {(g.policy, g.version): g.content_hash for g in self._visible}
            totals = [0, 0, 0]
            for policy in corpus.policies:
                if hashes.get((policy.policy, policy.version)) == content_hash(policy):
                    n = self._chunk_counts().get(self._gen[(policy.policy, policy.version)], 0)
                    totals[0] += n
                    totals[2] += n
                    continue
                chunks, embedded = self._write(policy, tokenizer, report)
                totals[0] += chunks
                totals[1] += embedded
                totals[2] += chunks - embedded
            wanted = {(p.policy, p.version) for p in corpus.policies}
            for key in [key for key in hashes if key not in wanted]:
                self.sql.hide(*key)
            self._refresh()
        failures = [{"path": f.path, "reason": f.reason} for f in corpus.failures]
        return BuildReport(build_id=f"milvus-{self._serial}", policies=len(corpus.policies), chunks=totals[0],
                           embedded=totals[1], reused=totals[2], failures=failures,
                           seconds=time.monotonic() - started)

    def add(self, policy: Policy, progress: Progress | None = None) -> tuple[int, int]:
        """Write one plan version (new or replacing the same version) and switch it visible: (chunks, embedded)."""
        with ingest_lock(self.index_dir):
            words = sorted(set(domain_words(policy.tasks)) | set(self.sql.user_words()))
            out = self._write(policy, Tokenizer(words), progress or (lambda *_: None))
            self._refresh()
            return out

    def remove(self, policy: str, version: str) -> None:
        """Hide a plan version at once; its rows go at the next ingest."""
        with ingest_lock(self.index_dir):
            self.sql.hide(policy, version)
            self._refresh()

    def _drop_hidden(self) -> None:
        """Rows of replaced generations and of ingests that never finished."""
        hidden = self.sql.hidden_generations()
        if hidden:
            self._call(self.client.delete, self.collection, filter=f"gen in {hidden}")
            self._call(self.client.flush, self.collection)
            self.sql.drop(hidden)

    def _existing_vectors(self, hashes: list[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for i in range(0, len(hashes), 200):
            part = hashes[i:i + 200]
            rows = self._call(self.client.query, self.collection, filter=f"hash in {json.dumps(part)}",
                              output_fields=["hash", "dense"])
            out.update({r["hash"]: r["dense"] for r in rows})
        return out

    def _write(self, policy: Policy, tokenizer: Tokenizer, report: Progress) -> tuple[int, int]:
        place, level = place_and_level(policy.title)
        chunks = build_chunks(policy)
        tokens = [tokenizer.tokens(c.text) for c in chunks]
        gen = self.sql.new_generation({
            "policy": policy.policy, "version": policy.version, "title": policy.title, "date": policy.date,
            "path": str(policy.path), "sha256": policy.sha256, "content_hash": content_hash(policy),
            "place": place, "level": level, "problems": json.dumps([p.model_dump() for p in policy.problems],
                                                                  ensure_ascii=False),
            "user_words": json.dumps(tokenizer.user_words, ensure_ascii=False),
            **generation_columns(policy.record, policy.document.appendix, policy.document.appendix_start)})
        cache = self._existing_vectors(sorted({c.hash for c in chunks}))
        todo = sorted({c.text for c in chunks if c.hash not in cache})
        vectors: dict[str, Any] = {}
        for i in range(0, len(todo), 32):
            part = todo[i:i + 32]
            vectors.update(zip(part, self.embedder.embed_passages(part)))
            report(min(i + 32, len(todo)), len(todo), "生成向量")
        rows = []
        for i, (chunk, toks) in enumerate(zip(chunks, tokens)):
            vector = cache[chunk.hash] if chunk.hash in cache else vectors[chunk.text]
            rows.append({"pk": (gen << 20) | i, "text": chunk.text, "policy": chunk.policy, "version": chunk.version,
                         "item_id": chunk.item_id, "task_id": chunk.task_id, "place": place, "level": level,
                         "hash": chunk.hash, "gen": gen, "ord": i, "chunk": chunk.model_dump_json(),
                         "tokens": "\t".join(toks), "dense": [float(x) for x in vector]})
        for i in range(0, len(rows), _BATCH):
            self._call(self.client.insert, self.collection, rows[i:i + _BATCH])
        self._call(self.client.flush, self.collection)
        if os.environ.get("POLICY_ASSISTANT_DRILL_PAUSE"):  # the kill drill stops here: rows in, not yet visible
            import sys
            import time

            print(f"drill: generation {gen} written, not visible", file=sys.stderr, flush=True)
            time.sleep(float(os.environ["POLICY_ASSISTANT_DRILL_PAUSE"]))
        terms = Counter(t for toks in tokens for t in set(toks or ["<empty>"]))
        stats = {"n_chunks": len(chunks), "total_len": sum(max(len(t), 1) for t in tokens)}
        self.sql.publish(gen, policy.document.clauses, policy.tasks, chunks, dict(terms), stats)
        return len(chunks), len(todo)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            self.sql.close()


def open_milvus_store(settings: Any, embedder: Embedder) -> MilvusStore:
    """The store the settings name: ``milvus_uri`` (default index_dir/milvus.db) and ``database_url``
    (default a SQLite file in index_dir)."""
    index_dir = Path(settings.index_dir)
    uri = settings.milvus_uri or str(index_dir / "milvus.db")
    url = settings.database_url  # the one database the ledger uses too
    index_dir.mkdir(parents=True, exist_ok=True)  # the ingest lock lives there, whatever the backends
    return MilvusStore(uri, url, embedder, index_dir)
