"""The engine the CLI and the app share: settings → embedder → verified index → assistant.

It decides what to do with an index that cannot be used as it is: build it when missing, rebuild it
when stale or damaged (``rebuild=True``), or refuse with the reason and the command that fixes it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answers import Assistant, Conversation
from .questions import clean_question
from .embeddings import Embedder, load_embedder
from .errors import DocumentError, IndexCorrupt, IndexMissing, IndexStale, IndexUnusable
from .index import BuildReport, Index, Progress, build_index, load_index, read_manifest, stale_reasons
from .loading import SUPPORTED, find_policy_files, load_bytes
from .policies import Corpus, identify, parse_raw, read_corpus
from .schema import Answer
from .settings import Settings
from .store import Store
from .store.local import LocalStore

if TYPE_CHECKING:
    from .store.milvus import MilvusStore

_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)(?:\..*)?$", re.I)


@dataclass
class Status:
    """What ``policy-assistant status`` and the app's corpus view show."""

    state: str  # fresh | stale | damaged | missing
    message: str
    fix: str | None
    model_id: str | None = None
    built_at: str | None = None
    policies: list[tuple[str, str, str]] | None = None  # (policy, version, title)
    failures: list[dict[str, str]] | None = None


class Engine:
    """One embedder, one index, one assistant; reload after an ingest. Thread-safe for asking."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._index: Index | None = None
        self._assistant: Assistant | None = None
        self._milvus: MilvusStore | None = None
        self._seen: tuple[object, ...] | None = None
        self._lock = threading.RLock()
        self._chat: Any = None
        self.rebuilt_because: str | None = None  # the reason the last index() call rebuilt the index, if it did

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.settings.embedding_model)
            return self._embedder

    def roots(self) -> list[Path]:
        return [self.settings.corpus_dir]

    def ingest(self, paths: list[Path] | None = None, progress: Progress | None = None) -> BuildReport:
        """Build the index from ``paths`` (default: the corpus folder) and load it."""
        with self._lock:
            if self.settings.store == "milvus":
                report = self.store().sync(paths or self.roots(), progress,
                                           max_bytes=self.settings.max_upload_mb * 1024 * 1024 * 5)
                self._assistant = None  # sync has read the switch itself: store.changed() will not report it
                return report
            report = build_index(self.settings.index_dir, paths or self.roots(), self.embedder, progress,
                                 max_bytes=self.settings.max_upload_mb * 1024 * 1024 * 5)
            self._index = None
            self._assistant = None
            return report

    def _fingerprint(self, manifest: dict[str, Any] | None) -> tuple[object, ...]:
        """Cheap to take: the live build's name, and inode, size and mtime of every file under the indexed roots."""
        try:
            live = (self.settings.index_dir / "CURRENT").read_text("utf-8").strip()
        except OSError:
            live = ""
        roots = [Path(r) for r in (manifest or {}).get("roots", [])]
        files = []
        for path in find_policy_files([r for r in roots if r.exists()]):
            try:
                stat = path.stat()
            except OSError:
                continue
            files.append((str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns))
        return live, tuple(files)

    def index(self, rebuild: bool = True, progress: Progress | None = None) -> Index:
        """The verified index; built when missing, rebuilt when stale or damaged if ``rebuild``.

        A loaded index is kept while the live build and the corpus files look unchanged (inode, size, mtime);
        when they change it is verified again before the next answer, so an edited file is never answered
        from the old text.
        """
        with self._lock:
            if self._index is not None:
                if self._fingerprint(self._index.manifest) == self._seen:
                    return self._index
                self._index = None
                self._assistant = None
            try:
                seen = self._fingerprint(read_manifest(self.settings.index_dir)[1])
            except IndexUnusable:
                seen = None
            try:
                self._index = load_index(self.settings.index_dir, self.embedder.model_id, self.embedder.dim)
            except (IndexMissing, IndexStale, IndexCorrupt) as exc:
                if not rebuild:
                    raise
                self.rebuilt_because = exc.reason
                manifest_roots = self._manifest_roots()
                self.ingest(manifest_roots or None, progress)
                seen = self._fingerprint(read_manifest(self.settings.index_dir)[1])
                self._index = load_index(self.settings.index_dir, self.embedder.model_id, self.embedder.dim)
            self._seen = seen  # taken before verifying, so a change made meanwhile is seen next time
            return self._index

    def _manifest_roots(self) -> list[Path]:
        try:
            _, manifest = read_manifest(self.settings.index_dir)
        except IndexUnusable:
            return []
        return [Path(r) for r in manifest.get("roots", []) if Path(r).exists()]

    def store(self) -> MilvusStore:
        """The Milvus + SQL store of ``store = "milvus"``, opened (and its collection checked) once."""
        with self._lock:
            if self._milvus is None:
                from .store.milvus import open_milvus_store

                self._milvus = open_milvus_store(self.settings, self.embedder)
            return self._milvus

    def assistant(self, rebuild: bool = True, progress: Progress | None = None) -> Assistant:
        with self._lock:
            if self.settings.store == "milvus":
                store = self.store()
                if self._assistant is None or self._assistant.index is not store or store.changed():
                    self._assistant = Assistant(store, self.embedder, self.settings.max_question_chars)
                return self._assistant
            index = self.index(rebuild, progress)
            if self._assistant is None or getattr(self._assistant.index, "index", None) is not index:
                self._assistant = Assistant(LocalStore(index, self.embedder), self.embedder,
                                            self.settings.max_question_chars)
            return self._assistant

    def view(self, progress: Progress | None = None) -> Store:
        """What the app's pages read (policies, task rows, lookups): the store the assistant answers from."""
        return self.assistant(progress=progress).index

    def ask(self, question: object, conversation: Conversation | None = None, policy: str | None = None,
            version: str | None = None, llm: bool | None = None) -> Answer:
        """The one path from a question to an answer, for the CLI, the app and the eval runner: the question is
        cleaned once (and refused before any index is loaded or built), the index checked once, and the answer
        rephrased by the configured LLM when ``llm`` (default: the ``llm_enabled`` setting) asks for it."""
        text = clean_question(question, self.settings.max_question_chars)
        answer = self.assistant().answer(text, conversation, policy, version)
        if llm or (llm is None and self.settings.llm_enabled):
            from .phrasing import phrase

            answer = phrase(answer, self._chat_model())
        return answer

    def _chat_model(self) -> Any:
        with self._lock:
            if self._chat is None:
                from .phrasing import chat_model

                self._chat = chat_model(self.settings)
            return self._chat

    def corpus(self) -> Corpus:
        return read_corpus(self.roots(), self.settings.max_upload_mb * 1024 * 1024)

    def status(self) -> Status:
        """Fresh, stale, damaged or missing, with the policies indexed and the command that fixes it."""
        fix = "policy-assistant ingest"
        if self.settings.store == "milvus":
            store = self.store()  # unreachable or mismatched: raises with the fix
            policies = [(p.policy, p.version, p.title) for p in store.policies]
            if not policies:
                return Status("missing", "Milvus 中尚未导入政策", fix, self.embedder.model_id)
            return Status("fresh", f"Milvus 存储（{store.uri}）", None, self.embedder.model_id, None, policies, [])
        try:
            build, manifest = read_manifest(self.settings.index_dir)
        except IndexMissing as exc:
            return Status("missing", exc.reason, fix)
        except IndexUnusable as exc:
            return Status("damaged", exc.reason, fix)
        try:
            index = load_index(self.settings.index_dir, check_corpus=False)
        except IndexUnusable as exc:
            return Status("damaged", exc.reason, fix, manifest.get("model_id"), manifest.get("built_at"))
        policies = [(p.policy, p.version, p.title) for p in index.policies]
        reasons = stale_reasons(manifest, self.embedder.model_id, self.embedder.dim)
        state, message = ("stale", "索引已过期：" + "；".join(reasons)) if reasons else ("fresh", "索引是最新的")
        return Status(state, message, fix if reasons else None, manifest.get("model_id"), manifest.get("built_at"),
                      policies, index.failures)

    def save_upload(self, name: str, data: bytes) -> Path:
        """Check an uploaded policy file and store it under the corpus folder; raises DocumentError."""
        safe = safe_filename(name)
        limit = self.settings.max_upload_mb * 1024 * 1024
        if len(data) > limit:
            raise DocumentError(safe, f"文件过大（{len(data) / 1e6:.1f} MB），上限 {self.settings.max_upload_mb} MB")
        raw = load_bytes(data, safe, limit)  # content checked against the extension
        parse_raw(raw, Path(safe).stem, "v1")  # a file that is not a policy is refused before it is stored
        corpus_dir = self.settings.corpus_dir.resolve()
        corpus_dir.mkdir(parents=True, exist_ok=True)
        target = (corpus_dir / safe).resolve()
        if target.parent != corpus_dir:
            raise DocumentError(name, "文件名不合法")
        target = _next_version(target, data)
        tmp = target.with_name(f".{target.name}.upload")
        tmp.write_bytes(data)
        tmp.replace(target)
        return target


