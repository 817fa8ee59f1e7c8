"""Shared fixtures: the package's deterministic fake embedder (model "fake") for fast unit tests, and built indexes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.embeddings import HashEmbedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"


FakeEmbedder = HashEmbedder  # the package's own fake model: embedding_model = "fake"


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
