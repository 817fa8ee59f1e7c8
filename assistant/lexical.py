"""Lexical ranking: jieba words (with a user dictionary of unit names and metrics from the corpus)
plus CJK character bigrams, scored with BM25 (bm25s)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .schema import Task

_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
STOPWORDS = frozenset(
    "的 了 和 与 及 以及 等 是 在 对 将 要 为 并 或 把 被 从 由 向 于 中 上 下 之 其 这 那 个 吗 呢 吧 啊 哪 哪些 什么 怎么 "
    "如何 多少 谁 有 有没有 没有 一下 请问 关于 方面 相关 有关 进行 开展 推进 推动 加强 加快 提升 实施 工作 "
    "哪个 几 啥 咋 呀 么 嘛 我们 我 你 他 它 要求 规定 文件 方案".split()
)


def domain_words(tasks: list[Task]) -> list[str]:
    """Words to keep whole when segmenting: agency names and target metrics of the corpus."""
    words: set[str] = set()
    for task in tasks:
        words.update(task.agencies)
        words.update(t.metric for t in task.targets if 2 <= len(t.metric) <= 12)
    return sorted(words)


@lru_cache(maxsize=1)
def _dictionary_hash() -> str:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    digest = hashlib.sha256(path.read_bytes() if path.exists() else b"")
    digest.update(getattr(jieba, "__version__", "").encode())
    return digest.hexdigest()


class Tokenizer:
    """jieba on its own dictionary instance (the global one is left alone) plus character bigrams."""

    def __init__(self, user_words: list[str]) -> None:
        import jieba

        jieba.setLogLevel(60)
        self.user_words = sorted({w for w in user_words if 2 <= len(w) <= 20})
        self._jieba: Any = jieba.Tokenizer()
        self._jieba.initialize()
        for word in self.user_words:
            self._jieba.add_word(word, freq=2000)
        digest = hashlib.sha256(_dictionary_hash().encode())
        digest.update("\n".join(self.user_words).encode("utf-8"))
        self.hash = digest.hexdigest()

    def words(self, text: str) -> list[str]:
        """jieba search-mode words, lower-cased, without punctuation and stop words."""
        return [w.lower() for w in self._jieba.cut_for_search(text, HMM=False)
                if _KEEP.search(w) and w not in STOPWORDS and (len(w) > 1 or w.isdigit())]

    def tokens(self, text: str) -> list[str]:
        bigrams = [run[i:i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]
        return self.words(text) + ["#" + b for b in bigrams]


class LexicalIndex:
    """BM25 over pre-tokenised chunks."""

    def __init__(self, tokenizer: Tokenizer, corpus_tokens: list[list[str]]) -> None:
        import bm25s

        self.tokenizer = tokenizer
        self.size = len(corpus_tokens)
        self._bm25: Any = bm25s.BM25()
        if corpus_tokens:
            self._bm25.index([t or ["<empty>"] for t in corpus_tokens], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when nothing matches)."""
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        tokens = [t for t in self.tokenizer.tokens(query) if t in self._bm25.vocab_dict]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
