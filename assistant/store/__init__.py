"""Storage behind one interface: what answers need from the corpus, and hybrid search of it.

    store/
      __init__.py   the Store protocol (this file: no logic)
      local.py      today's index folder (index.py + hits.py), the embedded default: ``store = "local"``
      milvus.py     chunks in Milvus (dense + BM25 with jieba), scope pushed down: ``store = "milvus"``
      sql.py        policies, clauses and task rows in SQL for the Milvus store

The surface is exactly what ``answers.Assistant`` uses of a loaded ``index.Index`` plus ``search``
(``hits.Retriever.search``): both backends answer the same questions the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..index import PolicyInfo
    from ..schema import Chunk, Clause, Hit, Task


@runtime_checkable
class Store(Protocol):
    """Policy records, clauses, task rows and chunks by id, and hybrid search within a scope."""

    @property
    def policies(self) -> Sequence[PolicyInfo]: ...

    @property
    def tasks(self) -> Sequence[Task]: ...

    @property
    def chunks(self) -> Sequence[Chunk]: ...

    def latest_versions(self) -> dict[str, str]:
        """policy id → its latest version."""
        ...

    def info(self, policy: str, version: str) -> PolicyInfo | None: ...

    def clause(self, policy: str, version: str, clause_id: str) -> Clause | None: ...

    def task(self, policy: str, version: str, task_id: str) -> Task | None: ...

    def item_tasks(self, policy: str, version: str, item_id: str) -> list[Task]:
        """The task row of an item and the rows of its sub-items."""
        ...

    def search(self, question: str, k: int = 5, scope: set[tuple[str, str]] | None = None) -> list[Hit]:
        """The ``k`` best items for ``question`` within ``scope`` ((policy, version) pairs; default: the latest
        version of each policy), best first."""
        ...


__all__ = ["Store"]
