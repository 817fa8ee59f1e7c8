"""The province bench runs end to end at N=3 (both backends, a Milvus Lite server, 2 client processes)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT))

from bench import province  # noqa: E402


def test_generated_plans_are_deterministic_and_do_not_repeat_chunks(tmp_path: Path) -> None:
    from assistant.chunks import build_chunks
    from assistant.policies import read_corpus

    a = province.generate(6, tmp_path / "a", seed=3)
    b = province.generate(6, tmp_path / "b", seed=3)
    assert [p.read_text("utf-8") for p in a] == [p.read_text("utf-8") for p in b]
    corpus = read_corpus([tmp_path / "a"])
    assert len(corpus.policies) == 6 and not corpus.failures
    by_plan = [{c.text for c in build_chunks(p)} for p in corpus.policies]
    assert all(not (x & y) for i, x in enumerate(by_plan) for y in by_plan[i + 1:])  # no text shared by two plans
    assert province.place(0) != province.place(1)


@pytest.mark.slow
def test_the_bench_runs_at_three_plans(tmp_path: Path) -> None:
    summary = province.main(["--plans", "3", "--out", str(tmp_path / "bench"), "--quick"])
    assert summary["plans"] == 3 and [r["backend"] for r in summary["results"]] == ["local", "milvus"]
    for result in summary["results"]:
        assert result["chunks"] == summary["chunks"] and result["p95_ms"] > 0 and result["add_one_plan_s"] > 0
    assert summary["real_embedder_chunks_per_s"] > 0
