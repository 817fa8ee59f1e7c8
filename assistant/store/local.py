"""The embedded default: today's index folder (``index.Index``) searched by ``hits.Retriever``, unchanged."""

from __future__ import annotations

from collections.abc import Sequence

from ..embeddings import Embedder
from ..hits import Retriever
from ..index import Index, PolicyInfo
from ..schema import Chunk, Clause, Hit, Task


class LocalStore:
    """A loaded index and its retriever behind the Store protocol; read-only, safe to share between threads."""

    def __init__(self, index: Index, embedder: Embedder) -> None:
        self.index = index
        self.retriever = Retriever(index, embedder)

    @property
    def policies(self) -> Sequence[PolicyInfo]:
        return self.index.policies

    @property
    def tasks(self) -> Sequence[Task]:
        return self.index.tasks

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self.index.chunks

    def latest_versions(self) -> dict[str, str]:
        return self.index.latest_versions()

    def info(self, policy: str, version: str) -> PolicyInfo | None:
        return self.index.info(policy, version)

    def clause(self, policy: str, version: str, clause_id: str) -> Clause | None:
        return self.index.clause(policy, version, clause_id)

    def task(self, policy: str, version: str, task_id: str) -> Task | None:
        return self.index.task(policy, version, task_id)

    def item_tasks(self, policy: str, version: str, item_id: str) -> list[Task]:
        return self.index.item_tasks(policy, version, item_id)

    def search(self, question: str, k: int = 5, scope: set[tuple[str, str]] | None = None) -> list[Hit]:
        return self.retriever.search(question, k, scope)
