"""The province bench runs end to end at N=3 (both backends, a Milvus Lite server, 2 client processes)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT))

from bench import province, province_plans  # noqa: E402


def test_generated_plans_are_deterministic_long_and_never_repeat_a_chunk(tmp_path: Path) -> None:
    from assistant.chunks import build_chunks
    from assistant.policies import read_corpus

    n = len(province_plans.sources()) + 4  # every source as a base, four of them twice
    a = province_plans.generate(n, tmp_path / "a", seed=3)
    b = province_plans.generate(n, tmp_path / "b", seed=3)
    assert [p.read_text("utf-8") for p in a] == [p.read_text("utf-8") for p in b]
    late = province_plans.generate(n + 1, tmp_path / "c", seed=3, start=n - 1)  # plan i is plan i, whatever n
    assert late[0].read_text("utf-8") == a[-1].read_text("utf-8")
    assert a[0].read_text("utf-8") != province_plans.generate(1, tmp_path / "d", seed=4)[0].read_text("utf-8")
    corpus = read_corpus([tmp_path / "a"])
    assert len(corpus.policies) == n and not corpus.failures  # distinct titles: no plan taken for another's version
    texts = [c.text for p in corpus.policies for c in build_chunks(p)]
    assert len(set(texts)) == len(texts)  # within a plan and across plans
    assert len(texts) / n >= 150  # 2,000 plans make ≥ 300,000 chunks
    assert all(sum(1 for t in p.tasks if t.lead_agency) >= 3 for p in corpus.policies)
    assert len({province_plans.place(i) for i in range(16_000)}) == 16_000


@pytest.mark.slow
def test_the_bench_runs_at_three_plans(tmp_path: Path) -> None:
    summary = province.main(["--plans", "3", "--out", str(tmp_path / "bench"), "--quick"])
    assert summary["plans"] == 3 and [r["backend"] for r in summary["results"]] == ["local", "milvus"]
    for result in summary["results"]:
        assert result["chunks"] == summary["chunks"] and result["add_one_plan_s"] > 0
        assert result["plan_p95_ms"] > 0 and result["province_p95_ms_2"] > 0
    assert summary["real_embedder_chunks_per_s"] > 0
