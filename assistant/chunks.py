"""Chunks follow the clause tree: one per sentence, prefixed with its item title, mapped back to the item."""

from __future__ import annotations

import hashlib

from .policies import Policy
from .schema import Chunk

_MIN_CHARS = 4


def chunk_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def build_chunks(policy: Policy, start_id: int = 0) -> list[Chunk]:
    """Sentence chunks of every item (and of chapter text outside items) of one policy version."""
    document = policy.document
    rows = {t.id for t in policy.tasks}
    chunks: list[Chunk] = []
    item_spans = [(c.start, c.end) for c in document.items]
    for clause in document.clauses:
        if clause.level == "subitem":
            continue
        top = clause.id
        children = document.children(clause.id) if clause.level == "item" else []
        for sentence in clause.sentences:
            if clause.level == "chapter" and any(s <= sentence.start < e for s, e in item_spans):
                continue  # covered by its item
            if len(sentence.text) < _MIN_CHARS or sentence.text == clause.title:
                continue
            task_id = top
            for child in children:
                if child.start <= sentence.start < child.end and child.id in rows:
                    task_id = child.id
            prefix = clause.title if clause.level == "item" else clause.chapter_title
            text = f"{prefix}：{sentence.text}" if not sentence.text.startswith(prefix) else sentence.text
            chunks.append(Chunk(id=start_id + len(chunks), policy=policy.policy, version=policy.version, item_id=top,
                                task_id=task_id, chapter=clause.chapter, number=clause.number, title=clause.title,
                                text=text, sentence=sentence.text, start=sentence.start, end=sentence.end,
                                hash=chunk_hash(text)))
    return chunks