def _next_version(target: Path, data: bytes) -> Path:
    """Where an upload goes: its own name, or — when a different file of that name exists — the next
    free version of that policy (plan.txt, then plan_v2.txt, plan_v3.txt …); an identical file is left as it is."""
    if not target.exists() or target.read_bytes() == data:
        return target
    policy, _, _ = identify(target)
    for number in range(2, 1000):
        candidate = target.with_name(f"{policy}_v{number}{target.suffix}")
        if not candidate.exists() or candidate.read_bytes() == data:
            return candidate
    raise DocumentError(target.name, "同名文件的版本过多")


def safe_filename(name: str, allowed: tuple[str, ...] = SUPPORTED) -> str:
    """A file name safe to write under the corpus folder: no folders, control characters or reserved names;
    its extension one of ``allowed``."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))  # incl. bidi overrides
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip().strip(".")
    name = re.sub(r"\s+", "_", name)
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in allowed:
        raise DocumentError(name or "（无名文件）", f"只接受 {'、'.join(allowed)} 文件")
    if not stem or _RESERVED.match(stem) or stem.startswith("."):
        raise DocumentError(name or "（无名文件）", "文件名不合法")
    stem = stem.encode("utf-8")[:120].decode("utf-8", "ignore")  # file systems limit names to 255 bytes, not chars
    return f"{stem}.{suffix.lower()}"
