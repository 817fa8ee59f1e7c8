"""Province scale: N generated plans on both stores, with a fast stand-in embedder of the real dimension.

    PYTHONPATH=. python -m bench.province --plans 200 --out /tmp/province      # both backends
    PYTHONPATH=. python -m bench.province --plans 3 --out /tmp/p --quick        # smoke (the test runs this)

The plans come from ``bench/province_plans.py`` (every fixture plan as a source, donor chapters, places,
numbers, sentence and unit order varied, deterministic from ``--seed``; 2,000 plans ≈ 323,000 chunks, none
repeating another's text). The stand-in embedder hashes text to a 384-dimensional unit vector
(multilingual-e5-small's dimension) in microseconds.

Measured per backend: ingest time and rate, disk, answer latency (question in, answer out, through
``Assistant.ask``) p50/p95 for one client and for 8 client processes at once, RSS per client
process, and the time to add one plan to the full corpus. Then the real embedder's throughput and
what embedding the whole corpus would cost. Milvus runs as a ``milvus-lite server`` process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import Embedder

from bench.province_plans import generate, place

ROOT = Path(__file__).resolve().parent.parent


class StandIn(Embedder):
    """A deterministic 384-dimensional unit vector per text (hash-seeded), for store measurements only."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.model_id = f"bench/stand-in-{dim}"

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
            row = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = row / np.linalg.norm(row)
        return out

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def _questions(folder: Path, count: int, seed: int) -> list[str]:
    from assistant.policies import read_policy

    rng = random.Random(seed)
    files = sorted(folder.glob("*.txt"))
    out = []
    for path in rng.sample(files, min(len(files), max(1, count // 4))):
        policy = read_policy(path)
        for task in rng.sample(policy.tasks, min(4, len(policy.tasks))):
            out.append(f"{place(int(path.stem.split('_')[1]))}{task.title}谁负责？")
    return out[:count]


def _open(backend: str, folder: Path, uri: str) -> Any:
    from assistant.index import load_index
    from assistant.store.local import LocalStore
    from assistant.store.milvus import MilvusStore

    embedder = StandIn()
    if backend == "local":
        return LocalStore(load_index(folder / "local", check_corpus=False), embedder)
    return MilvusStore(uri, f"sqlite:///{folder / 'milvus' / 'store.sqlite'}", embedder, folder / "milvus")


def client(backend: str, folder: Path, uri: str, questions: list[str]) -> dict[str, Any]:
    """Open the store, answer every question; latencies and this process's peak RSS."""
    from assistant.answers import Assistant

    started = time.monotonic()
    store = _open(backend, folder, uri)
    assistant = Assistant(store, StandIn())
    assistant.ask(questions[0])  # warm: jieba's dictionary, first connection
    opened = time.monotonic() - started
    times = []
    for q in questions:
        t = time.perf_counter()
        assistant.ask(q)
        times.append(time.perf_counter() - t)
    return {"open_s": opened, "times": times, "rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM; ru_maxrss would report the parent's, as Linux keeps it across exec)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if values else 0.0


def _clients(backend: str, folder: Path, uri: str, questions: list[str], n: int) -> list[dict[str, Any]]:
    qfile = folder / "questions.json"
    qfile.write_text(json.dumps(questions, ensure_ascii=False), "utf-8")
    command = [sys.executable, "-m", "bench.province", "--client", backend, "--out", str(folder), "--uri", uri]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=str(ROOT)) for _ in range(n)]
    return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]


def measure(backend: str, folder: Path, plans: Path, extra: Path, uri: str, questions: list[str],
            concurrency: int) -> dict[str, Any]:
    from assistant.index import build_index
    from assistant.policies import read_policy
    from assistant.store.milvus import MilvusStore

    embedder = StandIn()
    started = time.monotonic()
    if backend == "local":
        report = build_index(folder / "local", [plans], embedder)
        chunks = report.chunks
    else:
        store = MilvusStore(uri, f"sqlite:///{folder / 'milvus' / 'store.sqlite'}", embedder, folder / "milvus")
        chunks = store.sync([plans]).chunks
    ingest = time.monotonic() - started
    result: dict[str, Any] = {"backend": backend, "chunks": chunks, "ingest_s": round(ingest, 1),
                              "chunks_per_s": round(chunks / ingest, 1)}
    single = _clients(backend, folder, uri, questions, 1)[0]  # its own process: memory of an app process alone
    result.update(open_s=round(single["open_s"], 2), p50_ms=round(_pct(single["times"], 50), 1),
                  p95_ms=round(_pct(single["times"], 95), 1), rss_mb=round(single["rss_mb"]))
    many = _clients(backend, folder, uri, questions, concurrency)
    every = [t for c in many for t in c["times"]]
    result.update({f"p50_ms_{concurrency}": round(_pct(every, 50), 1), f"p95_ms_{concurrency}": round(_pct(every, 95), 1),
                   "rss_mb_per_client": round(statistics.mean(c["rss_mb"] for c in many))})
    started = time.monotonic()
    if backend == "local":
        shutil.copy(extra, plans / extra.name)
        build_index(folder / "local", [plans], embedder)
        (plans / extra.name).unlink()
    else:
        store.add(read_policy(extra))
        store.close()
    result["add_one_plan_s"] = round(time.monotonic() - started, 2)
    result["disk_mb"] = round(_du(folder / backend) / 1e6, 1) if backend == "local" else None
    return result


def real_embedder_rate(sample: list[str]) -> float:
    from assistant.embeddings import load_embedder

    embedder = load_embedder()
    embedder.embed_passages(sample[:4])
    started = time.monotonic()
    embedder.embed_passages(sample)
    return len(sample) / (time.monotonic() - started)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--backends", default="local,milvus")
    parser.add_argument("--quick", action="store_true", help="smoke run: few questions, 2 clients, 8 passages")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--uri", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        questions = json.loads((args.out / "questions.json").read_text("utf-8"))
        print(json.dumps(client(args.client, args.out, args.uri, questions)))
        return {}
    if args.quick:
        args.questions, args.concurrency = min(args.questions, 4), min(args.concurrency, 2)
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.milvus_server import milvus_server

    shutil.rmtree(args.out, ignore_errors=True)
    plans = args.out / "plans"
    generate(args.plans, plans, args.seed)
    extra = generate(args.plans + 1, args.out / "extra", args.seed)[-1]
    from assistant.chunks import build_chunks
    from assistant.policies import read_corpus

    corpus = read_corpus([plans])
    texts = [c.text for p in corpus.policies for c in build_chunks(p)]
    summary: dict[str, Any] = {"plans": len(corpus.policies), "chunks": len(texts), "distinct_chunk_texts": len(set(texts)),
                               "failures": len(corpus.failures), "results": []}
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}, ensure_ascii=False), flush=True)
    questions = _questions(plans, args.questions, args.seed)
    with milvus_server(args.out / "milvus-server") as uri:
        for backend in args.backends.split(","):
            folder = args.out
            result = measure(backend, folder, plans, extra, uri, questions, args.concurrency)
            if backend == "milvus":
                result["disk_mb"] = round((_du(args.out / "milvus-server") + _du(args.out / "milvus")) / 1e6, 1)
                result["server_rss_mb"] = _server_rss(uri)
            summary["results"].append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    sample = texts[:8] if args.quick else texts[:64]
    rate = real_embedder_rate(sample)
    summary["real_embedder_chunks_per_s"] = round(rate, 1)
    summary["real_embed_whole_corpus_h"] = round(len(texts) / rate / 3600, 2)
    summary["real_embed_300k_chunks_h"] = round(300_000 / rate / 3600, 1)
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}, ensure_ascii=False), flush=True)
    return summary


def _server_rss(uri: str) -> int | None:
    port = uri.rsplit(":", 1)[-1]
    try:
        out = subprocess.run(["ps", "-eo", "rss,args"], capture_output=True, text=True).stdout
    except OSError:
        return None
    for line in out.splitlines():
        if "milvus_lite" in line and f"--port {port}" in line:
            return round(int(line.split()[0]) / 1024)
    return None


if __name__ == "__main__":
    main()
