"""Shared fixtures: a deterministic fake embedder for fast unit tests, and built indexes."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import Embedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"


class FakeEmbedder(Embedder):
    """Character bigrams hashed into 256 dimensions: same text, same vector; shared words, close vectors."""

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


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled corpus."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(QINGDAO, folder / QINGDAO.name)
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path):  # noqa: ANN201
    from assistant.settings import Settings

    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index")


@pytest.fixture
def fake_engine(settings, fake_embedder):  # noqa: ANN001, ANN201
    from assistant.engine import Engine

    engine = Engine(settings, fake_embedder)
    engine.ingest()
    return engine


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The default offline model over the bundled corpus, built once per test session."""
    from assistant.engine import Engine
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("real")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(QINGDAO, corpus / QINGDAO.name)
    engine = Engine(Settings(corpus_dir=corpus, index_dir=root / "index"))
    engine.ingest()
    return engine
