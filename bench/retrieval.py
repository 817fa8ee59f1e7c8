"""Item retrieval figures: Recall@1, Recall@3 and MRR@10 of our retriever, its ablations and a naive baseline.

Ours ranks items (Retriever.search, k=10): the rank is the gold item's place among the returned items.
The baseline ranks 250-character chunks (RecursiveCharacterTextSplitter, overlap 50) of the repaired
plan text with the same embedder and a FAISS IndexFlatIP; the rank is the place of the first chunk that
hits the gold item among the top 10 chunks, so its Recall@3 is "the gold item is in the 3 chunks a naive
RAG would pass on". A chunk hits an item when its character span in the repaired text overlaps the
item's span ("any overlap"), or, stricter, when the item is the one it overlaps most ("majority").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import Embedder
from assistant.hits import Retriever, retrieval_query
from assistant.index import Index

K = 10


class QueryCache(Embedder):
    """Wraps an embedder and remembers query vectors, so ablations do not re-embed the same questions."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self._queries: dict[str, np.ndarray] = {}

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
            for text, vector in zip(missing, self.inner.embed_queries(missing)):
                self._queries[text] = vector
        return np.stack([self._queries[t] for t in texts])

    def prime(self, texts: list[str]) -> float:
        """Embed ``texts`` as queries now; the seconds per query it took."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._queries]
        started = time.perf_counter()
        for text in todo:  # one at a time, as a user's question is
            self.embed_queries([text])
        return (time.perf_counter() - started) / len(todo) if todo else 0.0


@dataclass
class Scores:
    name: str
    ranks: list[int | None]  # 1-based rank of the gold item, None when not in the top K
    seconds: float
    misses_at_1: list[str] = field(default_factory=list)

    def recall(self, k: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= k) / len(self.ranks) if self.ranks else 0.0

    @property
    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks if r is not None) / len(self.ranks) if self.ranks else 0.0

    def row(self) -> dict[str, Any]:
        n = len(self.ranks)
        return {"method": self.name, "questions": n, "recall@1": round(self.recall(1), 4),
                "recall@3": round(self.recall(3), 4), "mrr@10": round(self.mrr, 4),
                "ms_per_query": round(1000 * self.seconds / n, 1) if n else None, "misses@1": self.misses_at_1}


def item_questions(questions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Questions with one gold item that stand on their own (no follow-ups)."""
    return [q for q in questions if q.get("item") and not q.get("followup_of")]


def _score(name: str, questions: list[dict[str, Any]], ranked: Callable[[str], list[set[str]]]) -> Scores:
    ranks: list[int | None] = []
    misses = []
    started = time.perf_counter()
    for q in questions:
        rank = next((i for i, items in enumerate(ranked(q["question"]), start=1) if q["item"] in items), None)
        ranks.append(rank)
        if rank != 1:
            misses.append(q["id"])
    return Scores(name, ranks, time.perf_counter() - started, misses)


def score_retriever(name: str, retriever: Retriever, questions: list[dict[str, Any]],
                    scope: set[tuple[str, str]] | None = None, any_policy: bool = False) -> Scores:
    """Rank of each gold item in ``retriever.search``; ``any_policy``: an item id of any policy counts."""
    def ranked(question: str) -> list[set[str]]:
        hits = retriever.search(question, k=K, scope=scope)
        if any_policy:  # the same item of several copies is one rank
            return [{item} for item in dict.fromkeys(h.item_id for h in hits)]
        return [{h.item_id} for h in hits]

    return _score(name, questions, ranked)


@dataclass
class Baseline:
    """Naive RAG: fixed-size character chunks of the repaired text, dense top-k over FAISS."""

    texts: list[str]
    any_items: list[set[str]]
    majority_items: list[set[str]]
    faiss_index: Any
    embed_seconds: float

    @classmethod
    def build(cls, index: Index, embedder: Embedder, policy: str, version: str) -> Baseline:
        import faiss
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from assistant.loading import load_file
        from assistant.repair import repair

        info = index.info(policy, version)
        assert info is not None, f"{policy} {version} not in the index"
        text = repair(load_file(Path(info.path)).text).text
        items = [c for c in index.clauses[(policy, version)] if c.level == "item"]
        if any(text[c.start:c.end] != c.text for c in items):
            raise RuntimeError("the index's item spans do not match repair(...).text; cannot map baseline chunks")
        splitter = RecursiveCharacterTextSplitter(chunk_size=250, chunk_overlap=50, add_start_index=True)
        docs = splitter.create_documents([text])
        texts, any_items, majority = [], [], []
        for doc in docs:
            start = doc.metadata.get("start_index", -1)
            if start < 0 or text[start:start + len(doc.page_content)] != doc.page_content:
                start = text.find(doc.page_content)
            end = start + len(doc.page_content)
            overlaps = {c.id: min(end, c.end) - max(start, c.start) for c in items}
            hit = {k for k, v in overlaps.items() if v > 0}
            best = max(overlaps, key=lambda k: overlaps[k]) if hit else None
            texts.append(doc.page_content)
            any_items.append(hit)
            majority.append({best} if best else set())
        started = time.perf_counter()
        matrix = embedder.embed_passages(texts)
        seconds = time.perf_counter() - started
        flat = faiss.IndexFlatIP(embedder.dim)
        flat.add(np.ascontiguousarray(matrix, dtype=np.float32))
        return cls(texts, any_items, majority, flat, seconds)

    def score(self, name: str, embedder: Embedder, questions: list[dict[str, Any]], majority: bool = False,
              strip_question_words: bool = False) -> Scores:
        mapping = self.majority_items if majority else self.any_items

        def ranked(question: str) -> list[set[str]]:
            query = retrieval_query(question) if strip_question_words else question
            _, ids = self.faiss_index.search(embedder.embed_queries([query]), K)
            return [mapping[i] for i in ids[0] if i >= 0]

        return _score(name, questions, ranked)

    def describe(self) -> dict[str, Any]:
        lengths = [len(t) for t in self.texts]
        return {"chunks": len(self.texts), "mean_chars": round(float(np.mean(lengths)), 1),
                "chunks_spanning_2plus_items": sum(1 for s in self.any_items if len(s) > 1),
                "chunks_in_no_item": sum(1 for s in self.any_items if not s),
                "embed_seconds": round(self.embed_seconds, 2)}
