from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.errors import IndexCorrupt, IndexMissing, IndexStale
from assistant.index import build_index, load_index, read_manifest

from conftest import FakeEmbedder


def test_build_writes_a_folder_of_plain_files_with_a_manifest(tmp_path: Path, corpus_dir: Path) -> None:
    embedder = FakeEmbedder()
    report = build_index(tmp_path / "index", [corpus_dir], embedder)
    build, manifest = read_manifest(tmp_path / "index")
    assert sorted(p.name for p in build.iterdir()) == ["docstore.json", "manifest.json", "vectors.faiss"]
    assert manifest["model_id"] == embedder.model_id and manifest["dim"] == embedder.dim
    assert set(manifest["files"]) == {"docstore.json", "vectors.faiss"}
    assert len(manifest["sources"]) == 1 and len(manifest["tokenizer_hash"]) == 64
    assert {"faiss-cpu", "numpy", "jieba", "bm25s"} <= set(manifest["packages"])
    assert report.policies == 1 and report.chunks == manifest["counts"]["chunks"] > 150
    store = json.loads((build / "docstore.json").read_text("utf-8"))
    assert len(store["tasks"]) == 22 and len(store["chunks"]) == len(store["tokens"])


def test_reingest_of_unchanged_files_embeds_nothing(tmp_path: Path, corpus_dir: Path) -> None:
    embedder = FakeEmbedder()
    first = build_index(tmp_path / "index", [corpus_dir], embedder)
    calls = embedder.calls
    second = build_index(tmp_path / "index", [corpus_dir], embedder)
    assert first.embedded == first.chunks and second.embedded == 0 and second.reused == second.chunks
    assert embedder.calls == calls
    assert len(list((tmp_path / "index" / "builds").iterdir())) == 1  # the old build is removed


def test_changed_file_embeds_only_changed_sentences(tmp_path: Path, corpus_dir: Path) -> None:
    embedder = FakeEmbedder()
    build_index(tmp_path / "index", [corpus_dir], embedder)
    path = next(corpus_dir.iterdir())
    path.write_text(path.read_text("utf-8").replace("比例达到 50%", "比例达到 55%"), "utf-8")
    report = build_index(tmp_path / "index", [corpus_dir], embedder)
    assert report.embedded == 1


def test_missing_index_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing, match="policy-assistant ingest"):
        load_index(tmp_path / "nothing")


def test_stale_corpus_model_and_dimension_are_detected(tmp_path: Path, corpus_dir: Path) -> None:
    embedder = FakeEmbedder()
    build_index(tmp_path / "index", [corpus_dir], embedder)
    load_index(tmp_path / "index", embedder.model_id, embedder.dim)  # fresh
    with pytest.raises(IndexStale, match="模型"):
        load_index(tmp_path / "index", "other/model", embedder.dim)
    with pytest.raises(IndexStale, match="维度"):
        load_index(tmp_path / "index", embedder.model_id, 8)
    shutil.copy(next(corpus_dir.iterdir()), corpus_dir / "second.txt")
    with pytest.raises(IndexStale, match="新增文件：second.txt"):
        load_index(tmp_path / "index")


def test_damaged_file_is_refused_by_checksum(tmp_path: Path, corpus_dir: Path) -> None:
    build_index(tmp_path / "index", [corpus_dir], FakeEmbedder())
    build, _ = read_manifest(tmp_path / "index")
    data = bytearray((build / "vectors.faiss").read_bytes())
    data[-10] ^= 0xFF
    (build / "vectors.faiss").write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="校验和不符"):
        load_index(tmp_path / "index")


def test_garbled_manifest_is_corrupt(tmp_path: Path, corpus_dir: Path) -> None:
    build_index(tmp_path / "index", [corpus_dir], FakeEmbedder())
    build, _ = read_manifest(tmp_path / "index")
    (build / "manifest.json").write_text("{not json", "utf-8")
    with pytest.raises(IndexCorrupt):
        load_index(tmp_path / "index")


def test_nothing_in_the_package_unpickles() -> None:
    package = Path(__file__).resolve().parent.parent / "assistant"
    source = "\n".join(p.read_text("utf-8") for p in package.rglob("*.py"))
    for forbidden in ("import pickle", "pickle.load", "allow_pickle=True", "torch.load", "joblib", "dill"):
        assert forbidden not in source, forbidden


def test_an_unusable_index_says_its_reason_and_its_fix_as_attributes(tmp_path: Path, corpus_dir: Path) -> None:
    with pytest.raises(IndexMissing) as missing:
        load_index(tmp_path / "nowhere")
    assert missing.value.reason == f"尚未建立索引（{tmp_path / 'nowhere'}）"
    assert missing.value.fix == "请先运行：policy-assistant ingest"
    assert str(missing.value) == f"{missing.value.reason}。{missing.value.fix}"
    build_index(tmp_path / "index", [corpus_dir], FakeEmbedder())
    with pytest.raises(IndexStale) as stale:
        load_index(tmp_path / "index", "someone/else", 256)
    assert stale.value.reason.startswith("索引已过期：") and "someone/else" in stale.value.reason
    assert stale.value.fix == "请运行：policy-assistant ingest 重建"
